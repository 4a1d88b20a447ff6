"""Input checks shared by every reference module.

Inputs are checked once, at the boundary, with these helpers; the math after
that is plain vectorized numpy.  Every error names the argument, what was
expected and what was received.
"""
from __future__ import annotations

import numbers

import numpy as np


def as_float(x, name: str) -> np.ndarray:
    """Return ``x`` as a floating ndarray, keeping float32/float64.

    Integer and boolean input is cast to float64; other dtypes are rejected.
    The result may share memory with ``x``: callers must never write into it.

    Parameters
    ----------
    x : array-like
        The value to convert.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    ndarray
        A floating array (float16/32/64 kept, integers -> float64).
    """
    arr = np.asarray(x)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "iub":
        return arr.astype(np.float64)
    raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")


def check_ndim(x: np.ndarray, ndim: int, name: str, shape_doc: str) -> None:
    """Raise ``ValueError`` unless ``x.ndim == ndim``."""
    if x.ndim != ndim:
        raise ValueError(f"{name} must have shape {shape_doc}, got shape {x.shape}")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, "
            f"got {name_a}.shape={a.shape} and {name_b}.shape={b.shape}"
        )


def _is_real(value) -> bool:
    """A finite real number, and not a bool (``True`` is no learning rate)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and bool(np.isfinite(value)))


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is > 0."""
    if not _is_real(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {name}={value!r}")
    return float(value)


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is >= 0."""
    if not _is_real(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {name}={value!r}")
    return float(value)


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]``, else raise ``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {name}={value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {name}={value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {name}={value}")
    return value


def check_rng(rng, name: str = "rng", optional: bool = False):
    """Raise ``ValueError`` unless ``rng`` is a ``numpy.random.Generator``."""
    if rng is None and optional:
        return None
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_data(X, y):
    """Validate a design matrix ``X`` (m, n) and labels ``y`` (m,).

    Returns
    -------
    X : ndarray of shape (m, n), floating
    y : ndarray of shape (m,), in X's floating dtype
    """
    X = as_float(X, "X")
    check_ndim(X, 2, "X", "(m, n)")
    y = np.asarray(y)
    check_ndim(y, 1, "y", "(m,)")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples m, "
            f"got X.shape={X.shape} and y.shape={y.shape}"
        )
    return X, y.astype(X.dtype, copy=False)


def check_params(X: np.ndarray, w, b):
    """Validate neuron parameters ``w`` (n,) and scalar ``b`` against ``X`` (m, n).

    Returns
    -------
    w : ndarray of shape (n,), floating
    b : float
    """
    w = as_float(w, "w")
    check_ndim(w, 1, "w", "(n,)")
    if w.shape[0] != X.shape[1]:
        raise ValueError(
            f"w must have shape (n,) = ({X.shape[1]},) to match X.shape={X.shape}, "
            f"got w.shape={w.shape}"
        )
    if np.ndim(b) != 0:
        raise ValueError(f"b must be a scalar, got an array of shape {np.shape(b)}")
    return w, b


def check_real_in(value, name: str, low: float, high: float,
                  low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it lies in the interval.

    The interval is ``[low, high]``; ``low_open``/``high_open`` exclude an end,
    e.g. ``check_real_in(beta, "beta", 0, 1, high_open=True)`` demands ``[0, 1)``.
    """
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    ok = (_is_real(value)
          and (value > low if low_open else value >= low)
          and (value < high if high_open else value <= high))
    if not ok:
        raise ValueError(f"{name} must be a number in {interval}, got {name}={value!r}")
    return float(value)


def check_unit_values(x: np.ndarray, name: str, hint: str = "") -> None:
    """Raise ``ValueError`` unless every entry of ``x`` lies in ``[0, 1]`` (NaN fails)."""
    if x.size and not np.all((x >= 0) & (x <= 1)):
        raise ValueError(
            f"{name} must hold values in [0, 1], got values in "
            f"[{float(np.min(x))}, {float(np.max(x))}]" + (f"; {hint}" if hint else "")
        )
