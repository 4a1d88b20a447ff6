"""Batteries for inverted dropout: dropout_forward and dropout_backward.

dropout_forward is random.  The contract fixes its draw (one call,
``rng.random(A.shape) < keep_prob``), so a few cases match the reference exactly
with a seeded rng; the statistical case passes any correct implementation whatever
its draw, and draws with a seed of its own (``_kit.statistical_seed``).
"""
import numpy as np

from ..cases import Case, battery, expect_reference
from ..checks import CheckFailure, assert_close, check_binomial
from ..diagnosis import diagnose_case
from ..mistakes.dropout import DRAWS_IN_TEST_MODE, GLOBAL_RNG, NOT_RESCALED, ONE_MASK_PER_ROW
from ._kit import float32, pure, raises, reproducible, rng, statistical_seed, value


def _A(seed, shape=(4, 5)):
    return rng(seed).normal(0, 2, size=shape)


def _fail(case, got, message, diagnosis=None):
    """A CheckFailure whose diagnosis is ``diagnosis``, else a known mistake ``got`` matches."""
    raise CheckFailure(message, diagnosis or diagnose_case(case, got))


# ---------------------------------------------------------------- custom checks

def _unpack(got, case):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        _fail(case, got, "dropout_forward must return a pair (out, mask)")
    out, mask = got
    if not isinstance(out, np.ndarray) or out.dtype.kind != "f":
        _fail(case, got, f"out should be a float array, but it is {type(out).__name__}"
              + (f" of dtype {out.dtype}" if isinstance(out, np.ndarray) else ""))
    return out, mask


def _check_statistics(student, case):
    """Any correct inverted dropout: P(keep) = keep_prob, out = A * mask / keep_prob."""
    (A, keep_prob, _), _kw = case.inputs()
    got = student.call(case.problem, *case.inputs()[0])
    out, mask = _unpack(got, case)
    if out.shape != A.shape:
        _fail(case, got, f"out has shape {out.shape}, expected A's shape {A.shape}")
    if not isinstance(mask, np.ndarray) or mask.shape != A.shape:
        _fail(case, got, f"mask should be an array of A's shape {A.shape}, but it is "
                         + (f"of shape {mask.shape}" if isinstance(mask, np.ndarray)
                            else type(mask).__name__))
    if mask.dtype.kind not in "biuf" or not np.all((mask == 0) | (mask == 1)):
        _fail(case, got, "mask must hold only 0/1 (False/True) values: mask[i, j] says "
                         "whether unit (i, j) is kept")
    D = mask.astype(bool)
    if A.shape[0] > 1 and np.all(D == D[:1]):
        _fail(case, got, "every sample (row) got the same mask: draw one keep/drop decision "
                         "per unit, rng.random(A.shape), not per column", ONE_MASK_PER_ROW)
    try:
        check_binomial(int(D.sum()), D.size, keep_prob,
                       what=f"the fraction of kept units for keep_prob={keep_prob}")
    except CheckFailure as failure:
        _fail(case, got, failure.message + "; keep_prob is the probability of KEEPING a "
                         "unit: mask = (U < keep_prob)")
    try:
        assert_close(out, A * D / keep_prob, rtol=1e-6, atol=1e-12,
                     name="out (compared with A * mask / keep_prob, using your own mask)")
    except CheckFailure as failure:
        if np.allclose(out, A * D):
            _fail(case, got, failure.message + ": the kept units must be scaled by "
                             "1/keep_prob", NOT_RESCALED)
        _fail(case, got, failure.message)


def _check_test_mode(student, case):
    """train=False: (a copy of A, None), and the rng is not advanced."""
    args, kwargs = case.inputs()
    got, args_after, kwargs_after = student.call_echo(case.problem, args, kwargs)
    expect_reference(case, got)
    sent = case.inputs()[1]["rng"].bit_generator.state
    after = kwargs_after.get("rng")
    if not isinstance(after, np.random.Generator) or after.bit_generator.state != sent:
        raise CheckFailure("with train=False nothing may be drawn from the rng, but your "
                           "function advanced it: check train before drawing the mask",
                           DRAWS_IN_TEST_MODE)


# ---------------------------------------------------------------- batteries

@battery("dropout_forward")
def dropout_forward():
    fn = "dropout_forward"
    seed = statistical_seed("dropout_forward")
    return [
        value(fn, "keep_prob = 0.8 with a seeded rng", _A(1), 0.8, rng(101), weight=2),
        value(fn, "keep_prob = 0.5, non-square (3, 7)", _A(2, (3, 7)), 0.5, rng(102)),
        Case(fn, "statistics: kept fraction ~ keep_prob, out = A * mask / keep_prob",
             (_A(3, (200, 200)) + 0.5, 0.7, rng(seed)), hidden=True, weight=2,
             kind="custom", check=_check_statistics),
        Case(fn, "statistics with keep_prob = 0.2", (_A(4, (100, 150)) - 0.5, 0.2,
                                                     rng(seed + 1)),
             hidden=True, kind="custom", check=_check_statistics),
        reproducible(fn, _A(5, (30, 20)), 0.6, rng(105), mistake=GLOBAL_RNG),
        Case(fn, "train=False returns (copy of A, None) and draws nothing",
             (_A(6), 0.7), {"rng": rng(106), "train": False}, hidden=True, weight=2,
             kind="custom", check=_check_test_mode),
        value(fn, "train=False with rng=None", _A(7, (2, 3)), 0.5, None, hidden=True,
              kwargs={"train": False}),
        value(fn, "keep_prob = 1 keeps every unit", _A(8), 1.0, rng(108), hidden=True),
        value(fn, "one sample (m = 1)", _A(9, (1, 6)), 0.75, rng(109), hidden=True),
        value(fn, "a 1-d array", _A(10, (8,)), 0.3, rng(110), hidden=True),
        value(fn, "integer A gives float64", np.arange(-6, 6).reshape(3, 4), 0.6, rng(111),
              hidden=True, dtype=True),
        float32(fn, _A(12), 0.9, rng(112)),
        pure(fn, _A(13), 0.5, rng(113)),
        Case(fn, "train=False: A copied, not handed back", (_A(18), 0.5, None), {"train": False},
             hidden=True, kind="pure", rules=("ps4.dropout.test-copy",)),
        raises(fn, "keep_prob = 0", _A(14), 0.0, rng(114)),
        raises(fn, "keep_prob = 1.5", _A(15), 1.5, rng(115)),
        raises(fn, "rng=None in training mode", _A(16), 0.5, None),
        raises(fn, "train='no' (not a bool)", _A(17), 0.5, rng(117), train="no"),
    ]


def _mask(seed, shape=(4, 5), keep_prob=0.6):
    return rng(seed).random(shape) < keep_prob


@battery("dropout_backward")
def dropout_backward():
    fn = "dropout_backward"
    return [
        value(fn, "keep_prob = 0.8", _A(21), _mask(21, keep_prob=0.8), 0.8, weight=2),
        value(fn, "keep_prob = 0.5, non-square (3, 7)", _A(22, (3, 7)), _mask(22, (3, 7)),
              0.5),
        value(fn, "mask given as 0/1 floats", _A(23), _mask(23).astype(float), 0.6,
              hidden=True),
        value(fn, "keep_prob = 1", _A(24), _mask(24), 1.0, hidden=True),
        value(fn, "one sample (m = 1)", _A(25, (1, 30)), _mask(25, (1, 30)), 0.25,
              hidden=True),
        value(fn, "integer dout gives float64", np.arange(-6, 6).reshape(3, 4),
              _mask(26, (3, 4)), 0.4, hidden=True, dtype=True),
        float32(fn, _A(27), _mask(27), 0.7),
        pure(fn, _A(28), _mask(28), 0.5),
        raises(fn, "keep_prob = 0", _A(29), _mask(29), 0.0),
        raises(fn, "keep_prob = 1.5", _A(30), _mask(30), 1.5),
        raises(fn, "mask of shape (1, n) for dout of shape (m, n)", _A(31, (3, 40)),
               _mask(31, (1, 40)), 0.5),
        raises(fn, "mask=None (what test mode returns)", _A(32), None, 0.5),
    ]
