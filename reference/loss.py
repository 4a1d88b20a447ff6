"""Binary cross-entropy: per-sample loss ``L``, cost ``J``, its gradient, and the logit form.

Shapes: ``y_hat``, ``z`` and ``y`` are ``(m,)``; the result is in the dtype of
``y_hat`` (or ``z``), with ``y`` cast to it.
"""
import numpy as np

from ._validate import as_float, check_ndim, check_real_in, check_same_shape, check_unit_values


def _check_pair(first, y, first_name):
    """Validate ``first`` (m,) and labels ``y`` (m,); return both in ``first``'s dtype."""
    first = as_float(first, first_name)
    check_ndim(first, 1, first_name, "(m,)")
    if first.shape[0] == 0:
        raise ValueError(f"{first_name} must hold at least one sample, got shape {first.shape}")
    y = as_float(y, "y")
    check_ndim(y, 1, "y", "(m,)")
    check_same_shape(first, y, first_name, "y")
    check_unit_values(y, "y", "labels are 0 or 1 (map the positive class to 1)")
    return first, y.astype(first.dtype, copy=False)


def _clipped(y_hat, y, eps):
    """Validate, then return ``(p, q, y)`` with ``p = clip(y_hat)`` and ``q = 1 - p``.

    ``q`` is clipped on its own, ``q = clip(1 - y_hat, eps, 1 - eps)``, which is
    ``1 - clip(y_hat, eps, 1 - eps)`` in exact arithmetic but stays > 0 in
    float32, where ``1 - 1e-12`` rounds to 1.
    """
    y_hat, y = _check_pair(y_hat, y, "y_hat")
    check_unit_values(y_hat, "y_hat", "pass probabilities sigma(z), or use bce_with_logits(z, y)")
    eps = check_real_in(eps, "eps", 0, 0.5, low_open=True, high_open=True)
    p = np.clip(y_hat, eps, 1 - eps)
    q = np.clip(1 - y_hat, eps, 1 - eps)
    return p, q, y


def bce_loss(y_hat, y, eps=1e-12):
    """Per-sample binary cross-entropy.

    ``L(y_hat, y) = -(y log p + (1 - y) log(1 - p))`` with ``p = clip(y_hat, eps, 1 - eps)``,
    so ``y_hat`` of exactly 0 or 1 gives a finite loss (at most ``-log eps``).

    Parameters
    ----------
    y_hat : array-like of shape (m,)
        Predicted probabilities ``y_hat = sigma(z)``, in [0, 1].
    y : array-like of shape (m,)
        Labels in {0, 1}.
    eps : float, default=1e-12
        Clipping margin, in (0, 0.5).

    Returns
    -------
    ndarray of shape (m,)
        ``L`` for each sample, >= 0.
    """
    p, q, y = _clipped(y_hat, y, eps)
    return -(y * np.log(p) + (1 - y) * np.log(q))


def bce_cost(y_hat, y, eps=1e-12):
    """Binary cross-entropy cost, ``J = (1/m) sum_i L(y_hat_i, y_i)``.

    Parameters
    ----------
    y_hat : array-like of shape (m,)
        Predicted probabilities, in [0, 1].
    y : array-like of shape (m,)
        Labels in {0, 1}.
    eps : float, default=1e-12
        Clipping margin, as in `bce_loss`.

    Returns
    -------
    floating scalar
        ``J``, in ``y_hat``'s dtype.
    """
    return bce_loss(y_hat, y, eps).mean()


def bce_grad(y_hat, y, eps=1e-12):
    """Gradient of the cost with respect to the predictions, ``dJ/dy_hat``.

    ``dJ/dy_hat_i = (1/m) (p_i - y_i) / (p_i (1 - p_i)) = (1/m) (-y_i/p_i + (1 - y_i)/(1 - p_i))``,
    evaluated at the clipped ``p = clip(y_hat, eps, 1 - eps)`` (the second form is used:
    it stays accurate next to 0 and 1).

    Parameters
    ----------
    y_hat : array-like of shape (m,)
        Predicted probabilities, in [0, 1].
    y : array-like of shape (m,)
        Labels in {0, 1}.
    eps : float, default=1e-12
        Clipping margin, as in `bce_loss`.

    Returns
    -------
    ndarray of shape (m,)
        ``dJ/dy_hat``, including the ``1/m``.
    """
    p, q, y = _clipped(y_hat, y, eps)
    return (-y / p + (1 - y) / q) / y.shape[0]


def bce_with_logits(z, y):
    """Per-sample binary cross-entropy from logits, ``L(sigma(z), y)`` without forming ``sigma``.

    ``L = max(z, 0) - z y + log(1 + e^{-|z|})``, which equals
    ``-(y log sigma(z) + (1 - y) log(1 - sigma(z)))`` and is finite for any finite ``z``.

    Parameters
    ----------
    z : array-like of shape (m,)
        Logits ``z = w^T x + b``.
    y : array-like of shape (m,)
        Labels in {0, 1}.

    Returns
    -------
    ndarray of shape (m,)
        ``L`` for each sample, >= 0.
    """
    z, y = _check_pair(z, y, "z")
    with np.errstate(under="ignore"):
        return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
