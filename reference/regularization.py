"""Weight penalties: L2 (weight decay) and L1, with their gradients.

The cost with a penalty is ``J_reg = J + penalty``; the penalties take the
weights only, never the biases.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_float, check_int, check_nonnegative


def _weight_list(weights) -> list[np.ndarray]:
    """Return ``weights`` (one array, or a list/tuple of arrays) as a list of float arrays."""
    if isinstance(weights, (list, tuple)):
        return [as_float(W, f"weights[{i}]") for i, W in enumerate(weights)]
    return [as_float(weights, "weights")]


def _penalty(weights, lam, m, term) -> np.floating:
    """``lam/m * sum_l term(W_l)``, in the weights' floating dtype."""
    lam = check_nonnegative(lam, "lam")
    m = check_int(m, "m", low=1)
    Ws = _weight_list(weights)
    if not Ws:
        return np.float64(0.0)
    dtype = np.result_type(*Ws)
    total = sum(term(W) for W in Ws)
    return dtype.type(lam / m * total)


def l2_penalty(weights, lam, m) -> np.floating:
    """L2 penalty (the Frobenius norm squared), summed over the layers.

    ``lambda/(2m) * sum_l ||W^[l]||_F^2``

    Parameters
    ----------
    weights : ndarray of shape (n_in, n_out), or list of such arrays
        One weight array or a list of them (any shapes); biases are not penalized.
    lam : float
        Regularization strength ``lambda >= 0``.
    m : int
        Number of training samples ``m >= 1``.

    Returns
    -------
    numpy floating scalar
        The penalty, in the weights' dtype (float32 stays float32).
    """
    return _penalty(weights, lam, m, lambda W: np.sum(W * W) / 2)


def l2_grad(W, lam, m) -> np.ndarray:
    """Gradient of the L2 penalty with respect to one weight array.

    ``d/dW [lambda/(2m) ||W||_F^2] = (lambda/m) * W``

    Parameters
    ----------
    W : ndarray of any shape, e.g. (n_in, n_out) or (n,)
        The weights.
    lam : float
        Regularization strength ``lambda >= 0``.
    m : int
        Number of training samples ``m >= 1``.

    Returns
    -------
    ndarray of W's shape
        ``(lambda/m) * W``, in W's floating dtype.
    """
    W = as_float(W, "W")
    lam = check_nonnegative(lam, "lam")
    m = check_int(m, "m", low=1)
    return lam / m * W


def l1_penalty(weights, lam, m) -> np.floating:
    """L1 penalty, summed over the layers.

    ``lambda/m * sum_l sum_ij |W^[l]_ij|``

    Parameters
    ----------
    weights : ndarray of shape (n_in, n_out), or list of such arrays
        One weight array or a list of them (any shapes); biases are not penalized.
    lam : float
        Regularization strength ``lambda >= 0``.
    m : int
        Number of training samples ``m >= 1``.

    Returns
    -------
    numpy floating scalar
        The penalty, in the weights' dtype (float32 stays float32).
    """
    return _penalty(weights, lam, m, lambda W: np.sum(np.abs(W)))


def l1_grad(W, lam, m) -> np.ndarray:
    """(Sub)gradient of the L1 penalty with respect to one weight array.

    ``d/dW [lambda/m sum |W_ij|] = (lambda/m) * sign(W)``, with ``sign(0) = 0``.

    Parameters
    ----------
    W : ndarray of any shape, e.g. (n_in, n_out) or (n,)
        The weights.
    lam : float
        Regularization strength ``lambda >= 0``.
    m : int
        Number of training samples ``m >= 1``.

    Returns
    -------
    ndarray of W's shape
        ``(lambda/m) * sign(W)``, in W's floating dtype.
    """
    W = as_float(W, "W")
    lam = check_nonnegative(lam, "lam")
    m = check_int(m, "m", low=1)
    return lam / m * np.sign(W)
