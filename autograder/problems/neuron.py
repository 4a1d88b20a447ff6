"""Batteries for the neuron topic: neuron_forward, neuron_cost, neuron_gradients, predict."""
import numpy as np

import reference

from ..cases import Case, battery
from ..checks import CheckFailure, check_gradient, is_real
from ..diagnosis import diagnose_case
from ._kit import float32, pure, raises, rng, value


def _data(seed, m=5, n=3, scale=1.0):
    """``(X, y, w, b)``: standard-normal features, both classes, a float bias."""
    r = rng(seed)
    X = r.normal(0, 1.5, size=(m, n))
    y = (r.random(m) < 0.5).astype(float)
    y[: min(m, 2)] = [1.0, 0.0][: min(m, 2)]
    w = r.normal(0, scale, size=n)
    b = float(r.normal())
    return X, y, w, b


def _xwb(seed, m=5, n=3, scale=1.0):
    X, _, w, b = _data(seed, m, n, scale)
    return X, w, b


#: integer input (cast to float64 by the student)
INT_X = np.array([[1, -2, 0], [3, 1, -1], [0, 0, 2], [-1, 2, 1]])
INT_Y = np.array([1, 0, 1, 0])
INT_W = np.array([1, -1, 2])

#: z = X @ [1, 1] + 0.7 from -800 to 900, with some moderate values
LARGE_X = np.array([[-800.0, 0.0], [-40.0, 5.0], [0.5, 0.2], [40.0, -2.0], [900.0, 0.0],
                    [-3.0, 1.0]])

#: logits 45 and -800: sigma is exactly 1 and 0 in float64, both confidently wrong
SAT_X = np.array([[45.0, 0.0], [-800.0, 0.0], [1.0, 2.0], [-0.5, 1.0]])
SAT_Y = np.array([0.0, 1.0, 1.0, 0.0])
SAT_W = np.array([1.0, 0.5])

#: predict: z = X @ w + b is exactly 0 (y_hat = 0.5) in rows 0 and 3, in (0, 0.5) in rows 1, 4
TIE_X = np.array([[2.0, 2.0], [0.5, 0.25], [-1.0, 1.0], [0.0, 0.0], [1.0, 0.875], [3.0, -1.0]])
TIE_W = np.array([1.0, -1.0])


@battery("neuron_forward")
def neuron_forward():
    p = "neuron_forward"
    return [
        value(p, "5 samples, 3 features", *_xwb(1)),
        value(p, "4 samples, 4 features", *_xwb(2, 4, 4), hidden=True),
        value(p, "2 samples, 6 features (n > m)", *_xwb(3, 2, 6), hidden=True),
        value(p, "m = 1", *_xwb(4, 1, 3), hidden=True),
        value(p, "large |z| is finite", LARGE_X, np.ones(2), 0.7, hidden=True, atol=1e-12),
        value(p, "integer X and w give float64", INT_X, INT_W, 1, hidden=True, dtype=True),
        float32(p, *_xwb(6)),
        Case(p, "float32 X and w with a NumPy float64 bias stay float32",
             _f32(*_xwb(9))[:2] + (np.float64(0.7),), hidden=True, dtype=True, rtol=2e-5,
             atol=1e-6),
        pure(p, *_xwb(7)),
        raises(p, "w of the wrong length", _xwb(8)[0], np.ones(4), 0.5),
        raises(p, "X of one dimension", np.ones(3), np.ones(3), 0.5, rules=("ps1.neuron.shapes",)),
        raises(p, "b not a scalar", _xwb(8)[0], np.ones(3), np.ones(2)),
    ]


def _saturated(student, case):
    """Predictions of exactly 0 and 1 must give a finite J (the clipped or the exact value)."""

    X, y, w, b = case.args
    p = case.problem
    got = student.call(p, X, y, w, b)
    z = X @ w + b
    clipped = reference.neuron_cost(X, y, w, b)
    exact = np.mean(reference.bce_with_logits(z, y))
    if not is_real(got) and not (isinstance(got, np.ndarray) and got.shape == ()):
        raise CheckFailure(f"{p} should return one number, but it returned "
                           f"{type(got).__name__}", diagnose_case(case, got))
    val = float(got)
    if not np.isfinite(val):
        raise CheckFailure(f"J is {val} when some y_hat is exactly 0 or 1 (sigma saturates for "
                           "|z| > 37); clip y_hat to [eps, 1-eps] as bce_cost does",
                           diagnose_case(case, got))
    if not (np.isclose(val, clipped, rtol=1e-5) or np.isclose(val, exact, rtol=1e-5)):
        raise CheckFailure(f"J is {val:.6g} with saturated predictions; expected {clipped:.6g} "
                           f"(y_hat clipped to [1e-12, 1-1e-12]) or the exact {exact:.6g}",
                           diagnose_case(case, got))


@battery("neuron_cost")
def neuron_cost():
    p = "neuron_cost"
    return [
        value(p, "5 samples, 3 features", *_data(11)),
        value(p, "3 samples, 7 features (n > m)", *_data(12, 3, 7), hidden=True),
        value(p, "m = 1", *_data(13, 1, 2), hidden=True),
        value(p, "40 samples, 3 features", *_data(14, 40, 3), hidden=True),
        value(p, "integer input gives float64", INT_X, INT_Y, INT_W, 0, hidden=True, dtype=True),
        Case(p, "saturated predictions (y_hat exactly 0 or 1) give a finite J",
             (SAT_X, SAT_Y, SAT_W, 0.0), hidden=True, kind="custom", check=_saturated),
        float32(p, *_data(15)),
        pure(p, *_data(16)),
        raises(p, "y of the wrong length", _data(17)[0], np.array([0.0, 1.0]), *_data(17)[2:]),
        raises(p, "labels other than 0 and 1", _data(17)[0], np.array([0.0, 1.0, 2.0, 1.0, 0.0]),
               *_data(17)[2:], rules=("ps1.neuron.labels",)),
    ]


def _gradient_check(student, case):
    """(dw, db) against central differences of the reference neuron_cost."""

    X, y, w, b = case.args
    got = student.call("neuron_gradients", X, y, w, b)
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise CheckFailure("neuron_gradients should return a pair (dw, db)",
                           diagnose_case(case, got))
    dw, db = got
    try:
        analytic = np.append(np.asarray(dw, dtype=float).ravel(), float(np.asarray(db)))
    except (TypeError, ValueError):
        raise CheckFailure("dw should be an array of shape (n,) and db a number",
                           diagnose_case(case, got)) from None
    theta = np.append(w, b)
    if analytic.shape != theta.shape:
        raise CheckFailure(f"(dw, db) should hold {theta.size} numbers (n = {w.size} for dw, "
                           f"1 for db), but it holds {analytic.size}", diagnose_case(case, got))
    cost = lambda t: reference.neuron_cost(X, y, t[:-1], t[-1])  # noqa: E731
    try:
        check_gradient(cost, theta, analytic, name="(dw, db)")
    except CheckFailure as failure:
        failure.diagnosis = diagnose_case(case, got)
        numeric = np.append(*reference.neuron_gradients(X, y, w, b))
        m = X.shape[0]
        if failure.diagnosis is None and np.allclose(analytic, m * numeric, rtol=1e-4):
            failure.diagnosis = ("your gradient is off by a factor of m: did you forget to "
                                 "average over the batch?")
        elif failure.diagnosis is None and np.allclose(analytic, -numeric, rtol=1e-4):
            failure.diagnosis = "your gradient has the wrong sign: dz = y_hat - y"
        raise


@battery("neuron_gradients")
def neuron_gradients():
    p = "neuron_gradients"
    return [
        value(p, "5 samples, 3 features", *_data(21)),
        value(p, "4 samples, 4 features", *_data(22, 4, 4), hidden=True),
        value(p, "3 samples, 5 features (n > m)", *_data(23, 3, 5), hidden=True),
        value(p, "m = 1", *_data(24, 1, 3), hidden=True),
        value(p, "50 samples, 2 features", *_data(25, 50, 2), hidden=True),
        value(p, "integer input gives float64", INT_X, INT_Y, INT_W, 1, hidden=True, dtype=True),
        value(p, "saturated predictions (y_hat exactly 0 or 1)", SAT_X, SAT_Y, SAT_W, 0.0,
              hidden=True, silent=True),
        Case(p, "matches a numerical gradient of J", _data(26, 6, 3), hidden=True,
             weight=2, kind="custom", check=_gradient_check),
        float32(p, *_data(27)),
        pure(p, *_data(28)),
        raises(p, "y of the wrong length", _data(29)[0], np.array([0.0, 1.0]), *_data(29)[2:]),
        raises(p, "w of the wrong length", *_data(29)[:2], np.ones(5), 0.0),
    ]


def _f32(X, w, b):
    return X.astype(np.float32), w.astype(np.float32), b


def _f32_predict():
    return _f32(*_xwb(37, 8, 3))


@battery("predict")
def predict():
    p = "predict"
    return [
        value(p, "6 samples, 3 features", *_xwb(31, 6, 3)),
        value(p, "threshold 0.7", *_xwb(32, 8, 2), kwargs={"threshold": 0.7}),
        value(p, "y_hat exactly at the threshold counts as 1", TIE_X, TIE_W, 0.0, hidden=True,
              weight=2),
        value(p, "threshold 0.3 with b != 0", TIE_X, TIE_W, -0.25, kwargs={"threshold": 0.3},
              hidden=True),
        value(p, "m = 1", *_xwb(33, 1, 4), hidden=True),
        value(p, "integer X and w", INT_X, INT_W, -1, hidden=True),
        value(p, "float32 input gives integer labels", *_f32_predict(), hidden=True, dtype=True),
        pure(p, *_xwb(34, 6, 3)),
        raises(p, "w of the wrong length", _xwb(35)[0], np.ones(2), 0.0),
        raises(p, "threshold outside [0, 1]", *_xwb(35), threshold=1.5,
               rules=("ps1.predict.threshold-range",)),
    ]
