"""Shared oracles for the project's tests."""
import copy

import numpy as np


def numerical_grad(f, x, h=1e-6):
    """Central-difference gradient of scalar ``f`` at ``x`` (float64, x not mutated)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (f(xp) - f(xm)) / (2 * h)
    return grad


def rel_error(a, b, floor=1e-8):
    """Largest elementwise relative error, with a floor so 0/0 is 0, not NaN."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))))


def _assert_same(before, after, where="argument"):
    """Assert ``after`` equals the snapshot ``before``: arrays, dicts, lists, tuples, numbers.

    Other objects (rngs, callables) are skipped: an ``rng`` is meant to advance.
    """
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray) and after.dtype == before.dtype, where
        assert np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"), \
            f"{where} was modified in place"
    elif isinstance(before, dict):
        assert isinstance(after, dict) and before.keys() == after.keys(), \
            f"{where}: keys changed from {sorted(before)} to {sorted(after)}"
        for key in before:
            _assert_same(before[key], after[key], f"{where}[{key!r}]")
    elif isinstance(before, (list, tuple)):
        assert len(before) == len(after), f"{where}: length changed"
        for i, (b, a) in enumerate(zip(before, after)):
            _assert_same(b, a, f"{where}[{i}]")
    elif isinstance(before, (int, float, complex, np.number)):
        assert before == after, f"{where} changed from {before!r} to {after!r}"


def call_pure(fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)``, assert it mutated none of its arguments, return its result."""
    before = copy.deepcopy((args, kwargs))
    out = fn(*args, **kwargs)
    _assert_same(before[0], args, f"{fn.__name__} positional arguments")
    _assert_same(before[1], kwargs, f"{fn.__name__} keyword arguments")
    return out
