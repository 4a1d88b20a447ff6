"""Oracle tests for reference.regularization and reference.dropout.

Oracles: float64 central differences (conftest.numerical_grad), numpy's own norms,
identically seeded generators, and exact binomial bounds (scipy.stats).
Every statistical check has a false-failure probability of at most ALPHA = 1e-6.
"""
import numpy as np
import pytest
from conftest import numerical_grad, rel_error
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from reference import dropout_backward, dropout_forward, l1_grad, l1_penalty, l2_grad, l2_penalty

GRAD_TOL = 1e-7
ALPHA = 1e-6


def _signed(rng, shape, low=0.5, high=2.0):
    """Entries with |w| in [low, high] and random signs: far from the kink of |w| at 0."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def _binomial_interval(n, p, alpha):
    """[lo, hi] with P(Binomial(n, p) outside) <= alpha (exact, two-sided)."""
    return stats.binom.ppf(alpha / 2, n, p), stats.binom.isf(alpha / 2, n, p)


# --------------------------------------------------------------------------- penalties

def test_penalties_match_numpy_norms():
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(5)]
    lam, m = 0.7, 13
    l2 = lam / (2 * m) * sum(np.linalg.norm(W) ** 2 for W in Ws)
    l1 = lam / m * sum(np.linalg.norm(W.ravel(), 1) for W in Ws)
    np.testing.assert_allclose(l2_penalty(Ws, lam, m), l2, rtol=1e-14)
    np.testing.assert_allclose(l1_penalty(Ws, lam, m), l1, rtol=1e-14)
    np.testing.assert_allclose(l2_penalty(Ws[0], lam, m), lam / (2 * m) * np.linalg.norm(Ws[0]) ** 2,
                               rtol=1e-14)
    np.testing.assert_allclose(l1_penalty(tuple(Ws), lam, m), l1, rtol=1e-14)
    assert l2_penalty(Ws, 0.0, m) == 0 and l1_penalty(Ws, 0.0, m) == 0


def test_l1_grad_sign_of_zero_is_zero():
    W = np.array([[-2.0, 0.0], [3.5, -0.0]])
    np.testing.assert_array_equal(l1_grad(W, 2.0, 4), [[-0.5, 0.0], [0.5, 0.0]])


@pytest.mark.parametrize("penalty, grad", [(l2_penalty, l2_grad), (l1_penalty, l1_grad)],
                         ids=["l2", "l1"])
def test_grad_matches_central_differences(penalty, grad, request):
    rng = np.random.default_rng(1)
    W = _signed(rng, (4, 3))
    lam, m = 0.3, 7
    err = rel_error(grad(W, lam, m), numerical_grad(lambda V: penalty(V, lam, m), W))
    request.node.user_properties.append(("max_rel_error", err))
    assert err <= GRAD_TOL


@pytest.mark.parametrize("penalty, grad", [(l2_penalty, l2_grad), (l1_penalty, l1_grad)],
                         ids=["l2", "l1"])
def test_grad_of_list_penalty_is_per_layer_grad(penalty, grad, request):
    rng = np.random.default_rng(2)
    Ws = [_signed(rng, (3, 4)), _signed(rng, (4, 2))]
    lam, m = 1.5, 10
    errs = []
    for i, W in enumerate(Ws):
        def f(V, i=i):
            return penalty([V if j == i else Wj for j, Wj in enumerate(Ws)], lam, m)
        errs.append(rel_error(grad(W, lam, m), numerical_grad(f, W)))
    request.node.user_properties.append(("max_rel_error", max(errs)))
    assert max(errs) <= GRAD_TOL


finite_arrays = st.sampled_from([np.float32, np.float64]).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                          elements=hnp.from_dtype(np.dtype(dt), min_value=-1e6, max_value=1e6,
                                                  allow_nan=False, allow_infinity=False)))


@settings(database=None, deadline=None, max_examples=100)
@given(st.lists(finite_arrays, min_size=1, max_size=3), st.floats(0, 1e3), st.integers(1, 10**4))
def test_penalties_are_nonnegative(Ws, lam, m):
    assert l2_penalty(Ws, lam, m) >= 0
    assert l1_penalty(Ws, lam, m) >= 0
    assert l2_penalty(Ws[0], lam, m) >= 0


# --------------------------------------------------------------------------- dropout

def test_dropout_backward_is_gradient_of_forward(request):
    """dA is the gradient of sum(dout * dropout_forward(A)) for a fixed mask (fixed seed)."""
    rng = np.random.default_rng(3)
    A, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    p, seed = 0.6, 11
    _, mask = dropout_forward(A, p, np.random.default_rng(seed))
    assert 0 < mask.sum() < mask.size
    num = numerical_grad(
        lambda V: np.sum(dout * dropout_forward(V, p, np.random.default_rng(seed))[0]), A)
    err = rel_error(dropout_backward(dout, mask, p), num)
    request.node.user_properties.append(("max_rel_error", err))
    assert err <= GRAD_TOL


@pytest.mark.parametrize("p", [0.3, 0.8, 1.0])
def test_dropout_exact_draw(p):
    """One call rng.random(A.shape), mask = U < keep_prob, out = A*mask/keep_prob."""
    A = np.random.default_rng(4).standard_normal((6, 5))
    rng, twin = np.random.default_rng(5), np.random.default_rng(5)
    out, mask = dropout_forward(A, p, rng)
    expected_mask = twin.random(A.shape) < p
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, expected_mask)
    np.testing.assert_allclose(out, A * expected_mask / p, rtol=1e-15, atol=0)
    assert rng.bit_generator.state == twin.bit_generator.state  # exactly one draw of that size
    np.testing.assert_allclose(dropout_backward(A, mask, p), A * expected_mask / p, rtol=1e-15)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_kept_fraction_is_binomial(p):
    """K = mask.sum() ~ Binomial(N, p); the exact two-sided interval fails with prob <= ALPHA."""
    N = 200 * 500
    _, mask = dropout_forward(np.ones((200, 500)), p, np.random.default_rng(6))
    lo, hi = _binomial_interval(N, p, ALPHA)
    assert lo <= mask.sum() <= hi
    assert (hi - lo) / N < 0.02  # tight enough to catch keep/drop swapped for p != 0.5


def test_dropout_is_inverted_mean_preserved():
    """Row t of out is A*D_t/p, so mean_t out_j = A_j K_j/(T p) with K_j ~ Binomial(T, p).

    A Bonferroni split over the d columns keeps the false-failure probability <= ALPHA.
    """
    T, p = 20000, 0.7
    A = np.random.default_rng(7).uniform(0.5, 2.0, 5)
    out, _ = dropout_forward(np.broadcast_to(A, (T, A.size)), p, np.random.default_rng(8))
    lo, hi = _binomial_interval(T, p, ALPHA / A.size)
    mean = out.mean(axis=0)
    assert np.all(A * lo / (T * p) * (1 - 1e-12) <= mean)
    assert np.all(mean <= A * hi / (T * p) * (1 + 1e-12))
    # power: dropout without the 1/keep_prob scaling (mean ~ p*A) would fail the same bound
    assert np.all(p * A < A * lo / (T * p))


def test_dropout_test_mode_draws_nothing():
    A = np.random.default_rng(9).standard_normal((4, 3))
    rng = np.random.default_rng(10)
    before = rng.bit_generator.state
    out, mask = dropout_forward(A, 0.5, rng, train=False)
    assert rng.bit_generator.state == before
    assert mask is None
    np.testing.assert_array_equal(out, A)
    assert not np.shares_memory(out, A)
    out, mask = dropout_forward(A, 0.5, None, train=False)  # no rng needed at test time
    np.testing.assert_array_equal(out, A)


def test_dropout_backward_accepts_numeric_mask():
    dout = np.arange(6.0).reshape(2, 3)
    mask = np.array([[1, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(dropout_backward(dout, mask, 0.5),
                                  [[0.0, 0.0, 4.0], [0.0, 0.0, 10.0]])


# --------------------------------------------------------------------------- purity, dtype

def _calls(dtype):
    rng = np.random.default_rng(12)
    W = rng.standard_normal((3, 4)).astype(dtype)
    Ws = [W, (rng.standard_normal(5) * 3).astype(dtype)]
    mask = rng.random((3, 4)) < 0.5
    return {
        "l2_penalty": (l2_penalty, (Ws, 0.5, 8)),
        "l2_penalty_one": (l2_penalty, (W, 0.5, 8)),
        "l2_grad": (l2_grad, (W, 0.5, 8)),
        "l1_penalty": (l1_penalty, (Ws, 0.5, 8)),
        "l1_grad": (l1_grad, (W, 0.5, 8)),
        "dropout_forward": (lambda *a: dropout_forward(*a)[0], (W, 0.5, np.random.default_rng(0))),
        "dropout_forward_test": (lambda *a: dropout_forward(*a, train=False)[0],
                                 (W, 0.5, np.random.default_rng(0))),
        "dropout_backward": (dropout_backward, (W, mask, 0.5)),
    }


@pytest.mark.parametrize("name", list(_calls(np.float64)))
@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64),
                                             (np.int64, np.float64)])
def test_dtype_kept(name, dtype, expected):
    fn, args = _calls(dtype)[name]
    assert np.asarray(fn(*args)).dtype == expected


@pytest.mark.parametrize("name", list(_calls(np.float64)))
def test_inputs_not_mutated(name):
    fn, args = _calls(np.float64)[name]
    snapshot = [[a.copy() for a in x] if isinstance(x, list) else
                x.copy() if isinstance(x, np.ndarray) else x for x in args]
    fn(*args)
    for x, s in zip(args, snapshot):
        if isinstance(x, list):
            assert len(x) == len(s)
            for a, b in zip(x, s):
                np.testing.assert_array_equal(a, b)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, s)


def test_no_global_rng():
    before = np.random.get_state()[1].copy()
    dropout_forward(np.ones((3, 3)), 0.5, np.random.default_rng(0))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --------------------------------------------------------------------------- bad input

W0 = np.ones((2, 3))
RNG = np.random.default_rng(0)
BAD = [
    ("l2_penalty-neg-lam", lambda: l2_penalty(W0, -0.1, 5), "lam"),
    ("l2_penalty-m0", lambda: l2_penalty(W0, 0.1, 0), "m must be >= 1"),
    ("l2_penalty-float-m", lambda: l2_penalty(W0, 0.1, 2.5), "m must be an integer"),
    ("l2_penalty-str", lambda: l2_penalty(["a"], 0.1, 5), r"weights\[0\]"),
    ("l2_grad-neg-lam", lambda: l2_grad(W0, -1.0, 5), "lam must be a non-negative"),
    ("l2_grad-m0", lambda: l2_grad(W0, 1.0, 0), "m must be >= 1"),
    ("l1_penalty-nan-lam", lambda: l1_penalty(W0, float("nan"), 5), "lam"),
    ("l1_penalty-m-neg", lambda: l1_penalty([W0], 0.1, -3), "m must be >= 1"),
    ("l1_grad-neg-lam", lambda: l1_grad(W0, -1.0, 5), "lam"),
    ("l1_grad-str", lambda: l1_grad("W", 1.0, 5), "W must be a numeric array"),
    ("dropout_forward-p0", lambda: dropout_forward(W0, 0.0, RNG), r"keep_prob must be a number in \(0, 1\]"),
    ("dropout_forward-p>1", lambda: dropout_forward(W0, 1.2, RNG), "keep_prob"),
    ("dropout_forward-no-rng", lambda: dropout_forward(W0, 0.5, None), "rng must be a numpy.random.Generator"),
    ("dropout_forward-legacy-rng", lambda: dropout_forward(W0, 0.5, np.random.RandomState(0)), "rng"),
    ("dropout_forward-train-str", lambda: dropout_forward(W0, 0.5, RNG, train="no"), "train"),
    ("dropout_backward-shape", lambda: dropout_backward(W0, np.ones((3, 2), bool), 0.5), "mask"),
    ("dropout_backward-none", lambda: dropout_backward(W0, None, 0.5), "mask is None"),
    ("dropout_backward-values", lambda: dropout_backward(W0, np.full((2, 3), 0.5), 0.5), "mask must be a boolean"),
    ("dropout_backward-p0", lambda: dropout_backward(W0, np.ones((2, 3), bool), 0), "keep_prob"),
]


@pytest.mark.parametrize("call, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
