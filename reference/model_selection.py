"""Splits, k-fold cross-validation, grid search and early stopping.

Index arrays hold sample (row) indices into ``range(m)``; the order inside one
array carries no meaning.  Randomness comes only from an explicit ``rng``.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from ._validate import check_int, check_ndim, check_nonnegative, check_real_in, check_rng


def train_val_test_split(m, rng, val=0.2, test=0.2):
    """Split ``range(m)`` into disjoint train, validation and test indices.

    ``p = rng.permutation(m)`` (one call); ``m_test = round(test*m)``,
    ``m_val = round(val*m)`` (Python's ``round``: halves go to even);
    ``test = p[:m_test]``, ``val = p[m_test:m_test+m_val]``, ``train`` = the rest.

    Parameters
    ----------
    m : int
        Number of samples, ``m >= 1``.
    rng : numpy.random.Generator
        Draws once: ``rng.permutation(m)``.
    val : float in [0, 1], default=0.2
        Fraction of samples for validation.
    test : float in [0, 1], default=0.2
        Fraction of samples for test.

    Returns
    -------
    train_idx : ndarray of int of shape (m - m_val - m_test,)
    val_idx : ndarray of int of shape (m_val,)
    test_idx : ndarray of int of shape (m_test,)
    """
    m = check_int(m, "m", low=1)
    check_rng(rng)
    val = check_real_in(val, "val", 0, 1)
    test = check_real_in(test, "test", 0, 1)
    m_test, m_val = round(test * m), round(val * m)
    if m_test + m_val > m:
        raise ValueError(f"val and test leave no room: round(test*m) + round(val*m) = "
                         f"{m_test} + {m_val} > m = {m}; lower val or test")
    p = rng.permutation(m)
    return p[m_test + m_val:], p[m_test:m_test + m_val], p[:m_test]


def kfold(m, k, rng=None):
    """K-fold cross-validation indices, as scikit-learn's unshuffled ``KFold``.

    The order is ``o = rng.permutation(m)`` (one call), or ``arange(m)`` when ``rng`` is
    None.  Fold ``j`` validates on the ``j``-th consecutive slice of ``o``; the first
    ``m % k`` folds hold ``m//k + 1`` samples and the rest ``m//k``.  Training uses the
    other ``k - 1`` slices.

    Parameters
    ----------
    m : int
        Number of samples.
    k : int
        Number of folds, ``2 <= k <= m``.
    rng : numpy.random.Generator or None, default=None
        Shuffles the samples once; None keeps them in order.

    Returns
    -------
    list of k tuples (train_idx, val_idx)
        ``train_idx`` : ndarray of int of shape (m - m_j,);
        ``val_idx`` : ndarray of int of shape (m_j,).
    """
    m = check_int(m, "m", low=2)
    k = check_int(k, "k", low=2)
    if k > m:
        raise ValueError(f"k must be <= m: k-fold needs at least one sample per fold, "
                         f"got k={k} with m={m}; lower k")
    check_rng(rng, optional=True)
    order = np.arange(m) if rng is None else rng.permutation(m)
    sizes = np.full(k, m // k)
    sizes[: m % k] += 1
    stops = np.cumsum(sizes)
    return [(np.concatenate((order[:stop - size], order[stop:])), order[stop - size:stop])
            for size, stop in zip(sizes, stops)]


def _check_fit_score(fit, score, X, y):
    for name, fn in (("fit", fit), ("score", score)):
        if not callable(fn):
            raise ValueError(f"{name} must be a callable, got {type(fn).__name__}")
    X, y = np.asarray(X), np.asarray(y)
    check_ndim(X, 2, "X", "(m, n)")
    check_ndim(y, 1, "y", "(m,)")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of samples m, "
                         f"got X.shape={X.shape} and y.shape={y.shape}")
    return X, y


def _fold_scores(fit, score, X, y, folds, params) -> np.ndarray:
    """Validation score of ``fit(X_train, y_train, **params)`` on each fold."""
    return np.array([float(score(fit(X[tr], y[tr], **params), X[va], y[va]))
                     for tr, va in folds])


def cross_validate(fit, score, X, y, k, rng=None):
    """K-fold cross-validation scores.

    For each fold ``j`` of ``kfold(m, k, rng)``:
    ``s_j = score(fit(X[train_j], y[train_j]), X[val_j], y[val_j])``.

    Parameters
    ----------
    fit : callable
        ``fit(X, y) -> model``.
    score : callable
        ``score(model, X, y) -> float``.
    X : ndarray of shape (m, n)
        Inputs, passed to ``fit``/``score`` row-indexed but otherwise unchanged.
    y : ndarray of shape (m,)
        Labels.
    k : int
        Number of folds, ``2 <= k <= m``.
    rng : numpy.random.Generator or None, default=None
        Passed to :func:`kfold`.

    Returns
    -------
    ndarray of shape (k,), float64
        The validation scores ``s_1..s_k``, in fold order.
    """
    X, y = _check_fit_score(fit, score, X, y)
    return _fold_scores(fit, score, X, y, kfold(X.shape[0], k, rng), {})


def grid_search(fit, score, X, y, grid, k, rng=None):
    """Exhaustive grid search by k-fold cross-validation.

    The folds are drawn once, ``kfold(m, k, rng)``, and shared by every candidate.
    Candidates are ``itertools.product`` over ``grid``'s values, in its key order; each
    gets the mean validation score ``(1/k) sum_j s_j``.  The highest mean wins, the first
    on ties (a NaN mean never wins unless every mean is NaN).

    Parameters
    ----------
    fit : callable
        ``fit(X, y, **params) -> model``.
    score : callable
        ``score(model, X, y) -> float``; higher is better.
    X : ndarray of shape (m, n)
    y : ndarray of shape (m,)
    grid : dict
        ``{name: list of candidate values}``.
    k : int
        Number of folds, ``2 <= k <= m``.
    rng : numpy.random.Generator or None, default=None
        Passed to :func:`kfold`.

    Returns
    -------
    best_params : dict
        The winning candidate.
    results : list of (dict, float)
        Every candidate's ``(params, mean_score)``, in ``itertools.product`` order.
    """
    X, y = _check_fit_score(fit, score, X, y)
    if not isinstance(grid, Mapping):
        raise ValueError(f"grid must be a dict {{name: list of values}}, got {type(grid).__name__}")
    values = []
    for name, vals in grid.items():
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__iter__"):
            raise ValueError(f"grid[{name!r}] must be a list of candidate values, got {vals!r}; "
                             f"wrap a single value in a list")
        vals = list(vals)
        if not vals:
            raise ValueError(f"grid[{name!r}] must hold at least one candidate value, got []")
        values.append(vals)
    folds = kfold(X.shape[0], k, rng)
    results = []
    for combo in itertools.product(*values):
        params = dict(zip(grid.keys(), combo))
        results.append((params, float(np.mean(_fold_scores(fit, score, X, y, folds, params)))))
    means = np.array([s for _, s in results])
    best = int(np.argmax(np.where(np.isnan(means), -np.inf, means)))
    return dict(results[best][0]), results


def early_stopping(val_costs, patience, min_delta=0.0):
    """When to stop training, from the validation cost of each epoch.

    Walk the epochs ``e = 0, 1, ...`` in order; epoch ``e`` improves when
    ``J_val[e] < best - min_delta`` (``best`` starts at +inf, so a finite epoch 0 always
    improves), and then ``best = J_val[e]``.  Training stops at the first epoch that
    completes ``patience`` epochs in a row without improvement, or at the last epoch.

    Parameters
    ----------
    val_costs : array-like of shape (E,)
        Validation cost per epoch, ``E >= 1``.
    patience : int
        Epochs without improvement to tolerate, ``>= 1``.
    min_delta : float >= 0, default=0.0
        Minimum decrease that counts as an improvement.

    Returns
    -------
    stop_epoch : int
        The epoch (from 0) at which to stop.
    best_epoch : int
        The last epoch that improved (up to ``stop_epoch``).
    """
    costs = np.asarray(val_costs)
    if costs.dtype.kind not in "iuf":
        raise ValueError(f"val_costs must be numbers, got dtype {costs.dtype}")
    check_ndim(costs, 1, "val_costs", "(E,)")
    if costs.size == 0:
        raise ValueError("val_costs must hold at least one epoch, got an empty sequence")
    patience = check_int(patience, "patience", low=1)
    min_delta = check_nonnegative(min_delta, "min_delta")
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(costs.tolist()):  # sequential by nature: a loop over epochs
        if cost < best - min_delta:
            best, best_epoch, waited = cost, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(costs) - 1, best_epoch
