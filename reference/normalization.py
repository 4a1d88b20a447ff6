"""Input standardization and batch normalization.

Standardization is fit on the training set and applied to every set.  Batch
normalization is a forward/backward pair in the CS231n style:
``batchnorm_forward -> (out, cache, state_new)`` and
``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validate import as_float, check_ndim, check_positive, check_real_in, check_same_shape

_STATE_KEYS = ("running_mean", "running_var")
_CACHE_KEYS = ("x_hat", "gamma", "inv_std")


def _check_vector(v, name: str, d: int, dtype) -> np.ndarray:
    """Return ``v`` as a float vector of shape (d,) in ``dtype``, else raise ``ValueError``."""
    v = as_float(v, name)
    if v.shape != (d,):
        raise ValueError(f"{name} must have shape (d,) = ({d},), one entry per column of x, "
                         f"got {name}.shape={v.shape}")
    return v.astype(dtype, copy=False)


def standardize_fit(X):
    """Per-column mean and population standard deviation of the training set.

    ``mu = (1/m) sum_i x^(i)``,  ``sigma^2 = (1/m) sum_i (x^(i) - mu)^2``;
    a constant column (max == min) gets ``sigma = 1`` so that applying is safe.

    Parameters
    ----------
    X : ndarray of shape (m, n)
        Training inputs, rows are samples, ``m >= 1``.

    Returns
    -------
    mu : ndarray of shape (n,)
        Column means, in X's floating dtype.
    sigma : ndarray of shape (n,)
        Column standard deviations (``ddof=0``), 1 for constant columns.
    """
    X = as_float(X, "X")
    check_ndim(X, 2, "X", "(m, n)")
    if X.shape[0] < 1:
        raise ValueError(f"X must have at least one sample (row) to fit on, got X.shape={X.shape}")
    mu = X.mean(axis=0)
    sigma = X.std(axis=0)
    constant = np.ptp(X, axis=0) == 0
    sigma[constant] = 1
    return mu, sigma


def standardize_apply(X, mu, sigma):
    """Standardize ``X`` with statistics fit on the training set.

    ``x_norm = (x - mu) / sigma``

    Parameters
    ----------
    X : ndarray of shape (m, n)
        Inputs of any set (train, validation or test).
    mu : ndarray of shape (n,)
        Training column means from :func:`standardize_fit`.
    sigma : ndarray of shape (n,)
        Training column standard deviations, all > 0.

    Returns
    -------
    ndarray of shape (m, n)
        The standardized inputs, in X's floating dtype.
    """
    X = as_float(X, "X")
    check_ndim(X, 2, "X", "(m, n)")
    n = X.shape[1]
    mu = _check_vector(mu, "mu", n, X.dtype)
    sigma = _check_vector(sigma, "sigma", n, X.dtype)
    if not np.all(sigma > 0):
        raise ValueError(f"sigma must be > 0 in every column (standardize_fit gives a constant "
                         f"column sigma=1), got min(sigma)={sigma.min()!r}")
    return (X - mu) / sigma


def _running_stats(state, d: int, dtype):
    """Validate a batch-norm state dict; ``{}`` means running stats of 0."""
    if not isinstance(state, Mapping):
        raise ValueError("state must be a dict, {} for fresh running stats or "
                         f"{{'running_mean', 'running_var'}}, got {type(state).__name__}")
    if not state:
        return np.zeros(d, dtype), np.zeros(d, dtype)
    missing = [k for k in _STATE_KEYS if k not in state]
    if missing:
        raise ValueError(f"state must be {{}} or hold both 'running_mean' and 'running_var', "
                         f"got keys {sorted(state)}")
    return tuple(_check_vector(state[k], f"state['{k}']", d, dtype) for k in _STATE_KEYS)


def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    """Batch normalization, forward pass.

    Train mode, over the mini-batch::

        mu = (1/m) sum_i x^(i),   sigma^2 = (1/m) sum_i (x^(i) - mu)^2
        x_hat = (x - mu) / sqrt(sigma^2 + eps),   out = gamma * x_hat + beta
        r_mean = momentum * r_mean + (1 - momentum) * mu
        r_var  = momentum * r_var  + (1 - momentum) * sigma^2

    Test mode uses ``r_mean`` and ``r_var`` in place of ``mu`` and ``sigma^2``
    and leaves them unchanged.

    Parameters
    ----------
    x : ndarray of shape (m, d)
        Pre-activations of one layer, rows are samples.
    gamma : ndarray of shape (d,)
        Scale.
    beta : ndarray of shape (d,)
        Shift.
    state : dict
        ``{}`` (running stats start at 0) or ``{"running_mean": (d,), "running_var": (d,)}``.
        Never modified.
    train : bool, default=True
        Use batch statistics and update the running stats; False uses the running stats.
    momentum : float in [0, 1], default=0.9
        Weight of the old running stats.
    eps : float > 0, default=1e-5
        Added to the variance for stability.

    Returns
    -------
    out : ndarray of shape (m, d)
        In x's floating dtype (gamma, beta and the running stats are cast to it).
    cache : dict or None
        What :func:`batchnorm_backward` needs; None in test mode.
    state_new : dict
        A new ``{"running_mean": (d,), "running_var": (d,)}``.
    """
    x = as_float(x, "x")
    check_ndim(x, 2, "x", "(m, d)")
    m, d = x.shape
    gamma = _check_vector(gamma, "gamma", d, x.dtype)
    beta = _check_vector(beta, "beta", d, x.dtype)
    running_mean, running_var = _running_stats(state, d, x.dtype)
    if not isinstance(train, (bool, np.bool_)):
        raise ValueError(f"train must be True or False, got train={train!r}")
    momentum = check_real_in(momentum, "momentum", 0, 1)
    eps = check_positive(eps, "eps")

    if not train:
        out = gamma * ((x - running_mean) / np.sqrt(running_var + eps)) + beta
        return out, None, {"running_mean": running_mean.copy(), "running_var": running_var.copy()}

    if m < 1:
        raise ValueError(f"x must hold at least one sample in train mode, got x.shape={x.shape}")
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    cache = {"x_hat": x_hat, "gamma": gamma.copy(), "inv_std": inv_std}
    state_new = {"running_mean": momentum * running_mean + (1 - momentum) * mu,
                 "running_var": momentum * running_var + (1 - momentum) * var}
    return out, cache, state_new


def batchnorm_backward(dout, cache):
    """Batch normalization, backward pass (train mode).

    With ``dx_hat = dout * gamma``::

        dbeta  = sum_i dout^(i)
        dgamma = sum_i dout^(i) * x_hat^(i)
        dx = 1/(m sqrt(sigma^2 + eps))
             * (m dx_hat - sum_i dx_hat^(i) - x_hat * sum_i dx_hat^(i) x_hat^(i))

    Parameters
    ----------
    dout : ndarray of shape (m, d)
        Upstream gradient ``dJ/dout``.
    cache : dict
        From :func:`batchnorm_forward` with ``train=True``.

    Returns
    -------
    dx : ndarray of shape (m, d)
    dgamma : ndarray of shape (d,)
    dbeta : ndarray of shape (d,)
        All in dout's floating dtype.
    """
    if cache is None:
        raise ValueError("cache is None: batchnorm_forward returns cache=None with train=False; "
                         "call it with train=True to backpropagate")
    if not isinstance(cache, Mapping) or any(k not in cache for k in _CACHE_KEYS):
        raise ValueError(f"cache must be the dict returned by batchnorm_forward with keys "
                         f"{list(_CACHE_KEYS)}, got {type(cache).__name__}")
    dout = as_float(dout, "dout")
    x_hat, gamma, inv_std = (np.asarray(cache[k]).astype(dout.dtype, copy=False)
                             for k in _CACHE_KEYS)
    check_ndim(dout, 2, "dout", "(m, d)")
    check_same_shape(dout, x_hat, "dout", "cache['x_hat']")
    m = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std / m * (m * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta
