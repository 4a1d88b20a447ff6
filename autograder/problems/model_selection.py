"""Batteries for model selection: splits, k-fold, cross_validate, grid_search, early stopping.

* Index-returning functions (train_val_test_split, kfold) are compared as SETS: the
  order inside one index array carries no meaning, and their diagnosis compares as
  sets too.  Their public cases are plain ``sets=True`` value cases, which the
  student kit can export; the hidden ones are custom checks that also name a
  mistake when the partition itself is broken.
* cross_validate and grid_search get trusted ``fit``/``score`` functions (closed-form
  ridge regression, R^2 / negative MSE / accuracy): they stay on the grader's side and
  the student's fold loop calls them back.  Each case guards them (``_guarded``): they
  run only on rows of the case's own X and y, on the grid's own hyperparameters, and
  (``score``) on a model that ``fit`` made, which the worker holds only as a handle.
  Purity is checked by a custom case, since the callbacks themselves do not come
  back through the echo.
* A property case with a seed of its own (``_kit.statistical_seed``) checks what any correct split must
  satisfy (a partition of range(m) with the contract's sizes), whatever the draw.
"""
from typing import NamedTuple

import numpy as np

from ..cases import Case, Guarded, assert_echo, assert_new, battery, expect_reference
from ..checks import CheckFailure, assert_same_sets
from ..diagnosis import diagnose, on_inputs
from ..mistakes.model_selection import SCORES_NOT_AN_ARRAY
from ._kit import float32, pure, raises, rng, statistical_seed, value

# ---------------------------------------------------------------- set comparison

def _sets_diagnosis(case, got):
    """The known mistake whose output equals ``got`` as sets (order inside arrays free)."""
    return diagnose(case.problem, got, on_inputs(case.args, case.kwargs), sets=True)


def _check_sets(student, case):
    args, kwargs = case.inputs()
    got = student.call(case.problem, *args, **kwargs)
    try:
        assert_same_sets(got, case.expected())
    except CheckFailure as failure:
        failure.diagnosis = failure.diagnosis or _sets_diagnosis(case, got)
        raise


def _sets(problem, name, *args, hidden=False, weight=1.0, kwargs=None):
    """A case whose index arrays are compared as sets.

    Public cases stay plain ``value(..., sets=True)`` cases, so the student kit can
    export them (it ships no custom checks).  Hidden cases are custom checks.
    """
    if not hidden:
        return value(problem, name, *args, weight=weight, kwargs=kwargs or {}, sets=True)
    return Case(problem, name, args, kwargs or {}, hidden=True, weight=weight,
                kind="custom", sets=True, check=_check_sets)


def _index_array(arr, name, case, got):
    if isinstance(arr, (list, tuple)):  # accepted as by assert_same_sets
        arr = np.asarray(arr, dtype=np.int64 if len(arr) == 0 else None)
    if not isinstance(arr, np.ndarray) or arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise CheckFailure(f"{name} should be a 1-d integer index array, but it is "
                           + (f"an array of shape {arr.shape} and dtype {arr.dtype}"
                              if isinstance(arr, np.ndarray) else type(arr).__name__),
                           _sets_diagnosis(case, got))
    return arr


def _partition_failure(case, got, message):
    raise CheckFailure(message, _sets_diagnosis(case, got))


# ---------------------------------------------------------------- train_val_test_split

def _check_split_property(student, case):
    """Any correct split: three disjoint arrays covering range(m), with round() sizes."""
    (m, _rng), kwargs = case.inputs()
    val, test = kwargs["val"], kwargs["test"]
    args, kwargs = case.inputs()
    got = student.call(case.problem, *args, **kwargs)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        _partition_failure(case, got, "train_val_test_split must return three index arrays "
                                      "(train_idx, val_idx, test_idx)")
    parts = [_index_array(a, f"the result[{i}]", case, got) for i, a in enumerate(got)]
    sizes = [m - round(val * m) - round(test * m), round(val * m), round(test * m)]
    for part, size, what in zip(parts, sizes, ("train", "val", "test")):
        if part.size != size:
            _partition_failure(case, got, f"{what}_idx holds {part.size} indices, expected "
                                          f"{size} for m={m}, val={val}, test={test} (sizes "
                                          f"round(test*m), round(val*m), and the rest)")
    every = np.concatenate(parts)
    if np.unique(every).size != m or every.min() < 0 or every.max() >= m:
        _partition_failure(case, got, "train, val and test must be disjoint and together "
                                      f"hold every index of range({m}) exactly once")


@battery("train_val_test_split")
def train_val_test_split():
    fn = "train_val_test_split"
    return [
        _sets(fn, "m = 10 with the default fractions", 10, rng(201), weight=2),
        _sets(fn, "m = 20, val = 0.1, test = 0.3", 20, rng(202), kwargs={"val": 0.1,
                                                                         "test": 0.3}),
        Case(fn, "any draw: a partition of range(m) with the contract's sizes",
             (53, rng(statistical_seed("train_val_test_split"))), {"val": 0.15, "test": 0.25}, hidden=True, weight=2,
             kind="custom", check=_check_split_property),
        _sets(fn, "sizes are round()ed, not truncated (m = 9, test*m = 2.7)", 9, rng(203),
              hidden=True, kwargs={"val": 0.3, "test": 0.3}),
        _sets(fn, "m = 37, val = 0.15, test = 0.25", 37, rng(204), hidden=True,
              kwargs={"val": 0.15, "test": 0.25}),
        _sets(fn, "m = 1: everything is train", 1, rng(205), hidden=True),
        _sets(fn, "val = 0", 12, rng(206), hidden=True, kwargs={"val": 0.0, "test": 0.5}),
        _sets(fn, "a half rounds to even (round(2.5) = 2)", 10, rng(207), hidden=True,
              weight=0.5, kwargs={"val": 0.35, "test": 0.25}),
        raises(fn, "val + test leave no room (m = 10, val = 0.6, test = 0.5)", 10, rng(208),
               val=0.6, test=0.5),
        raises(fn, "negative val", 10, rng(209), val=-0.1),
        raises(fn, "m = 0", 0, rng(210)),
    ]


# ---------------------------------------------------------------- kfold

def _check_kfold_property(student, case):
    """Any correct k-fold: the val folds partition range(m), train = the rest, sklearn sizes."""
    (m, k, _rng), _ = case.inputs()
    args, kwargs = case.inputs()
    got = student.call(case.problem, *args, **kwargs)
    if not isinstance(got, (list, tuple)) or len(got) != k:
        _partition_failure(case, got, f"kfold must return a list of k = {k} pairs "
                                      "(train_idx, val_idx)")
    seen = np.zeros(m, dtype=int)
    for j, pair in enumerate(got):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            _partition_failure(case, got, f"fold {j} should be a pair (train_idx, val_idx)")
        tr = _index_array(pair[0], f"train_idx of fold {j}", case, got)
        va = _index_array(pair[1], f"val_idx of fold {j}", case, got)
        size = m // k + (1 if j < m % k else 0)
        if va.size != size:
            _partition_failure(case, got, f"fold {j} validates on {va.size} samples, "
                                          f"expected {size}: with m={m}, k={k} the first "
                                          f"m % k = {m % k} folds get m//k + 1 = {m // k + 1} "
                                          f"samples and the others m//k = {m // k}")
        if va.min() < 0 or va.max() >= m or np.unique(va).size != va.size:
            _partition_failure(case, got, f"val_idx of fold {j} repeats an index or leaves "
                                          f"range({m})")
        seen[va] += 1
        rest = np.setdiff1d(np.arange(m), va)
        if tr.size != rest.size or not np.array_equal(np.sort(tr), rest):
            _partition_failure(case, got, f"train_idx of fold {j} must hold exactly the "
                                          "indices that are not in its val_idx")
    if not np.all(seen == 1):
        _partition_failure(case, got, f"the validation folds must hold every index of "
                                      f"range({m}) exactly once; {int(np.sum(seen == 0))} "
                                      f"are never validated, {int(np.sum(seen > 1))} more "
                                      "than once")


@battery("kfold")
def kfold():
    fn = "kfold"
    return [
        _sets(fn, "m = 10, k = 5, no rng", 10, 5, weight=2),
        _sets(fn, "m = 10, k = 3: the first fold gets the extra sample", 10, 3, weight=2),
        _sets(fn, "m = 11, k = 4 with an rng", 11, 4, rng(301)),
        Case(fn, "any draw: the folds partition range(m) exactly once",
             (37, 6, rng(statistical_seed("kfold"))), hidden=True, weight=2, kind="custom",
             check=_check_kfold_property),
        _sets(fn, "k = m (leave-one-out)", 6, 6, hidden=True),
        _sets(fn, "k = m (leave-one-out) with an rng", 5, 5, rng(302), hidden=True),
        _sets(fn, "m = 23, k = 5 with an rng (m % k = 3)", 23, 5, rng(303), hidden=True),
        _sets(fn, "k = 2, m = 7 with an rng", 7, 2, rng(304), hidden=True),
        _sets(fn, "rng=None given explicitly", 9, 4, hidden=True, kwargs={"rng": None}),
        raises(fn, "k = 1", 10, 1),
        raises(fn, "k > m", 4, 5),
    ]


# ---------------------------------------------------------------- trusted fit / score

class Ridge(NamedTuple):
    """A fitted model; not plain data, so the worker gets only a handle to it."""

    w: np.ndarray
    b: float
    degree: int


def ridge_fit(X, y, lam=1e-2, degree=1):
    """Closed-form ridge regression on the features [X, X^2, ..., X^degree] (trusted side).

    Returns the model ``Ridge(w, b, degree)``; the intercept is not penalized.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"fit expects X of shape (m, n) and y of shape (m,) with m >= 1, "
                         f"got X.shape={X.shape}, y.shape={y.shape}")
    F = np.hstack([X ** p for p in range(1, int(degree) + 1)])
    mu, ybar = F.mean(axis=0), y.mean()
    Fc = F - mu
    w = np.linalg.solve(Fc.T @ Fc + lam * np.eye(F.shape[1]), Fc.T @ (y - ybar))
    return Ridge(w, float(ybar - mu @ w), int(degree))


def _guarded(score, X, y, grid: dict | None = None) -> tuple[Guarded, Guarded]:
    """``(ridge_fit, score)``, accepting only what a fold loop over (X, y) passes them.

    ``fit(X_rows, y_rows, **params)``: rows of the case's X and y (same trailing
    shape and dtype, at most m rows) and hyperparameters from ``grid`` (none
    without one); ``score(model, X_rows, y_rows)``: the same rows and a model
    that ``fit`` returned.
    """
    def rows(args):
        if len(args) != 2:
            return "it takes the arrays (X, y)"
        for got, ref, name in zip(args, (X, y), "Xy"):
            if not (isinstance(got, np.ndarray) and got.dtype == ref.dtype
                    and got.shape[1:] == ref.shape[1:] and got.ndim == ref.ndim
                    and got.shape[0] <= ref.shape[0]):
                return (f"{name} must be rows of the data passed in, of shape "
                        f"(<= {ref.shape[0]}, ...{ref.shape[1:]}) and dtype {ref.dtype}")
        return None

    def fit_accepts(args, kwargs):
        for key, given in kwargs.items():
            if not (isinstance(given, (int, float, np.number))
                    and any(given == v for v in (grid or {}).get(key, []))):
                return f"{key}={value!r} is not one of the grid's hyperparameters"
        return rows(args)

    def score_accepts(args, kwargs):
        if kwargs or not args or not isinstance(args[0], Ridge):
            return "it takes (model, X, y), with a model that fit returned"
        return rows(args[1:])

    return Guarded(ridge_fit, fit_accepts), Guarded(score, score_accepts)


def _predict(model, X):
    w, b, degree = model
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"score expects X of shape (m, n), got X.shape={X.shape}")
    F = np.hstack([X ** p for p in range(1, int(degree) + 1)])
    return F @ np.asarray(w) + b


def r2_score(model, X, y):
    """Coefficient of determination R^2 of ``model`` on (X, y) (trusted side)."""
    y = np.asarray(y, dtype=np.float64)
    resid = y - _predict(model, X)
    return float(1 - np.sum(resid ** 2) / np.sum((y - y.mean()) ** 2))


def neg_mse(model, X, y):
    """Minus the mean squared error (higher is better; defined for one sample)."""
    return float(-np.mean((np.asarray(y, dtype=np.float64) - _predict(model, X)) ** 2))


def accuracy(model, X, y):
    """Accuracy of the least-squares classifier ``prediction >= 0.5`` on 0/1 labels."""
    return float(np.mean((_predict(model, X) >= 0.5) == (np.asarray(y) == 1)))


def _regression(seed, m, noise=0.5):
    """(X, y) with y = 1.5 x0 - 2 x1 + 0.8 x0^2 + 0.5 + noise."""
    g = rng(seed)
    X = g.normal(0, 1, size=(m, 2))
    y = 1.5 * X[:, 0] - 2 * X[:, 1] + 0.8 * X[:, 0] ** 2 + 0.5 + g.normal(0, noise, m)
    return X, y


def _blobs(seed, m):
    """Two well-separated Gaussian blobs with 0/1 labels, two thirds of them 1."""
    g = rng(seed)
    y = (np.arange(m) % 3 != 0).astype(np.int64)
    X = g.normal(0, 0.5, size=(m, 2)) + 3.0 * y[:, None]
    return X, y


def _data(score, X, y, *grid):
    """The leading arguments ``(fit, score, X, y[, grid])`` of a case, its callbacks guarded."""
    return (*_guarded(score, X, y, *grid), X, y, *grid)


def _check_pure_callbacks(student, case):
    """Purity: the arguments come back unchanged (fit/score, callbacks, are not compared)."""
    args, kwargs = case.inputs()
    _, after, kwargs_after = student.call_echo(case.problem, args, kwargs)
    assert_echo(*case.inputs(), after, kwargs_after)
    assert_new(student.last_aliases, case.problem)


def _pure_callbacks(problem, *args, weight=1.0):
    return Case(problem, "inputs unchanged", args, {}, hidden=True, weight=weight,
                kind="custom", robust=True, check=_check_pure_callbacks)


def _check_float_array(student, case):
    """The reference's scores, as a float array: value cases compare numbers only, so a
    list of the right scores would pass them."""
    args, kwargs = case.inputs()
    got = student.call(case.problem, *args, **kwargs)
    expect_reference(case, got)
    if not (isinstance(got, np.ndarray) and got.dtype.kind == "f"):
        raise CheckFailure("the scores should be a float array of shape (k,), but they are a "
                           f"{type(got).__name__}", SCORES_NOT_AN_ARRAY)


# ---------------------------------------------------------------- cross_validate

@battery("cross_validate")
def cross_validate():
    fn = "cross_validate"
    X20, y20 = _regression(401, 20)
    X17, y17 = _regression(402, 17)
    X9, y9 = _regression(403, 9)
    X8, y8 = _regression(404, 8)
    X30, y30 = _blobs(405, 30)
    X12, y12 = _regression(406, 12)
    X10, y10 = _regression(407, 10)
    return [
        value(fn, "ridge + R^2, m = 20, k = 5, no rng", *_data(r2_score, X20, y20), 5, weight=2),
        value(fn, "m = 17, k = 4 with an rng", *_data(r2_score, X17, y17), 4, rng(411)),
        value(fn, "k = 2, m = 9 with an rng", *_data(r2_score, X9, y9), 2, rng(412),
              hidden=True),
        value(fn, "leave-one-out (k = m) with a negative-MSE score", *_data(neg_mse, X8, y8),
              8, hidden=True),
        value(fn, "classification accuracy, k = 3 with an rng", *_data(accuracy, X30, y30), 3,
              rng(413), hidden=True),
        _pure_callbacks(fn, *_data(r2_score, X12, y12), 3, rng(414)),
        raises(fn, "k = 1", *_data(r2_score, X10, y10), 1),
        raises(fn, "k > m", *_data(r2_score, X8, y8), 9),
        raises(fn, "X and y of different lengths", *_data(r2_score, X12, y10), 5),
        Case(fn, "the scores are a float array", (*_data(r2_score, X10, y10), 2), hidden=True,
             kind="custom", robust=True, check=_check_float_array),
    ]


# ---------------------------------------------------------------- grid_search

@battery("grid_search")
def grid_search():
    fn = "grid_search"
    X24, y24 = _regression(501, 24)
    X30, y30 = _regression(502, 30, noise=1.0)
    Xb, yb = _blobs(503, 24)
    X18, y18 = _regression(504, 18)
    X14, y14 = _regression(505, 14)
    X5, y5 = _regression(506, 5)
    lams = {"lam": [1e-3, 1.0, 30.0, 1e3]}
    two = {"lam": [0.01, 3.0, 100.0], "degree": [1, 2]}
    ties = {"lam": [1e-3, 1e-2, 1e4, 0.1]}
    swapped = {"degree": [2, 1], "lam": [0.1, 10.0]}
    pure_grid = {"lam": [0.1, 1.0], "degree": [1, 2]}
    return [
        value(fn, "one hyperparameter, k = 4, no rng", *_data(r2_score, X24, y24, lams), 4,
              weight=2),
        value(fn, "two hyperparameters in itertools.product order, with an rng",
              *_data(r2_score, X30, y30, two), 3, rng(511), weight=2),
        value(fn, "ties go to the first candidate", *_data(accuracy, Xb, yb, ties), 3,
              hidden=True, weight=2),
        value(fn, "every candidate uses the same folds (one kfold draw)",
              *_data(r2_score, X18, y18, swapped), 3, rng(512), hidden=True, weight=2),
        value(fn, "a single candidate", *_data(r2_score, X14, y14, {"lam": [0.5]}), 2,
              hidden=True),
        _pure_callbacks(fn, *_data(r2_score, X14, y14, pure_grid), 2, rng(513)),
        raises(fn, "k = 1", *_data(r2_score, X14, y14, lams), 1),
        raises(fn, "k > m", *_data(r2_score, X5, y5, lams), 6),
        raises(fn, "grid given as a list of (name, candidates) pairs",
               *_data(r2_score, X14, y14, lams)[:4], list(lams.items()), 2),
    ]


# ---------------------------------------------------------------- early_stopping

@battery("early_stopping")
def early_stopping():
    fn = "early_stopping"
    u_shape = np.array([1.0, 0.8, 0.6, 0.55, 0.56, 0.57, 0.58, 0.6])
    return [
        value(fn, "a U-shaped validation curve, patience 2", u_shape, 2, weight=2),
        value(fn, "never stops: returns the last epoch", np.array([1.0, 0.9, 0.85, 0.84,
                                                                   0.83]), 3),
        value(fn, "min_delta = 0.05", np.array([1.0, 0.97, 0.9, 0.88, 0.87, 0.86, 0.8]), 3,
              kwargs={"min_delta": 0.05}, weight=2),
        value(fn, "a plateau is no improvement (equal costs)", np.array([1.0, 0.5, 0.5, 0.5,
                                                                         0.4]), 2,
              hidden=True, weight=2),
        value(fn, "an improvement of exactly min_delta does not count",
              np.array([1.0, 0.75, 0.8, 0.7, 0.5]), 2, kwargs={"min_delta": 0.25},
              hidden=True, weight=2),
        value(fn, "improvement is measured against the best, not the previous epoch",
              np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.65, 0.7]), 5,
              kwargs={"min_delta": 0.15}, hidden=True),
        value(fn, "the counter resets after an improvement", np.array([1.0, 1.1, 0.9, 1.0,
                                                                       0.8, 0.85, 0.9,
                                                                       0.95]),
              2, hidden=True, weight=2),
        value(fn, "patience 1", np.array([0.9, 0.7, 0.75, 0.6]), 1, hidden=True),
        value(fn, "stops exactly at the last epoch", np.array([0.5, 0.4, 0.45, 0.46]), 2,
              hidden=True),
        value(fn, "one epoch", np.array([0.3]), 4, hidden=True),
        value(fn, "patience longer than training", np.array([0.5, 0.6, 0.7]), 10,
              hidden=True),
        value(fn, "a NaN (diverged) epoch never improves", np.array([1.0, 0.6, np.nan, 0.7,
                                                                     np.nan]),
              3, hidden=True),
        value(fn, "a list of Python floats", [2.0, 1.5, 1.7, 1.6, 1.8], 2, hidden=True),
        float32(fn, np.array([0.9, 0.7, 0.5, 0.52, 0.49, 0.51, 0.53]), 2,
                kwargs={"min_delta": 0.015}),
        pure(fn, u_shape[::-1].copy(), 2),
        raises(fn, "patience = 0", np.array([0.7, 0.65, 0.66, 0.9]), 0),
        raises(fn, "negative min_delta", np.array([0.8, 0.75, 0.71, 0.74]), 2, min_delta=-0.1),
        raises(fn, "no epochs", np.array([]), 2),
    ]
