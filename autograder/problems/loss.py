"""Batteries for the loss topic: bce_loss, bce_cost, bce_grad, bce_with_logits.

Predictions of exactly 0 and 1 must give finite values with no warning (clipping
to ``[eps, 1-eps]``).  There the reference clips ``1 - y_hat`` on its own, while
the literal ``log(1 - clip(y_hat))`` loses a few digits to the rounding of
``1 - 1e-12``; both are correct, so those cases carry a looser tolerance
(``rtol`` 1e-5 on the loss, 2e-4 on the gradient, whose ``1/(1-p)`` magnifies it).
"""
import numpy as np

import reference

from ..cases import Case, battery
from ..checks import CheckFailure, check_gradient
from ..diagnosis import diagnose_case
from ._kit import float32, pure, raises, rng, value


def _pair(seed, m=6):
    """Predictions strictly inside (0, 1) and labels in {0, 1}, both float64."""
    r = rng(seed)
    y_hat = r.uniform(0.05, 0.95, size=m)
    y = (r.random(m) < 0.5).astype(float)
    y[:2] = [0.0, 1.0]  # both classes present
    return y_hat, y


#: y_hat of exactly 0 and 1, right and confidently wrong
EDGE_YHAT = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
EDGE_Y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
#: the same in float32, where 1 - 1e-12 rounds to 1: clip 1 - y_hat on its own
EDGE32 = (EDGE_YHAT.astype(np.float32), EDGE_Y.astype(np.float32))
#: integer input: y_hat in {0, 1} as ints (cast to float64)
INT_YHAT = np.array([0, 1, 1, 0])
INT_Y = np.array([0, 1, 0, 1])
#: y_hat next to 0 and 1, where a custom eps matters (and 1e-9 tells a fixed 1e-7 from none)
NEAR_YHAT = np.array([1e-6, 1 - 1e-6, 0.3, 1e-5, 1e-9])
NEAR_Y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])


def _bad_values(p: str) -> list:
    """Probabilities outside [0, 1] and labels outside {0, 1} must raise."""
    return [raises(p, "y_hat outside [0, 1]", np.array([0.2, 1.5, 0.4]), np.array([0.0, 1.0, 1.0]),
                   rules=("ps1.bce.ranges",)),
            raises(p, "labels other than 0 and 1", np.array([0.2, 0.5, 0.4]),
                   np.array([0.0, 2.0, 1.0]), rules=("ps1.bce.ranges",))]


def _logits(seed, m=7):
    r = rng(seed)
    return r.normal(0, 3, size=m), (r.random(m) < 0.5).astype(float)


Z_LARGE = np.array([-1e4, -800.0, -50.0, -1e-3, 0.0, 1e-3, 50.0, 800.0, 1e4, 35.0])
Y_LARGE = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0])


@battery("bce_loss")
def bce_loss():
    p = "bce_loss"
    return [
        value(p, "six predictions", *_pair(1)),
        value(p, "confident and unsure predictions",
              np.array([0.99, 0.01, 0.5, 0.8]), np.array([1.0, 1.0, 0.0, 0.0])),
        value(p, "y_hat of exactly 0 and 1 is finite and silent", EDGE_YHAT, EDGE_Y,
              hidden=True, weight=2, rtol=1e-5, atol=1e-10, silent=True),
        value(p, "float32 y_hat of exactly 0 and 1 is finite and silent", *EDGE32,
              hidden=True, rtol=1e-5, atol=1e-6, silent=True,
              rules=("ps1.bce.float32-boundary",)),
        value(p, "m = 1", np.array([0.3]), np.array([1.0]), hidden=True),
        value(p, "integer input gives float64", INT_YHAT, INT_Y, hidden=True, dtype=True,
              rtol=1e-5, silent=True),
        value(p, "a custom eps", NEAR_YHAT, NEAR_Y, kwargs={"eps": 1e-3}, hidden=True),
        value(p, "40 random predictions", *_pair(2, 40), hidden=True),
        float32(p, *_pair(3)),
        pure(p, *_pair(4)),
        raises(p, "y_hat and y of different lengths", np.array([0.2, 0.4, 0.6]),
               np.array([0.0, 1.0])),
        raises(p, "y_hat of shape (m, 1) with y of shape (m,)",
               np.array([[0.2], [0.7], [0.4]]), np.array([0.0, 1.0, 1.0]),
               rules=("ps1.bce.same-shape",)),
        *_bad_values(p),
    ]


@battery("bce_cost")
def bce_cost():
    p = "bce_cost"
    return [
        value(p, "six predictions", *_pair(11)),
        value(p, "y_hat of exactly 0 and 1 is finite and silent", EDGE_YHAT, EDGE_Y,
              hidden=True, weight=2, rtol=1e-5, silent=True),
        value(p, "float32 y_hat of exactly 0 and 1 is finite and silent", *EDGE32,
              hidden=True, rtol=1e-5, atol=1e-6, silent=True,
              rules=("ps1.bce.float32-boundary",)),
        value(p, "m = 1", np.array([0.8]), np.array([0.0]), hidden=True),
        value(p, "50 random predictions", *_pair(12, 50), hidden=True),
        value(p, "a custom eps", NEAR_YHAT, NEAR_Y, kwargs={"eps": 1e-3}, hidden=True),
        value(p, "integer input gives float64", INT_YHAT, INT_Y, hidden=True, dtype=True,
              rtol=1e-5),
        float32(p, *_pair(13)),
        pure(p, *_pair(14)),
        raises(p, "y_hat and y of different lengths", np.array([0.2, 0.4, 0.6]),
               np.array([0.0, 1.0])),
    ]


def _grad_check(student, case):
    """bce_grad against central differences of the reference bce_cost."""

    y_hat, y = case.args
    got = student.call("bce_grad", y_hat, y)
    arr = np.asarray(got, dtype=float) if isinstance(got, (np.ndarray, list, tuple)) else None
    if arr is None or arr.shape != y_hat.shape:
        raise CheckFailure(f"bce_grad should return an array of shape {y_hat.shape}",
                           diagnose_case(case, got))
    try:
        check_gradient(lambda p: reference.bce_cost(p, y), y_hat, arr, h=1e-7,
                       name="dJ/dy_hat")
    except CheckFailure as failure:
        failure.diagnosis = diagnose_case(case, got)
        if failure.diagnosis is None:
            num = reference.bce_grad(y_hat, y)
            if np.allclose(arr, num * y.size, rtol=1e-5):
                failure.diagnosis = ("your gradient is m times too large: J is the mean of "
                                     "the losses, so dJ/dy_hat carries a factor 1/m")
        raise


@battery("bce_grad")
def bce_grad():
    p = "bce_grad"
    return [
        value(p, "six predictions", *_pair(21)),
        value(p, "y_hat of exactly 0 and 1 is finite and silent", EDGE_YHAT, EDGE_Y,
              hidden=True, weight=2, rtol=2e-4, silent=True),
        value(p, "m = 1", np.array([0.25]), np.array([1.0]), hidden=True),
        value(p, "a custom eps", NEAR_YHAT, NEAR_Y, kwargs={"eps": 1e-3}, hidden=True,
              rtol=1e-6),
        value(p, "integer input gives float64", INT_YHAT, INT_Y, hidden=True, dtype=True,
              rtol=2e-4),
        Case(p, "matches a numerical gradient of J", _pair(22, 5), hidden=True,
             kind="custom", check=_grad_check),
        float32(p, *_pair(23)),
        pure(p, *_pair(24)),
        raises(p, "y_hat and y of different lengths", np.array([0.2, 0.4, 0.6]),
               np.array([0.0, 1.0])),
        *_bad_values(p),
    ]


@battery("bce_with_logits")
def bce_with_logits():
    p = "bce_with_logits"
    return [
        value(p, "seven logits", *_logits(31)),
        value(p, "z from -4 to 4", np.linspace(-4, 4, 9),
              np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0])),
        value(p, "large |z| is finite and silent", Z_LARGE, Y_LARGE, hidden=True, weight=2,
              silent=True),
        value(p, "m = 1", np.array([-2.5]), np.array([1.0]), hidden=True),
        value(p, "integer input gives float64", np.array([-3, 0, 2, 5]),
              np.array([1, 0, 1, 0]), hidden=True, dtype=True),
        value(p, "60 random logits", *_logits(32, 60), hidden=True),
        float32(p, *_logits(33)),
        pure(p, *_logits(34)),
        raises(p, "z and y of different lengths", np.array([0.2, -1.0, 3.0]),
               np.array([0.0, 1.0])),
    ]
