"""Inverted dropout: a forward/backward pair.

During training each unit is kept with probability ``keep_prob`` and the kept
units are scaled by ``1/keep_prob``, so ``E[out] = A`` and test time needs no
rescaling.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_float, check_real_in, check_rng, check_same_shape


def dropout_forward(A, keep_prob, rng, train=True):
    """Inverted dropout on activations ``A``.

    ``D = (U < keep_prob)`` with ``U ~ Uniform[0, 1)`` drawn as
    ``rng.random(A.shape)`` (one call), then ``out = A * D / keep_prob``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Activations, rows are samples (any shape is accepted).
    keep_prob : float
        Probability of keeping a unit, in (0, 1].
    rng : numpy.random.Generator
        The only source of randomness; may be None when ``train=False``.
    train : bool, default=True
        False is test mode: no units are dropped and nothing is drawn.

    Returns
    -------
    out : ndarray of A's shape
        ``A * D / keep_prob`` (train) or a copy of ``A`` (test), in A's floating dtype.
    mask : ndarray of bool of A's shape, or None
        The keep mask ``D``; None in test mode.
    """
    A = as_float(A, "A")
    keep_prob = check_real_in(keep_prob, "keep_prob", 0, 1, low_open=True)
    if not isinstance(train, (bool, np.bool_)):
        raise ValueError(f"train must be True or False, got train={train!r}")
    check_rng(rng, optional=not train)
    if not train:
        return A.copy(), None
    mask = rng.random(A.shape) < keep_prob
    return A * mask / keep_prob, mask


def dropout_backward(dout, mask, keep_prob):
    """Backward pass of inverted dropout.

    ``dA = dout * D / keep_prob``

    Parameters
    ----------
    dout : ndarray of shape (m, n)
        Upstream gradient ``dJ/dout``.
    mask : ndarray of bool of shape (m, n)
        The keep mask ``D`` returned by :func:`dropout_forward` (0/1 numbers are accepted).
    keep_prob : float
        The same keep probability as in the forward pass, in (0, 1].

    Returns
    -------
    dA : ndarray of shape (m, n)
        ``dJ/dA``, in dout's floating dtype.
    """
    dout = as_float(dout, "dout")
    keep_prob = check_real_in(keep_prob, "keep_prob", 0, 1, low_open=True)
    if mask is None:
        raise ValueError("mask is None: dropout_forward returns mask=None with train=False, "
                         "and there is nothing to backpropagate; use the train=True mask")
    mask = np.asarray(mask)
    check_same_shape(dout, mask, "dout", "mask")
    if mask.dtype != bool:
        if mask.dtype.kind not in "iuf" or not np.all((mask == 0) | (mask == 1)):
            raise ValueError("mask must be a boolean array (or 0/1 numbers), "
                             f"got dtype {mask.dtype} with values other than 0 and 1")
        mask = mask.astype(bool)
    return dout * mask / keep_prob
