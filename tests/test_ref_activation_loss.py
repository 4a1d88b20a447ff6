"""Oracle tests for reference.activation and reference.loss.

Oracles: float64 central differences (conftest.numerical_grad), numpy's own
``tanh``/``exp`` written out here, and Hypothesis properties.
"""
import warnings

import numpy as np
import pytest
from conftest import call_pure, numerical_grad, rel_error
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference.activation import relu, relu_grad, sigmoid, sigmoid_grad, tanh_grad
from reference.loss import bce_cost, bce_grad, bce_loss, bce_with_logits

GRAD_TOL = 1e-7


def elementwise_numgrad(f, z):
    """Central differences of an elementwise ``f``, one scalar at a time (no summing roundoff)."""
    return np.array([numerical_grad(lambda t: float(f(t)), zi) for zi in z])


@pytest.fixture
def rng():
    return np.random.default_rng(20240502)


# --- analytic gradients against central differences -----------------------------------

@pytest.mark.parametrize("grad, f, lo, hi", [
    (sigmoid_grad, sigmoid, -5, 5),
    (tanh_grad, np.tanh, -3, 3),
    (relu_grad, relu, 1e-3, 5),      # away from the kink at 0 ...
    (relu_grad, relu, -5, -1e-3),    # ... on both sides
])
def test_activation_grad_matches_central_differences(grad, f, lo, hi, rng):
    z = rng.uniform(lo, hi, size=25)
    assert rel_error(grad(z), elementwise_numgrad(f, z)) <= GRAD_TOL


def test_relu_grad_at_zero_is_zero():
    np.testing.assert_array_equal(relu_grad(np.array([0.0, -0.0])), [0.0, 0.0])


def test_bce_grad_matches_central_differences_of_bce_cost(rng):
    y_hat = rng.uniform(0.05, 0.95, size=12)
    y = (rng.random(12) < 0.5).astype(float)
    num = numerical_grad(lambda p: float(bce_cost(p, y)), y_hat)
    assert rel_error(bce_grad(y_hat, y), num) <= GRAD_TOL


def test_bce_with_logits_equals_bce_loss_of_sigmoid(rng):
    z = rng.uniform(-10, 10, size=40)
    y = (rng.random(40) < 0.5).astype(float)
    assert rel_error(bce_with_logits(z, y), bce_loss(sigmoid(z), y)) <= GRAD_TOL


def test_bce_with_logits_grad_is_sigmoid_minus_y(rng):
    z = rng.uniform(-6, 6, size=20)
    y = (rng.random(20) < 0.5).astype(float)
    num = np.array([numerical_grad(lambda t, i=i: float(bce_with_logits(t[None], y[i:i + 1])[0]), zi)
                    for i, zi in enumerate(z)])
    assert rel_error(1 / (1 + np.exp(-z)) - y, num) <= GRAD_TOL


# --- values against formulas written out here ---------------------------------------------

def test_values_against_textbook_formulas(rng):
    z = rng.uniform(-8, 8, size=30)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(sigmoid(z), s, rtol=1e-14)
    np.testing.assert_allclose(sigmoid_grad(z), s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(tanh_grad(z), 1 / np.cosh(z) ** 2, rtol=1e-12)
    np.testing.assert_array_equal(relu(z), np.where(z > 0, z, 0))
    y = (rng.random(30) < 0.5).astype(float)
    loss = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    np.testing.assert_allclose(bce_loss(s, y), loss, rtol=1e-12)
    np.testing.assert_allclose(bce_cost(s, y), loss.mean(), rtol=1e-12)
    np.testing.assert_allclose(bce_grad(s, y), (s - y) / (s * (1 - s)) / 30, rtol=1e-10)
    assert sigmoid(0.0) == 0.5 and np.isclose(bce_loss([0.5], [1])[0], np.log(2))


def test_bce_clips_to_eps():
    eps = 1e-3
    np.testing.assert_allclose(bce_loss([0.0, 1.0], [1, 0], eps=eps), [-np.log(eps)] * 2)
    np.testing.assert_allclose(bce_grad([0.0, 1.0], [1, 0], eps=eps), [-1 / eps / 2, 1 / eps / 2],
                               rtol=1e-9)


# --- stability: finite and silent (the suite also runs with warnings as errors) --------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_are_finite_and_silent(dtype):
    z = np.array([-1e4, -800, -50, 0, 50, 800, 1e4], dtype=dtype)
    y = np.array([1, 0, 1, 0, 1, 0, 1], dtype=dtype)
    edges = np.array([0, 1, 0, 1], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        s = sigmoid(z)
        outs = [s, sigmoid_grad(z), tanh_grad(z), bce_with_logits(z, y),
                bce_loss(edges, edges), bce_loss(edges, 1 - edges), bce_cost(edges, 1 - edges),
                bce_grad(edges, edges), bce_grad(edges, 1 - edges)]
    for out in outs:
        assert np.all(np.isfinite(out))
    assert s[0] == 0 and s[-1] == 1 and np.all(np.diff(s) >= 0)
    np.testing.assert_allclose(bce_with_logits(z, y)[[0, -1]], [1e4, 0], rtol=1e-6)
    # y_hat at 0 or 1 costs -log(eps) when wrong and nothing when right
    np.testing.assert_allclose(bce_loss(edges, 1 - edges), -np.log(1e-12), rtol=1e-6)
    np.testing.assert_allclose(bce_loss(edges, edges), 0, atol=1e-6)


# --- properties -----------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite))
def test_sigmoid_is_odd_about_one_half(z):
    np.testing.assert_allclose(sigmoid(-z), 1 - sigmoid(z), rtol=0, atol=4.5e-16)  # two ulps at 1
    assert np.all((sigmoid(z) >= 0) & (sigmoid(z) <= 1))


@given(st.integers(1, 20).flatmap(lambda m: st.tuples(
    hnp.arrays(np.float64, m, elements=st.floats(0, 1)),
    hnp.arrays(np.float64, m, elements=st.sampled_from([0.0, 1.0])))))
def test_bce_loss_is_nonnegative_and_finite(pair):
    y_hat, y = pair
    loss = bce_loss(y_hat, y)
    assert np.all(loss >= 0) and np.all(np.isfinite(loss))


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite),
       st.data())
def test_bce_with_logits_is_nonnegative_and_finite(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    loss = bce_with_logits(z, y)
    assert np.all(loss >= 0) and np.all(np.isfinite(loss))


# --- purity and dtype -------------------------------------------------------------------------

Z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
P = np.array([0.1, 0.4, 0.5, 0.7, 0.9])
Y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])

CALLS = [
    (sigmoid, (Z,)), (sigmoid_grad, (Z,)), (relu, (Z,)), (relu_grad, (Z,)), (tanh_grad, (Z,)),
    (bce_loss, (P, Y)), (bce_cost, (P, Y)), (bce_grad, (P, Y)), (bce_with_logits, (Z, Y)),
]
IDS = [fn.__name__ for fn, _ in CALLS]


@pytest.mark.parametrize("fn, args", CALLS, ids=IDS)
def test_inputs_unchanged(fn, args):
    args = tuple(a.copy() for a in args)
    out = call_pure(fn, *args)
    assert not any(np.shares_memory(out, a) for a in args)


@pytest.mark.parametrize("fn, args", CALLS, ids=IDS)
def test_float32_in_float32_out_and_int_in_float64_out(fn, args):
    out = fn(*(a.astype(np.float32) for a in args))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, fn(*args), rtol=1e-5, atol=1e-6)
    ints = (np.array([0, 1, 1, 0]),) * len(args)     # valid as z, y_hat and y alike
    assert fn(*ints).dtype == np.float64


# --- bad input ----------------------------------------------------------------------------------

BAD = [
    (sigmoid, (np.array(["a"]),), "z must be a numeric array"),
    (relu_grad, (np.array([None]),), "z must be a numeric array"),
    (bce_loss, (P, Y[:3]), r"y_hat and y must have the same shape"),
    (bce_loss, (P[:, None], Y), r"y_hat must have shape \(m,\)"),
    (bce_loss, (P - 0.5, Y), r"y_hat must hold values in \[0, 1\].*bce_with_logits"),
    (bce_loss, (P, Y + 1), r"y must hold values in \[0, 1\]"),
    (bce_loss, (P, Y, 0.0), r"eps must be a number in \(0, 0.5\)"),
    (bce_cost, (np.array([]), np.array([])), "at least one sample"),
    (bce_cost, (P, Y, 0.7), r"eps must be a number in \(0, 0.5\), got eps=0.7"),
    (bce_grad, (P, Y[:4]), "same shape"),
    (bce_grad, (P, Y[:, None]), r"y must have shape \(m,\)"),
    (bce_with_logits, (Z, Y[:2]), "z and y must have the same shape"),
    (bce_with_logits, (Z, 2 * Y), r"y must hold values in \[0, 1\]"),
]


@pytest.mark.parametrize("fn, args, match", BAD,
                         ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(BAD)])
def test_bad_input_raises_value_error(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)
