"""Typical wrong (and correct, differently written) variants for the descent topic."""
import numpy as np

import reference as ref  # noqa: F401  (variants may call ref.<name>)

from ..cases import correct, mistake

#: the diagnosis of a shuffle that ignores the rng's state (the battery names it too)
GLOBAL_RNG = "the global RNG (np.random) is used: draw the shuffle from the rng argument"


# ---------------------------------------------------------------- minibatches

@mistake("minibatches", "the last, smaller mini-batch is dropped: when batch_size does not "
                        "divide m, the leftover m % batch_size samples form a final batch")
def minibatches(m, batch_size, rng=None):
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.permutation(m)
    return [order[i:i + k] for i in range(0, m - k + 1, k)]


@mistake("minibatches", "the rng is ignored: with an rng the order must be rng.permutation(m), "
                        "drawn once per call")
def minibatches(m, batch_size, rng=None):  # noqa: F811
    k = m if batch_size is None else batch_size
    order = np.arange(m)
    return [order[i:i + k] for i in range(0, m, k)]


@mistake("minibatches", "the order must come from one call rng.permutation(m) (or rng.shuffle of "
                        "arange(m)); rng.choice(m, m, replace=False) draws a different permutation")
def minibatches(m, batch_size, rng=None):  # noqa: F811
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.choice(m, size=m, replace=False)
    return [order[i:i + k] for i in range(0, m, k)]


@mistake("minibatches", "you shuffled the order of the batches, not the samples: shuffle the "
                        "indices first (rng.permutation(m)), then slice")
def minibatches(m, batch_size, rng=None):  # noqa: F811
    k = m if batch_size is None else batch_size
    batches = [np.arange(i, min(i + k, m)) for i in range(0, m, k)]
    if rng is None:
        return batches
    return [batches[j] for j in rng.permutation(len(batches))]


@mistake("minibatches", "the slices overlap: batch j is order[j*k:(j+1)*k], so consecutive "
                        "batches share no index")
def minibatches(m, batch_size, rng=None):  # noqa: F811
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.permutation(m)
    return [order[i:i + k + 1] for i in range(0, m, k)]


@mistake("minibatches", "np.array_split balances the batch sizes; the contract wants full batches "
                        "of batch_size and only the last one smaller")
def minibatches(m, batch_size, rng=None):  # noqa: F811
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.permutation(m)
    return np.array_split(order, -(-m // k))


@mistake("minibatches", GLOBAL_RNG)
def minibatches(m, batch_size, rng=None):  # noqa: F811
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else np.random.permutation(m)
    return [order[i:i + k] for i in range(0, m, k)]


@correct("minibatches")
def minibatches(m, batch_size, rng=None):  # noqa: F811
    """rng.shuffle of arange(m) (the same draws as permutation), then np.split at k, 2k, ..."""
    k = m if batch_size is None else int(batch_size)
    if k < 1:
        raise ValueError(f"batch_size must be >= 1 (or None), got {batch_size}")
    order = np.arange(m)
    if rng is not None:
        rng.shuffle(order)
    return np.split(order, np.arange(k, m, k))


@correct("minibatches")
def minibatches(m, batch_size, rng=None):  # noqa: F811
    """a while loop over start positions, on rng.permutation of an index array."""
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 (or None), got {batch_size}")
    k = m if batch_size is None else batch_size
    order = np.arange(m) if rng is None else rng.permutation(np.arange(m))
    out, start = [], 0
    while start < m:
        out.append(order[start:min(start + k, m)].copy())
        start += k
    return out


# ---------------------------------------------------------------- gradient_descent

@mistake("gradient_descent", "float32 input came back as float64: keep w (and the updates) in "
                             "X's dtype", kind="dtype")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None, optimizer=None,
                     schedule=None, lam=0.0):
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    return ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size, rng=rng,
                                optimizer=optimizer, schedule=schedule, lam=lam)


@mistake("gradient_descent", "the mini-batches are drawn once and reused: call "
                             "minibatches(m, batch_size, rng) at the start of every epoch, so "
                             "each epoch gets a fresh shuffle")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
                             "so db gets no lam term")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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


@mistake("gradient_descent", "history['cost'] lacks the L2 penalty: record J + lam/(2m) ||w||^2")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
                             "the cost after the epoch")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
                             "of epoch e is schedule(e), not schedule(e + 1)")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
                             "len(batch))), not lam/m with the full m")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
                             "once and carry it across batches and epochs")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
                             "not the base lr")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
                     optimizer=None, schedule=None, lam=0.0):
    w, b, history = ref.gradient_descent(X, y, w, b, lr=lr, epochs=epochs, batch_size=batch_size,
                                         rng=rng, optimizer=optimizer, schedule=schedule, lam=lam)
    return w, b, {"cost": history["cost"], "lr": np.full(epochs, float(lr))}


@mistake("gradient_descent", "every update uses the gradient of the whole data set: compute it on "
                             "the mini-batch X[idx], y[idx]")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
            dw, db = ref.neuron_gradients(X, y, p[:-1], p[-1])
            dw = dw + ref.l2_grad(p[:-1], lam, m)
            p, state = opt(p, np.append(dw, db), state, lr=rate)
        cost[e] = ref.neuron_cost(X, y, p[:-1], p[-1]) + ref.l2_penalty(p[:-1], lam, m)
        rates[e] = rate
    return p[:-1].copy(), float(p[-1]), {"cost": cost, "lr": rates}


@correct("gradient_descent")
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
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
def gradient_descent(X, y, w, b, *, lr, epochs, batch_size=None, rng=None,  # noqa: F811
                     optimizer=None, schedule=None, lam=0.0):
    """built from minibatches, neuron_gradients, l2_grad and the optimizer, with np.concatenate."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (m, n) and y (m,), got {X.shape} and {y.shape}")
    if lr <= 0:
        raise ValueError(f"lr must be a positive number, got lr={lr}")
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
