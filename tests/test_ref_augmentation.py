"""Oracle tests for reference.augmentation.

Oracles: ``numpy.flip``, ``scipy.ndimage.shift(order=0, mode="constant", cval=0)``,
identically seeded generators (the exact draws), and exact binomial, normal and
chi-square bounds (scipy.stats).  Every statistical check has a false-failure
probability of at most ALPHA = 1e-6.
"""
import numpy as np
import pytest
from conftest import call_pure
from scipy import ndimage, stats

from reference import augment_flip, augment_noise, augment_shift

ALPHA = 1e-6
#: batch shapes: (N, H, W) and (N, H, W, C), square and not
SHAPES = [(7, 5, 5), (6, 4, 9), (5, 8, 3, 3), (3, 6, 6, 1)]


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape)  # no zero pixel: fill shows


# --------------------------------------------------------------------------- oracles

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_flip_matches_numpy_flip(shape, p):
    images = _images(shape)
    out, flip = augment_flip(images, np.random.default_rng(1), p=p)
    assert flip.shape == (shape[0],) and flip.dtype == bool
    for i in range(shape[0]):
        expected = np.flip(images[i], axis=1) if flip[i] else images[i]
        np.testing.assert_array_equal(out[i], expected)
    if p in (0.0, 1.0):
        assert np.all(flip == bool(p))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("max_shift", [0, 1, 2])
def test_shift_matches_scipy_ndimage_shift(shape, max_shift):
    images = _images(shape)
    out, shifts = augment_shift(images, max_shift, np.random.default_rng(2))
    assert shifts.shape == (shape[0], 2) and shifts.dtype.kind == "i"
    assert np.all(np.abs(shifts) <= max_shift)
    for i, (dy, dx) in enumerate(shifts):
        offset = (dy, dx) + (0,) * (len(shape) - 3)
        expected = ndimage.shift(images[i], offset, order=0, mode="constant", cval=0.0)
        np.testing.assert_array_equal(out[i], expected)


def test_shift_direction_and_zero_fill_by_hand():
    """dy rows down, dx columns right; what enters is 0; nothing wraps around."""
    image = np.arange(1.0, 13.0).reshape(1, 3, 4)
    seed = next(s for s in range(1000)
                if np.array_equal(np.random.default_rng(s).integers(-1, 2, size=(1, 2)),
                                  [[1, -1]]))
    out, shifts = augment_shift(image, 1, np.random.default_rng(seed))
    assert shifts.tolist() == [[1, -1]]
    np.testing.assert_array_equal(out[0], [[0, 0, 0, 0], [2, 3, 4, 0], [6, 7, 8, 0]])


def test_large_shift_leaves_only_a_corner():
    images = _images((200, 4, 5))
    out, shifts = augment_shift(images, 3, np.random.default_rng(3))
    kept = (4 - np.abs(shifts[:, 0])) * (5 - np.abs(shifts[:, 1]))
    np.testing.assert_array_equal((out != 0).sum(axis=(1, 2)), kept)


# --------------------------------------------------------------------------- exact draws

def test_noise_exact_draw_even_with_std_zero():
    X = _images((6, 5))
    for std in (0.3, 0.0):
        rng, twin = np.random.default_rng(4), np.random.default_rng(4)
        out = augment_noise(X, std, rng)
        np.testing.assert_array_equal(out, X + std * twin.standard_normal(X.shape))
        assert rng.bit_generator.state == twin.bit_generator.state


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_flip_exact_draw(p):
    images = _images((9, 4, 6))
    rng, twin = np.random.default_rng(5), np.random.default_rng(5)
    out, flip = augment_flip(images, rng, p)
    expected = twin.random(9) < p
    np.testing.assert_array_equal(flip, expected)
    np.testing.assert_array_equal(out, np.where(expected[:, None, None], images[:, :, ::-1],
                                                images))
    assert rng.bit_generator.state == twin.bit_generator.state


@pytest.mark.parametrize("max_shift", [0, 2])
def test_shift_exact_draw(max_shift):
    images = _images((8, 5, 7))
    rng, twin = np.random.default_rng(6), np.random.default_rng(6)
    _, shifts = augment_shift(images, max_shift, rng)
    np.testing.assert_array_equal(shifts, twin.integers(-max_shift, max_shift + 1, size=(8, 2)))
    assert rng.bit_generator.state == twin.bit_generator.state


def test_one_shift_per_image():
    _, shifts = augment_shift(_images((50, 6, 6)), 2, np.random.default_rng(7))
    assert len(np.unique(shifts, axis=0)) > 1


# --------------------------------------------------------------------------- statistics

def _binomial_interval(n, p, alpha):
    """[lo, hi] with P(Binomial(n, p) outside) <= alpha (exact, two-sided)."""
    return stats.binom.ppf(alpha / 2, n, p), stats.binom.isf(alpha / 2, n, p)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_flipped_fraction_is_binomial(p):
    N = 20000
    _, flip = augment_flip(np.zeros((N, 1, 2)), np.random.default_rng(8), p)
    lo, hi = _binomial_interval(N, p, ALPHA)
    assert lo <= flip.sum() <= hi
    if p != 0.5:  # power: flipping with probability 1 - p would fail the same bound
        assert not lo <= (1 - p) * N <= hi


def test_noise_mean_and_std():
    """Z = (out - X)/std: mean(Z) sqrt(N) ~ N(0, 1) and sum(Z^2) ~ chi2(N), ALPHA/2 each."""
    X, std = _images((300, 200)), 0.5
    N = X.size
    Z = (augment_noise(X, std, np.random.default_rng(9)) - X) / std
    assert abs(Z.mean()) * np.sqrt(N) <= stats.norm.isf(ALPHA / 4)
    lo, hi = stats.chi2.ppf(ALPHA / 4, N), stats.chi2.isf(ALPHA / 4, N)
    assert lo <= np.sum(Z ** 2) <= hi
    # power: noise scaled by std**2 (a std of 0.25) would fail the same bound
    assert not lo <= np.sum((Z * std) ** 2) <= hi


def test_shifts_are_uniform_over_the_range():
    """Each of the 2k+1 values of dy (and dx) ~ Binomial(N, 1/(2k+1)); Bonferroni split."""
    N, k = 20000, 2
    _, shifts = augment_shift(np.zeros((N, 5, 5)), k, np.random.default_rng(10))
    values = np.arange(-k, k + 1)
    lo, hi = _binomial_interval(N, 1 / values.size, ALPHA / (2 * values.size))
    counts = (shifts[:, :, None] == values).sum(axis=0)
    assert np.all((lo <= counts) & (counts <= hi))


# --------------------------------------------------------------------------- purity, dtype

CALLS = {
    "noise": lambda x: augment_noise(x, 0.1, np.random.default_rng(0)),
    "flip": lambda x: augment_flip(x, np.random.default_rng(0), 0.5)[0],
    "flip-p0": lambda x: augment_flip(x, np.random.default_rng(0), 0.0)[0],
    "shift": lambda x: augment_shift(x, 1, np.random.default_rng(0))[0],
    "shift-0": lambda x: augment_shift(x, 0, np.random.default_rng(0))[0],
}


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64),
                                             (np.int64, np.float64), (np.uint8, np.float64)])
def test_dtype_kept(name, dtype, expected):
    images = (_images((4, 3, 5)) * 50).astype(dtype)
    assert CALLS[name](images).dtype == expected


@pytest.mark.parametrize("name", CALLS)
def test_inputs_not_mutated_and_output_is_new(name):
    images = _images((4, 3, 5, 2))
    out = call_pure(CALLS[name], images)
    assert not np.shares_memory(out, images)


def test_no_global_rng():
    before = np.random.get_state()[1].copy()
    for call in CALLS.values():
        call(_images((3, 4, 4)))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --------------------------------------------------------------------------- bad input

I = _images((2, 4, 5))
RNG = np.random.default_rng(0)
BAD = [
    ("noise-neg-std", lambda: augment_noise(I, -0.1, RNG), r"std must be a non-negative.*=-0\.1"),
    ("noise-nan-std", lambda: augment_noise(I, float("nan"), RNG), "std"),
    ("noise-str-X", lambda: augment_noise("X", 0.1, RNG), "X must be a numeric array"),
    ("noise-no-rng", lambda: augment_noise(I, 0.1, None), "rng must be a numpy.random.Gen"),
    ("noise-legacy-rng", lambda: augment_noise(I, 0.1, np.random.RandomState(0)), "rng"),
    ("flip-2d", lambda: augment_flip(np.ones((4, 5)), RNG),
     r"images must have shape \(N, H, W\) or \(N, H, W, C\), got shape \(4, 5\)"),
    ("flip-5d", lambda: augment_flip(np.ones((1, 2, 2, 2, 2)), RNG), "images must have shape"),
    ("flip-p-neg", lambda: augment_flip(I, RNG, -0.1), r"p must be a number in \[0, 1\]"),
    ("flip-p-big", lambda: augment_flip(I, RNG, 1.5), r"p must be a number in \[0, 1\], got p=1.5"),
    ("flip-p-bool", lambda: augment_flip(I, RNG, True), "p must be a number"),
    ("flip-no-rng", lambda: augment_flip(I, None), "rng must be a numpy.random.Generator"),
    ("flip-rng-as-p", lambda: augment_flip(I, 0.5), "rng"),
    ("shift-neg", lambda: augment_shift(I, -1, RNG), "max_shift must be >= 0, got max_shift=-1"),
    ("shift-float", lambda: augment_shift(I, 1.5, RNG), "max_shift must be an integer"),
    ("shift-too-big", lambda: augment_shift(I, 4, RNG),
     r"max_shift must be < min\(H, W\) = 4 .* got max_shift=4"),
    ("shift-3d-channels-only", lambda: augment_shift(np.ones((3, 4)), 1, RNG), "images"),
    ("shift-no-rng", lambda: augment_shift(I, 1, None), "rng must be a numpy.random.Generator"),
    ("shift-str", lambda: augment_shift(np.array([[["a"]]]), 0, RNG), "images must be a numeric"),
]


@pytest.mark.parametrize("call, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
