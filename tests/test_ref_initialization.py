"""Oracle tests for reference.initialization.

Oracles: an identically seeded generator (the exact draw) and chi-square / normal bounds
(scipy.stats) with a false-failure probability of at most ALPHA = 1e-6 each.
The inits take sizes, not arrays, so "float32 in" does not apply: they return float64.
"""
import numpy as np
import pytest
from scipy import stats

from reference import init_glorot, init_he, init_normal, init_xavier, init_zeros

ALPHA = 1e-6

#: name -> (init(n_in, n_out, rng), target variance Var(W_ij) from CURRICULUM)
INITS = {
    "normal": (lambda i, o, r: init_normal(i, o, r), lambda i, o: 1.0),
    "normal-0.01": (lambda i, o, r: init_normal(i, o, r, scale=0.01), lambda i, o: 1e-4),
    "xavier": (init_xavier, lambda i, o: 1 / i),
    "he": (init_he, lambda i, o: 2 / i),
    "glorot": (init_glorot, lambda i, o: 2 / (i + o)),
}


def test_init_zeros():
    W = init_zeros(3, 4)
    assert W.shape == (3, 4) and W.dtype == np.float64 and not W.any()


@pytest.mark.parametrize("name", INITS)
@pytest.mark.parametrize("n_in, n_out", [(1, 1), (7, 3), (20, 50)])
def test_exact_draw(name, n_in, n_out):
    """W = sqrt(target variance) * rng.standard_normal((n_in, n_out)), drawn once."""
    init, var = INITS[name]
    rng, twin = np.random.default_rng(1), np.random.default_rng(1)
    W = init(n_in, n_out, rng)
    expected = twin.standard_normal((n_in, n_out)) * np.sqrt(var(n_in, n_out))
    assert W.shape == (n_in, n_out) and W.dtype == np.float64
    # sqrt(2/n) and sqrt(2)/sqrt(n) may differ in the last bit: allow a few ulps
    np.testing.assert_allclose(W, expected, rtol=1e-15, atol=0)
    assert rng.bit_generator.state == twin.bit_generator.state


def _chi2_interval(N, alpha):
    return stats.chi2.ppf(alpha / 2, N), stats.chi2.isf(alpha / 2, N)


@pytest.mark.parametrize("name", INITS)
def test_variance_within_chi2_bound(name):
    """sum(W^2)/s^2 ~ chi2(N) for N iid N(0, s^2) entries; mean/(s/sqrt(N)) ~ N(0, 1).

    Each of the two checks fails a correct init with probability <= ALPHA (exact
    chi-square quantiles; normal quantile for the mean).
    """
    n_in, n_out = 300, 200
    N = n_in * n_out
    init, var = INITS[name]
    W = init(n_in, n_out, np.random.default_rng(2))
    lo, hi = _chi2_interval(N, ALPHA)
    s2 = var(n_in, n_out)
    assert lo <= np.sum(W ** 2) / s2 <= hi
    assert abs(W.mean()) * np.sqrt(N / s2) <= stats.norm.isf(ALPHA / 2)
    # power: every other init's variance differing by >= 5% would be rejected
    for other, (_, var2) in INITS.items():
        s2_other = var2(n_in, n_out)
        if abs(s2_other / s2 - 1) >= 0.05:
            assert not lo <= np.sum(W ** 2) / s2_other <= hi, other


def test_no_global_rng():
    before = np.random.get_state()[1].copy()
    for init, _ in INITS.values():
        init(4, 5, np.random.default_rng(0))
    init_zeros(4, 5)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


RNG = np.random.default_rng(0)
BAD = [
    ("zeros-n_in-0", lambda: init_zeros(0, 3), "n_in must be >= 1"),
    ("zeros-n_out-float", lambda: init_zeros(3, 2.0), "n_out must be an integer"),
    ("normal-no-rng", lambda: init_normal(3, 2, None), "rng must be a numpy.random.Generator"),
    ("normal-neg-scale", lambda: init_normal(3, 2, RNG, scale=-0.1), "scale must be a non-negative"),
    ("xavier-n_in-neg", lambda: init_xavier(-1, 2, RNG), "n_in must be >= 1"),
    ("xavier-legacy-rng", lambda: init_xavier(3, 2, np.random.RandomState(0)), "rng"),
    ("he-n_out-0", lambda: init_he(3, 0, RNG), "n_out must be >= 1"),
    ("he-rng-int", lambda: init_he(3, 2, 42), "rng must be a numpy.random.Generator"),
    ("glorot-n_in-bool", lambda: init_glorot(True, 2, RNG), "n_in must be an integer"),
    ("glorot-no-rng", lambda: init_glorot(3, 2, None), "rng"),
]


@pytest.mark.parametrize("call, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
