"""Typical wrong (and correct, differently written) variants for the regularization topic."""
import numpy as np

import reference as ref  # variants may call other curriculum functions as ref.<name>

from ..cases import correct, mistake

# ---------------------------------------------------------------- l2_penalty


@mistake("l2_penalty", "the penalty is twice too large: L2 is lambda/(2m) * sum ||W||^2, "
                       "you used lambda/m (the 1/2 is missing)")
def l2_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam / m * sum(np.sum(np.asarray(W, dtype=float) ** 2) for W in Ws)


@mistake("l2_penalty", "the penalty is m times too large: divide by 2m, "
                       "lambda/(2m) * sum ||W||^2 (the 1/m is missing)")
def l2_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam / 2 * sum(np.sum(np.asarray(W, dtype=float) ** 2) for W in Ws)


@mistake("l2_penalty", "the Frobenius norm must be squared: ||W||_F^2 = sum of W_ij^2, "
                       "not sqrt(sum of W_ij^2)")
def l2_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam / (2 * m) * sum(np.sqrt(np.sum(np.asarray(W, dtype=float) ** 2)) for W in Ws)


@mistake("l2_penalty", "you averaged the squared weights (np.mean): ||W||_F^2 is the SUM "
                       "of all squared entries")
def l2_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam / (2 * m) * sum(np.mean(np.asarray(W, dtype=float) ** 2) for W in Ws)


@mistake("l2_penalty", "only one layer is penalized: with a list of layers, add up "
                       "||W||_F^2 over every layer (does your loop overwrite the total "
                       "instead of adding to it?)")
def l2_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    total = 0.0
    for W in Ws:
        total = np.sum(np.asarray(W, dtype=float) ** 2)
    return lam / (2 * m) * total


@mistake("l2_penalty", "float32 weights gave a float64 penalty: compute in the weights' "
                       "dtype (e.g. np.sum(W * W) keeps float32, float(...) does not)",
         kind="dtype",
         rules=("ps4.dtype",))
def l2_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    if lam < 0 or m < 1:
        raise ValueError("lam must be >= 0 and m >= 1")
    return lam / (2 * m) * sum(float(np.sum(np.asarray(W, dtype=float) ** 2)) for W in Ws)


@correct("l2_penalty")
def l2_penalty(weights, lam, m):
    """all layers flattened into one vector, then a dot product with itself"""
    if not isinstance(lam, (int, float)) or lam < 0 or not np.isfinite(lam):
        raise ValueError(f"lam must be a non-negative number, got lam={lam!r}")
    if not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be an integer >= 1, got m={m!r}")
    Ws = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    Ws = [np.asarray(W) for W in Ws]
    Ws = [W if W.dtype.kind == "f" else W.astype(np.float64) for W in Ws]
    v = np.concatenate([W.ravel() for W in Ws] or [np.zeros(0)])  # no layers: penalty 0
    return v.dtype.type(lam / (2 * m) * np.dot(v, v))


@correct("l2_penalty")
def l2_penalty(weights, lam, m):
    """a loop over the layers with np.linalg.norm(W)**2"""
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got lam={lam}")
    if m < 1:
        raise ValueError(f"m must be >= 1, got m={m}")
    if not isinstance(weights, (list, tuple)):
        weights = [weights]
    total, dtype = 0.0, np.float32
    for W in weights:
        W = np.asarray(W)
        if W.dtype != np.float32:
            W, dtype = W.astype(np.float64), np.float64
        total = total + np.linalg.norm(W.ravel()) ** 2
    return dtype(total * lam / m / 2)


# ---------------------------------------------------------------- l2_grad


@mistake("l2_grad", "the gradient of lambda/(2m) ||W||^2 is (lambda/m) W: the 2 from the "
                    "square cancels the 1/2, you kept the 1/(2m)")
def l2_grad(W, lam, m):
    return lam / (2 * m) * np.asarray(W, dtype=float)


@mistake("l2_grad", "the gradient is m times too large: (lambda/m) W, the 1/m is missing")
def l2_grad(W, lam, m):
    return lam * np.asarray(W, dtype=float)


@mistake("l2_grad", "the gradient is twice too large: d/dW lambda/(2m) ||W||^2 = "
                    "(lambda/m) W, not (2 lambda/m) W")
def l2_grad(W, lam, m):
    return 2 * lam / m * np.asarray(W, dtype=float)


@mistake("l2_grad", "that is the L1 gradient (lambda/m) sign(W); the L2 gradient is "
                    "(lambda/m) W")
def l2_grad(W, lam, m):
    return lam / m * np.sign(np.asarray(W, dtype=float))


@mistake("l2_grad", "float32 weights gave a float64 gradient: compute in W's dtype "
                    "(cast only integer input to float64)", kind="dtype",
         rules=("ps4.dtype",))
def l2_grad(W, lam, m):
    if lam < 0 or m < 1:
        raise ValueError("lam must be >= 0 and m >= 1")
    return lam / m * np.asarray(W, dtype=np.float64)


@correct("l2_grad")
def l2_grad(W, lam, m):
    """W scaled by the python float lam/m, after casting integers"""
    if lam < 0 or m < 1 or int(m) != m:
        raise ValueError(f"need lam >= 0 and an integer m >= 1, got lam={lam}, m={m}")
    W = np.asarray(W)
    if W.dtype.kind != "f":
        W = W.astype(np.float64)
    return W * (lam / m)


@correct("l2_grad")
def l2_grad(W, lam, m):
    """np.multiply into a fresh array of W's floating dtype"""
    if lam < 0:
        raise ValueError("lam must be >= 0")
    if m < 1:
        raise ValueError("m must be >= 1")
    W = np.asarray(W)
    out = np.empty(W.shape, dtype=W.dtype if W.dtype.kind == "f" else np.float64)
    np.multiply(W, out.dtype.type(lam) / out.dtype.type(m), out=out, casting="unsafe")
    return out


# ---------------------------------------------------------------- l1_penalty


@mistake("l1_penalty", "the L1 penalty is lambda/m * sum |W|, without the 1/2 of the L2 "
                       "penalty")
def l1_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam / (2 * m) * sum(np.sum(np.abs(np.asarray(W, dtype=float))) for W in Ws)


@mistake("l1_penalty", "the L1 penalty sums ABSOLUTE values |W_ij|: negative weights "
                       "must add, not cancel")
def l1_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam / m * sum(np.sum(np.asarray(W, dtype=float)) for W in Ws)


@mistake("l1_penalty", "that squares the weights (the L2 penalty); L1 is lambda/m * "
                       "sum |W_ij|")
def l1_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam / m * sum(np.sum(np.asarray(W, dtype=float) ** 2) for W in Ws)


@mistake("l1_penalty", "the penalty is m times too large: lambda/m * sum |W|, the 1/m "
                       "is missing")
def l1_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    return lam * sum(np.sum(np.abs(np.asarray(W, dtype=float))) for W in Ws)


@mistake("l1_penalty", "only one layer is penalized: with a list of layers, add up "
                       "sum |W| over every layer (does your loop overwrite the total "
                       "instead of adding to it?)")
def l1_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    total = 0.0
    for W in Ws:
        total = np.sum(np.abs(np.asarray(W, dtype=float)))
    return lam / m * total


@mistake("l1_penalty", "float32 weights gave a float64 penalty: compute in the weights' "
                       "dtype (e.g. np.sum(np.abs(W)) keeps float32, float(...) does not)",
         kind="dtype")
def l1_penalty(weights, lam, m):
    Ws = weights if isinstance(weights, (list, tuple)) else [weights]
    if lam < 0 or m < 1:
        raise ValueError("lam must be >= 0 and m >= 1")
    return lam / m * sum(float(np.sum(np.abs(np.asarray(W, dtype=float)))) for W in Ws)


@correct("l1_penalty")
def l1_penalty(weights, lam, m):
    """the L1 norm of all layers flattened into one vector"""
    if lam < 0 or m < 1:
        raise ValueError(f"need lam >= 0 and m >= 1, got lam={lam}, m={m}")
    Ws = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    Ws = [np.asarray(W) for W in Ws]
    Ws = [W if W.dtype.kind == "f" else W.astype(np.float64) for W in Ws]
    v = np.concatenate([W.ravel() for W in Ws] or [np.zeros(0)])  # no layers: penalty 0
    return v.dtype.type(lam / m * np.linalg.norm(v, 1))


@correct("l1_penalty")
def l1_penalty(weights, lam, m):
    """sum of max(W, 0) - min(W, 0) per layer"""
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    if not m >= 1:
        raise ValueError(f"m must be >= 1, got {m}")
    layers = weights if isinstance(weights, (list, tuple)) else (weights,)
    arrays = [np.asarray(W) * 1.0 if np.asarray(W).dtype.kind != "f" else np.asarray(W)
              for W in layers]
    dtype = np.result_type(*arrays) if arrays else np.dtype(np.float64)
    total = sum(np.sum(np.maximum(W, 0)) - np.sum(np.minimum(W, 0)) for W in arrays)
    return dtype.type(total) * dtype.type(lam) / dtype.type(m)


# ---------------------------------------------------------------- l1_grad


@mistake("l1_grad", "sign(0) must be 0: a weight that is exactly 0 gets gradient 0, not "
                    "+lambda/m (use np.sign)")
def l1_grad(W, lam, m):
    W = np.asarray(W, dtype=float)
    return lam / m * np.where(W >= 0, 1.0, -1.0)


@mistake("l1_grad", "W/|W| is 0/0 = nan where W is exactly 0: use np.sign, whose "
                    "sign(0) = 0")
def l1_grad(W, lam, m):
    W = np.asarray(W, dtype=float)
    with np.errstate(all="ignore"):
        return lam / m * W / np.abs(W)


@mistake("l1_grad", "the L1 gradient is (lambda/m) sign(W), without the 1/2 of the L2 "
                    "penalty")
def l1_grad(W, lam, m):
    return lam / (2 * m) * np.sign(np.asarray(W, dtype=float))


@mistake("l1_grad", "that is the L2 gradient (lambda/m) W; the L1 gradient is "
                    "(lambda/m) sign(W)")
def l1_grad(W, lam, m):
    return lam / m * np.asarray(W, dtype=float)


@mistake("l1_grad", "the gradient is m times too large: (lambda/m) sign(W), the 1/m is "
                    "missing")
def l1_grad(W, lam, m):
    return lam * np.sign(np.asarray(W, dtype=float))


@mistake("l1_grad", "float32 weights gave a float64 gradient: compute in W's dtype "
                    "(cast only integer input to float64)", kind="dtype")
def l1_grad(W, lam, m):
    if lam < 0 or m < 1:
        raise ValueError("lam must be >= 0 and m >= 1")
    return lam / m * np.sign(np.asarray(W, dtype=np.float64))


@correct("l1_grad")
def l1_grad(W, lam, m):
    """sign written as (W > 0) - (W < 0)"""
    if lam < 0 or m < 1:
        raise ValueError(f"need lam >= 0 and m >= 1, got lam={lam}, m={m}")
    W = np.asarray(W)
    dtype = W.dtype if W.dtype.kind == "f" else np.dtype(np.float64)
    s = (W > 0).astype(dtype) - (W < 0).astype(dtype)
    return s * dtype.type(lam / m)


@correct("l1_grad")
def l1_grad(W, lam, m):
    """np.select over the three cases W > 0, W < 0, W == 0"""
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    if not m >= 1:
        raise ValueError(f"m must be >= 1, got {m}")
    W = np.asarray(W)
    if W.dtype.kind != "f":
        W = W.astype(np.float64)
    c = W.dtype.type(lam / m)
    return np.select([W > 0, W < 0], [c, -c], W.dtype.type(0)).astype(W.dtype)


# ---------------------------------------------------------------- rules of ps4 broken alone

@mistake("l2_penalty", "a negative lam must raise ValueError: lam is a regularization strength, "
                       "lam >= 0 (check_nonnegative)",
         rules=("ps4.penalty.bad-input", "ps4.bad-input"))
def l2_penalty(weights, lam, m):
    unit = ref.l2_penalty(weights, 1.0, m)  # the reference's other checks, and its dtype
    return unit * unit.dtype.type(lam)


@mistake("l2_penalty", "an empty list of layers has penalty 0: np.concatenate of no arrays "
                       "raises; add up the layers' penalties instead",
         rules=("ps4.penalty.empty",))
def l2_penalty(weights, lam, m):
    layers = weights if isinstance(weights, (list, tuple)) else [weights]
    return ref.l2_penalty(np.concatenate([np.ravel(W) for W in layers]), lam, m)


@mistake("l2_penalty", "the penalty must be a scalar, not an array of shape (1,) "
                       "(keepdims=True, or np.array([...])): return the sum itself",
         rules=("ps4.penalty.scalar",))
def l2_penalty(weights, lam, m):
    return np.reshape(ref.l2_penalty(weights, lam, m), (1,))
