"""The check library: every way a student's answer is judged.

Each check raises :class:`CheckFailure` with a message written for the student
(what was wrong, and where), and optionally a diagnosis naming the mistake.
Kinds: tolerance (:func:`assert_close`), sets (:func:`assert_same_sets`),
gradient (:func:`check_gradient`), property (:func:`check_property`),
statistical (:func:`check_binomial`, :func:`check_normal_sample`), purity
(:func:`assert_unchanged`) and dtype (inside :func:`assert_close`).

One rule for dtypes: a value comparison compares values, so booleans, integers and
floats are compared numerically; only a dtype case (``exact_dtype``) checks the
dtype, and says so ("has dtype bool; expected an int array").

All checks run on the trusted side, on values decoded by the safe codec.
"""
from __future__ import annotations

import math
from numbers import Real

import numpy as np

from .worker.codec import Unsafe

#: False-failure rate of every statistical check: a correct implementation
#: fails one with probability at most this, whatever the seed.
STAT_ALPHA = 1e-7


class CheckFailure(AssertionError):
    """A failed check.

    Parameters
    ----------
    message : str
        What was wrong, for the student.
    diagnosis : str, optional
        The likely mistake, in plain words.
    """

    def __init__(self, message: str, diagnosis: str | None = None):
        super().__init__(message)
        self.message, self.diagnosis = message, diagnosis


# ---------------------------------------------------------------- values

def _fmt(x) -> str:
    """A number for a message: 6 significant digits, tiny values not shown as 0."""
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return str(x)


def _type_name(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Unsafe):
        return f"a {value.type_name} object (only plain numpy arrays and Python values are accepted)"
    return f"a {type(value).__name__}"


def _as_array(got, name: str, expected: np.ndarray) -> np.ndarray:
    if isinstance(got, np.ndarray):
        return got
    if isinstance(got, (bool, int, float, np.generic)) and expected.ndim == 0:
        return np.asarray(got)
    if isinstance(got, (list, tuple)):
        try:
            arr = np.asarray(got)
        except ValueError:
            arr = None
        if arr is not None and arr.dtype.kind in "biuf":
            return arr
    raise CheckFailure(f"{name} should be {_type_name(expected)}, but it is {_type_name(got)}")


def assert_close(got, expected, *, rtol: float = 1e-7, atol: float = 1e-10,
                 name: str = "the result", exact_dtype: bool = False) -> None:
    """Compare ``got`` with ``expected`` within ``rtol``/``atol``, recursively.

    Arrays must match in shape; ``|got - expected| <= atol + rtol*|expected|``
    elementwise, with NaN equal only to NaN.  Booleans, integers and floats are
    compared as numbers, whatever their dtypes.  Tuples, lists and dicts are
    compared item by item.  With ``exact_dtype`` (the dtype cases only), every
    array must also have the expected kind of dtype: the same floating dtype
    (float32 in gives float32 out), an integer dtype, or bool.

    Raises
    ------
    CheckFailure
        Naming the item, both shapes and dtypes, the worst element and both values.
    """
    for leaf, arr, exp in _leaves(got, expected, name, exact_dtype):
        g64, e64 = arr.astype(np.float64), exp.astype(np.float64)
        err, _, within = _within(g64, e64, rtol, atol)
        bad = ~within
        if bad.any():
            score = np.where(bad, np.nan_to_num(err, nan=np.inf, posinf=np.inf), -1.0)
            worst = np.unravel_index(int(np.argmax(score)), bad.shape) if bad.ndim else ()
            where = f" at index {tuple(int(i) for i in worst)}" if bad.ndim else ""
            raise CheckFailure(
                f"{leaf} differs from the expected value in {int(bad.sum())} of {bad.size} "
                f"element(s); the worst is{where}: got {_fmt(g64[worst])}, expected "
                f"{_fmt(e64[worst])} (shape {arr.shape}, dtype {arr.dtype}; "
                f"tolerance rtol={rtol:g}, atol={atol:g})")


def _leaves(got, expected, name: str, exact_dtype: bool):
    """Walk ``got`` and ``expected`` together: yield ``(name, got_array, expected_array)``
    for every numeric leaf, after raising :class:`CheckFailure` on any difference of
    structure, type, shape or (with ``exact_dtype``) dtype (:func:`same_dtype_kind`).
    ``got`` may hold more dict keys than ``expected``."""
    if isinstance(got, Unsafe):
        raise CheckFailure(f"{name} is {_type_name(got)}")
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            raise CheckFailure(f"{name} should be a dict with keys {sorted(expected)}, "
                               f"but it is {_type_name(got)}")
        missing = sorted(set(expected) - set(got))
        if missing:
            raise CheckFailure(f"{name} is missing the key(s) {missing}; it has {sorted(got)}")
        for key in expected:
            yield from _leaves(got[key], expected[key], f"{name}[{key!r}]", exact_dtype)
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise CheckFailure(f"{name} should be a {type(expected).__name__} of "
                               f"{len(expected)} items, but it is {_type_name(got)}"
                               + (f" of {len(got)} items" if isinstance(got, (tuple, list)) else ""))
        for i, (g, e) in enumerate(zip(got, expected)):
            yield from _leaves(g, e, f"{name}[{i}]", exact_dtype)
        return
    if expected is None:
        if got is not None:
            raise CheckFailure(f"{name} should be None, but it is {_type_name(got)}")
        return
    exp = np.asarray(expected)
    arr = _as_array(got, name, exp)
    if arr.shape != exp.shape:
        raise CheckFailure(f"{name} has shape {arr.shape}, expected shape {exp.shape}")
    if arr.dtype.kind not in "biuf":
        raise CheckFailure(f"{name} should be numeric, but its dtype is {arr.dtype}")
    if exact_dtype and not same_dtype_kind(arr.dtype, exp.dtype):
        raise CheckFailure(dtype_message(name, arr, exp))
    yield name, arr, exp


def same_dtype_kind(got: np.dtype, expected: np.dtype) -> bool:
    """The dtype rule of the dtype cases: the same floating dtype, any integer dtype
    for an integer one, bool for bool."""
    if expected.kind == "f":
        return got == expected
    if expected.kind in "iu":
        return got.kind in "iu"
    return got.kind == expected.kind


#: What a dtype case expects, by the kind of the expected dtype, and the usual fix.
_DTYPE_WORDS = {"i": ("an int", "cast with .astype(int)"),
                "u": ("an int", "cast with .astype(int)"),
                "b": ("a bool", "compare, e.g. x < p, and keep the booleans")}


def dtype_message(name: str, got: np.ndarray, expected: np.ndarray) -> str:
    """A dtype case's failure: "the result has dtype bool; expected an int array (...)"."""
    what, fix = _DTYPE_WORDS.get(expected.dtype.kind, (
        f"a {expected.dtype}", "compute in the input's floating dtype"))
    noun = "array" if expected.ndim else "value"
    return f"{name} has dtype {got.dtype}; expected {what} {noun} ({fix})"


def _within(g64: np.ndarray, e64: np.ndarray, rtol: float, atol: float):
    """``(|g - e|, atol + rtol*|e|, within)``: within the tolerance elementwise, with NaN
    equal only to NaN and an infinity equal only to itself (its tolerance is infinite)."""
    with np.errstate(invalid="ignore"):
        err = np.abs(g64 - e64)
    tol = atol + rtol * np.abs(e64)
    within = ((err <= tol) & np.isfinite(e64)) | (np.isnan(g64) & np.isnan(e64)) | (g64 == e64)
    return err, tol, within


def error_ratio(got, expected, *, rtol: float, atol: float, exact_dtype: bool = False) -> float:
    """How far ``got`` is from ``expected``, in units of the tolerance.

    The largest ``|got - expected| / (atol + rtol*|expected|)`` over every element of
    every item (tuples, lists and dicts item by item), where equal values (NaN and
    NaN, an infinity and itself) count 0.  :func:`assert_close` passes exactly when
    this is at most 1.  It is ``inf`` where the two differ in structure (a key of
    ``expected`` missing from ``got``), type, shape or (with ``exact_dtype``) dtype,
    or where NaN meets a number.
    """
    try:
        leaves = list(_leaves(got, expected, "", exact_dtype))
    except CheckFailure:
        return math.inf
    worst = 0.0
    for _, arr, exp in leaves:
        g64, e64 = arr.astype(np.float64), exp.astype(np.float64)
        err, tol, within = _within(g64, e64, rtol, atol)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = err / tol
        finite = np.isfinite(ratio)
        ratio = np.where(within, np.where(finite, ratio, 0.0), np.where(finite, ratio, np.inf))
        worst = max(worst, float(ratio.max(initial=0.0)))
    return worst


def matches(got, expected, *, rtol: float = 1e-7, atol: float = 1e-10,
            exact_dtype: bool = False) -> bool:
    """True when :func:`assert_close` would pass."""
    try:
        assert_close(got, expected, rtol=rtol, atol=atol, exact_dtype=exact_dtype)
        return True
    except CheckFailure:
        return False


def assert_same_sets(got, expected, *, name: str = "the result") -> None:
    """Compare lists of index arrays as sets: order inside each array is free."""
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        raise CheckFailure(f"{name} should be a list of {len(expected)} index arrays, "
                           f"but it is {_type_name(got)}")
    for i, (g, e) in enumerate(zip(got, expected)):
        if isinstance(e, (tuple, list)):
            assert_same_sets(g, e, name=f"{name}[{i}]")
            continue
        arr = _as_array(g, f"{name}[{i}]", np.asarray(e))
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise CheckFailure(f"{name}[{i}] should be a 1-d integer index array, "
                               f"but it is {_type_name(arr)}")
        gs, es = set(arr.tolist()), set(np.asarray(e).tolist())
        if len(gs) != arr.size:
            raise CheckFailure(f"{name}[{i}] repeats an index")
        if gs != es:
            extra, lost = sorted(gs - es)[:5], sorted(es - gs)[:5]
            raise CheckFailure(f"{name}[{i}] holds the wrong indices ({len(gs)} given, "
                               f"{len(es)} expected); unexpected: {extra}, missing: {lost}")


def assert_unchanged(before, after, *, name: str) -> None:
    """Purity: the argument ``name`` must be exactly as it was before the call.

    Like is compared with like (:func:`changed`): arrays by value, shape and
    dtype, plain values by equality; what cannot be compared is never "changed".
    """
    if isinstance(before, dict) and isinstance(after, dict) and set(after) != set(before):
        raise CheckFailure(f"your function changed its input {name} in place (keys "
                           f"{sorted(set(after) ^ set(before))} added or removed); "
                           "build and return a new dict instead", "mutates its input")
    if changed(before, after):
        raise CheckFailure(f"your function changed its input {name} in place; "
                           "work on a copy and return a new value instead",
                           "mutates its input")


#: Plain values that purity compares by equality.
_PLAIN = (str, bytes, bool, int, float, complex, np.generic, type(None))


def changed(before, after) -> bool:
    """True when ``after`` provably differs from ``before``, the value sent.

    Arrays differ in shape, dtype or any value (NaN equals NaN, 0.0 equals -0.0);
    plain values (str, numbers, None, numpy scalars) by ``!=``; tuples, lists and
    dicts item by item.  Anything else (a Generator, whose draws are its purpose, a
    trusted function's stand-in, an object that cannot be compared) never differs.
    """
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or (after.shape, after.dtype) != (before.shape,
                                                                             before.dtype):
            return True
        if before.dtype.kind in "fc":
            return not np.array_equal(before, after, equal_nan=True)
        return not np.array_equal(before, after)
    if isinstance(before, (list, tuple)):
        return (not isinstance(after, (list, tuple)) or len(after) != len(before)
                or any(changed(b, a) for b, a in zip(before, after)))
    if isinstance(before, dict):
        return (not isinstance(after, dict) or set(after) != set(before)
                or any(changed(before[k], after[k]) for k in before))
    if isinstance(before, _PLAIN):
        if not isinstance(after, _PLAIN):
            return True
        both_nan = all(isinstance(v, (float, np.floating)) and v != v for v in (before, after))
        return not both_nan and bool(before != after)
    return False


# ---------------------------------------------------------------- gradients

def check_gradient(f, x: np.ndarray, analytic: np.ndarray, *, h: float = 1e-6,
                   rtol: float = 1e-5, floor: float = 1e-7, directions: int = 0,
                   rng: np.random.Generator | None = None, name: str = "the gradient") -> None:
    """Compare an analytic gradient of scalar ``f`` at ``x`` with central differences.

    The relative error is ``|a - n| / max(floor, |a| + |n|)``, so 0/0 is 0.  With
    ``directions > 0``, ``v^T grad`` is checked along that many random unit
    directions (2 evaluations each) instead of one pair per element.
    ``x`` is never modified.

    Raises
    ------
    CheckFailure
        Naming the worst index (or direction) with both values side by side.
    """
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != x.shape:
        raise CheckFailure(f"{name} has shape {analytic.shape}, expected {x.shape}")
    if directions:
        rng = rng or np.random.default_rng(0)
        for k in range(directions):
            v = rng.standard_normal(x.shape)
            v /= np.linalg.norm(v) or 1.0
            num = (float(f(x + h * v)) - float(f(x - h * v))) / (2 * h)
            ana = float(np.sum(analytic * v))
            err = abs(ana - num) / max(floor, abs(ana) + abs(num))
            if not err <= rtol:
                raise CheckFailure(f"{name} disagrees with a numerical gradient along a random "
                                   f"direction (#{k}): analytic {_fmt(ana)}, numerical "
                                   f"{_fmt(num)}, relative error {err:.2e}")
        return
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        num[idx] = (float(f(x + e)) - float(f(x - e))) / (2 * h)
    err = np.abs(analytic - num) / np.maximum(floor, np.abs(analytic) + np.abs(num))
    err = np.where(np.isnan(err), np.inf, err)
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    if not err[worst] <= rtol:
        raise CheckFailure(f"{name} disagrees with a numerical gradient at index "
                           f"{tuple(int(i) for i in worst)}: analytic {_fmt(analytic[worst])}, "
                           f"numerical {_fmt(num[worst])}, relative error {err[worst]:.2e}")


# ---------------------------------------------------------------- properties

def check_property(ok: bool, message: str, diagnosis: str | None = None) -> None:
    """Fail with ``message`` unless the property ``ok`` holds."""
    if not ok:
        raise CheckFailure(message, diagnosis)


# ---------------------------------------------------------------- statistics

def _normal_quantile(alpha: float) -> float:
    """z with P(|N(0,1)| > z) = alpha, by bisection on erfc."""
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erfc(mid / math.sqrt(2)) > alpha else (lo, mid)
    return hi


def check_binomial(k: int, n: int, p: float, *, what: str, alpha: float = STAT_ALPHA) -> None:
    """Two-sided test that ``k`` successes of ``n`` fit a rate ``p``.

    Uses Hoeffding's bound ``P(|k/n - p| >= t) <= 2 exp(-2 n t^2)``, which holds
    for every n, so a correct implementation fails with probability <= ``alpha``.
    """
    t = math.sqrt(math.log(2 / alpha) / (2 * n))
    rate = k / n
    if abs(rate - p) >= t:
        raise CheckFailure(f"{what}: observed rate {rate:.4f} over {n} draws, expected "
                           f"{p:.4f} (allowed ±{t:.4f}, false-failure rate {alpha:g})")


def check_normal_sample(sample, *, std: float, what: str, alpha: float = STAT_ALPHA) -> None:
    """Test that ``sample`` looks like i.i.d. ``N(0, std^2)``.

    The mean is tested with a normal quantile and the variance with the
    Wilson-Hilferty normal approximation of the chi-square distribution, each at
    ``alpha/2``.  Both are accurate far into the tails for the n >= 1000 samples
    the batteries draw, so a correct implementation fails with probability of
    about ``alpha`` at most.
    """
    x = np.asarray(sample, dtype=np.float64).ravel()
    n = x.size
    if std == 0:
        check_property(np.all(x == 0), f"{what}: expected all zeros")
        return
    z = _normal_quantile(alpha / 2)
    mean_bound = z * std / math.sqrt(n)
    if abs(x.mean()) > mean_bound:
        raise CheckFailure(f"{what}: sample mean {x.mean():.4g} is too far from 0 "
                           f"(allowed ±{mean_bound:.3g} for std {std:.4g})")
    q = float(np.sum(x ** 2)) / std ** 2          # ~ chi-square with n dof
    c = 2 / (9 * n)
    lo = n * (1 - c - z * math.sqrt(c)) ** 3
    hi = n * (1 - c + z * math.sqrt(c)) ** 3
    if not lo <= q <= hi:
        raise CheckFailure(f"{what}: sample std {math.sqrt(q / n) * std:.4g} does not fit the "
                           f"expected std {std:.4g} (n={n}, false-failure rate {alpha:g})")


def is_real(x) -> bool:
    """True for a real scalar (Python or numpy), false for bools and arrays."""
    return isinstance(x, (Real, np.floating, np.integer)) and not isinstance(x, (bool, np.bool_))
