"""Shared oracles for the project's tests."""
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
