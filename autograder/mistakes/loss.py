"""Typical wrong (and correct, differently written) variants for the loss topic."""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake

# ---------------------------------------------------------------- bce_loss

@mistake("bce_loss", "float32 input came back as float64: compute in y_hat's dtype "
                     "(do not cast to float64)", kind="dtype")
def bce_loss(y_hat, y, eps=1e-12):
    p = np.clip(np.asarray(y_hat, dtype=np.float64), eps, 1 - eps)
    y = np.asarray(y, dtype=np.float64)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@mistake("bce_loss", "y_hat is not clipped: log(0) gives inf or nan when y_hat is exactly 0 or 1; "
                     "clip y_hat to [eps, 1-eps] before taking logs",
         rules=("ps1.bce.finite",))
def bce_loss(y_hat, y, eps=1e-12):
    return -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


@mistake("bce_loss", "y_hat is clipped only from below: y_hat = 1 still gives log(0); "
                     "clip to [eps, 1-eps]")
def bce_loss(y_hat, y, eps=1e-12):
    p = np.maximum(y_hat, eps)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@mistake("bce_loss", "the sign is missing: L = -(y log y_hat + (1-y) log(1-y_hat)) "
                     "is never negative")
def bce_loss(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return y * np.log(p) + (1 - y) * np.log(1 - p)


@mistake("bce_loss", "y and 1-y are swapped: the log y_hat term belongs to the positive "
                     "class (y = 1)")
def bce_loss(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return -((1 - y) * np.log(p) + y * np.log(1 - p))


@mistake("bce_loss", "the (1-y) log(1-y_hat) term is missing: negative samples (y = 0) must "
                     "be penalized too")
def bce_loss(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return -(y * np.log(p))


@mistake("bce_loss", "you returned the mean (the cost J); bce_loss returns one loss per sample, "
                     "shape (m,)",
         rules=("ps1.bce_loss.per-sample",))
def bce_loss(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


@mistake("bce_loss", "you clip with a fixed constant instead of the eps argument")
def bce_loss(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@correct("bce_loss")
def bce_loss(y_hat, y, eps=1e-12):
    """picks log(p) or log(1-p) by the label with np.where, after clipping."""
    y_hat = np.asarray(y_hat)
    y_hat = y_hat if y_hat.dtype.kind == "f" else y_hat.astype(np.float64)
    y = np.asarray(y)
    if y_hat.ndim != 1 or y.shape != y_hat.shape:
        raise ValueError(f"y_hat and y must both have shape (m,), got {y_hat.shape} and {y.shape}")
    if ((y_hat < 0) | (y_hat > 1)).any() or not np.isin(y, (0, 1)).all():
        raise ValueError("y_hat must lie in [0, 1] and y must hold labels 0 and 1 only")
    p, q = np.clip(y_hat, eps, 1 - eps), np.clip(1 - y_hat, eps, 1 - eps)
    return -np.where(y == 1, np.log(p), np.log(q))


@correct("bce_loss")
def bce_loss(y_hat, y, eps=1e-12):
    """the textbook formula with an explicit per-sample loop."""
    y_hat = np.asarray(y_hat)
    y_hat = y_hat if y_hat.dtype.kind == "f" else y_hat.astype(np.float64)
    y = np.asarray(y)
    if y_hat.ndim != 1 or y.shape != y_hat.shape:
        raise ValueError(f"y_hat and y must both have shape (m,), got {y_hat.shape} and {y.shape}")
    if ((y_hat < 0) | (y_hat > 1)).any() or not np.isin(y, (0, 1)).all():
        raise ValueError("y_hat must lie in [0, 1] and y must hold labels 0 and 1 only")
    out = np.empty_like(y_hat)
    for i in range(y_hat.shape[0]):
        p = min(max(y_hat[i], y_hat.dtype.type(eps)), y_hat.dtype.type(1 - eps))
        q = min(max(1 - y_hat[i], y_hat.dtype.type(eps)), y_hat.dtype.type(1 - eps))
        out[i] = -(y[i] * np.log(p) + (1 - y[i]) * np.log(q))
    return out


# ---------------------------------------------------------------- bce_cost

@mistake("bce_cost", "the cost is m times too large: J is the mean of the losses, (1/m) sum L, "
                     "not their sum",
         rules=("ps1.bce_cost.mean",))
def bce_cost(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return np.sum(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


@mistake("bce_cost", "float32 input came back as a float64 (or Python float): keep y_hat's dtype",
         kind="dtype")
def bce_cost(y_hat, y, eps=1e-12):
    return float(np.mean(ref.bce_loss(y_hat, y, eps)))


@mistake("bce_cost", "y_hat is not clipped: J becomes inf or nan when a y_hat is exactly 0 or 1; "
                     "clip y_hat to [eps, 1-eps]")
def bce_cost(y_hat, y, eps=1e-12):
    return np.mean(-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


@mistake("bce_cost", "the sign is missing: J = -(1/m) sum (y log y_hat + (1-y) log(1-y_hat)) "
                     "is never negative")
def bce_cost(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


@mistake("bce_cost", "the (1-y) log(1-y_hat) term is missing: negative samples (y = 0) must "
                     "count too")
def bce_cost(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return np.mean(-(y * np.log(p)))


@mistake("bce_cost", "you returned the per-sample losses; bce_cost returns their mean, one number")
def bce_cost(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@correct("bce_cost")
def bce_cost(y_hat, y, eps=1e-12):
    """the sum of bce_loss divided by m."""
    loss = ref.bce_loss(y_hat, y, eps)
    return loss.sum() / loss.dtype.type(loss.shape[0])


@correct("bce_cost")
def bce_cost(y_hat, y, eps=1e-12):
    """dot products with y and 1-y, then / m."""
    y_hat = np.asarray(y_hat)
    y_hat = y_hat if y_hat.dtype.kind == "f" else y_hat.astype(np.float64)
    y = np.asarray(y)
    if y_hat.ndim != 1 or y.shape != y_hat.shape:
        raise ValueError(f"y_hat and y must both have shape (m,), got {y_hat.shape} and {y.shape}")
    if ((y_hat < 0) | (y_hat > 1)).any() or not np.isin(y, (0, 1)).all():
        raise ValueError("y_hat must lie in [0, 1] and y must hold labels 0 and 1 only")
    y = y.astype(y_hat.dtype)
    p, q = np.clip(y_hat, eps, 1 - eps), np.clip(1 - y_hat, eps, 1 - eps)
    return -(y @ np.log(p) + (1 - y) @ np.log(q)) / y_hat.dtype.type(y.shape[0])


# ---------------------------------------------------------------- bce_grad

@mistake("bce_grad", "your gradient is m times too large: did you forget the 1/m of "
                     "J = (1/m) sum L?",
         rules=("ps1.bce_grad.mean",))
def bce_grad(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return (p - y) / (p * (1 - p))


@mistake("bce_grad", "float32 input came back as float64: compute in y_hat's dtype", kind="dtype")
def bce_grad(y_hat, y, eps=1e-12):
    p = np.clip(np.asarray(y_hat, dtype=np.float64), eps, 1 - eps)
    y = np.asarray(y, dtype=np.float64)
    return (p - y) / (p * (1 - p)) / y.shape[0]


@mistake("bce_grad", "the sign is flipped: dJ/dy_hat = (1/m)(-y/y_hat + (1-y)/(1-y_hat))")
def bce_grad(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return (y - p) / (p * (1 - p)) / y.shape[0]


@mistake("bce_grad", "y_hat is not clipped: the gradient divides by zero when y_hat is exactly "
                     "0 or 1; evaluate it at p = clip(y_hat, eps, 1-eps)",
         rules=("ps1.bce_grad.finite",))
def bce_grad(y_hat, y, eps=1e-12):
    return (-y / y_hat + (1 - y) / (1 - y_hat)) / y.shape[0]


@mistake("bce_grad", "that is dJ/dz = (y_hat - y)/m, the gradient with respect to the logit; "
                     "bce_grad wants dJ/dy_hat = (y_hat - y)/(y_hat(1-y_hat))/m")
def bce_grad(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return (p - y) / y.shape[0]


@mistake("bce_grad", "the (1-y)/(1-y_hat) term is missing: differentiate both terms of L")
def bce_grad(y_hat, y, eps=1e-12):
    p = np.clip(y_hat, eps, 1 - eps)
    return -y / p / y.shape[0]


@correct("bce_grad")
def bce_grad(y_hat, y, eps=1e-12):
    """the combined form (p - y) / (p (1 - p)) / m."""
    y_hat = np.asarray(y_hat)
    y_hat = y_hat if y_hat.dtype.kind == "f" else y_hat.astype(np.float64)
    y = np.asarray(y)
    if y_hat.ndim != 1 or y.shape != y_hat.shape:
        raise ValueError(f"y_hat and y must both have shape (m,), got {y_hat.shape} and {y.shape}")
    if ((y_hat < 0) | (y_hat > 1)).any() or not np.isin(y, (0, 1)).all():
        raise ValueError("y_hat must lie in [0, 1] and y must hold labels 0 and 1 only")
    y = y.astype(y_hat.dtype)
    p = np.clip(y_hat, eps, 1 - eps)
    return (p - y) / (p * (1 - p)) / y_hat.dtype.type(y.shape[0])


@correct("bce_grad")
def bce_grad(y_hat, y, eps=1e-12):
    """np.where on the label: -1/p for y = 1 and 1/(1-p) for y = 0, times 1/m."""
    y_hat = np.asarray(y_hat)
    y_hat = y_hat if y_hat.dtype.kind == "f" else y_hat.astype(np.float64)
    y = np.asarray(y)
    if y_hat.ndim != 1 or y.shape != y_hat.shape:
        raise ValueError(f"y_hat and y must both have shape (m,), got {y_hat.shape} and {y.shape}")
    if ((y_hat < 0) | (y_hat > 1)).any() or not np.isin(y, (0, 1)).all():
        raise ValueError("y_hat must lie in [0, 1] and y must hold labels 0 and 1 only")
    p = np.clip(y_hat, eps, 1 - eps)
    m = y_hat.dtype.type(y.shape[0])
    return np.where(y == 1, -1 / p, 1 / (1 - p)) / m


# ---------------------------------------------------------------- bce_with_logits

@mistake("bce_with_logits", "float32 input came back as float64: compute in z's dtype",
         kind="dtype")
def bce_with_logits(z, y):
    z = np.asarray(z, dtype=np.float64)
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


@mistake("bce_with_logits", "computing sigma(z) and then log(sigma(z)) overflows or gives log(0) "
                            "for large |z|; use max(z,0) - z*y + log(1+e^-|z|)")
def bce_with_logits(z, y):
    s = 1 / (1 + np.exp(-z))
    return -(y * np.log(s) + (1 - y) * np.log(1 - s))


@mistake("bce_with_logits", "the sign of the z*y term is flipped: "
                            "L = max(z,0) - z*y + log(1+e^-|z|)")
def bce_with_logits(z, y):
    return np.maximum(z, 0) + z * y + np.log1p(np.exp(-np.abs(z)))


@mistake("bce_with_logits", "log(1+e^-z) must use -|z|, not -z: it is only right for z >= 0 "
                            "and overflows for large negative z",
         rules=("ps1.bce_with_logits.finite",))
def bce_with_logits(z, y):
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-z))


@mistake("bce_with_logits", "the max(z, 0) term is missing: L = max(z,0) - z*y + log(1+e^-|z|)")
def bce_with_logits(z, y):
    return -z * y + np.log1p(np.exp(-np.abs(z)))


@mistake("bce_with_logits", "y and 1-y are swapped: the term is -z*y, with the label y")
def bce_with_logits(z, y):
    return np.maximum(z, 0) - z * (1 - y) + np.log1p(np.exp(-np.abs(z)))


@correct("bce_with_logits")
def bce_with_logits(z, y):
    """softplus form: log(1 + e^z) - z*y with np.logaddexp."""
    z = np.asarray(z)
    z = z if z.dtype.kind == "f" else z.astype(np.float64)
    y = np.asarray(y)
    if z.ndim != 1 or y.shape != z.shape:
        raise ValueError(f"z and y must both have shape (m,), got {z.shape} and {y.shape}")
    y = y.astype(z.dtype)
    return np.logaddexp(z.dtype.type(0), z) - z * y


@correct("bce_with_logits")
def bce_with_logits(z, y):
    """(1-y)*z + log(1 + e^-z), with log(1 + e^-z) as np.logaddexp(0, -z)."""
    z = np.asarray(z)
    z = z if z.dtype.kind == "f" else z.astype(np.float64)
    y = np.asarray(y)
    if z.ndim != 1 or y.shape != z.shape:
        raise ValueError(f"z and y must both have shape (m,), got {z.shape} and {y.shape}")
    y = y.astype(z.dtype)
    return (1 - y) * z + np.logaddexp(z.dtype.type(0), -z)


# ---------------------------------------------------------------- rules of ps1 broken alone

@mistake("bce_loss", "in float32, 1 - eps rounds to 1, so clip(y_hat, eps, 1 - eps) can still be "
                     "1 and log(1 - p) is -inf: clip 1 - y_hat on its own",
         rules=("ps1.bce.float32-boundary",))
def bce_loss(y_hat, y, eps=1e-12):
    dtype = ref.bce_loss(y_hat, y, eps).dtype  # the reference's checks, and its dtype
    y_hat, y = np.asarray(y_hat, dtype=dtype), np.asarray(y, dtype=dtype)
    p = np.clip(y_hat, eps, 1 - eps)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@mistake("bce_loss", "y_hat outside [0, 1] or labels other than 0 and 1 must raise ValueError: "
                     "y_hat is a probability and y a 0/1 label", rules=("ps1.bce.ranges",))
def bce_loss(y_hat, y, eps=1e-12):
    y_hat, y = np.asarray(y_hat), np.asarray(y)
    dtype = y_hat.dtype if y_hat.dtype.kind == "f" else np.float64
    y_hat, y = y_hat.astype(dtype), y.astype(dtype)
    if y_hat.ndim != 1 or y_hat.shape != y.shape or y_hat.size == 0:
        raise ValueError(f"y_hat and y must have the same shape (m,), got {y_hat.shape} and "
                         f"{y.shape}")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must lie in (0, 0.5), got {eps}")
    p, q = np.clip(y_hat, eps, 1 - eps), np.clip(1 - y_hat, eps, 1 - eps)
    return -(y * np.log(p) + (1 - y) * np.log(q))


@mistake("bce_loss", "y_hat of shape (m, 1) with y of shape (m,) must raise ValueError, not be "
                     "reshaped: check that the shapes are equal",
         rules=("ps1.bce.same-shape", "ps1.bad-input"))
def bce_loss(y_hat, y, eps=1e-12):
    return ref.bce_loss(np.ravel(y_hat), np.ravel(y), eps)


@mistake("bce_cost", "in float32, 1 - eps rounds to 1, so clip(y_hat, eps, 1 - eps) can still be "
                     "1 and log(1 - p) is -inf: clip 1 - y_hat on its own",
         rules=("ps1.bce.float32-boundary",))
def bce_cost(y_hat, y, eps=1e-12):
    dtype = ref.bce_loss(y_hat, y, eps).dtype
    y_hat, y = np.asarray(y_hat, dtype=dtype), np.asarray(y, dtype=dtype)
    p = np.clip(y_hat, eps, 1 - eps)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


@mistake("bce_grad", "y_hat outside [0, 1] or labels other than 0 and 1 must raise ValueError, "
                     "as in bce_loss", rules=("ps1.bce.ranges",))
def bce_grad(y_hat, y, eps=1e-12):
    y_hat, y = np.asarray(y_hat), np.asarray(y)
    dtype = y_hat.dtype if y_hat.dtype.kind == "f" else np.float64
    y_hat, y = y_hat.astype(dtype), y.astype(dtype)
    if y_hat.ndim != 1 or y_hat.shape != y.shape or y_hat.size == 0:
        raise ValueError(f"y_hat and y must have the same shape (m,), got {y_hat.shape} and "
                         f"{y.shape}")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must lie in (0, 0.5), got {eps}")
    p, q = np.clip(y_hat, eps, 1 - eps), np.clip(1 - y_hat, eps, 1 - eps)
    return (-y / p + (1 - y) / q) / y.size
