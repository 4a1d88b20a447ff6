"""Batteries for the learning-rate schedules.

Each schedule takes scalars only, so there is no purity case; instead a property
case checks that the rate never increases over epochs 0..50 (1..50 for
``inverse_sqrt_decay``, which is undefined at epoch 0), and a dtype case that a
numpy float32 ``lr0`` still gives a Python float.
"""
import math

import numpy as np

from ..cases import Case, Raised, battery
from ..checks import CheckFailure, is_real
from ..diagnosis import diagnose_case
from ._kit import raises, value


def _show(value) -> str:
    """A returned value for a message: numbers as plain numbers."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return type(value).__name__


def _never_increases(first: int, last: int = 50):
    """A custom check: ``fn(*args_with_epoch)`` is a real number that never increases."""
    def check(student, case):
        lr0, rest, kwargs = case.args[0], case.args[1:], case.kwargs
        prev = None
        for e in range(first, last + 1):
            args = (lr0, e, *rest)
            got = student.call(case.problem, *args, **kwargs)
            here = Case(case.problem, case.name, args, kwargs, rtol=case.rtol)
            if not (is_real(got) or getattr(got, "shape", None) == ()) or \
                    not math.isfinite(float(got)):
                raise CheckFailure(f"the rate at epoch {e} should be a finite number, "
                                   f"but it is {_show(got)}", diagnose_case(here, got))
            got = float(got)
            if got <= 0:
                raise CheckFailure(f"the rate at epoch {e} is {got:g}; a learning rate must stay "
                                   "positive", diagnose_case(here, got))
            if prev is not None and got > prev * (1 + 1e-12):
                raise CheckFailure(f"the rate increased from {prev:.6g} at epoch {e - 1} to "
                                   f"{got:.6g} at epoch {e}; a decay schedule never increases",
                                   diagnose_case(here, got))
            prev = got
    return check


def _epoch0_raises(student, case):
    """inverse_sqrt_decay(lr0, 0) must raise ValueError (1/sqrt(0) is undefined)."""
    try:
        got = student.call(case.problem, *case.args, **case.kwargs)
    except Raised as exc:
        if exc.kind != "ValueError":
            raise CheckFailure(f"epoch 0 should raise ValueError (the formula needs epoch >= 1), "
                               f"but your function raised {exc.kind}") from None
        return
    raise CheckFailure(f"epoch 0 should raise ValueError (alpha_0 k / sqrt(epoch) needs "
                       f"epoch >= 1), but your function returned {_show(got)}",
                       diagnose_case(case, got))


def _shared(p: str, *rest) -> list[Case]:
    """The cases of every schedule: a Python float back for a numpy float32 ``lr0``, and
    a fractional epoch raises; ``rest`` are the arguments after the epoch."""
    return [
        value(p, "a numpy float32 lr0 gives a Python float", np.float32(0.5), 4, *rest,
              hidden=True, dtype=True, weight=0.5),
        raises(p, "epoch 2.5 (not an integer)", 0.1, 2.5, *rest),
    ]


@battery("inverse_time_decay")
def inverse_time_decay():
    p = "inverse_time_decay"
    return [
        value(p, "lr0 = 0.1, epoch 5, decay_rate 0.5", 0.1, 5, 0.5),
        value(p, "epoch 0 gives lr0", 0.2, 0, 1.0),
        value(p, "epoch 1", 0.05, 1, 0.3, hidden=True),
        value(p, "decay_rate 0 keeps lr0", 0.3, 7, 0.0, hidden=True),
        value(p, "epoch 1000", 1.0, 1000, 0.01, hidden=True),
        value(p, "integer lr0", 2, 3, 1.5, hidden=True),
        Case(p, "the rate never increases over epochs 0..50", (0.5, 0.2), hidden=True,
             kind="custom", check=_never_increases(0)),
        raises(p, "negative epoch", 0.1, -1, 0.5),
        raises(p, "lr0 = 0", 0.0, 3, 0.5),
        raises(p, "negative decay_rate", 0.1, 1, -0.5),
        *_shared(p, 0.5),
    ]


@battery("exponential_decay")
def exponential_decay():
    p = "exponential_decay"
    return [
        value(p, "lr0 = 0.1, epoch 5, base 0.9", 0.1, 5, 0.9),
        value(p, "epoch 0 gives lr0", 0.2, 0, 0.5),
        value(p, "epoch 1", 0.05, 1, 0.95, hidden=True),
        value(p, "base 1 keeps lr0", 0.3, 9, 1.0, hidden=True),
        value(p, "epoch 200", 1.0, 200, 0.97, hidden=True, rtol=1e-9),
        value(p, "integer lr0", 3, 4, 0.5, hidden=True),
        Case(p, "the rate never increases over epochs 0..50", (0.5, 0.8), hidden=True,
             kind="custom", check=_never_increases(0)),
        raises(p, "negative epoch", 0.1, -2, 0.9),
        raises(p, "lr0 = 0", 0.0, 3, 0.9),
        raises(p, "base 0", 0.1, 3, 0.0),
        raises(p, "base 1.5 (> 1)", 0.1, 3, 1.5),
        value(p, "integer lr0 and base 1 give a Python float", 2, 3, 1, hidden=True,
              dtype=True, weight=0.5),
        *_shared(p, 0.9),
    ]


@battery("inverse_sqrt_decay")
def inverse_sqrt_decay():
    p = "inverse_sqrt_decay"
    return [
        value(p, "lr0 = 0.1, epoch 4", 0.1, 4),
        value(p, "lr0 = 0.2, epoch 9, k = 0.5", 0.2, 9, kwargs={"k": 0.5}),
        value(p, "epoch 1 gives lr0 * k", 0.3, 1, 2.0, hidden=True),
        value(p, "epoch 7, k = 3 (positional)", 0.05, 7, 3.0, hidden=True),
        value(p, "epoch 10000", 1.0, 10000, hidden=True),
        value(p, "integer lr0", 2, 16, hidden=True),
        Case(p, "the rate never increases over epochs 1..50", (0.5, 1.5), hidden=True,
             kind="custom", check=_never_increases(1)),
        Case(p, "bad input: epoch 0", (0.1, 0), hidden=True, weight=0.5, kind="custom",
             robust=True, check=_epoch0_raises),
        raises(p, "negative epoch", 0.1, -4),
        raises(p, "lr0 = 0", 0.0, 4),
        raises(p, "k = 0", 0.1, 4, 0.0),
        raises(p, "negative k", 0.1, 4, -1.0),
        *_shared(p, 2.0),
    ]


@battery("step_decay")
def step_decay():
    p = "step_decay"
    return [
        value(p, "lr0 = 0.1, epoch 5, decay_rate 1, interval 2", 0.1, 5, 1.0, 2),
        value(p, "epoch 0 gives lr0", 0.2, 0, 0.5, 3),
        value(p, "last epoch before a step", 0.4, 9, 0.5, 10, hidden=True),
        value(p, "first epoch after a step", 0.4, 10, 0.5, 10, hidden=True),
        value(p, "epoch 7, interval 3", 0.3, 7, 2.0, 3, hidden=True),
        value(p, "epoch 16, interval 10", 0.3, 16, 1.0, 10, hidden=True),
        value(p, "interval 1", 0.3, 4, 0.25, 1, hidden=True),
        value(p, "epoch 1000", 1.0, 1000, 0.1, 7, hidden=True),
        Case(p, "the rate never increases over epochs 0..50", (0.5, 0.5, 4), hidden=True,
             kind="custom", check=_never_increases(0)),
        raises(p, "negative epoch", 0.1, -3, 0.5, 2),
        raises(p, "lr0 = 0", 0.0, 3, 0.5, 2),
        raises(p, "interval 0", 0.1, 3, 0.5, 0),
        raises(p, "interval 2.5 (not an integer)", 0.1, 3, 0.5, 2.5),
        raises(p, "negative decay_rate", 0.1, 3, -0.5, 2),
        *_shared(p, 0.5, 3),
    ]
