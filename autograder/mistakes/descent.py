"""Typical wrong (and correct, differently written) variants for the descent topic."""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake

#: the diagnosis of a shuffle that ignores the rng's state (the battery names it too)
GLOBAL_RNG = "the global RNG (np.random) is used: draw the shuffle from the rng argument"


# ---------------------------------------------------------------- minibatches

@mistake("minibatches", "the last, smaller mini-batch is dropped: when batch_size does not "
                        "divide m, the leftover m % batch_size samples form a final batch",
         rules=("ps2.minibatches.last-batch",))
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.permutation(m)
    return [order[i:i + k] for i in range(0, m - k + 1, k)]


@mistake("minibatches", "the rng is ignored: with an rng the order must be rng.permutation(m), "
                        "drawn once per call")
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    order = np.arange(m)
    return [order[i:i + k] for i in range(0, m, k)]


@mistake("minibatches", "the order must come from one call rng.permutation(m) (or rng.shuffle of "
                        "arange(m)); rng.choice(m, m, replace=False) draws a different permutation",
         rules=("ps2.minibatches.one-draw",))
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.choice(m, size=m, replace=False)
    return [order[i:i + k] for i in range(0, m, k)]


@mistake("minibatches", "you shuffled the order of the batches, not the samples: shuffle the "
                        "indices first (rng.permutation(m)), then slice")
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    batches = [np.arange(i, min(i + k, m)) for i in range(0, m, k)]
    if rng is None:
        return batches
    return [batches[j] for j in rng.permutation(len(batches))]


@mistake("minibatches", "the slices overlap: batch j is order[j*k:(j+1)*k], so consecutive "
                        "batches share no index")
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.permutation(m)
    return [order[i:i + k + 1] for i in range(0, m, k)]


@mistake("minibatches", "np.array_split balances the batch sizes; the contract wants full batches "
                        "of batch_size and only the last one smaller")
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.permutation(m)
    return np.array_split(order, -(-m // k))


@mistake("minibatches", GLOBAL_RNG,
         rules=("ps2.rng",))
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else np.random.permutation(m)
    return [order[i:i + k] for i in range(0, m, k)]


@correct("minibatches")
def minibatches(m, batch_size, rng=None):
    """rng.shuffle of arange(m) (the same draws as permutation), then np.split at k, 2k, ..."""
    if not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be an integer >= 1, got {m!r}")
    k = m if batch_size is None else batch_size
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= m:
        raise ValueError(f"batch_size must be an integer in [1, m={m}] (or None), got {k!r}")
    if not (rng is None or isinstance(rng, np.random.Generator)):
        raise ValueError(f"rng must be a numpy Generator or None, got {type(rng).__name__}")
    order = np.arange(m)
    if rng is not None:
        rng.shuffle(order)
    return np.split(order, np.arange(k, m, k))


@correct("minibatches")
def minibatches(m, batch_size, rng=None):
    """a while loop over start positions, on rng.permutation of an index array."""
    k = m if batch_size is None else batch_size
    for name, value, high in (("m", m, np.inf), ("batch_size", k, m)):
        if isinstance(value, bool) or int(value) != value or not 1 <= value <= high:
            raise ValueError(f"{name} must be an integer in [1, {high}], got {value!r}")
    if rng is not None and type(rng) is not np.random.Generator:
        raise ValueError("rng must be a numpy.random.Generator or None")
    order = np.arange(m) if rng is None else rng.permutation(np.arange(m))
    out, start = [], 0
    while start < m:
        out.append(order[start:min(start + k, m)].copy())
        start += k
    return out


# ---------------------------------------------------------------- gradient_descent

@mistake("gradient_descent", "float32 input came back as float64: keep w (and the updates) in "
                             "X's dtype", kind="dtype",
         rules=("ps2.dtype",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None, optimizer=None,
                     schedule=None, lam=0.0):
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    return ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size, rng=rng,
                                optimizer=optimizer, schedule=schedule, lam=lam)


@mistake("gradient_descent", "the mini-batches are drawn once and reused: call "
                             "minibatches(m, batch_size, rng) at the start of every epoch, so "
                             "each epoch gets a fresh shuffle",
         rules=("ps2.gradient_descent.fresh-shuffle",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    batches = ref.minibatches(m, batch_size, rng)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        for idx in batches:
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, len(idx))
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "the last, smaller mini-batch is skipped: every sample must be used "
                             "once per epoch, including the m % batch_size left over")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    k = m if batch_size is None else batch_size
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        for idx in ref.minibatches(m, batch_size, rng):
            if len(idx) < k:
                continue
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, len(idx))
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "the bias is regularized: L2 applies to the weights w only, "
                             "so db gets no lam term",
         rules=("ps2.gradient_descent.weights-only",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dp = np.append(dw, db) + ref.l2_grad(p, lam, len(idx))
            p, state = opt(p, dp, state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "history['cost'] lacks the L2 penalty: record J + lam/(2m) ||w||^2",
         rules=("ps2.gradient_descent.cost",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, len(idx))
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1])
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "history['cost'][e] is recorded before the epoch's updates: record "
                             "the cost after the epoch",
         rules=("ps2.gradient_descent.cost",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, len(idx))
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "the schedule is off by one epoch: epochs count from 0, so the rate "
                             "of epoch e is schedule(e), not schedule(e + 1)",
         rules=("ps2.epoch-from-0",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e + 1)
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, len(idx))
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "the L2 gradient on a mini-batch is lam/m_batch * w (l2_grad(w, lam, "
                             "len(batch))), not lam/m with the full m",
         rules=("ps2.gradient_descent.l2-batch",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, m)
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "the optimizer state is reset every epoch: start from state = {} "
                             "once and carry it across batches and epochs",
         rules=("ps2.gradient_descent.state",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        state = {}
        rate = lr if schedule is None else schedule(e)
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, len(idx))
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "history['lr'] must record the rate actually used, schedule(e), "
                             "not the base lr",
         rules=("ps2.gradient_descent.lr",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    w, b, history = ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size,
                                         rng=rng, optimizer=optimizer, schedule=schedule, lam=lam)
    return w, b, {"cost": history["cost"], "lr": np.full(epochs, float(lr))}


@mistake("gradient_descent", "every update uses the gradient of the whole data set: compute it on "
                             "the mini-batch X[idx], y[idx]")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    X = np.asarray(X)
    X = X.astype(np.result_type(X, np.float32))
    y = np.asarray(y, dtype=X.dtype)
    m = X.shape[0]
    opt = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=X.dtype), X.dtype.type(b))
    state = {}
    cost, rates = np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        for _ in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X, y, p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, m)
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@correct("gradient_descent")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    """w and b kept apart; batches sliced inline from rng.permutation; history built as lists."""
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],) or np.shape(w) != (X.shape[1],):
        raise ValueError(f"X (m, n), y (m,) and w (n,) do not fit: {X.shape}, {np.shape(y)}, "
                         f"{np.shape(w)}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if not isinstance(epochs, (int, np.integer)) or epochs < 1 or lam < 0:
        raise ValueError(f"epochs must be an integer >= 1 and lam >= 0, got {epochs!r}, {lam!r}")
    if batch_size is not None and not (isinstance(batch_size, (int, np.integer))
                                       and 1 <= batch_size <= X.shape[0]):
        raise ValueError(f"batch_size must be an integer in [1, m] or None, got {batch_size!r}")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator or None, got {type(rng).__name__}")
    dtype = np.result_type(X, np.asarray(w).dtype if np.asarray(w).dtype.kind == "f" else X.dtype)
    X = X.astype(dtype)
    y = y.astype(dtype)
    w = np.array(w, dtype=dtype)
    b = dtype.type(b)
    m = X.shape[0]
    k = m if batch_size is None else batch_size
    state = {}
    costs, rates = [], []
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        order = np.arange(m) if rng is None else rng.permutation(m)
        for start in range(0, m, k):
            idx = order[start:start + k]
            Xb, yb = X[idx], y[idx]
            dz = 1 / (1 + np.exp(-(Xb @ w + b))) - yb
            dw = Xb.T @ dz / len(idx) + lam / len(idx) * w
            db = np.mean(dz)
            dp = np.concatenate([dw, [db]]).astype(dtype)
            if optimizer is None:
                new = np.concatenate([w, [b]]) - rate * dp
            else:
                new, state = optimizer(np.concatenate([w, [b]]), dp, state, lr=rate)
            w, b = new[:-1], new[-1]
        y_hat = np.clip(1 / (1 + np.exp(-(X @ w + b))), 1e-12, 1 - 1e-12)
        J = -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
        costs.append(float(J + lam / (2 * m) * np.sum(w * w)))
        rates.append(float(rate))
    return w.copy(), float(b), {"cost": np.array(costs), "lr": np.array(rates)}


@correct("gradient_descent")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    """built from minibatches, neuron_gradients, l2_grad and the optimizer, with np.concatenate."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (m, n) and y (m,), got {X.shape} and {y.shape}")
    if lr <= 0:
        raise ValueError(f"lr must be a positive number, got lr={lr}")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got epochs={epochs}")
    ref.minibatches(X.shape[0], batch_size, None)  # batch_size checked before any work
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    step = ref.sgd if optimizer is None else optimizer
    m = X.shape[0]
    w = np.asarray(w)
    dtype = np.result_type(X.dtype if X.dtype.kind == "f" else np.float64,
                           w.dtype if w.dtype.kind == "f" else np.float64)
    params = np.concatenate([w.astype(dtype), np.array([b], dtype=dtype)])
    state = {}
    history = {"cost": np.zeros(epochs), "lr": np.zeros(epochs)}
    for e in range(epochs):
        rate = schedule(e) if schedule is not None else lr
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], params[:-1], params[-1])
            grad = np.concatenate([dw + ref.l2_grad(params[:-1], lam, idx.size),
                                   np.array([db], dtype=dw.dtype)])
            params, state = step(params, grad, state, lr=rate)
        history["cost"][e] = (ref.neuron_cost(X, y, params[:-1], params[-1])
                              + ref.l2_penalty(params[:-1], lam, m))
        history["lr"][e] = rate
    return params[:-1].copy(), float(params[-1]), history


# ---------------------------------------------------------------- rules of ps2 broken alone

@mistake("minibatches", "sampling with replacement: rng.integers for each batch repeats some "
                        "samples and skips others; an epoch is one permutation, rng.permutation(m)",
         rules=("ps2.minibatches.permutation",))
def minibatches(m, batch_size, rng=None):
    batches = ref.minibatches(m, batch_size, None)  # the reference's checks, and no draw
    if rng is None:
        return batches
    return [rng.integers(0, m, size=len(idx)) for idx in batches]


@mistake("minibatches", "a batch_size larger than m must raise ValueError: batch_size lies in "
                        "[1, m] (or None), it is not capped at m",
         rules=("ps2.minibatches.ranges", "ps2.bad-input"))
def minibatches(m, batch_size, rng=None):
    too_large = batch_size is not None and batch_size > m
    return ref.minibatches(m, None if too_large else batch_size, rng)


@mistake("minibatches", "rng must be a numpy Generator or None (check_rng(rng, optional=True)): "
                        "an int seed must raise ValueError, not be turned into a Generator",
         rules=("ps2.minibatches.rng-type",))
def minibatches(m, batch_size, rng=None):
    return ref.minibatches(m, batch_size, None if rng is None else np.random.default_rng(rng))


@mistake("gradient_descent", "history['cost'] and history['lr'] must be arrays of length epochs, "
                             "not lists: np.array(costs)",
         rules=("ps2.gradient_descent.history-arrays",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    w, b, history = ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size,
                                         rng=rng, optimizer=optimizer, schedule=schedule, lam=lam)
    return w, b, {key: [float(v) for v in values] for key, values in history.items()}


@mistake("gradient_descent", "b must come back as a Python float, float(p[-1]), not a numpy "
                             "scalar such as np.float32", kind="dtype",
         rules=("ps2.gradient_descent.returns",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    w, b, history = ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size,
                                         rng=rng, optimizer=optimizer, schedule=schedule, lam=lam)
    return w, w.dtype.type(b), history


@mistake("gradient_descent", "np.append(w, b) with float32 w and a Python float b gives float64: "
                             "build p with np.append(w, dtype.type(b))", kind="dtype",
         rules=("ps2.gradient_descent.bias-dtype",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size, lam=lam)  # checks
    dtype = ref.neuron_forward(X, w, b).dtype
    X, y = np.asarray(X, dtype=dtype), np.asarray(y, dtype=dtype)
    m = X.shape[0]
    step = ref.sgd if optimizer is None else optimizer
    p = np.append(np.asarray(w, dtype=dtype), b)
    state, cost, rates = {}, np.empty(epochs), np.empty(epochs)
    for e in range(epochs):
        rate = lr if schedule is None else schedule(e)
        for idx in ref.minibatches(m, batch_size, rng):
            dw, db = ref.neuron_gradients(X[idx], y[idx], p[:-1], p[-1])
            p, state = step(p, np.append(dw + ref.l2_grad(p[:-1], lam, len(idx)), db), state,
                            lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@mistake("gradient_descent", "the caller's w is updated in place (w -= lr * dw, or w[:] = ...): "
                             "build p as a new array and never write into an input",
         kind="purity", rules=("ps2.purity",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    w_new, b_new, history = ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs,
                                                 batch_size=batch_size, rng=rng,
                                                 optimizer=optimizer, schedule=schedule, lam=lam)
    if isinstance(w, np.ndarray) and w.dtype.kind == "f":
        w[...] = w_new
    return w_new, b_new, history


@mistake("gradient_descent", "epochs must be an integer >= 1: epochs = 0 must raise ValueError, "
                             "not return an empty history",
         rules=("ps2.gradient_descent.validate",))
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,
                     optimizer=None, schedule=None, lam=0.0):
    if epochs == 0:
        dtype = ref.neuron_forward(X, w, b).dtype  # the reference's checks of X, w and b
        return np.array(w, dtype=dtype), float(b), {"cost": np.empty(0), "lr": np.empty(0)}
    return ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size, rng=rng,
                                optimizer=optimizer, schedule=schedule, lam=lam)
