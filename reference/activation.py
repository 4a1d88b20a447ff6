"""Activations and their derivatives: sigmoid, ReLU and tanh.

Every function is elementwise, takes an array ``z`` of any shape and returns an
array of the same shape in ``z``'s floating dtype (integers become float64).
"""
import numpy as np

from ._validate import as_float


def _exp_neg_abs(z):
    """``e^{-|z|}``: in (0, 1], so it never overflows (it underflows to 0 silently)."""
    with np.errstate(under="ignore"):
        return np.exp(-np.abs(z))


def sigmoid(z):
    """Logistic sigmoid, ``sigma(z) = 1 / (1 + e^{-z})``.

    Evaluated in the stable split form, with ``e = e^{-|z|}``::

        sigma(z) = 1 / (1 + e)   if z >= 0
        sigma(z) = e / (1 + e)   if z < 0

    so it is finite and silent for any finite ``z`` (e.g. ``+-1e4``).

    Parameters
    ----------
    z : array-like of any shape
        Pre-activations ``z = w^T x + b``.

    Returns
    -------
    ndarray of the same shape as ``z``
        ``y_hat = sigma(z)``, in [0, 1].
    """
    z = as_float(z, "z")
    e = _exp_neg_abs(z)
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    """Derivative of the sigmoid, ``sigma'(z) = sigma(z) (1 - sigma(z))``.

    Evaluated as ``e / (1 + e)^2`` with ``e = e^{-|z|}``, which equals
    ``s(1-s)`` for either sign of ``z`` and avoids the cancellation in ``1 - s``.

    Parameters
    ----------
    z : array-like of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the same shape as ``z``
        ``d sigma / dz``, in [0, 1/4].
    """
    z = as_float(z, "z")
    e = _exp_neg_abs(z)
    return e / (1 + e) ** 2


def relu(z):
    """Rectified linear unit, ``relu(z) = max(z, 0)``.

    Parameters
    ----------
    z : array-like of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the same shape as ``z``
    """
    z = as_float(z, "z")
    return np.maximum(z, 0)


def relu_grad(z):
    """Derivative of ReLU: ``relu'(z) = 1 if z > 0 else 0``, with ``relu'(0) = 0``.

    Parameters
    ----------
    z : array-like of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the same shape as ``z``
        Ones where ``z > 0``, zeros elsewhere, in ``z``'s floating dtype.
    """
    z = as_float(z, "z")
    return (z > 0).astype(z.dtype)


def tanh_grad(z):
    """Derivative of tanh, ``tanh'(z) = 1 - tanh(z)^2``.

    Evaluated as ``sech(z)^2 = 4 e / (1 + e)^2`` with ``e = e^{-2|z|}``, which equals
    ``1 - tanh^2`` and avoids its cancellation for large ``|z|``.

    Parameters
    ----------
    z : array-like of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the same shape as ``z``
        In (0, 1].
    """
    z = as_float(z, "z")
    e = _exp_neg_abs(2 * z)
    return 4 * e / (1 + e) ** 2
