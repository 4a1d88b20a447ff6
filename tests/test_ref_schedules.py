"""Tests for reference.schedules: hand-computed values, monotonicity, bad input."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.schedules import (
    exponential_decay,
    inverse_sqrt_decay,
    inverse_time_decay,
    step_decay,
)

# (call, value worked out by hand)
VALUES = [
    (lambda: inverse_time_decay(0.2, 0, 1.0), 0.2),
    (lambda: inverse_time_decay(0.2, 3, 1.0), 0.05),          # 0.2 / 4
    (lambda: inverse_time_decay(1.0, 4, 0.5), 1 / 3),
    (lambda: exponential_decay(0.1, 0, 0.95), 0.1),
    (lambda: exponential_decay(0.1, 2, 0.95), 0.09025),       # 0.1 * 0.9025
    (lambda: exponential_decay(2.0, 10, 0.5), 2 / 1024),
    (lambda: inverse_sqrt_decay(0.3, 1), 0.3),
    (lambda: inverse_sqrt_decay(0.3, 4), 0.15),
    (lambda: inverse_sqrt_decay(0.3, 9, k=2.0), 0.2),         # 0.3 * 2 / 3
    (lambda: step_decay(0.1, 9, 1.0, 10), 0.1),               # first step not reached
    (lambda: step_decay(0.1, 10, 1.0, 10), 0.05),
    (lambda: step_decay(0.1, 25, 0.5, 10), 0.05),             # 0.1 / (1 + 0.5 * 2)
]


@pytest.mark.parametrize("call, expected", VALUES, ids=[str(v) for _, v in VALUES])
def test_values(call, expected):
    out = call()
    assert type(out) is float
    assert out == pytest.approx(expected, rel=1e-15)


def test_numpy_scalars_give_a_python_float():
    # lr0 as float32 (and epoch as a numpy int) still give a plain float: the rate is a scalar
    # hyperparameter, and a float keeps float32 parameters float32 in the optimizers.
    assert type(inverse_time_decay(np.float32(0.1), np.int64(3), np.float64(0.5))) is float
    assert type(step_decay(np.float32(0.1), np.int32(3), 0.5, np.int64(2))) is float


# --- property: never increases with the epoch ---------------------------------------------

rate = st.floats(1e-6, 10.0)
decay = st.floats(0.0, 10.0)
epoch = st.integers(0, 10_000)


@given(rate, decay, epoch)
def test_inverse_time_decay_never_increases(lr0, d, e):
    assert inverse_time_decay(lr0, e + 1, d) <= inverse_time_decay(lr0, e, d) <= lr0


@given(rate, st.floats(1e-3, 1.0), epoch)
def test_exponential_decay_never_increases(lr0, base, e):
    assert exponential_decay(lr0, e + 1, base) <= exponential_decay(lr0, e, base) <= lr0


@given(rate, st.floats(1e-3, 10.0), st.integers(1, 10_000))
def test_inverse_sqrt_decay_never_increases(lr0, k, e):
    assert inverse_sqrt_decay(lr0, e + 1, k) <= inverse_sqrt_decay(lr0, e, k) <= lr0 * k


@given(rate, decay, epoch, st.integers(1, 50))
def test_step_decay_never_increases_and_is_flat_within_an_interval(lr0, d, e, interval):
    assert step_decay(lr0, e + 1, d, interval) <= step_decay(lr0, e, d, interval) <= lr0
    start = e - e % interval
    assert step_decay(lr0, e, d, interval) == step_decay(lr0, start, d, interval)


# --- bad input ----------------------------------------------------------------------------

BAD = [
    (inverse_time_decay, (0.1, -1, 1.0), r"epoch must be >= 0, got epoch=-1"),
    (inverse_time_decay, (0.0, 1, 1.0), r"lr0 must be a positive number, got lr0=0.0"),
    (inverse_time_decay, (0.1, 1, -0.5), r"decay_rate must be a non-negative number"),
    (inverse_time_decay, (0.1, 1.5, 1.0), r"epoch must be an integer, got epoch=1.5"),
    (exponential_decay, (0.1, -2, 0.9), r"epoch must be >= 0"),
    (exponential_decay, (-0.1, 2, 0.9), r"lr0 must be a positive number"),
    (exponential_decay, (0.1, 2, 1.1), r"base must be a number in \(0, 1\], got base=1.1"),
    (exponential_decay, (0.1, 2, 0.0), r"base must be a number in \(0, 1\]"),
    (inverse_sqrt_decay, (0.1, 0), r"epoch must be >= 1, got epoch=0"),
    (inverse_sqrt_decay, (0.1, 4, 0.0), r"k must be a positive number"),
    (inverse_sqrt_decay, (math.nan, 4), r"lr0 must be a positive number"),
    (step_decay, (0.1, -1, 0.5, 10), r"epoch must be >= 0"),
    (step_decay, (0.1, 5, 0.5, 0), r"interval must be >= 1, got interval=0"),
    (step_decay, (0.1, 5, -0.5, 10), r"decay_rate must be a non-negative number"),
    (step_decay, (0.1, 5, 0.5, 2.0), r"interval must be an integer"),
]


@pytest.mark.parametrize("fn, args, match", BAD,
                         ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(BAD)])
def test_bad_input_raises_value_error(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)
