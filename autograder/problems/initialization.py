"""Batteries for the initialization topic.

Every random initialization gets: seeded cases that must match the reference exactly
(the contract fixes the draw, one ``rng.standard_normal((n_in, n_out))``), a "same seed,
same weights" case (catches the global RNG), and a statistical case: a 400 x 300 draw
from a seed of its own (``_kit.statistical_seed``) must look like N(0, std^2) with the
contract's std, which
any correct implementation passes whatever its draw order (false-failure rate
``STAT_ALPHA``).  With 120000 samples the std is pinned to about +-1.1%, so Xavier
(0.05), Glorot (0.0535) and He (0.0707) cannot pass for one another.
"""
import math

import numpy as np

from ..cases import Case, battery
from ..checks import CheckFailure, assert_close, check_normal_sample
from ..diagnosis import diagnose
from ..mistakes.initialization import EMPTY
from ..worker.codec import Unsafe
from ._kit import raises, rng, statistical_seed, value

#: the statistical draw: non-square, and large enough to tell the scales apart
BIG = (400, 300)

#: the contract's standard deviation of each random initialization
STD = {
    "init_normal": lambda n_in, n_out, scale=1.0: scale,
    "init_xavier": lambda n_in, n_out: math.sqrt(1 / n_in),
    "init_he": lambda n_in, n_out: math.sqrt(2 / n_in),
    "init_glorot": lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)),
}






def _weights(got, shape, what):
    """The student's W as a float64 array of ``shape``, or a CheckFailure."""
    if isinstance(got, (list, tuple)):  # as lenient as the value cases
        try:
            got = np.asarray(got)
        except ValueError:
            pass
    if not isinstance(got, np.ndarray):
        kind = got.type_name if isinstance(got, Unsafe) else type(got).__name__
        raise CheckFailure(f"{what}: expected an ndarray of shape {shape}, got a {kind}")
    if got.shape != shape:
        raise CheckFailure(f"{what}: W has shape {got.shape}, expected (n_in, n_out) = {shape}")
    if got.dtype.kind not in "biuf":  # values only: dtypes are the dtype cases' business
        raise CheckFailure(f"{what}: W should be numeric, but its dtype is {got.dtype}")
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        raise CheckFailure(f"{what}: W holds non-finite values")
    return got


# ---------------------------------------------------------------- custom checks

def _statistical(problem, kwargs=None, weight=2.0):
    """A large draw from a seed of its own must be N(0, std^2) with the contract's std."""
    kwargs = kwargs or {}
    std = STD[problem](*BIG, **kwargs)

    def check(student, case):
        seed = statistical_seed(case.id)
        got = student.call(problem, *BIG, np.random.default_rng(seed), **kwargs)
        what = f"{problem}({BIG[0]}, {BIG[1]}) with a seed of its own"
        try:
            check_normal_sample(_weights(got, BIG, what), std=std, what=what)
        except CheckFailure as failure:
            failure.diagnosis = failure.diagnosis or diagnose(
                problem, got, lambda fn: fn(*BIG, np.random.default_rng(seed), **kwargs))
            raise
    name = f"a {BIG[0]} x {BIG[1]} draw has mean 0 and std {std:.4g}"
    return Case(problem, name, hidden=True, weight=weight, kind="custom", check=check)


def _reproducible(problem, n_in=5, n_out=3, kwargs=None, weight=1.0):
    """Two calls with identically seeded generators must give identical weights."""
    kwargs = kwargs or {}

    def check(student, case):
        seed = statistical_seed(case.id)
        what = f"{problem}({n_in}, {n_out}, rng)"
        first = _weights(student.call(problem, n_in, n_out, np.random.default_rng(seed),
                                      **kwargs), (n_in, n_out), what)
        second = _weights(student.call(problem, n_in, n_out, np.random.default_rng(seed),
                                       **kwargs), (n_in, n_out), what)
        if not np.array_equal(first, second):
            raise CheckFailure(
                f"{what} gave different weights for two generators with the same seed: "
                "all randomness must come from the rng argument", _global_rng_diagnosis(problem))
    return Case(problem, "the same seed gives the same weights", hidden=True, weight=weight,
                kind="custom", check=check)


def _global_rng_diagnosis(problem):
    """The known mistake that is not reproducible from its rng argument."""
    def reproducible(fn):
        return np.array_equal(fn(4, 3, np.random.default_rng(0)),
                              fn(4, 3, np.random.default_rng(0)))
    return diagnose(problem, False, reproducible, expected=(True,))


# ---------------------------------------------------------------- batteries

def _bad_sizes(problem, *extra):
    return [
        raises(problem, "n_in = 0", 0, 3, *extra),
        raises(problem, "n_out < 0", 4, -2, *extra),
        raises(problem, "n_in = 2.5 is not an integer", 2.5, 3, *extra),
    ]


@battery("init_zeros")
def init_zeros():
    return [
        value("init_zeros", "n_in=3, n_out=5", 3, 5, atol=0, rtol=0, weight=2),
        value("init_zeros", "n_in=7, n_out=2", 7, 2, hidden=True, atol=0, rtol=0),
        value("init_zeros", "1 x 1", 1, 1, hidden=True, atol=0, rtol=0),
        value("init_zeros", "float zeros (dtype float64)", 2, 3, hidden=True, atol=0, rtol=0,
              dtype=True),
        _zeros_repeated(),
        *_bad_sizes("init_zeros"),
    ]


def _zeros_repeated():
    """Many calls in a row must all be exactly zero (np.empty returns recycled memory)."""
    shapes = [(3, 5), (5, 3), (2, 8), (16, 1), (4, 4), (6, 7), (40, 30)]

    def check(student, case):
        for n_in, n_out in shapes:
            got = student.call("init_zeros", n_in, n_out)
            try:
                assert_close(got, np.zeros((n_in, n_out)), rtol=0, atol=0,
                             name=f"init_zeros({n_in}, {n_out})")
            except CheckFailure as failure:
                failure.diagnosis = diagnose("init_zeros", got,
                                             lambda fn, n_in=n_in, n_out=n_out: fn(n_in, n_out))
                if failure.diagnosis is None and isinstance(got, np.ndarray) \
                        and got.shape == (n_in, n_out):
                    failure.diagnosis = EMPTY
                raise
    return Case("init_zeros", "repeated calls of several shapes are all exactly 0",
                hidden=True, kind="custom", check=check)


def _random_battery(problem, kwargs=None, public_kwargs=None):
    kwargs, public_kwargs = kwargs or {}, public_kwargs or kwargs or {}
    return [
        value(problem, "n_in=4, n_out=3, seeded rng", 4, 3, rng(101), kwargs=public_kwargs,
              weight=2),
        value(problem, "n_in=2, n_out=6, seeded rng", 2, 6, rng(102), kwargs=kwargs,
              hidden=True),
        value(problem, "1 x 1", 1, 1, rng(103), kwargs=kwargs, hidden=True),
        value(problem, "a wide layer, n_in=50, n_out=7", 50, 7, rng(104), kwargs=kwargs,
              hidden=True),
        _statistical(problem, kwargs),
        _reproducible(problem, kwargs=kwargs),
        *_bad_sizes(problem, rng(105)),
    ]


@battery("init_normal")
def init_normal():
    cases = _random_battery("init_normal", {"scale": 0.3}, {"scale": 0.5})
    cases.insert(1, value("init_normal", "default scale 1.0", 3, 2, rng(106)))
    cases.insert(2, value("init_normal", "scale = 0 gives zeros", 3, 4, rng(107),
                          kwargs={"scale": 0.0}, hidden=True))
    return cases + [raises("init_normal", "scale = -1", 3, 2, rng(108), scale=-1.0)]


@battery("init_xavier")
def init_xavier():
    return _random_battery("init_xavier")


@battery("init_he")
def init_he():
    return _random_battery("init_he")


@battery("init_glorot")
def init_glorot():
    return _random_battery("init_glorot")
