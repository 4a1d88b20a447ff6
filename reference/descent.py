"""Batch, stochastic and mini-batch gradient descent for the sigmoid neuron.

Shapes: ``X`` is ``(m, n)``, ``y`` is ``(m,)``, ``w`` is ``(n,)`` and ``b`` a scalar.
"""
import numpy as np

from ._validate import check_int, check_nonnegative, check_positive, check_rng
from .neuron import _check_xy, neuron_cost, neuron_gradients
from .optimizers import sgd


def minibatches(m, batch_size, rng=None):
    """Split the sample indices ``0..m-1`` into mini-batches for one epoch.

    The order is ``rng.permutation(m)`` (one call), or ``arange(m)`` when ``rng`` is
    None; the batches are its consecutive slices of ``batch_size``, the last one
    smaller when ``batch_size`` does not divide ``m``.

    Parameters
    ----------
    m : int
        Number of samples, >= 1.
    batch_size : int or None
        Samples per batch, in [1, m]; None means one batch of all ``m`` (batch GD).
    rng : numpy.random.Generator, optional
        Source of the shuffle; None keeps the samples in order.

    Returns
    -------
    list of ndarray of int
        ``ceil(m / batch_size)`` index arrays that together hold every index once.
    """
    m = check_int(m, "m", low=1)
    if batch_size is None:
        batch_size = m
    else:
        try:
            batch_size = check_int(batch_size, "batch_size", low=1, high=m)
        except ValueError as err:
            hint = "use batch_size=None for batch gradient descent"
            raise ValueError(f"{err} (m={m}); {hint}") from None
    rng = check_rng(rng, optional=True)
    order = np.arange(m) if rng is None else rng.permutation(m)
    return [order[i:i + batch_size] for i in range(0, m, batch_size)]


def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None, optimizer=None,
                     schedule=None, lam=0.0):
    """Train the sigmoid neuron by batch (``batch_size=None``), stochastic (1) or mini-batch GD.

    The parameters are treated as one vector ``p = [w, b]``.  Each epoch ``e = 0, 1, ...``:

    1. the rate is ``alpha = schedule(e)`` when a schedule is given, else ``lr``;
    2. the batches are ``minibatches(m, batch_size, rng)``, drawn once;
    3. on each batch ``B`` of size ``m_B``: ``dw, db = neuron_gradients(X_B, y_B, w, b)``
       and ``dw += l2_grad(w, lam, m_B) = (lam / m_B) w`` (no penalty on ``b``);
    4. one update per batch, ``p, state = optimizer(p, [dw, db], state, lr=alpha)``,
       with ``state`` carried across batches and epochs;
    5. ``history["cost"][e] = J(w, b) + lam/(2m) ||w||^2`` on all the data, and
       ``history["lr"][e] = alpha``.

    Parameters
    ----------
    X : array-like of shape (m, n)
        Inputs, one sample per row.
    y : array-like of shape (m,)
        Labels in {0, 1}.
    w : array-like of shape (n,)
        Initial weights (not modified).
    b : float
        Initial bias.
    lr : float
        Learning rate ``alpha`` > 0, used when ``schedule`` is None.
    epochs : int
        Number of passes over the data, >= 1.
    batch_size : int or None, default=None
        Samples per update; None is batch GD, 1 is SGD.
    rng : numpy.random.Generator, optional
        Shuffles the samples each epoch; None keeps their order.
    optimizer : callable, optional
        ``optimizer(p, dp, state, lr=alpha) -> (p_new, state_new)``, e.g. `adam`;
        default `sgd`.
    schedule : callable, optional
        ``schedule(e) -> alpha`` for epoch ``e`` (from 0).
    lam : float, default=0.0
        L2 strength ``lambda`` >= 0.

    Returns
    -------
    w : ndarray of shape (n,)
        Trained weights.
    b : float
        Trained bias.
    history : dict
        ``{"cost": ndarray of shape (epochs,), "lr": ndarray of shape (epochs,)}``.
    """
    from .regularization import l2_grad, l2_penalty

    X, y, w, b = _check_xy(X, y, w, b)
    lr = check_positive(lr, "lr")
    epochs = check_int(epochs, "epochs", low=1)
    lam = check_nonnegative(lam, "lam")
    rng = check_rng(rng, optional=True)
    optimizer = sgd if optimizer is None else optimizer
    for name, fn in (("optimizer", optimizer), ("schedule", schedule)):
        if fn is not None and not callable(fn):
            raise ValueError(f"{name} must be a callable or None, got {type(fn).__name__}")
    m = X.shape[0]
    minibatches(m, batch_size)  # validate batch_size before any work

    dtype = np.result_type(X, w)
    p = np.append(w.astype(dtype), dtype.type(b))
    state = {}
    history = {"cost": np.empty(epochs), "lr": np.empty(epochs)}
    for e in range(epochs):
        rate = lr if schedule is None else check_positive(schedule(e), f"schedule({e})")
        for idx in minibatches(m, batch_size, rng):
            w, b = p[:-1], p[-1]
            dw, db = neuron_gradients(X[idx], y[idx], w, b)
            dw = dw + l2_grad(w, lam, len(idx))
            p, state = optimizer(p, np.append(dw, dw.dtype.type(db)), state, lr=rate)
        w, b = p[:-1], p[-1]
        history["cost"][e] = neuron_cost(X, y, w, b) + l2_penalty(w, lam, m)
        history["lr"][e] = rate
    return p[:-1].copy(), float(p[-1]), history
