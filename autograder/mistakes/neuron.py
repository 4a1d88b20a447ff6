"""Typical wrong (and correct, differently written) variants for the neuron topic.

The float32 variants are of kind ``dtype``: their output equals the right one in
value, so they may name a submission that fails only on dtype.
"""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake

# ---------------------------------------------------------------- neuron_forward

@mistake("neuron_forward", "float32 input came back as float64: compute in X's dtype "
                           "(a NumPy float64 bias upcasts; use float(b))", kind="dtype")
def neuron_forward(X, w, b):
    z = np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b
    return np.exp(-np.logaddexp(0, -z))


@mistake("neuron_forward", "the sigmoid is missing: y_hat = sigma(z), not z = X w + b")
def neuron_forward(X, w, b):
    return X @ w + b


@mistake("neuron_forward", "X.T where X belongs: rows of X are samples, so z = X @ w + b")
def neuron_forward(X, w, b):
    return np.exp(-np.logaddexp(0, -(X.T @ w + b)))


@mistake("neuron_forward", "the bias is subtracted: z = X w + b")
def neuron_forward(X, w, b):
    return np.exp(-np.logaddexp(0, -(X @ w - b)))


@mistake("neuron_forward", "the sign of z is flipped: y_hat = sigma(X w + b) = 1/(1+e^{-z})")
def neuron_forward(X, w, b):
    return np.exp(-np.logaddexp(0, X @ w + b))


@mistake("neuron_forward", "b is added after the sigmoid: it belongs inside, z = X w + b")
def neuron_forward(X, w, b):
    return np.exp(-np.logaddexp(0, -(X @ w))) + b


@correct("neuron_forward")
def neuron_forward(X, w, b):
    """einsum for X w, and sigma(z) = (1 + tanh(z/2)) / 2."""
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    w = np.asarray(w)
    if X.ndim != 2 or w.shape != (X.shape[1],) or np.ndim(b) != 0:
        raise ValueError(f"X (m, n), w (n,) and a scalar b do not fit: {X.shape}, {w.shape}, "
                         f"{np.shape(b)}")
    z = np.einsum("ij,j->i", X, w.astype(X.dtype)) + float(b)
    return (1 + np.tanh(z / 2)) / 2


@correct("neuron_forward")
def neuron_forward(X, w, b):
    """one sample at a time, with a stable two-branch sigmoid."""
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    w = np.asarray(w)
    if X.ndim != 2 or w.shape != (X.shape[1],) or np.ndim(b) != 0:
        raise ValueError(f"X (m, n), w (n,) and a scalar b do not fit: {X.shape}, {w.shape}, "
                         f"{np.shape(b)}")
    out = np.empty(X.shape[0], dtype=np.result_type(X, w))
    for i in range(X.shape[0]):
        z = float(X[i] @ w) + float(b)
        out[i] = 1 / (1 + np.exp(-z)) if z >= 0 else np.exp(z) / (1 + np.exp(z))
    return out


# ---------------------------------------------------------------- neuron_cost

@mistake("neuron_cost", "float32 input came back as float64 (or a Python float): keep X's dtype",
         kind="dtype")
def neuron_cost(X, y, w, b):
    return float(ref.neuron_cost(X, y, w, b))


@mistake("neuron_cost", "J is m times too large: it is the mean of the losses, (1/m) sum L")
def neuron_cost(X, y, w, b):
    return ref.bce_cost(ref.neuron_forward(X, w, b), y) * X.shape[0]


@mistake("neuron_cost", "the sign is missing: J = -(1/m) sum (y log y_hat + (1-y) log(1-y_hat))")
def neuron_cost(X, y, w, b):
    return -ref.bce_cost(ref.neuron_forward(X, w, b), y)


@mistake("neuron_cost", "the (1-y) log(1-y_hat) term is missing: samples with y = 0 count too")
def neuron_cost(X, y, w, b):
    p = np.clip(ref.neuron_forward(X, w, b), 1e-12, 1 - 1e-12)
    return -np.mean(y * np.log(p))


@mistake("neuron_cost", "y and 1-y are swapped: log(y_hat) goes with y = 1")
def neuron_cost(X, y, w, b):
    return ref.bce_cost(ref.neuron_forward(X, w, b), 1 - y)


@mistake("neuron_cost", "that is the squared error; the neuron's cost J is the cross-entropy")
def neuron_cost(X, y, w, b):
    return np.mean((ref.neuron_forward(X, w, b) - y) ** 2) / 2


@mistake("neuron_cost", "y_hat is not clipped: log(0) makes J infinite once sigma saturates "
                        "to exactly 0 or 1; clip to [eps, 1-eps] (or use bce_cost)")
def neuron_cost(X, y, w, b):
    a = ref.neuron_forward(X, w, b)
    return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))


@correct("neuron_cost")
def neuron_cost(X, y, w, b):
    """bce_cost of neuron_forward."""
    X = np.asarray(X)
    if np.shape(y) != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {np.shape(y)}")
    return ref.bce_cost(ref.neuron_forward(X, w, b), y)


@correct("neuron_cost")
def neuron_cost(X, y, w, b):
    """exact J from the logits: mean of max(z,0) - z y + log(1+e^-|z|)."""
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    w = np.asarray(w)
    y = np.asarray(y)
    if X.ndim != 2 or w.shape != (X.shape[1],) or y.shape != (X.shape[0],):
        raise ValueError(f"X (m, n), y (m,) and w (n,) do not fit: {X.shape}, {y.shape}, {w.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold labels 0 and 1 only")
    z = X @ w.astype(X.dtype) + float(b)
    y = y.astype(z.dtype)
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


# ---------------------------------------------------------------- neuron_gradients

@mistake("neuron_gradients", "float32 input came back as float64: keep X's dtype "
                             "(for dw and for db)", kind="dtype")
def neuron_gradients(X, y, w, b):
    X = np.asarray(X, dtype=np.float64)
    dz = np.exp(-np.logaddexp(0, -(X @ np.asarray(w, dtype=np.float64) + b))) - y
    return X.T @ dz / X.shape[0], float(np.mean(dz))


@mistake("neuron_gradients", "your gradient is off by a factor of m: did you forget to average "
                             "over the batch? dw = X.T @ dz / m and db = mean(dz)")
def neuron_gradients(X, y, w, b):
    dz = np.exp(-np.logaddexp(0, -(X @ w + b))) - y
    return X.T @ dz, np.sum(dz)


@mistake("neuron_gradients", "db is summed instead of averaged: db = (1/m) sum dz = mean(dz)",
         rules=("ps1.neuron_gradients.mean",))
def neuron_gradients(X, y, w, b):
    dz = np.exp(-np.logaddexp(0, -(X @ w + b))) - y
    return X.T @ dz / X.shape[0], np.sum(dz)


@mistake("neuron_gradients", "X where X.T belongs (wrong orientation): rows of X are samples, "
                             "so dw = X.T @ dz / m has shape (n,)",
         rules=("ps1.neuron_gradients.orientation",))
def neuron_gradients(X, y, w, b):
    dz = np.exp(-np.logaddexp(0, -(X @ w + b))) - y
    return X @ dz / X.shape[0], np.mean(dz)


@mistake("neuron_gradients", "the sign is flipped: dz = y_hat - y, not y - y_hat")
def neuron_gradients(X, y, w, b):
    dz = y - np.exp(-np.logaddexp(0, -(X @ w + b)))
    return X.T @ dz / X.shape[0], np.mean(dz)


@mistake("neuron_gradients", "dz uses z instead of y_hat = sigma(z): dz = sigma(X w + b) - y")
def neuron_gradients(X, y, w, b):
    dz = X @ w + b - y
    return X.T @ dz / X.shape[0], np.mean(dz)


@mistake("neuron_gradients", "an extra sigma'(z) factor: with cross-entropy, dJ/dz = y_hat - y "
                             "(the sigma' cancels); y_hat(1-y_hat)(y_hat-y) is the squared-error "
                             "gradient")
def neuron_gradients(X, y, w, b):
    a = np.exp(-np.logaddexp(0, -(X @ w + b)))
    dz = (a - y) * a * (1 - a)
    return X.T @ dz / X.shape[0], np.mean(dz)


@correct("neuron_gradients")
def neuron_gradients(X, y, w, b):
    """einsum for X^T dz and sum(dz)/m for db."""
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    w = np.asarray(w)
    y = np.asarray(y)
    if X.ndim != 2 or w.shape != (X.shape[1],) or y.shape != (X.shape[0],):
        raise ValueError(f"X (m, n), y (m,) and w (n,) do not fit: {X.shape}, {y.shape}, {w.shape}")
    w = w.astype(X.dtype)
    dz = ref.sigmoid(X @ w + float(b)) - y.astype(X.dtype)
    m = X.shape[0]
    return np.einsum("ij,i->j", X, dz) / m, np.sum(dz) / m


@correct("neuron_gradients")
def neuron_gradients(X, y, w, b):
    """accumulates dz_i x_i over the samples in a loop, then divides by m."""
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    w = np.asarray(w)
    y = np.asarray(y)
    if X.ndim != 2 or w.shape != (X.shape[1],) or y.shape != (X.shape[0],):
        raise ValueError(f"X (m, n), y (m,) and w (n,) do not fit: {X.shape}, {y.shape}, {w.shape}")
    m, n = X.shape
    dw = np.zeros(n, dtype=X.dtype)
    db = X.dtype.type(0)
    for i in range(m):
        a = ref.sigmoid(X[i] @ w.astype(X.dtype) + X.dtype.type(b))
        dz = a - X.dtype.type(y[i])
        dw = dw + dz * X[i]
        db = db + dz
    return dw / X.dtype.type(m), db / X.dtype.type(m)


# ---------------------------------------------------------------- predict

@mistake("predict", "the labels must be an int array of 0s and 1s, not booleans or floats: "
                    "compare y_hat >= threshold and cast with .astype(int)", kind="dtype",
         rules=("ps1.predict.integer",))
def predict(X, w, b, threshold=0.5):
    return np.exp(-np.logaddexp(0, -(X @ w + b))) >= threshold


@mistake("predict", "a y_hat exactly at the threshold is class 1: use >=, not >",
         rules=("ps1.predict.at-threshold",))
def predict(X, w, b, threshold=0.5):
    return (np.exp(-np.logaddexp(0, -(X @ w + b))) > threshold).astype(int)


@mistake("predict", "the threshold argument is ignored (0.5 is only its default)")
def predict(X, w, b, threshold=0.5):
    return (np.exp(-np.logaddexp(0, -(X @ w + b))) >= 0.5).astype(int)


@mistake("predict", "the threshold applies to y_hat = sigma(z), not to z")
def predict(X, w, b, threshold=0.5):
    return (X @ w + b >= threshold).astype(int)


@mistake("predict", "np.round(y_hat) ignores the threshold, rounds 0.5 down to 0 and returns "
                    "floats; compare y_hat >= threshold and cast to int")
def predict(X, w, b, threshold=0.5):
    return np.round(np.exp(-np.logaddexp(0, -(X @ w + b))))


@mistake("predict", "the labels are inverted: 1 where y_hat >= threshold, 0 elsewhere")
def predict(X, w, b, threshold=0.5):
    return (np.exp(-np.logaddexp(0, -(X @ w + b))) < threshold).astype(int)


@correct("predict")
def predict(X, w, b, threshold=0.5):
    """np.where on neuron_forward."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    return np.where(ref.neuron_forward(X, w, b) >= threshold, 1, 0)


@correct("predict")
def predict(X, w, b, threshold=0.5):
    """a Python loop over the predictions."""
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold!r}")
    y_hat = ref.neuron_forward(X, w, b)
    return np.array([1 if v >= threshold else 0 for v in y_hat], dtype=np.int64)


# ---------------------------------------------------------------- rules of ps1 broken alone

@mistake("neuron_forward", "X must be 2-d, (m, n): a 1-d X must raise ValueError, not be "
                           "taken for one sample", rules=("ps1.neuron.shapes",))
def neuron_forward(X, w, b):
    X = np.asarray(X)
    return ref.neuron_forward(X[None, :] if X.ndim == 1 else X, w, b)


@mistake("neuron_forward", "a NumPy float64 bias turns float32 X @ w into float64: add float(b)",
         kind="dtype", rules=("ps1.neuron.float64-bias",))
def neuron_forward(X, w, b):
    dtype = ref.neuron_forward(X, w, b).dtype  # the reference's checks
    X, w = np.asarray(X, dtype=dtype), np.asarray(w, dtype=dtype)
    return ref.sigmoid(X @ w + b)


@mistake("neuron_cost", "labels other than 0 and 1 must raise ValueError (check_data helps)",
         rules=("ps1.neuron.labels",))
def neuron_cost(X, y, w, b):
    y_hat = ref.neuron_forward(X, w, b)
    y = np.asarray(y, dtype=y_hat.dtype)
    if y.shape != y_hat.shape:
        raise ValueError(f"y must have shape {y_hat.shape}, got {y.shape}")
    p, q = np.clip(y_hat, 1e-12, 1 - 1e-12), np.clip(1 - y_hat, 1e-12, 1 - 1e-12)
    return y_hat.dtype.type(np.mean(-(y * np.log(p) + (1 - y) * np.log(q))))


@mistake("neuron_gradients", "dz = bce_grad * sigmoid_grad divides by y_hat(1 - y_hat), which is 0 "
                             "for a saturated neuron: compute dz = y_hat - y directly",
         rules=("ps1.neuron_gradients.saturated",))
def neuron_gradients(X, y, w, b):
    dw, db = ref.neuron_gradients(X, y, w, b)  # the reference's checks, and its dtype
    X, y = np.asarray(X, dtype=dw.dtype), np.asarray(y, dtype=dw.dtype)
    z = X @ np.asarray(w, dtype=dw.dtype) + float(b)
    dz = ref.bce_grad(ref.sigmoid(z), y) * y.size * ref.sigmoid_grad(z)
    return X.T @ dz / y.size, dw.dtype.type(np.mean(dz))


@mistake("predict", "a threshold outside [0, 1] must raise ValueError: y_hat is a probability",
         rules=("ps1.predict.threshold-range",))
def predict(X, w, b, threshold=0.5):
    return (ref.neuron_forward(X, w, b) >= threshold).astype(int)
