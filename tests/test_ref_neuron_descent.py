"""Oracle tests for reference.neuron and reference.descent.

Oracles: float64 central differences, scikit-learn's LogisticRegression on the Iris
pairs, and the CURRICULUM's 5-step epoch recipe written out here in plain numpy.
"""
from functools import partial

import numpy as np
import pytest
from conftest import call_pure, numerical_grad, rel_error
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from reference.descent import gradient_descent, minibatches
from reference.neuron import neuron_cost, neuron_forward, neuron_gradients, predict
from reference.optimizers import adam, momentum
from reference.schedules import inverse_sqrt_decay, inverse_time_decay


def _data(seed=0, m=30, n=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = (rng.random(m) < 0.5).astype(float)
    return X, y, rng.standard_normal(n), 0.3


def _sigma(z):
    return 1 / (1 + np.exp(-z))


# --- the neuron ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 3])
def test_neuron_gradients_match_central_differences(seed):
    X, y, w, b = _data(seed)
    dw, db = neuron_gradients(X, y, w, b)
    num_dw = numerical_grad(lambda v: float(neuron_cost(X, y, v, b)), w)
    num_db = numerical_grad(lambda v: float(neuron_cost(X, y, w, v)), b)
    assert np.min(np.abs(num_dw)) > 5e-3 and abs(num_db) > 5e-3   # not a vacuous comparison
    assert rel_error(dw, num_dw) <= 1e-7
    assert rel_error(db, num_db) <= 1e-7


def test_neuron_values_against_formulas_written_out():
    X, y, w, b = _data(2)
    y_hat = _sigma(X @ w + b)
    np.testing.assert_allclose(neuron_forward(X, w, b), y_hat, rtol=1e-14)
    cost = -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
    np.testing.assert_allclose(neuron_cost(X, y, w, b), cost, rtol=1e-13)
    dw, db = neuron_gradients(X, y, w, b)
    np.testing.assert_allclose(dw, X.T @ (y_hat - y) / len(y), rtol=1e-12)
    np.testing.assert_allclose(db, np.mean(y_hat - y), rtol=1e-12)
    np.testing.assert_array_equal(predict(X, w, b), (y_hat >= 0.5).astype(int))
    np.testing.assert_array_equal(predict(X, w, b, threshold=0.8), (y_hat >= 0.8).astype(int))
    assert predict(X, w, b).dtype.kind == "i"


def test_predict_threshold_is_inclusive():
    X = np.zeros((2, 1))
    np.testing.assert_array_equal(predict(X, np.zeros(1), 0.0), [1, 1])   # y_hat = 0.5 >= 0.5


# --- gradient descent on the Iris pairs against scikit-learn -------------------------------

def _iris_pair(other):
    X, t = load_iris(return_X_y=True)
    keep = (t == other) | (t == 2)
    X, y = X[keep], (t[keep] == 2).astype(float)      # virginica is the positive class
    return (X - X.mean(axis=0)) / X.std(axis=0), y


# Our cost is J = (1/m) sum L + lam/(2m) ||w||^2; times m it is sum L + (lam/2) ||w||^2.
# scikit-learn minimises C sum L + (1/2) ||w||^2; divided by C it is sum L + 1/(2C) ||w||^2.
# The two have the same minimiser when C = 1/lam; neither penalises b.  Setosa vs
# virginica is linearly separable, so without a penalty its optimum is at infinity: it is
# compared with lam = 1 only.  Versicolor vs virginica overlaps, so it is compared both
# without a penalty (C = inf; `penalty=None` is deprecated in scikit-learn 1.8) and with one.
# lr = 2 is below 2/L: the cost's Hessian is at most (1/4) lambda_max(X^T X / m) <= 0.76.
IRIS = [
    pytest.param(0, 1.0, 2_000, id="setosa-vs-virginica-lam1"),
    pytest.param(1, 0.0, 15_000, id="versicolor-vs-virginica-unpenalized"),
    pytest.param(1, 1.0, 2_000, id="versicolor-vs-virginica-lam1"),
]


@pytest.mark.parametrize("other, lam, epochs", IRIS)
def test_batch_gd_reaches_sklearn_logistic_regression(other, lam, epochs):
    X, y = _iris_pair(other)
    clf = LogisticRegression(C=np.inf if lam == 0 else 1 / lam, tol=1e-12, max_iter=100_000)
    clf.fit(X, y)
    w, b, history = gradient_descent(X, y, np.zeros(4), 0.0, lr=2.0, epochs=epochs, lam=lam)
    np.testing.assert_allclose(w, clf.coef_[0], rtol=1e-3)
    np.testing.assert_allclose(b, clf.intercept_[0], rtol=1e-3)
    assert np.all(np.diff(history["cost"]) <= 1e-15)      # batch GD with lr < 2/L descends


# --- the 5-step epoch recipe, written out -----------------------------------------------

def _recipe_by_hand(X, y, w, b, rate_of, epochs, batch_size, seed, beta, lam):
    """CURRICULUM's epoch recipe with momentum, in plain numpy."""
    rng = None if seed is None else np.random.default_rng(seed)
    m = len(y)
    p, v = np.append(w, b), np.zeros(len(w) + 1)
    costs, rates = [], []
    for e in range(epochs):
        rate = rate_of(e)                                                    # (1)
        order = np.arange(m) if rng is None else rng.permutation(m)          # (2)
        for start in range(0, m, batch_size):
            idx = order[start:start + batch_size]
            r = _sigma(X[idx] @ p[:-1] + p[-1]) - y[idx]                     # (3)
            g = np.append(X[idx].T @ r / len(idx) + lam / len(idx) * p[:-1], r.mean())
            v = beta * v + (1 - beta) * g                                    # (4)
            p = p - rate * v
        s = _sigma(X @ p[:-1] + p[-1])                                       # (5)
        costs.append(-np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
                     + lam / (2 * m) * p[:-1] @ p[:-1])
        rates.append(rate)
    return p[:-1], p[-1], np.array(costs), np.array(rates)


@pytest.mark.parametrize("batch_size, seed", [(7, 11), (1, None), (1, 5), (30, 2)])
def test_gradient_descent_follows_the_epoch_recipe(batch_size, seed):
    X, y, w, b = _data(4)
    beta, lam, epochs = 0.8, 0.7, 6
    w_ref, b_ref, cost_ref, lr_ref = _recipe_by_hand(
        X, y, w, b, lambda e: 0.5 / (1 + 0.3 * e), epochs, batch_size, seed, beta, lam)
    w_out, b_out, history = gradient_descent(
        X, y, w, b, lr=99.0, epochs=epochs, batch_size=batch_size,
        rng=None if seed is None else np.random.default_rng(seed),
        optimizer=partial(momentum, beta=beta), schedule=lambda e: inverse_time_decay(0.5, e, 0.3),
        lam=lam)
    assert rel_error(w_out, w_ref) <= 1e-12 and rel_error(b_out, b_ref) <= 1e-12
    assert rel_error(history["cost"], cost_ref) <= 1e-12
    np.testing.assert_allclose(history["lr"], lr_ref, rtol=1e-15)
    assert isinstance(b_out, float) and isinstance(w_out, np.ndarray)


@pytest.mark.parametrize("batch_size", [None, 1, 4])
def test_each_epoch_draws_one_permutation(batch_size):
    X, y, w, b = _data(5, m=10)
    rng, twin = np.random.default_rng(8), np.random.default_rng(8)
    gradient_descent(X, y, w, b, lr=0.1, epochs=3, batch_size=batch_size, rng=rng)
    for _ in range(3):
        twin.permutation(10)
    assert rng.random() == twin.random()


def test_history_shapes_and_the_rate_used():
    X, y, w, b = _data(6)
    _, _, h = gradient_descent(X, y, w, b, lr=0.3, epochs=5)
    assert set(h) == {"cost", "lr"} and h["cost"].shape == h["lr"].shape == (5,)
    np.testing.assert_array_equal(h["lr"], 0.3)
    _, _, h = gradient_descent(X, y, w, b, lr=0.3, epochs=4,
                               schedule=lambda e: inverse_sqrt_decay(0.4, e + 1))
    np.testing.assert_allclose(h["lr"], 0.4 / np.sqrt([1, 2, 3, 4]), rtol=1e-15)
    assert np.all(np.isfinite(h["cost"]))


def test_sgd_is_deterministic_given_the_rng():
    X, y, w, b = _data(7)
    def run(rng):
        return gradient_descent(X, y, w, b, lr=0.1, epochs=3, batch_size=1, rng=rng,
                                optimizer=adam)
    w1, b1, h1 = run(np.random.default_rng(3))
    w2, b2, h2 = run(np.random.default_rng(3))
    w3, _, _ = run(np.random.default_rng(4))
    w4, _, _ = run(None)
    w5, _, _ = run(None)
    np.testing.assert_array_equal(w1, w2)
    assert b1 == b2 and np.array_equal(h1["cost"], h2["cost"])
    assert not np.allclose(w1, w3)                  # a different shuffle, a different path
    np.testing.assert_array_equal(w4, w5)           # rng=None: the samples in order


# --- minibatches ------------------------------------------------------------------------

@pytest.mark.parametrize("m, batch_size", [(10, 3), (10, 5), (7, 1), (7, 7), (1, 1), (9, None)])
@pytest.mark.parametrize("seed", [None, 0])
def test_minibatches_partition_the_indices(m, batch_size, seed):
    batches = minibatches(m, batch_size, None if seed is None else np.random.default_rng(seed))
    size = m if batch_size is None else batch_size
    order = np.arange(m) if seed is None else np.random.default_rng(seed).permutation(m)
    assert len(batches) == -(-m // size)
    np.testing.assert_array_equal(np.concatenate(batches), order)   # consecutive slices
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(m))
    assert all(len(bt) == size for bt in batches[:-1]) and 1 <= len(batches[-1]) <= size
    assert len(batches[-1]) == (m % size or size)                   # the last may be smaller
    assert all(bt.dtype.kind == "i" for bt in batches)


# --- purity and dtype -------------------------------------------------------------------------

X0, Y0, W0, B0 = _data(9, m=8, n=3)
NEURON_CALLS = [
    (neuron_forward, (X0, W0, B0)),
    (neuron_cost, (X0, Y0, W0, B0)),
    (neuron_gradients, (X0, Y0, W0, B0)),
    (predict, (X0, W0, B0)),
]


@pytest.mark.parametrize("fn, args", NEURON_CALLS, ids=lambda v: getattr(v, "__name__", ""))
def test_neuron_inputs_unchanged(fn, args):
    call_pure(fn, *(a.copy() if isinstance(a, np.ndarray) else a for a in args))


def test_gradient_descent_inputs_unchanged():
    X, y, w = X0.copy(), Y0.copy(), W0.copy()
    w_out, _, _ = call_pure(gradient_descent, X, y, w, B0, lr=0.1, epochs=2, batch_size=3,
                            rng=np.random.default_rng(0), optimizer=adam, lam=0.5)
    assert not np.shares_memory(w_out, w)


def test_float32_in_float32_out():
    X, y, w = X0.astype(np.float32), Y0.astype(np.float32), W0.astype(np.float32)
    b = np.float32(B0)
    assert neuron_forward(X, w, b).dtype == np.float32
    assert neuron_cost(X, y, w, b).dtype == np.float32
    dw, db = neuron_gradients(X, y, w, b)
    assert dw.dtype == np.float32 and np.asarray(db).dtype == np.float32
    w_out, b_out, h = gradient_descent(X, y, w, b, lr=0.1, epochs=3, batch_size=3,
                                       rng=np.random.default_rng(0), optimizer=adam, lam=0.1)
    assert w_out.dtype == np.float32 and isinstance(b_out, float)
    w64, b64, _ = gradient_descent(X0, Y0, W0, B0, lr=0.1, epochs=3, batch_size=3,
                                   rng=np.random.default_rng(0), optimizer=adam, lam=0.1)
    np.testing.assert_allclose(w_out, w64, rtol=1e-4, atol=1e-5)


def test_integer_input_gives_float64():
    X, y, w = np.array([[1, 2], [3, -1], [0, 1]]), np.array([1, 0, 1]), np.array([1, -1])
    assert neuron_forward(X, w, 0).dtype == np.float64
    assert neuron_gradients(X, y, w, 0)[0].dtype == np.float64
    assert gradient_descent(X, y, w, 0, lr=0.1, epochs=1)[0].dtype == np.float64


# --- bad input ----------------------------------------------------------------------------------

def _sched_negative(e):
    return -0.1


BAD = [
    (neuron_forward, (X0[0], W0, B0), {}, r"X must have shape \(m, n\), got shape \(3,\)"),
    (neuron_forward, (X0, W0[:2], B0), {}, r"w must have shape \(n,\) = \(3,\)"),
    (neuron_forward, (X0, W0, np.zeros(2)), {}, r"b must be a scalar"),
    (neuron_cost, (X0, Y0[:5], W0, B0), {}, r"X and y must have the same number of samples"),
    (neuron_cost, (X0, Y0 + 1, W0, B0), {}, r"y must hold values in \[0, 1\]"),
    (neuron_gradients, (X0, Y0, W0[:, None], B0), {}, r"w must have shape \(n,\)"),
    (neuron_gradients, (X0[:0], Y0[:0], W0, B0), {}, r"at least one sample"),
    (predict, (X0, W0, B0), dict(threshold=1.5), r"threshold must be a number in \[0, 1\]"),
    (minibatches, (0, 1), {}, r"m must be >= 1, got m=0"),
    (minibatches, (10, 0), {}, r"batch_size must be >= 1, got batch_size=0"),
    (minibatches, (10, 11), {}, r"batch_size must be <= 10.*batch_size=None"),
    (minibatches, (10, 2.5), {}, r"batch_size must be an integer"),
    (minibatches, (10, 2, 42), {}, r"rng must be a numpy.random.Generator.*got int"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=0.0, epochs=1), r"lr must be a positive number"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=-0.1, epochs=1), r"got lr=-0.1"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=0.1, epochs=0), r"epochs must be >= 1"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=0.1, epochs=1, lam=-1.0),
     r"lam must be a non-negative number"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=0.1, epochs=1, batch_size=0),
     r"batch_size must be >= 1"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=0.1, epochs=1, rng=np.random.RandomState(0)),
     r"rng must be a numpy.random.Generator.*got RandomState"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=0.1, epochs=1, optimizer="adam"),
     r"optimizer must be a callable or None, got str"),
    (gradient_descent, (X0, Y0, W0, B0), dict(lr=0.1, epochs=1, schedule=_sched_negative),
     r"schedule\(0\) must be a positive number"),
    (gradient_descent, (X0, Y0, W0, B0),
     dict(lr=0.1, epochs=1, schedule=lambda e: inverse_sqrt_decay(0.1, e)), r"epoch must be >= 1"),
    (gradient_descent, (X0, Y0[:4], W0, B0), dict(lr=0.1, epochs=1), r"same number of samples"),
]


@pytest.mark.parametrize("fn, args, kwargs, match", BAD,
                         ids=[f"{fn.__name__}-{i}" for i, (fn, *_) in enumerate(BAD)])
def test_bad_input_raises_value_error(fn, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(*args, **kwargs)
