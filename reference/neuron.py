"""A single sigmoid neuron (logistic regression): forward pass, cost, gradients, prediction.

Shapes: ``X`` is ``(m, n)`` with rows as samples, ``y`` is ``(m,)``, ``w`` is ``(n,)``
and ``b`` a scalar.  Results are in the dtype of ``X @ w`` (float32 when both are).
"""
import numpy as np

from ._validate import (
    as_float,
    check_data,
    check_ndim,
    check_params,
    check_real_in,
    check_unit_values,
)
from .activation import sigmoid
from .loss import bce_cost


def _forward(X, w, b):
    """``sigma(X @ w + b)`` on validated input; ``b`` is a Python float so it keeps the dtype."""
    return sigmoid(X @ w + float(b))


def _check_xy(X, y, w, b):
    X, y = check_data(X, y)
    if X.shape[0] == 0:
        raise ValueError(f"X must hold at least one sample, got shape {X.shape}")
    check_unit_values(y, "y", "labels are 0 or 1 (map the positive class to 1)")
    w, b = check_params(X, w, b)
    return X, y.astype(np.result_type(X, w), copy=False), w, b


def neuron_forward(X, w, b):
    """Forward pass, ``z = X w + b`` and ``y_hat = sigma(z)``, one row per sample.

    Parameters
    ----------
    X : array-like of shape (m, n)
        Inputs, one sample ``x^(i)`` per row.
    w : array-like of shape (n,)
        Weights.
    b : float
        Bias.

    Returns
    -------
    ndarray of shape (m,)
        ``y_hat^(i) = sigma(w^T x^(i) + b)``.
    """
    X = as_float(X, "X")
    check_ndim(X, 2, "X", "(m, n)")
    w, b = check_params(X, w, b)
    return _forward(X, w, b)


def neuron_cost(X, y, w, b):
    """Cross-entropy cost of the neuron, ``J(w, b) = (1/m) sum_i L(y_hat^(i), y^(i))``.

    Parameters
    ----------
    X : array-like of shape (m, n)
        Inputs.
    y : array-like of shape (m,)
        Labels in {0, 1}.
    w : array-like of shape (n,)
        Weights.
    b : float
        Bias.

    Returns
    -------
    floating scalar
        ``J``, computed with `bce_cost` (``y_hat`` clipped to ``[eps, 1-eps]``).
    """
    X, y, w, b = _check_xy(X, y, w, b)
    return bce_cost(_forward(X, w, b), y)


def neuron_gradients(X, y, w, b):
    """Gradients of ``J`` with respect to ``w`` and ``b``.

    ``dz = y_hat - y``, ``dw = (1/m) X^T dz`` and ``db = (1/m) sum_i dz^(i)``.

    Parameters
    ----------
    X : array-like of shape (m, n)
        Inputs.
    y : array-like of shape (m,)
        Labels in {0, 1}.
    w : array-like of shape (n,)
        Weights.
    b : float
        Bias.

    Returns
    -------
    dw : ndarray of shape (n,)
        ``dJ/dw``.
    db : floating scalar
        ``dJ/db``, in the same dtype as ``dw``.
    """
    X, y, w, b = _check_xy(X, y, w, b)
    dz = _forward(X, w, b) - y
    return X.T @ dz / X.shape[0], dz.mean()


def predict(X, w, b, threshold=0.5):
    """Class predictions, ``1`` where ``y_hat = sigma(X w + b) >= threshold`` and ``0`` elsewhere.

    Parameters
    ----------
    X : array-like of shape (m, n)
        Inputs.
    w : array-like of shape (n,)
        Weights.
    b : float
        Bias.
    threshold : float, default=0.5
        Decision threshold on ``y_hat``, in [0, 1].

    Returns
    -------
    ndarray of shape (m,), int
        Predicted labels in {0, 1}.
    """
    threshold = check_real_in(threshold, "threshold", 0, 1)
    return (neuron_forward(X, w, b) >= threshold).astype(int)
