"""Shorthands for building batteries: value, purity, float32 and bad-input cases."""
from __future__ import annotations

import functools
import hashlib
import inspect
import numbers
import os

import numpy as np

from ..cases import Case, Guarded
from ..checks import CheckFailure, assert_close


def rng(seed: int) -> np.random.Generator:
    """A fresh, seeded Generator for building inputs."""
    return np.random.default_rng(seed)


def statistical_seed(tag: str) -> int:
    """The seed of a statistical check, named by ``tag``.

    Fixed, so that grading twice gives the same scores; ``AUTOGRADER_SEED=k``
    changes every such seed at once (the reruns of the audit use it).  A correct
    function fails a statistical check with probability <= STAT_ALPHA whatever
    the seed.
    """
    base = os.environ.get("AUTOGRADER_SEED", "0")
    return int.from_bytes(hashlib.sha256(f"{base}:{tag}".encode()).digest()[:8], "big")


def value(problem: str, name: str, *args, hidden: bool = False, weight: float = 1.0,
          **opts) -> Case:
    """A case comparing the student's output with the reference's.

    ``opts`` may hold ``kwargs``, ``rtol``, ``atol``, ``sets``, ``silent``, ``expect``,
    and ``dtype=True`` for a dtype case (e.g. integer input gives float64).
    """
    return Case(problem, name, args, opts.pop("kwargs", {}), hidden=hidden,
                weight=weight, **opts)


def pure(problem: str, *args, weight: float = 1.0, **opts) -> Case:
    """A hidden case that also checks every input comes back unchanged."""
    return Case(problem, "inputs unchanged", args, opts.pop("kwargs", {}), hidden=True,
                weight=weight, kind="pure", **opts)


def float32(problem: str, *args, weight: float = 1.0, **opts) -> Case:
    """A hidden dtype case: float32 inputs must give float32 outputs (looser tolerance)."""
    cast = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64
                 else a for a in args)
    return Case(problem, "float32 in, float32 out", cast, opts.pop("kwargs", {}),
                hidden=True, weight=weight, rtol=opts.pop("rtol", 2e-5),
                atol=opts.pop("atol", 1e-6), dtype=True, **opts)


def raises(problem: str, name: str, *args, weight: float = 0.5, rules: tuple[str, ...] = (),
           **kwargs) -> Case:
    """A hidden case: bad input must raise ``ValueError`` (``rules``: the rule ids it checks)."""
    return Case(problem, f"bad input: {name}", args, kwargs, hidden=True, weight=weight,
                kind="raises", rules=rules)


def small_args(fn, size: int) -> Guarded:
    """``fn`` guarded to accept only what a case passes an optimizer or a schedule.

    Positional and keyword arguments must be ``fn``'s own parameters; every array
    in them (dicts such as an optimizer's state included) is a numeric array of at
    most ``size`` elements and one dimension, e.g. ``size = n + 1`` for the
    parameters ``[w, b]`` that gradient descent optimizes; everything else is a
    real number or None.
    """
    params = inspect.signature(fn).parameters

    def accepts(args, kwargs):
        if len(args) > len(params) or not set(kwargs) <= set(params):
            return f"it takes the arguments ({', '.join(params)})"
        return next(filter(None, (_small(v, size) for v in (*args, *kwargs.values()))), None)
    return Guarded(fn, accepts)


def _small(value, size: int, depth: int = 0) -> str | None:
    """What makes ``value`` more than a few numbers and small arrays, or None."""
    if value is None or isinstance(value, (numbers.Real, np.bool_)):
        return None
    if isinstance(value, np.ndarray):
        if value.ndim > 1 or value.size > size or value.dtype.kind not in "biuf":
            return (f"arrays must be numeric, 1-d and of at most {size} elements, "
                    f"got shape {value.shape} and dtype {value.dtype}")
        return None
    if isinstance(value, dict) and depth == 0 and len(value) <= 8:
        return next(filter(None, (_small(v, size, 1) for v in value.values())), None)
    return f"unexpected argument of type {type(value).__name__}"


def reproducible(problem: str, *args, mistake: str, weight: float = 1.0, **kwargs) -> Case:
    """A hidden case: two calls with identically seeded rngs must give the same result.

    ``mistake`` is the known mistake a difference points to (drawing from ``np.random``).
    """
    return Case(problem, "the same seed gives the same result", args, kwargs, hidden=True,
                weight=weight, kind="custom", check=functools.partial(_check_reproducible, mistake))


def _check_reproducible(mistake: str, student, case) -> None:
    """The rng is the only source of randomness: the same seed gives the same result."""
    first = student.call(case.problem, *case.inputs()[0], **case.inputs()[1])
    second = student.call(case.problem, *case.inputs()[0], **case.inputs()[1])
    try:
        assert_close(second, first, rtol=0, atol=0, name="the second result")
    except CheckFailure:
        failed = True
    else:
        failed = False
    if failed:  # raised outside the except clause: no chain of exceptions kept
        raise CheckFailure("two calls with identically seeded rngs gave different results: "
                           "draw only from the rng argument, never from np.random", mistake)
