"""Batteries for the descent topic: minibatches and gradient_descent.

The contract fixes the draw order (one ``rng.permutation(m)`` per call of
``minibatches``, one call per epoch), so seeded cases compare exactly with the
reference.  A statistical case with its own seed (see ``_kit.statistical_seed``) checks the shuffle
itself, and passes any correct implementation whatever its draw order.

Optimizers and schedules in ``gradient_descent``'s arguments are the reference's
(e.g. ``reference.momentum``, ``functools.partial(reference.step_decay, 0.5, ...)``):
they stay on the trusted side and the student's code calls them back, guarded
(``_kit.small_args``) to run only on arrays no larger than the parameters ``[w, b]``
(an optimizer) or on numbers (a schedule).
"""
import functools

import numpy as np

import reference

from ..cases import Case, battery
from ..checks import CheckFailure, assert_close, check_binomial
from ..diagnosis import diagnose_case, on_inputs, replays
from ..mistakes.descent import GLOBAL_RNG
from ._kit import pure, raises, rng, small_args, statistical_seed, value

# ---------------------------------------------------------------- minibatches

def _shuffle_statistics(student, case):
    """Partition properties, then a binomial test that the order is a uniform shuffle.

    For a uniformly random permutation the relative orders of the disjoint value
    pairs (0, 1), (2, 3), ... are independent fair coins, so the count of pairs in
    increasing order is Binomial(m/2, 1/2) whatever the draw order.
    """
    m, k = case.args[:2]
    seed = statistical_seed(case.id)
    here = Case(case.problem, case.name, (m, k, np.random.default_rng(seed)))  # for diagnose_case
    got = student.call(case.problem, m, k, np.random.default_rng(seed))

    def fail(message):
        raise CheckFailure(message, diagnose_case(here, got))

    if not isinstance(got, (list, tuple)):
        fail(f"minibatches should return a list of index arrays, got {type(got).__name__}")
    again = student.call(case.problem, m, k, np.random.default_rng(seed))
    if not _same_batches(got, again):
        raise CheckFailure("two calls with identically seeded rngs gave different batches: "
                           "all randomness must come from the rng argument", GLOBAL_RNG)
    sizes = [k] * (m // k) + ([m % k] if m % k else [])
    batches = []
    for i, batch in enumerate(got):
        arr = np.asarray(batch) if isinstance(batch, (np.ndarray, list, tuple)) else None
        if arr is None or arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            fail(f"batch #{i} should be a 1-d array of integer indices")
        batches.append(arr)
    if len(batches) != len(sizes):
        fail(f"m = {m} with batch_size {k} should give {len(sizes)} batches "
             f"({m // k} of {k}{f' and one of {m % k}' if m % k else ''}), got {len(batches)}")
    got_sizes = [b.size for b in batches]
    if got_sizes != sizes:
        fail(f"the batch sizes should be {k}, {k}, ... with the last one {sizes[-1]}; got sizes "
             f"starting {got_sizes[:3]} and ending {got_sizes[-2:]}")
    order = np.concatenate(batches)
    if not np.array_equal(np.sort(order), np.arange(m)):
        fail("the batches should hold every index 0..m-1 exactly once")
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    ascending = int(np.sum(position[0::2] < position[1::2]))
    try:
        check_binomial(ascending, m // 2, 0.5,
                       what="pairs of indices (2i, 2i+1) kept in increasing order after the "
                            "shuffle (a uniform shuffle keeps half of them)")
    except CheckFailure as failure:
        failure.diagnosis = diagnose_case(here, got)
        raise


def _same_batches(a, b) -> bool:
    """Two lists of index arrays are identical."""
    if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)):
        return False
    try:
        return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b))
    except (TypeError, ValueError):
        return False


@battery("minibatches")
def minibatches():
    p = "minibatches"
    return [
        value(p, "m = 10, batch_size 3, no rng", 10, 3),
        value(p, "m = 10, batch_size 4, seeded rng", 10, 4, rng(40)),
        value(p, "batch_size None is one batch of all samples", 7, None, hidden=True),
        value(p, "batch_size None with a seeded rng", 7, None, kwargs={"rng": rng(42)},
              hidden=True),
        value(p, "SGD: batch_size 1, seeded rng", 6, 1, rng(43), hidden=True),
        value(p, "batch_size = m", 5, 5, rng(44), hidden=True),
        value(p, "m = 1", 1, 1, kwargs={"rng": rng(45)}, hidden=True),
        value(p, "batch_size 4 not dividing m = 11, seeded rng", 11, 4, rng(48), hidden=True,
              weight=2),
        value(p, "batch_size 5 not dividing m = 13, no rng", 13, 5, hidden=True),
        value(p, "batch_size 4 dividing m = 12, seeded rng", 12, 4, rng(49), hidden=True),
        Case(p, "a uniform shuffle into the right batches (statistical)", (2000, 300),
             hidden=True, weight=2, kind="custom", check=_shuffle_statistics),
        raises(p, "batch_size 0", 10, 0),
        raises(p, "negative batch_size", 10, -2),
        raises(p, "batch_size larger than m", 10, 11),
        raises(p, "batch_size 2.5 (not an integer)", 10, 2.5),
        raises(p, "m = 0", 0, 1),
        raises(p, "rng an int seed, not a Generator", 10, 3, 7),
    ]


# ---------------------------------------------------------------- gradient_descent

def _problem(seed, m=8, n=3):
    """``(X, y, w0, b0)``: a small, non-separable classification problem."""
    r = rng(seed)
    X = r.normal(0, 1, size=(m, n))
    y = (X @ r.normal(size=n) + r.normal(0, 1, size=m) > 0).astype(float)
    y[: min(m, 2)] = [1.0, 0.0][: min(m, 2)]
    return X, y, r.normal(0, 0.3, size=n), float(r.normal(0, 0.3))


INT_X = np.array([[1, -2, 0], [3, 1, -1], [0, 0, 2], [-1, 2, 1], [2, -1, 1]])
INT_Y = np.array([1, 0, 1, 0, 1])


def _float32_check(student, case):
    """float32 X and w give float32 w back; values compared with a float32 tolerance."""
    args, kwargs = case.inputs()
    got = student.call(case.problem, *args, **kwargs)
    expected = case.expected()
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        raise CheckFailure("gradient_descent should return a tuple (w, b, history)",
                           diagnose_case(case, got))
    w = got[0]
    if isinstance(w, np.ndarray) and w.dtype.kind == "f" and w.dtype != np.float32:
        raise CheckFailure(f"w came back as {w.dtype} for float32 X and w: keep the parameters "
                           "in the input's dtype", diagnose_case(case, got))
    try:
        assert_close(got, expected, rtol=1e-4, atol=1e-6)
    except CheckFailure as failure:
        failure.diagnosis = diagnose_case(case, got)
        raise


def _type_problem(got, n: int, epochs: int) -> str | None:
    """What is wrong with the types of ``(w, b, history)``, or None."""
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        return "gradient_descent should return a tuple (w, b, history)"
    w, b, history = got
    if not (isinstance(w, np.ndarray) and w.shape == (n,)):
        return f"w should be an array of shape ({n},), got {_describe(w)}"
    if not isinstance(b, float):
        return f"b should be a Python float (float(b)), got {_describe(b)}"
    for key in ("cost", "lr"):
        value = history.get(key) if isinstance(history, dict) else None
        if not (isinstance(value, np.ndarray) and value.shape == (epochs,)):
            return (f"history[{key!r}] should be an array of length epochs = {epochs}, got "
                    f"{_describe(value)}")
    return None


def _describe(value) -> str:
    """A value's type, and its shape when it has one."""
    shape = getattr(value, "shape", None)
    return type(value).__name__ + (f" of shape {shape}" if shape is not None else "")


def _returned_types(student, case):
    """``w`` an array of shape (n,), ``b`` a Python float, and ``history["cost"]`` and
    ``history["lr"]`` arrays of length ``epochs``; a mistake with the same problem names it."""
    args, kwargs = case.inputs()
    got = student.call(case.problem, *args, **kwargs)
    shape = (case.args[2].shape[0], kwargs["epochs"])
    problem = _type_problem(got, *shape)
    if problem:
        same = [known.message for known, out in replays(case.problem,
                                                        on_inputs(case.args, case.kwargs))
                if _type_problem(out, *shape) == problem]
        raise CheckFailure(problem, same[0] if same else None)


@battery("gradient_descent")
def gradient_descent():
    p = "gradient_descent"
    X0, y0, w0, b0 = _problem(50)  # public only: hidden inputs never appear in the release
    X, y, w, b = _problem(51)
    X6, y6, w6, b6 = _problem(52, 6, 2)
    X1, y1, w1, b1 = _problem(53, 1, 3)
    Xf, yf, wf, bf = _problem(54)
    tol = {"rtol": 1e-6, "atol": 1e-10}
    return [
        value(p, "batch GD, 5 epochs", X0, y0, w0, b0, kwargs={"lr": 0.5, "epochs": 5}, **tol),
        value(p, "SGD (batch_size 1), seeded rng, 3 epochs", X6, y6, w6, b6,
              kwargs={"lr": 0.2, "epochs": 3, "batch_size": 1, "rng": rng(61)}, **tol),
        value(p, "mini-batches of 3 with m = 8 (last batch smaller), seeded rng", X, y, w, b,
              kwargs={"lr": 0.3, "epochs": 4, "batch_size": 3, "rng": rng(62)}, hidden=True,
              weight=2, **tol),
        value(p, "mini-batches of 3 in order (rng None)", X, y, w, b,
              kwargs={"lr": 0.3, "epochs": 2, "batch_size": 3}, hidden=True, **tol),
        value(p, "momentum optimizer, mini-batches of 4", X, y, w, b,
              kwargs={"lr": 0.5, "epochs": 3, "batch_size": 4, "rng": rng(63),
                      "optimizer": small_args(reference.momentum, w.size + 1)},
              hidden=True, weight=2, **tol),
        value(p, "Adam (beta1 = 0.8), mini-batches of 3", X, y, w, b,
              kwargs={"lr": 0.05, "epochs": 3, "batch_size": 3, "rng": rng(64),
                      "optimizer": small_args(functools.partial(reference.adam, beta1=0.8),
                                              w.size + 1)},
              hidden=True, **tol),
        value(p, "step-decay schedule, batch GD", X, y, w, b,
              kwargs={"lr": 1.0, "epochs": 5, "schedule": small_args(functools.partial(
                  reference.step_decay, 0.5, decay_rate=1.0, interval=2), 1)},
              hidden=True, weight=2, **tol),
        value(p, "inverse-time schedule, mini-batches of 3", X, y, w, b,
              kwargs={"lr": 0.1, "epochs": 4, "batch_size": 3, "rng": rng(65),
                      "schedule": small_args(functools.partial(
                          reference.inverse_time_decay, 0.4, decay_rate=0.5), 1)},
              hidden=True, **tol),
        value(p, "L2 (lam = 0.8), batch GD", X, y, w, b,
              kwargs={"lr": 0.5, "epochs": 4, "lam": 0.8}, hidden=True, weight=2, **tol),
        value(p, "L2 (lam = 0.5) with mini-batches of 3: lam / m_batch", X, y, w, b,
              kwargs={"lr": 0.3, "epochs": 3, "batch_size": 3, "rng": rng(66), "lam": 0.5},
              hidden=True, **tol),
        value(p, "m = 1", X1, y1, w1, b1, kwargs={"lr": 0.5, "epochs": 3}, hidden=True, **tol),
        value(p, "integer X and y", INT_X, INT_Y, np.zeros(3), 0.0,
              kwargs={"lr": 0.1, "epochs": 3, "batch_size": 2}, hidden=True, **tol),
        Case(p, "float32 in, float32 out",
             (Xf.astype(np.float32), yf.astype(np.float32), wf.astype(np.float32), bf),
             {"lr": 0.3, "epochs": 3, "batch_size": 3, "rng": rng(67)}, hidden=True,
             kind="custom", dtype=True, check=_float32_check),
        pure(p, X, y, w, b, kwargs={"lr": 0.3, "epochs": 2, "batch_size": 3, "rng": rng(68),
                                    "lam": 0.3}, **tol),
        Case(p, "returns an array w, a float b and arrays of length epochs in history",
             (Xf.astype(np.float32), yf.astype(np.float32), wf.astype(np.float32), bf),
             {"lr": 0.3, "epochs": 3, "batch_size": 3, "rng": rng(69)}, hidden=True,
             weight=0.5, kind="custom", robust=True, check=_returned_types),
        raises(p, "lr = 0", X, y, w, b, lr=0.0, epochs=2),
        raises(p, "y of the wrong length", X, y[:-1], w, b, lr=0.1, epochs=2),
        raises(p, "epochs = 0", X, y, w, b, lr=0.1, epochs=0,
               rules=("ps2.gradient_descent.validate",)),
        raises(p, "lam < 0", X, y, w, b, lr=0.1, epochs=2, lam=-0.5),
        raises(p, "batch_size larger than m, rng None", X, y, w, b, lr=0.1, epochs=2,
               batch_size=9),
        raises(p, "rng an int seed, not a Generator", X, y, w, b, lr=0.1, epochs=2,
               batch_size=3, rng=7),
    ]
