"""Weight initializations for a layer ``A_next = A @ W + b`` with ``W`` of shape (n_in, n_out).

Every random initialization draws exactly once, ``rng.standard_normal((n_in, n_out))``,
and scales it, so ``Var(W_ij) = scale^2``.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_int, check_nonnegative, check_rng


def _shape(n_in, n_out) -> tuple[int, int]:
    return check_int(n_in, "n_in", low=1), check_int(n_out, "n_out", low=1)


def _scaled_normal(n_in, n_out, rng, scale_of) -> np.ndarray:
    """``rng.standard_normal((n_in, n_out)) * scale_of(n_in, n_out)``, after validation."""
    n_in, n_out = _shape(n_in, n_out)
    check_rng(rng)
    return rng.standard_normal((n_in, n_out)) * scale_of(n_in, n_out)


def init_zeros(n_in, n_out) -> np.ndarray:
    """All-zero weights (every unit computes the same thing: symmetry is never broken).

    ``W = 0``

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out, both >= 1.

    Returns
    -------
    W : ndarray of shape (n_in, n_out), float64
    """
    return np.zeros(_shape(n_in, n_out))


def init_normal(n_in, n_out, rng, scale=1.0) -> np.ndarray:
    """Gaussian weights of a fixed scale.

    ``W = scale * N(0, 1)``, so ``Var(W_ij) = scale^2``.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out, both >= 1.
    rng : numpy.random.Generator
        Draws once: ``rng.standard_normal((n_in, n_out))``.
    scale : float >= 0, default=1.0
        Standard deviation.

    Returns
    -------
    W : ndarray of shape (n_in, n_out), float64
    """
    scale = check_nonnegative(scale, "scale")
    return _scaled_normal(n_in, n_out, rng, lambda n_in, n_out: scale)


def init_xavier(n_in, n_out, rng) -> np.ndarray:
    """Xavier initialization (for tanh / sigmoid).

    ``W = N(0, 1) * sqrt(1/n_in)``, so ``Var(W_ij) = 1/n_in``.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out, both >= 1.
    rng : numpy.random.Generator
        Draws once: ``rng.standard_normal((n_in, n_out))``.

    Returns
    -------
    W : ndarray of shape (n_in, n_out), float64
    """
    return _scaled_normal(n_in, n_out, rng, lambda n_in, n_out: np.sqrt(1 / n_in))


def init_he(n_in, n_out, rng) -> np.ndarray:
    """He initialization (for ReLU).

    ``W = N(0, 1) * sqrt(2/n_in)``, so ``Var(W_ij) = 2/n_in``.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out, both >= 1.
    rng : numpy.random.Generator
        Draws once: ``rng.standard_normal((n_in, n_out))``.

    Returns
    -------
    W : ndarray of shape (n_in, n_out), float64
    """
    return _scaled_normal(n_in, n_out, rng, lambda n_in, n_out: np.sqrt(2 / n_in))


def init_glorot(n_in, n_out, rng) -> np.ndarray:
    """Glorot (normal) initialization, averaging fan-in and fan-out.

    ``W = N(0, 1) * sqrt(2/(n_in + n_out))``, so ``Var(W_ij) = 2/(n_in + n_out)``.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out, both >= 1.
    rng : numpy.random.Generator
        Draws once: ``rng.standard_normal((n_in, n_out))``.

    Returns
    -------
    W : ndarray of shape (n_in, n_out), float64
    """
    return _scaled_normal(n_in, n_out, rng, lambda n_in, n_out: np.sqrt(2 / (n_in + n_out)))
