"""Oracle tests for reference.model_selection.

Oracles: scikit-learn's KFold and cross_val_score, identically seeded generators, a
brute-force grid search written here, and hand-worked early-stopping cases.
Index arrays are compared as sets (sorted), as CURRICULUM says graders do.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_score

from reference import cross_validate, early_stopping, grid_search, kfold, train_val_test_split


def _same_set(a, b):
    return np.array_equal(np.sort(a), np.sort(b))


def _sk_folds(m, k, seed=None):
    """sklearn's unshuffled KFold, applied to default_rng(seed).permutation(m) if seeded."""
    p = np.arange(m) if seed is None else np.random.default_rng(seed).permutation(m)
    return [(p[tr], p[va]) for tr, va in KFold(n_splits=k).split(np.zeros((m, 1)))]


def _assert_folds_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for (tr, va), (str_, sva) in zip(ours, theirs):
        assert _same_set(tr, str_) and _same_set(va, sva)


# --------------------------------------------------------------------------- kfold

MK = [(10, 2), (10, 3), (11, 4), (7, 7), (100, 10), (23, 5)]


@pytest.mark.parametrize("m, k", MK)
def test_kfold_matches_sklearn_unshuffled(m, k):
    folds = kfold(m, k)
    _assert_folds_equal(folds, _sk_folds(m, k))
    assert all(tr.dtype.kind == "i" and va.dtype.kind == "i" for tr, va in folds)


@pytest.mark.parametrize("m, k", MK)
def test_kfold_with_rng_is_sklearn_on_permutation(m, k):
    rng, twin = np.random.default_rng(3), np.random.default_rng(3)
    _assert_folds_equal(kfold(m, k, rng), _sk_folds(m, k, seed=3))
    twin.permutation(m)
    assert rng.bit_generator.state == twin.bit_generator.state  # one permutation, nothing else


@settings(database=None, deadline=None, max_examples=100)
@given(st.integers(2, 300).flatmap(lambda m: st.tuples(st.just(m), st.integers(2, m))),
       st.one_of(st.none(), st.integers(0, 2**32 - 1)))
def test_kfold_partitions_every_index_once(mk, seed):
    m, k = mk
    folds = kfold(m, k, None if seed is None else np.random.default_rng(seed))
    assert len(folds) == k
    vals = np.concatenate([va for _, va in folds])
    assert np.array_equal(np.sort(vals), np.arange(m))  # disjoint and covering
    sizes = [len(va) for _, va in folds]
    assert sizes == [m // k + (j < m % k) for j in range(k)]
    for tr, va in folds:
        assert _same_set(tr, np.setdiff1d(np.arange(m), va))  # train = complement


# --------------------------------------------------------------------------- train/val/test

@pytest.mark.parametrize("m, val, test", [(10, 0.2, 0.2), (10, 0.15, 0.25), (7, 0.0, 0.5),
                                          (50, 0.1, 0.3), (3, 0.5, 0.0), (1, 0.2, 0.2)])
def test_split_exact_draw(m, val, test):
    """p = rng.permutation(m); test = p[:round(test*m)], then val, then train."""
    rng, twin = np.random.default_rng(4), np.random.default_rng(4)
    tr, va, te = train_val_test_split(m, rng, val=val, test=test)
    p = twin.permutation(m)
    n_te, n_va = round(test * m), round(val * m)  # Python's round: 2.5 -> 2
    assert _same_set(te, p[:n_te]) and _same_set(va, p[n_te:n_te + n_va])
    assert _same_set(tr, p[n_te + n_va:])
    assert rng.bit_generator.state == twin.bit_generator.state


def test_split_default_sizes():
    tr, va, te = train_val_test_split(100, np.random.default_rng(0))
    assert (len(tr), len(va), len(te)) == (60, 20, 20)


@settings(database=None, deadline=None, max_examples=100)
@given(st.integers(1, 500), st.floats(0, 1), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_split_disjoint_and_covering(m, val, test, seed):
    if round(val * m) + round(test * m) > m:
        with pytest.raises(ValueError, match="leave no room"):
            train_val_test_split(m, np.random.default_rng(seed), val=val, test=test)
        return
    parts = train_val_test_split(m, np.random.default_rng(seed), val=val, test=test)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(m))
    assert [len(p) for p in parts[1:]] == [round(val * m), round(test * m)]


# --------------------------------------------------------------------------- cross_validate

def _regression(m=40, n=3, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    return X, X @ rng.standard_normal(n) + 0.5 * rng.standard_normal(m)


def _ridge_fit(X, y, **params):
    return Ridge(**params).fit(X, y)


def _r2(model, X, y):
    return model.score(X, y)


@pytest.mark.parametrize("k, seed", [(5, None), (3, None), (4, 6), (10, 7)])
def test_cross_validate_matches_cross_val_score(k, seed, request):
    X, y = _regression()
    ours = cross_validate(_ridge_fit, _r2, X, y, k,
                          None if seed is None else np.random.default_rng(seed))
    cv = KFold(n_splits=k) if seed is None else _sk_folds(len(y), k, seed)
    ref = cross_val_score(Ridge(), X, y, cv=cv)
    assert ours.shape == (k,) and ours.dtype == np.float64
    err = float(np.max(np.abs(ours - ref)))
    request.node.user_properties.append(("max_abs_error", err))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_cross_validate_passes_data_unchanged():
    X, y = _regression()
    X32 = X.astype(np.float32)
    seen = []

    def fit(Xt, yt):
        seen.append((Xt.dtype, yt.dtype))
        return None

    cross_validate(fit, lambda model, Xv, yv: 0.0, X32, y.astype(np.int64), 4)
    assert seen == [(np.float32, np.int64)] * 4


# --------------------------------------------------------------------------- grid_search

def _brute_force(X, y, grid_alpha, grid_intercept, k, seed):
    """Nested loops (first key outermost), sklearn folds, strict > keeps the first best."""
    folds = _sk_folds(len(y), k, seed)
    results, best, best_score = [], None, -np.inf
    for alpha in grid_alpha:
        for fit_intercept in grid_intercept:
            params = {"alpha": alpha, "fit_intercept": fit_intercept}
            scores = [Ridge(**params).fit(X[tr], y[tr]).score(X[va], y[va]) for tr, va in folds]
            mean = sum(scores) / len(scores)
            results.append((params, mean))
            if mean > best_score:
                best, best_score = params, mean
    return best, results


@pytest.mark.parametrize("seed", [None, 8])
def test_grid_search_matches_brute_force(seed, request):
    X, y = _regression(m=30)
    alphas, intercepts = [100.0, 0.01, 1.0], [False, True]
    best, results = grid_search(_ridge_fit, _r2, X, y,
                                {"alpha": alphas, "fit_intercept": intercepts}, 5,
                                None if seed is None else np.random.default_rng(seed))
    ref_best, ref_results = _brute_force(X, y, alphas, intercepts, 5, seed)
    assert best == ref_best
    assert [p for p, _ in results] == [p for p, _ in ref_results]
    err = max(abs(s - r) for (_, s), (_, r) in zip(results, ref_results))
    request.node.user_properties.append(("max_abs_error", err))
    assert err <= 1e-12


def test_grid_search_ties_go_to_first_and_folds_are_shared():
    X = np.arange(12.0).reshape(12, 1)  # row i holds i, so fit can see which rows it got
    y = np.zeros(12)
    seen = []

    def fit(Xt, yt, a, b):
        seen.append((a, b, frozenset(Xt[:, 0].astype(int).tolist())))
        return a

    rng, twin = np.random.default_rng(9), np.random.default_rng(9)
    best, results = grid_search(fit, lambda a, Xv, yv: -abs(a - 2), X, y,
                                {"a": [1, 3], "b": ["x", "y"]}, 3, rng)
    assert best == {"a": 1, "b": "x"}  # all four tie at -1: the first wins
    assert [p for p, _ in results] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"},
                                       {"a": 3, "b": "x"}, {"a": 3, "b": "y"}]
    assert all(s == -1.0 for _, s in results)
    per_candidate = [[s for a, b, s in seen if (a, b) == key] for key in
                     [(1, "x"), (1, "y"), (3, "x"), (3, "y")]]
    assert all(c == per_candidate[0] for c in per_candidate)  # the same 3 folds for all
    twin.permutation(12)
    assert rng.bit_generator.state == twin.bit_generator.state  # folds drawn once

    best, _ = grid_search(fit, lambda a, Xv, yv: -abs(a - 2), X, y, {"a": [5, 3, 2, 2], "b": [0]}, 3)
    assert best == {"a": 2, "b": 0}


# --------------------------------------------------------------------------- early stopping

@pytest.mark.parametrize("costs, patience, min_delta, expected", [
    ([3, 2, 1, 1, 1], 2, 0.0, (4, 2)),
    ([1, 2, 3, 4], 2, 0.0, (2, 0)),
    ([5, 4, 3, 2, 1], 1, 0.0, (4, 4)),          # never stops early: the last epoch
    ([1.0], 1, 0.0, (0, 0)),
    ([1, 1, 1], 2, 0.0, (2, 0)),                # equal is not an improvement
    ([2, 1, 1.5, 0.5, 3, 3, 3, 3], 3, 0.0, (6, 3)),
    ([1.0, 0.75, 0.5, 0.375], 2, 0.25, (3, 2)),  # 0.75 is not below 1 - 0.25; 0.5 is
    ([1.0, 0.75, 0.5, 0.375], 1, 0.25, (1, 0)),
    ([4, 3, 5, 2, 6, 7], 2, 0.0, (5, 3)),
    (np.array([0.9, 0.8, np.inf, 0.7]), 2, 0.0, (3, 3)),
])
def test_early_stopping_cases(costs, patience, min_delta, expected):
    assert early_stopping(costs, patience, min_delta) == expected


@settings(database=None, deadline=None, max_examples=100)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=30), st.integers(1, 5))
def test_early_stopping_properties(costs, patience):
    """With min_delta=0: best = first argmin up to stop; stop = best + patience unless last."""
    stop, best = early_stopping(costs, patience)
    assert 0 <= best <= stop < len(costs)
    assert best == int(np.argmin(costs[:stop + 1]))
    assert stop == min(best + patience, len(costs) - 1)


# --------------------------------------------------------------------------- purity

def test_inputs_not_mutated():
    X, y = _regression(m=20)
    X0, y0 = X.copy(), y.copy()
    grid = {"alpha": [1.0, 2.0]}
    cross_validate(_ridge_fit, _r2, X, y, 4, np.random.default_rng(0))
    grid_search(_ridge_fit, _r2, X, y, grid, 4, np.random.default_rng(0))
    costs = [3.0, 2.0, 2.5]
    early_stopping(costs, 1)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert grid == {"alpha": [1.0, 2.0]} and costs == [3.0, 2.0, 2.5]


def test_no_global_rng():
    before = np.random.get_state()[1].copy()
    kfold(10, 3, np.random.default_rng(0))
    train_val_test_split(10, np.random.default_rng(0))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --------------------------------------------------------------------------- bad input

RNG = np.random.default_rng(0)
X0, Y0 = np.zeros((6, 2)), np.zeros(6)
OK = lambda *a, **kw: 0.0  # noqa: E731  (a fit/score that accepts anything)
BAD = [
    ("split-m0", lambda: train_val_test_split(0, RNG), "m must be >= 1"),
    ("split-no-rng", lambda: train_val_test_split(10, None), "rng must be a numpy.random.Generator"),
    ("split-val-neg", lambda: train_val_test_split(10, RNG, val=-0.1), r"val must be a number in \[0, 1\]"),
    ("split-test-big", lambda: train_val_test_split(10, RNG, test=1.5), "test must be a number"),
    ("split-no-room", lambda: train_val_test_split(3, RNG, val=0.5, test=0.5), "leave no room"),
    ("kfold-k1", lambda: kfold(10, 1), "k must be >= 2"),
    ("kfold-k>m", lambda: kfold(5, 6), "k must be <= m"),
    ("kfold-k-float", lambda: kfold(10, 2.0), "k must be an integer"),
    ("kfold-m1", lambda: kfold(1, 2), "m must be >= 2"),
    ("kfold-rng", lambda: kfold(10, 2, 0), "rng must be a numpy.random.Generator"),
    ("cv-fit", lambda: cross_validate(None, OK, X0, Y0, 2), "fit must be a callable"),
    ("cv-score", lambda: cross_validate(OK, "r2", X0, Y0, 2), "score must be a callable"),
    ("cv-X-1d", lambda: cross_validate(OK, OK, Y0, Y0, 2), r"X must have shape \(m, n\)"),
    ("cv-y-len", lambda: cross_validate(OK, OK, X0, np.zeros(5), 2), "same number of samples"),
    ("cv-k>m", lambda: cross_validate(OK, OK, X0, Y0, 7), "k must be <= m"),
    ("gs-grid-type", lambda: grid_search(OK, OK, X0, Y0, [("a", [1])], 2), "grid must be a dict"),
    ("gs-grid-scalar", lambda: grid_search(OK, OK, X0, Y0, {"a": 0.1}, 2), r"grid\['a'\] must be a list"),
    ("gs-grid-str", lambda: grid_search(OK, OK, X0, Y0, {"a": "abc"}, 2), r"grid\['a'\]"),
    ("gs-grid-empty", lambda: grid_search(OK, OK, X0, Y0, {"a": []}, 2), "at least one candidate"),
    ("gs-k1", lambda: grid_search(OK, OK, X0, Y0, {"a": [1]}, 1), "k must be >= 2"),
    ("es-patience0", lambda: early_stopping([1.0, 2.0], 0), "patience must be >= 1"),
    ("es-min-delta", lambda: early_stopping([1.0, 2.0], 1, -0.1), "min_delta must be a non-negative"),
    ("es-empty", lambda: early_stopping([], 1), "at least one epoch"),
    ("es-2d", lambda: early_stopping([[1.0, 2.0]], 1), r"val_costs must have shape \(E,\)"),
    ("es-str", lambda: early_stopping(["a"], 1), "val_costs must be numbers"),
]


@pytest.mark.parametrize("call, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
