"""Data augmentation: new training examples from random, label-preserving changes.

Each function draws once from an explicit ``rng``, in the order of the contract,
and returns new arrays (the inputs are never modified).  Images are batches of
shape ``(N, H, W)`` or ``(N, H, W, C)``: ``N`` images of ``H`` rows and ``W``
columns, with an optional channel axis.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_float, check_int, check_nonnegative, check_real_in, check_rng


def _check_images(images) -> np.ndarray:
    """``images`` as a floating array of shape (N, H, W) or (N, H, W, C)."""
    images = as_float(images, "images")
    if images.ndim not in (3, 4):
        raise ValueError("images must have shape (N, H, W) or (N, H, W, C), "
                         f"got shape {images.shape}")
    return images


def _broadcastable(a: np.ndarray, ndim: int) -> np.ndarray:
    """``a`` with trailing axes of length 1 added, up to ``ndim`` axes.

    A flag per image (N,), or per pixel (N, H, W), then broadcasts over (N, H, W[, C]).
    """
    return a.reshape(a.shape + (1,) * (ndim - a.ndim))


def augment_noise(X, std, rng):
    """Add Gaussian noise to every entry of ``X``.

    ``X_tilde = X + std * Z`` with ``Z ~ N(0, 1)`` element-wise, drawn in float64 as
    ``rng.standard_normal(X.shape)`` (one call, even when ``std = 0``).

    Parameters
    ----------
    X : ndarray of shape (m, n)
        Inputs, rows are samples (any shape is accepted, images included).
    std : float
        Standard deviation of the noise, ``std >= 0``.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    X_tilde : ndarray of X's shape
        The noisy copy, in X's floating dtype (integer X gives float64).
    """
    X = as_float(X, "X")
    std = check_nonnegative(std, "std")
    check_rng(rng)
    noise = rng.standard_normal(X.shape)
    return (X + std * noise).astype(X.dtype, copy=False)


def augment_flip(images, rng, p=0.5):
    """Mirror each image left-right with probability ``p``.

    ``flip = (U < p)`` with ``U ~ Uniform[0, 1)`` drawn as ``rng.random(N)`` (one call),
    then ``out[i, r, c] = images[i, r, W - 1 - c]`` where ``flip[i]``, and
    ``out[i] = images[i]`` elsewhere: the columns (axis 2) are reversed.

    Parameters
    ----------
    images : ndarray of shape (N, H, W) or (N, H, W, C)
        A batch of N images of H rows and W columns (C channels).
    rng : numpy.random.Generator
        The only source of randomness.
    p : float, default=0.5
        Probability of flipping an image, in [0, 1].

    Returns
    -------
    out : ndarray of images' shape
        The batch with the flagged images mirrored, in images' floating dtype.
    flip : ndarray of bool of shape (N,)
        ``flip[i]`` is True when image ``i`` was mirrored.
    """
    images = _check_images(images)
    check_rng(rng)
    p = check_real_in(p, "p", 0, 1)
    flip = rng.random(images.shape[0]) < p
    return np.where(_broadcastable(flip, images.ndim), images[:, :, ::-1], images), flip


def augment_shift(images, max_shift, rng):
    """Translate each image by a random whole number of pixels, filling with zeros.

    ``shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))`` (one call), a row
    ``(dy, dx)`` per image, then
    ``out[i, r, c] = images[i, r - dy, c - dx]`` where ``0 <= r - dy < H`` and
    ``0 <= c - dx < W``, else 0: image ``i`` moves ``dy`` rows down and ``dx``
    columns right; what leaves the frame is lost and nothing wraps around.

    Parameters
    ----------
    images : ndarray of shape (N, H, W) or (N, H, W, C)
        A batch of N images of H rows and W columns (C channels).
    max_shift : int
        The largest shift in either direction, ``0 <= max_shift < min(H, W)``.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    out : ndarray of images' shape
        The shifted batch, in images' floating dtype.
    shifts : ndarray of int of shape (N, 2)
        The shift ``(dy, dx)`` of each image.
    """
    images = _check_images(images)
    N, H, W = images.shape[:3]
    max_shift = check_int(max_shift, "max_shift", low=0)
    if max_shift >= min(H, W):
        raise ValueError(f"max_shift must be < min(H, W) = {min(H, W)} for images of shape "
                         f"{images.shape}, got max_shift={max_shift}")
    check_rng(rng)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))
    return _shifted(images, shifts), shifts


def _shifted(images: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Image ``i`` moved ``shifts[i] = (dy, dx)`` pixels down and right, zero-filled.

    Gathers ``images[i, r - dy, c - dx]`` for every output pixel at once (no loop
    over images), then zeroes the pixels whose source lies outside the frame.
    """
    N, H, W = images.shape[:3]
    rows = np.arange(H) - shifts[:, :1]                    # (N, H): source row of each row
    cols = np.arange(W) - shifts[:, 1:]                    # (N, W): source column
    inside = ((rows >= 0) & (rows < H))[:, :, None] & ((cols >= 0) & (cols < W))[:, None, :]
    moved = images[np.arange(N)[:, None, None], np.clip(rows, 0, H - 1)[:, :, None],
                   np.clip(cols, 0, W - 1)[:, None, :]]
    return np.where(_broadcastable(inside, images.ndim), moved, images.dtype.type(0))
