"""Typical wrong (and correct, differently written) variants for the dropout topic."""
import numpy as np

import reference as ref  # variants may call other curriculum functions as ref.<name>

from ..cases import correct, mistake

# Messages that the dropout battery's custom checks also name (imported there).
NOT_RESCALED = ("the kept units are not rescaled: inverted dropout divides by keep_prob, "
                "out = A * mask / keep_prob, so that E[out] = A")
GLOBAL_RNG = ("the mask comes from the global np.random, not from the rng argument: draw "
              "it with rng.random(A.shape), so a seeded rng reproduces it")
ONE_MASK_PER_ROW = ("one mask is shared by every sample: draw a keep/drop decision for each "
                    "unit of each sample, rng.random(A.shape), not rng.random(n)")
DRAWS_IN_TEST_MODE = ("with train=False nothing may be drawn: your function draws the mask "
                      "(advancing the rng) before it checks train")

# ---------------------------------------------------------------- dropout_forward


@mistake("dropout_forward", "float32 activations came back as float64: a float64 mask "
                            "(astype(float)) promotes the product; keep A's dtype", kind="dtype")
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A)
    A = A if A.dtype.kind == "f" else A.astype(np.float64)
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    if not train:
        return A.copy(), None
    mask = (rng.random(A.shape) < keep_prob).astype(np.float64)
    return A * mask / keep_prob, mask


@mistake("dropout_forward", NOT_RESCALED)
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A, dtype=float)
    if not train:
        return A.copy(), None
    mask = rng.random(A.shape) < keep_prob
    return A * mask, mask


@mistake("dropout_forward", "keep_prob is the probability of KEEPING a unit: the mask is "
                            "rng.random(A.shape) < keep_prob, you used < 1 - keep_prob "
                            "(the drop probability)")
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A, dtype=float)
    if not train:
        return A.copy(), None
    mask = rng.random(A.shape) < 1 - keep_prob
    return A * mask / keep_prob, mask


@mistake("dropout_forward", "the kept units are multiplied by keep_prob; inverted dropout "
                            "DIVIDES by keep_prob: out = A * mask / keep_prob")
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A, dtype=float)
    if not train:
        return A.copy(), None
    mask = rng.random(A.shape) < keep_prob
    return A * mask * keep_prob, mask


@mistake("dropout_forward", "dropout is applied in test mode too: with train=False return "
                            "(a copy of A, None) and draw nothing",
         rules=("ps4.dropout.test-mode",))
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A, dtype=float)
    mask = rng.random(A.shape) < keep_prob
    return A * mask / keep_prob, mask


@mistake("dropout_forward", GLOBAL_RNG, rules=("ps4.rng",))
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A, dtype=float)
    if not train:
        return A.copy(), None
    mask = np.random.random(A.shape) < keep_prob
    return A * mask / keep_prob, mask


@mistake("dropout_forward", ONE_MASK_PER_ROW)
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A, dtype=float)
    if not train:
        return A.copy(), None
    mask = rng.random(A.shape[-1]) < keep_prob
    return A * mask / keep_prob, mask


@mistake("dropout_forward", "the mask must be drawn as rng.random(A.shape) < keep_prob (one "
                            "call): another draw (rng.binomial, rng.choice, ...) is valid "
                            "dropout but not reproducible against the contract",
         rules=("ps4.draws",))
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A)
    A = A if A.dtype.kind == "f" else A.astype(np.float64)
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    if not train:
        return A.copy(), None
    mask = rng.binomial(1, keep_prob, size=A.shape).astype(bool)
    return A * mask / keep_prob, mask


@mistake("dropout_forward", DRAWS_IN_TEST_MODE, rules=("ps4.dropout.test-draws",))
def dropout_forward(A, keep_prob, rng, train=True):
    A = np.asarray(A)
    A = A if A.dtype.kind == "f" else A.astype(np.float64)
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    mask = rng.random(A.shape) < keep_prob if rng is not None else None
    if not train:
        return A.copy(), None
    return A * mask / keep_prob, mask


@correct("dropout_forward")
def dropout_forward(A, keep_prob, rng, train=True):
    """np.where(mask, A / keep_prob, 0) on the uniform draw"""
    if isinstance(keep_prob, bool) or not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got keep_prob={keep_prob!r}")
    if train is not True and train is not False:
        raise ValueError(f"train must be True or False, got train={train!r}")
    if train and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    A = np.array(A)
    if A.dtype.kind != "f":
        A = A.astype(np.float64)
    if not train:
        return A, None
    U = rng.random(size=A.shape)
    keep = U < keep_prob
    return np.where(keep, A / keep_prob, A.dtype.type(0)), keep


@correct("dropout_forward")
def dropout_forward(A, keep_prob, rng, train=True):
    """a 0/1 mask in A's dtype, multiplied in, then divided by keep_prob"""
    A = np.asarray(A)
    dtype = A.dtype if A.dtype.kind == "f" else np.dtype(np.float64)
    if not (keep_prob > 0 and keep_prob <= 1):
        raise ValueError(f"keep_prob must lie in (0, 1], got {keep_prob}")
    if not isinstance(train, bool):
        raise ValueError(f"train must be a bool, got {type(train).__name__}")
    if train and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a Generator in training mode, got {rng!r}")
    if train is False:
        return A.astype(dtype, copy=True), None
    draws = rng.random(A.shape)
    D = np.zeros(A.shape, dtype=bool)
    D[draws < keep_prob] = True
    out = A.astype(dtype) * D.astype(dtype)
    out /= dtype.type(keep_prob)
    return out, D


# ---------------------------------------------------------------- dropout_backward


@mistake("dropout_backward", "the gradient is not rescaled: the forward pass divided by "
                             "keep_prob, so dA = dout * mask / keep_prob")
def dropout_backward(dout, mask, keep_prob):
    return np.asarray(dout, dtype=float) * mask


@mistake("dropout_backward", "the gradient is multiplied by keep_prob; inverted dropout "
                             "divides: dA = dout * mask / keep_prob")
def dropout_backward(dout, mask, keep_prob):
    return np.asarray(dout, dtype=float) * mask * keep_prob


@mistake("dropout_backward", "the mask is not applied: dropped units get no gradient, "
                             "dA = dout * mask / keep_prob")
def dropout_backward(dout, mask, keep_prob):
    return np.asarray(dout, dtype=float) / keep_prob


@mistake("dropout_backward", "the mask is inverted: the gradient flows through the KEPT "
                             "units (mask True), dA = dout * mask / keep_prob")
def dropout_backward(dout, mask, keep_prob):
    return np.asarray(dout, dtype=float) * (1 - np.asarray(mask, dtype=float)) / keep_prob


@mistake("dropout_backward", "float32 gradients came back as float64: a float64 mask "
                             "(astype(float)) promotes the product; keep dout's dtype",
         kind="dtype",
         rules=("ps4.dtype",))
def dropout_backward(dout, mask, keep_prob):
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    if np.shape(dout) != np.shape(mask):
        raise ValueError("dout and mask must have the same shape")
    return dout * np.asarray(mask, dtype=np.float64) / keep_prob


@correct("dropout_backward")
def dropout_backward(dout, mask, keep_prob):
    """np.where(mask, dout / keep_prob, 0)"""
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got keep_prob={keep_prob}")
    dout, mask = np.asarray(dout), np.asarray(mask)
    if dout.shape != mask.shape:
        raise ValueError(f"dout and mask must have the same shape, got {dout.shape} "
                         f"and {mask.shape}")
    if dout.dtype.kind != "f":
        dout = dout.astype(np.float64)
    return np.where(mask.astype(bool), dout / keep_prob, dout.dtype.type(0))


@correct("dropout_backward")
def dropout_backward(dout, mask, keep_prob):
    """a scale array mask / keep_prob in dout's dtype, multiplied in"""
    dout = np.asarray(dout)
    dtype = dout.dtype if dout.dtype.kind == "f" else np.dtype(np.float64)
    if keep_prob <= 0 or keep_prob > 1:
        raise ValueError(f"keep_prob must lie in (0, 1], got {keep_prob}")
    if np.shape(mask) != dout.shape:
        raise ValueError(f"mask must have dout's shape {dout.shape}, got {np.shape(mask)}")
    scale = np.asarray(mask).astype(dtype) / dtype.type(keep_prob)
    return dout.astype(dtype) * scale


# ---------------------------------------------------------------- rules of ps4 broken alone

@mistake("dropout_forward", "the mask must be the boolean array rng.random(A.shape) < keep_prob, "
                            "not 0/1 floats", rules=("ps4.dropout.bool-mask",))
def dropout_forward(A, keep_prob, rng, train=True):
    out, mask = ref.dropout_forward(A, keep_prob, rng, train)
    return out, None if mask is None else mask.astype(out.dtype)


@mistake("dropout_forward", "keep_prob outside (0, 1] must raise ValueError: 0 drops every unit "
                            "and divides by 0 (check_real_in(..., low_open=True))",
         rules=("ps4.dropout.keep-prob", "ps4.bad-input"))
def dropout_forward(A, keep_prob, rng, train=True):
    if train is not True and train is not False:
        raise ValueError(f"train must be True or False, got {train!r}")
    if train and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    A = np.asarray(A)
    A = A if A.dtype.kind == "f" else A.astype(np.float64)
    if not train:
        return A.copy(), None
    mask = rng.random(A.shape) < keep_prob
    with np.errstate(all="ignore"):
        return A * mask / keep_prob, mask


@mistake("dropout_forward", "in training mode rng must be a Generator: rng=None must raise "
                            "ValueError, not fall back to a fresh, unseeded generator",
         rules=("ps4.dropout.rng",))
def dropout_forward(A, keep_prob, rng, train=True):
    if train is True and rng is None:
        rng = np.random.default_rng()
    return ref.dropout_forward(A, keep_prob, rng, train)


@mistake("dropout_forward", "train must be True or False: a string such as 'no' must raise "
                            "ValueError, not count as True", rules=("ps4.dropout.train-bool",))
def dropout_forward(A, keep_prob, rng, train=True):
    return ref.dropout_forward(A, keep_prob, rng, bool(train))


@mistake("dropout_backward", "a new mask was drawn: the backward pass uses the mask that the "
                             "forward pass returned, dA = dout * mask / keep_prob",
         rules=("ps4.dropout_backward.same-mask",))
def dropout_backward(dout, mask, keep_prob):
    dA = ref.dropout_backward(dout, mask, keep_prob)  # the reference's checks, and its dtype
    fresh = np.random.default_rng(0).random(dA.shape) < keep_prob
    return ref.dropout_backward(np.asarray(dout, dtype=dA.dtype), fresh, keep_prob)


@mistake("dropout_backward", "mask=None (what test mode returns) must raise ValueError: there "
                             "is nothing to backpropagate through",
         rules=("ps4.dropout_backward.bad-input", "ps4.bad-input"))
def dropout_backward(dout, mask, keep_prob):
    if mask is None:
        mask = np.ones(np.shape(dout), dtype=bool)
    return ref.dropout_backward(dout, mask, keep_prob)


@mistake("dropout_forward", "in test mode A itself comes back: the caller's array and your "
                            "output are one, so changing one changes the other; return A.copy()",
         kind="aliasing", rules=("ps4.dropout.test-copy",))
def dropout_forward(A, keep_prob, rng, train=True):
    out, mask = ref.dropout_forward(A, keep_prob, rng, train)
    return (A if not train and isinstance(A, np.ndarray) and A.dtype == out.dtype else out), mask
