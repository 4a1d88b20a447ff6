"""First-order optimizers, all with one signature: ``(w, dw, state, lr, ...) -> (w_new, state_new)``.

``w`` and ``dw`` are arrays of any one shape; the update is elementwise and in
``w``'s floating dtype.  ``state`` is a dict of moving averages (``{}`` is a fresh
start: zeros and ``t = 0``); it is never modified, a new one is returned.
"""
import numpy as np

from ._validate import (
    as_float,
    check_int,
    check_nonnegative,
    check_positive,
    check_real_in,
    check_same_shape,
)


def _prepare(w, dw, state, lr):
    """Validate the common arguments; return ``w``, ``dw`` in ``w``'s dtype, and ``lr``."""
    w = as_float(w, "w")
    dw = as_float(dw, "dw")
    check_same_shape(w, dw, "w", "dw")
    if not isinstance(state, dict):
        raise ValueError(
            f"state must be a dict (use {{}} for a fresh start), got {type(state).__name__}"
        )
    return w, dw.astype(w.dtype, copy=False), check_positive(lr, "lr")


def _slot(state, key, w):
    """``state[key]`` as an array shaped like ``w`` in its dtype, or zeros when absent."""
    if key not in state:
        return np.zeros_like(w)
    value = as_float(state[key], f"state[{key!r}]")
    if value.shape != w.shape:
        raise ValueError(
            f"state[{key!r}] must have the shape of w, {w.shape}, got shape {value.shape}; "
            f"pass a fresh state {{}} when the parameters change"
        )
    return value.astype(w.dtype, copy=False)


def _decay(value, name):
    """A decay rate of a moving average, in [0, 1)."""
    return check_real_in(value, name, 0, 1, high_open=True)


def sgd(w, dw, state, lr):
    """Plain gradient descent step, ``w := w - alpha dw``.

    Parameters
    ----------
    w : ndarray of any shape
        Parameters.
    dw : ndarray of the same shape as ``w``
        Gradient ``dJ/dw``.
    state : dict
        Unused (SGD keeps no state); pass ``{}``.
    lr : float
        Learning rate ``alpha`` > 0.

    Returns
    -------
    w_new : ndarray like ``w``
    state_new : dict
        A new empty dict.
    """
    w, dw, lr = _prepare(w, dw, state, lr)
    return w - lr * dw, {}


def momentum(w, dw, state, lr, beta=0.9):
    """Gradient descent with momentum, the lecture's moving-average form.

    ``v := beta v + (1 - beta) dw`` and ``w := w - alpha v``, with ``v = 0`` at the start.

    Parameters
    ----------
    w : ndarray of any shape
        Parameters.
    dw : ndarray of the same shape as ``w``
        Gradient ``dJ/dw``.
    state : dict
        ``{"v"}``, or ``{}`` to start.
    lr : float
        Learning rate ``alpha`` > 0.
    beta : float, default=0.9
        Momentum, in [0, 1).

    Returns
    -------
    w_new : ndarray like ``w``
    state_new : dict
        ``{"v": v}``.
    """
    w, dw, lr = _prepare(w, dw, state, lr)
    beta = _decay(beta, "beta")
    v = beta * _slot(state, "v", w) + (1 - beta) * dw
    return w - lr * v, {"v": v}


def nesterov(w, dw, state, lr, beta=0.9):
    """Nesterov momentum in PyTorch's form (``torch.optim.SGD(nesterov=True)``).

    ``v := beta v + dw`` and ``w := w - alpha (dw + beta v)``, with ``v = 0`` at the start.

    Parameters
    ----------
    w : ndarray of any shape
        Parameters.
    dw : ndarray of the same shape as ``w``
        Gradient ``dJ/dw``.
    state : dict
        ``{"v"}``, or ``{}`` to start.
    lr : float
        Learning rate ``alpha`` > 0.
    beta : float, default=0.9
        Momentum, in [0, 1).

    Returns
    -------
    w_new : ndarray like ``w``
    state_new : dict
        ``{"v": v}``.
    """
    w, dw, lr = _prepare(w, dw, state, lr)
    beta = _decay(beta, "beta")
    v = beta * _slot(state, "v", w) + dw
    return w - lr * (dw + beta * v), {"v": v}


def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    """AdaGrad: per-coordinate rates from the running sum of squared gradients.

    ``G := G + dw^2`` and ``w := w - alpha dw / (sqrt(G) + eps)``, with ``G = 0`` at the start.

    Parameters
    ----------
    w : ndarray of any shape
        Parameters.
    dw : ndarray of the same shape as ``w``
        Gradient ``dJ/dw``.
    state : dict
        ``{"G"}``, or ``{}`` to start.
    lr : float, default=0.01
        Learning rate ``alpha`` > 0.
    eps : float, default=1e-10
        Added to the denominator, >= 0 (0 is allowed, as in torch.optim).

    Returns
    -------
    w_new : ndarray like ``w``
    state_new : dict
        ``{"G": G}``.
    """
    w, dw, lr = _prepare(w, dw, state, lr)
    eps = check_nonnegative(eps, "eps")  # 0 allowed, as in torch.optim
    G = _slot(state, "G", w) + dw**2
    return w - lr * dw / (np.sqrt(G) + eps), {"G": G}


def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    """RMSProp: AdaGrad with a moving average of squared gradients.

    ``s := beta s + (1 - beta) dw^2`` and ``w := w - alpha dw / (sqrt(s) + eps)``,
    with ``s = 0`` at the start (``beta`` is PyTorch's ``alpha``).

    Parameters
    ----------
    w : ndarray of any shape
        Parameters.
    dw : ndarray of the same shape as ``w``
        Gradient ``dJ/dw``.
    state : dict
        ``{"s"}``, or ``{}`` to start.
    lr : float, default=0.01
        Learning rate ``alpha`` > 0.
    beta : float, default=0.99
        Decay of the average, in [0, 1).
    eps : float, default=1e-8
        Added to the denominator, >= 0 (0 is allowed, as in torch.optim).

    Returns
    -------
    w_new : ndarray like ``w``
    state_new : dict
        ``{"s": s}``.
    """
    w, dw, lr = _prepare(w, dw, state, lr)
    beta = _decay(beta, "beta")
    eps = check_nonnegative(eps, "eps")  # 0 allowed, as in torch.optim
    s = beta * _slot(state, "s", w) + (1 - beta) * dw**2
    return w - lr * dw / (np.sqrt(s) + eps), {"s": s}


def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    """AdaDelta, exactly as ``torch.optim.Adadelta`` (including its ``lr``).

    With ``E[g^2] = E[dx^2] = 0`` at the start::

        E[g^2]  := rho E[g^2] + (1 - rho) dw^2
        dx      := sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * dw
        E[dx^2] := rho E[dx^2] + (1 - rho) dx^2
        w       := w - alpha dx

    Parameters
    ----------
    w : ndarray of any shape
        Parameters.
    dw : ndarray of the same shape as ``w``
        Gradient ``dJ/dw``.
    state : dict
        ``{"Eg2", "Edx2"}``, or ``{}`` to start.
    lr : float, default=1.0
        Learning rate ``alpha`` > 0 scaling the step ``dx``.
    rho : float, default=0.9
        Decay of both averages, in [0, 1).
    eps : float, default=1e-6
        Inside both square roots, >= 0 (0 is allowed, as in torch.optim).

    Returns
    -------
    w_new : ndarray like ``w``
    state_new : dict
        ``{"Eg2": E[g^2], "Edx2": E[dx^2]}``.
    """
    w, dw, lr = _prepare(w, dw, state, lr)
    rho = _decay(rho, "rho")
    eps = check_nonnegative(eps, "eps")  # 0 allowed, as in torch.optim
    Eg2 = rho * _slot(state, "Eg2", w) + (1 - rho) * dw**2
    Edx2 = _slot(state, "Edx2", w)
    dx = np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * dw
    Edx2 = rho * Edx2 + (1 - rho) * dx**2
    return w - lr * dx, {"Eg2": Eg2, "Edx2": Edx2}


def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam: momentum and RMSProp with bias correction.

    With ``m = v = 0`` and ``t = 0`` at the start::

        t := t + 1
        m := beta1 m + (1 - beta1) dw          m_hat = m / (1 - beta1^t)
        v := beta2 v + (1 - beta2) dw^2        v_hat = v / (1 - beta2^t)
        w := w - alpha m_hat / (sqrt(v_hat) + eps)

    Parameters
    ----------
    w : ndarray of any shape
        Parameters.
    dw : ndarray of the same shape as ``w``
        Gradient ``dJ/dw``.
    state : dict
        ``{"m", "v", "t"}``, or ``{}`` to start.
    lr : float, default=0.001
        Learning rate ``alpha`` > 0.
    beta1 : float, default=0.9
        Decay of the first moment, in [0, 1).
    beta2 : float, default=0.999
        Decay of the second moment, in [0, 1).
    eps : float, default=1e-8
        Added to the denominator, >= 0 (0 is allowed, as in torch.optim).

    Returns
    -------
    w_new : ndarray like ``w``
    state_new : dict
        ``{"m": m, "v": v, "t": t}`` with ``t`` an int.
    """
    w, dw, lr = _prepare(w, dw, state, lr)
    beta1 = _decay(beta1, "beta1")
    beta2 = _decay(beta2, "beta2")
    eps = check_nonnegative(eps, "eps")  # 0 allowed, as in torch.optim
    t = check_int(state.get("t", 0), "state['t']", low=0) + 1
    m = beta1 * _slot(state, "m", w) + (1 - beta1) * dw
    v = beta2 * _slot(state, "v", w) + (1 - beta2) * dw**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}
