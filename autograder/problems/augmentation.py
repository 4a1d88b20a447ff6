"""Batteries for data augmentation: augment_noise, augment_flip and augment_shift.

All three are random.  The contract fixes their draws (one call each), so most
cases match the reference exactly with a seeded rng, and a few also check that
the rng advanced exactly as that one call advances it (std = 0 and p = 0 still
draw).  The statistical cases pass any correct implementation whatever its draw:
each draws from a seed of its own (``_kit.statistical_seed``) and checks the
student's output against the student's own flags or shifts, then the rate of the
draws, with a false-failure rate of at most ``STAT_ALPHA``.
"""
import inspect

import numpy as np

import reference
from reference.augmentation import _shifted

from ..cases import Case, assert_new, battery, expect_reference
from ..checks import (
    STAT_ALPHA,
    CheckFailure,
    assert_close,
    assert_unchanged,
    check_binomial,
    check_normal_sample,
)
from ..diagnosis import diagnose, diagnose_case, quietly
from ..mistakes.augmentation import GLOBAL_RNG
from ._kit import float32, raises, reproducible, rng, statistical_seed, value


def _X(seed, shape=(4, 5)):
    return rng(seed).normal(0, 2, size=shape)


def _images(seed, shape):
    """Distinct pixel values in [0.5, 2): a mirrored or shifted image never equals the original."""
    return rng(seed).uniform(0.5, 2.0, size=shape)


def _rng_index(args):
    return next(i for i, a in enumerate(args) if isinstance(a, np.random.Generator))


# ---------------------------------------------------------------- custom checks

def _check_one_draw(student, case):
    """The reference's output, and the rng left exactly where the contract's one call leaves it."""
    args, kwargs = case.inputs()
    got, args_after, _ = student.call_echo(case.problem, args, kwargs)
    expect_reference(case, got)
    sent, sent_kw = case.inputs()
    quietly(getattr(reference, case.problem), *sent, **sent_kw)   # advances sent's rng
    i = _rng_index(sent)
    after = args_after[i] if len(args_after) > i else None
    if isinstance(after, np.random.Generator) and \
            after.bit_generator.state == sent[i].bit_generator.state:
        return
    untouched = isinstance(after, np.random.Generator) and \
        after.bit_generator.state == case.args[i].bit_generator.state
    what = ("your function drew nothing from the rng" if untouched else
            "your function advanced the rng differently from the contract's one call")

    def scenario(fn):
        a, k = case.inputs()
        return fn(*a, **k), a[i].random(4)
    follow = after.random(4) if isinstance(after, np.random.Generator) else None
    raise CheckFailure(f"{what}: draw exactly once, as the contract says, whatever the "
                       f"parameters ({case.name})",
                       diagnose(case.problem, (got, follow), scenario))


def one_draw(problem, name, *args, weight=1.0, **kwargs):
    """A hidden case: the reference's output, and exactly the contract's draw from the rng."""
    return Case(problem, name, args, kwargs, hidden=True, weight=weight, kind="custom",
                check=_check_one_draw)


def _check_unchanged(student, case):
    """The reference's output, and the data (the first argument) unchanged."""
    args, kwargs = case.inputs()
    got, args_after, _ = student.call_echo(case.problem, args, kwargs)
    expect_reference(case, got)
    sent = case.inputs()[0][0]
    after = args_after[0] if args_after else None
    try:
        assert_unchanged(sent, after, name=next(iter(inspect.signature(
            getattr(reference, case.problem)).parameters)))
    except CheckFailure as failure:
        def scenario(fn):
            a, k = case.inputs()
            fn(*a, **k)
            return a[0]
        failure.diagnosis = diagnose(case.problem, after, scenario) or failure.diagnosis
        raise
    assert_new(student.last_aliases, case.problem)


def unchanged(problem, *args, weight=1.0, **kwargs):
    """A hidden case: the reference's output, and the data argument comes back unchanged.

    Unlike ``_kit.pure``, a failure names the known mistake that changes the data the same way.
    """
    return Case(problem, "inputs unchanged", args, kwargs, hidden=True, weight=weight,
                kind="custom", robust=True, check=_check_unchanged)


def _float_array(got, case, name, shape):
    if not isinstance(got, np.ndarray) or got.dtype.kind != "f" or got.shape != shape:
        what = (f"an array of shape {got.shape} and dtype {got.dtype}"
                if isinstance(got, np.ndarray) else type(got).__name__)
        raise CheckFailure(f"{name} should be a float array of shape {shape}, but it is {what}",
                           diagnose_case(case, got))
    return got.astype(np.float64)


def _pair(got, case, second, shape):
    """``(out, second)``: out a float array of ``shape``, ``second`` an ndarray."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure(f"{case.problem} must return a pair (out, {second})",
                           diagnose_case(case, got))
    out, other = got
    if not isinstance(other, np.ndarray):
        raise CheckFailure(f"{second} should be an array, but it is {type(other).__name__}",
                           diagnose_case(case, got))
    return _float_array(out, case, "out", shape), other


def _diagnosed(check, case, got):
    """Run ``check()``; on failure, name the known mistake that replays ``got``."""
    try:
        check()
    except CheckFailure as failure:
        failure.diagnosis = failure.diagnosis or diagnose_case(case, got)
        raise


def _check_noise_statistics(student, case):
    """out - X must look like i.i.d. N(0, std^2)."""
    (X, std, _), _ = case.inputs()
    got = student.call(case.problem, *case.inputs()[0])
    out = _float_array(got, case, "the result", X.shape)
    _diagnosed(lambda: check_normal_sample(
        out - X, std=std, what=f"the noise (result - X) for std={std}"), case, got)


def _check_flip_statistics(student, case):
    """out follows the student's own flags, and P(flip) = p."""
    (images, _, p), _ = case.inputs()
    got = student.call(case.problem, *case.inputs()[0])
    out, flip = _pair(got, case, "flip", images.shape)

    def check():
        if flip.shape != images.shape[:1] or flip.dtype.kind not in "biu" \
                or not np.all((flip == 0) | (flip == 1)):
            raise CheckFailure(f"flip should be a boolean array of shape (N,) = "
                               f"{images.shape[:1]}, one flag per image")
        F = flip.astype(bool)
        assert_close(out, np.where(F[:, None, None], images[:, :, ::-1], images), rtol=0, atol=0,
                     name="out (compared with images mirrored where your flip is True)")
        check_binomial(int(F.sum()), F.size, p,
                       what=f"the fraction of flipped images for p={p}")
    _diagnosed(check, case, got)


def _check_shift_statistics(student, case):
    """out follows the student's own shifts, and each shift is uniform on [-k, k]."""
    (images, k, _), _ = case.inputs()
    got = student.call(case.problem, *case.inputs()[0])
    out, shifts = _pair(got, case, "shifts", images.shape)

    def check():
        if shifts.shape != (images.shape[0], 2) or shifts.dtype.kind not in "iu" \
                or np.abs(shifts).max() > k:
            raise CheckFailure(f"shifts should be an integer array of shape (N, 2) = "
                               f"({images.shape[0]}, 2) with values in [-{k}, {k}]")
        assert_close(out, _shifted(images, shifts), rtol=0, atol=0,
                     name="out (compared with the images moved by your own shifts)")
        values = range(-k, k + 1)
        for column, axis in enumerate(("dy", "dx")):
            for v in values:
                check_binomial(int(np.sum(shifts[:, column] == v)), len(shifts), 1 / len(values),
                               what=f"the fraction of images with {axis} = {v}",
                               alpha=STAT_ALPHA / (2 * len(values)))
    _diagnosed(check, case, got)


# ---------------------------------------------------------------- batteries

@battery("augment_noise")
def augment_noise():
    fn = "augment_noise"
    seed = statistical_seed("augment_noise")
    return [
        value(fn, "std = 0.1 with a seeded rng", _X(1), 0.1, rng(201), weight=2),
        value(fn, "a batch of images (3, 4, 5), std = 0.5", _X(2, (3, 4, 5)), 0.5, rng(202)),
        Case(fn, "statistics: result - X has mean 0 and standard deviation std",
             (_X(3, (200, 200)) + 3.0, 0.7, rng(seed)), hidden=True, weight=2, kind="custom",
             check=_check_noise_statistics),
        one_draw(fn, "std = 0 returns X and still draws once", _X(4), 0.0, rng(204)),
        reproducible(fn, _X(5, (6, 7)), 0.3, rng(205), mistake=GLOBAL_RNG),
        value(fn, "a 1-d X, std = 2", _X(6, (9,)), 2.0, rng(206), hidden=True),
        value(fn, "integer X gives float64", np.arange(-6, 6).reshape(3, 4), 0.5, rng(207),
              hidden=True, dtype=True),
        float32(fn, _X(8), 0.2, rng(208)),
        unchanged(fn, _X(9), 0.4, rng(209)),
        raises(fn, "std = -0.1", _X(10), -0.1, rng(210)),
        raises(fn, "std = nan", _X(11), float("nan"), rng(211)),
    ]


@battery("augment_flip")
def augment_flip():
    fn = "augment_flip"
    seed = statistical_seed("augment_flip")
    return [
        value(fn, "(N, H, W) = (6, 3, 4), p = 0.5, seeded rng", _images(21, (6, 3, 4)),
              rng(221), 0.5, weight=2),
        value(fn, "with channels (N, H, W, C) = (5, 3, 4, 2), p = 0.7",
              _images(22, (5, 3, 4, 2)), rng(222), 0.7),
        Case(fn, "statistics: flipped fraction ~ p, out follows your flags",
             (_images(23, (10000, 2, 2)), rng(seed), 0.2), hidden=True, weight=2,
             kind="custom", check=_check_flip_statistics),
        one_draw(fn, "p = 0 flips nothing and still draws once", _images(24, (4, 3, 5)),
                 rng(224), 0.0),
        one_draw(fn, "p = 1 flips every image", _images(25, (4, 3, 5, 3)), rng(225), 1.0),
        reproducible(fn, _images(26, (8, 2, 3)), rng(226), 0.5, mistake=GLOBAL_RNG),
        value(fn, "non-square (7, 4, 6), default p", _images(27, (7, 4, 6)), rng(227),
              hidden=True),
        value(fn, "integer images give float64", np.arange(60).reshape(5, 3, 4), rng(228), 0.5,
              hidden=True, dtype=True),
        float32(fn, _images(29, (6, 3, 4, 2)), rng(229), 0.5),
        unchanged(fn, _images(30, (6, 3, 4)), rng(230), 0.6),
        Case(fn, "p = 0: the images copied, not handed back", (_images(34, (3, 2, 4)), rng(234),
                                                              0.0),
             hidden=True, kind="pure", rules=("ps4.new-arrays",)),
        raises(fn, "p = 1.5", _images(31, (2, 3, 3)), rng(231), 1.5),
        raises(fn, "p = -0.1", _images(32, (2, 3, 3)), rng(232), -0.1),
        raises(fn, "images of shape (N, W) = (4, 5)", _images(33, (4, 5)), rng(233), 0.5),
    ]


@battery("augment_shift")
def augment_shift():
    fn = "augment_shift"
    seed = statistical_seed("augment_shift")
    return [
        value(fn, "(N, H, W) = (6, 5, 5), max_shift = 1, seeded rng", _images(41, (6, 5, 5)), 1,
              rng(241), weight=2),
        value(fn, "with channels (N, H, W, C) = (4, 6, 8, 3), max_shift = 2",
              _images(42, (4, 6, 8, 3)), 2, rng(242)),
        Case(fn, "statistics: shifts uniform on [-max_shift, max_shift], out follows them",
             (_images(43, (10000, 2, 2)), 1, rng(seed)), hidden=True, weight=2,
             kind="custom", check=_check_shift_statistics),
        value(fn, "max_shift = 0 changes nothing", _images(44, (3, 4, 4)), 0, rng(244),
              hidden=True),
        value(fn, "non-square (5, 4, 9), max_shift = 3", _images(45, (5, 4, 9)), 3, rng(245),
              hidden=True),
        value(fn, "the largest max_shift, min(H, W) - 1", _images(46, (8, 3, 5, 2)), 2, rng(246),
              hidden=True),
        reproducible(fn, _images(47, (8, 5, 6)), 2, rng(247), mistake=GLOBAL_RNG),
        value(fn, "integer images give float64", np.arange(48).reshape(3, 4, 4), 1, rng(248),
              hidden=True, dtype=True),
        float32(fn, _images(49, (5, 4, 6, 2)), 2, rng(249)),
        unchanged(fn, _images(50, (5, 4, 6)), 2, rng(250)),
        raises(fn, "max_shift = -1", _images(51, (2, 4, 4)), -1, rng(251)),
        raises(fn, "max_shift = min(H, W)", _images(52, (2, 3, 5)), 3, rng(252)),
        raises(fn, "max_shift = 1.5", _images(53, (2, 4, 4)), 1.5, rng(253)),
        raises(fn, "images of shape (N, W) = (4, 5)", _images(54, (4, 5)), 1, rng(254)),
    ]
