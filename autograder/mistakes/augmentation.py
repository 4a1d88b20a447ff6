"""Typical wrong (and correct, differently written) variants for the augmentation topic."""
import numpy as np

import reference as ref  # variants may call other curriculum functions as ref.<name>

from ..cases import correct, mistake

# A message that the augmentation battery's "same seed" checks also name (imported there).
GLOBAL_RNG = ("the randomness comes from the global np.random (or a new generator), not from "
              "the rng argument: draw only from rng, so that the same seed gives the same result")

# ---------------------------------------------------------------- augment_noise


@mistake("augment_noise", "the noise is scaled by std**2, the variance: std is the standard "
                          "deviation, so add std * rng.standard_normal(X.shape)")
def augment_noise(X, std, rng):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return (X + std ** 2 * rng.standard_normal(X.shape)).astype(X.dtype)


@mistake("augment_noise", "rng.normal(std, size=...) makes std the MEAN of the noise: the noise "
                          "has mean 0 and standard deviation std, "
                          "std * rng.standard_normal(X.shape)")
def augment_noise(X, std, rng):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return (X + rng.normal(std, size=X.shape)).astype(X.dtype)


@mistake("augment_noise", "the noise is added to X in place (X += ...), which changes the "
                          "caller's data: return a new array, X + std * noise", kind="purity",
         rules=("ps4.purity",))
def augment_noise(X, std, rng):
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    X += std * rng.standard_normal(X.shape)
    return X


@mistake("augment_noise", "the noise is drawn in float32 (standard_normal(..., dtype=np.float32)), "
                          "a different random stream: draw float64 standard normals, then give "
                          "the result X's dtype")
def augment_noise(X, std, rng):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return (X + std * rng.standard_normal(X.shape, dtype=np.float32)).astype(X.dtype)


@mistake("augment_noise", "float32 X came back as float64: the float64 noise promotes the sum; "
                          "cast the result to X's dtype, (X + std * noise).astype(X.dtype)",
         kind="dtype")
def augment_noise(X, std, rng):
    if std < 0:
        raise ValueError(f"std must be >= 0, got std={std}")
    return np.asarray(X) + std * rng.standard_normal(np.shape(X))


@mistake("augment_noise", "with std = 0 nothing was drawn: the contract draws the noise once "
                          "whatever std is, so that the rng advances the same way for every std",
         rules=("ps4.augment_noise.draw",))
def augment_noise(X, std, rng):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    if std < 0:
        raise ValueError(f"std must be >= 0, got std={std}")
    if std == 0:
        return X.copy()
    return (X + std * rng.standard_normal(X.shape)).astype(X.dtype)


@mistake("augment_noise", GLOBAL_RNG)
def augment_noise(X, std, rng):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return (X + std * np.random.standard_normal(X.shape)).astype(X.dtype)


@correct("augment_noise")
def augment_noise(X, std, rng):
    """rng.normal(0, std, X.shape) (the same stream), after checking std and rng"""
    if isinstance(std, bool) or not isinstance(std, (int, float, np.number)) or not std >= 0:
        raise ValueError(f"std must be a number >= 0, got std={std!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    X = np.asarray(X)
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    return (X + rng.normal(0.0, std, size=X.shape)).astype(dtype)


@correct("augment_noise")
def augment_noise(X, std, rng):
    """the sum in float64, noise * std, cast back with np.asarray(..., dtype)"""
    X = np.asarray(X)
    if not np.isfinite(std) or std < 0:
        raise ValueError(f"std must be a finite number >= 0, got std={std}")
    noise = rng.standard_normal(size=np.shape(X))
    total = X.astype(np.float64) + noise * float(std)
    return np.asarray(total, dtype=X.dtype if X.dtype.kind == "f" else np.float64)


# ---------------------------------------------------------------- augment_flip


@mistake("augment_flip", "the images are flipped upside down (rows reversed, axis 1; np.fliplr "
                         "on the batch does that): a left-right mirror reverses the columns, "
                         "axis 2 of (N, H, W)",
         rules=("ps4.augment_flip.columns",))
def augment_flip(images, rng, p=0.5):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    flip = rng.random(images.shape[0]) < p
    out = images.copy()
    out[flip] = images[flip][:, ::-1]
    return out, flip


@mistake("augment_flip", "the last axis is reversed, which for (N, H, W, C) images is the "
                         "channel axis: mirror the columns, axis 2, images[:, :, ::-1]")
def augment_flip(images, rng, p=0.5):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    flip = rng.random(images.shape[0]) < p
    out = images.copy()
    out[flip] = images[flip][..., ::-1]
    return out, flip


@mistake("augment_flip", "rng.random(N) > p flips with probability 1 - p: an image is flipped "
                         "when its uniform draw is BELOW p, flip = rng.random(N) < p")
def augment_flip(images, rng, p=0.5):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    flip = rng.random(images.shape[0]) > p
    out = images.copy()
    out[flip] = images[flip][:, :, ::-1]
    return out, flip


@mistake("augment_flip", "one coin is tossed for the whole batch, so every image flips or none "
                         "does: draw one decision per image, flip = rng.random(N) < p",
         rules=("ps4.augment_flip.per-image",))
def augment_flip(images, rng, p=0.5):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    flip = np.full(images.shape[0], rng.random() < p)
    return (images[:, :, ::-1] if flip[0] else images.copy()), flip


@mistake("augment_flip", "the flagged images are mirrored in place (images[flip] = ...), which "
                         "changes the caller's batch: mirror into a new array", kind="purity")
def augment_flip(images, rng, p=0.5):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    flip = rng.random(images.shape[0]) < p
    images[flip] = images[flip][:, :, ::-1]
    return images, flip


@mistake("augment_flip", "float32 images came back as float64 (a float64 output array): keep "
                         "the images' dtype", kind="dtype")
def augment_flip(images, rng, p=0.5):
    images = np.asarray(images)
    if images.ndim not in (3, 4) or not 0 <= p <= 1:
        raise ValueError(f"bad input: images.shape={images.shape}, p={p}")
    flip = rng.random(images.shape[0]) < p
    out = np.array(images, dtype=np.float64)
    out[flip] = out[flip][:, :, ::-1]
    return out, flip


@mistake("augment_flip", GLOBAL_RNG)
def augment_flip(images, rng, p=0.5):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    flip = np.random.random(images.shape[0]) < p
    out = images.copy()
    out[flip] = images[flip][:, :, ::-1]
    return out, flip


@correct("augment_flip")
def augment_flip(images, rng, p=0.5):
    """a copy, the flagged images overwritten by np.flip(..., axis=2)"""
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    if isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got p={p!r}")
    out = images.astype(images.dtype if images.dtype.kind == "f" else np.float64)
    flip = rng.random(len(images)) < p
    out[flip] = np.flip(out[flip], axis=2)
    return out, flip


@correct("augment_flip")
def augment_flip(images, rng, p=0.5):
    """a Python loop over the images, mirroring with [:, ::-1]"""
    images = np.asarray(images)
    if images.ndim < 3 or images.ndim > 4:
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got ndim={images.ndim}")
    if not (p >= 0 and p <= 1):
        raise ValueError(f"p must lie in [0, 1], got {p}")
    draws = rng.random(size=images.shape[0])
    dtype = images.dtype if images.dtype.kind == "f" else np.dtype(np.float64)
    out = np.empty(images.shape, dtype=dtype)
    for i, image in enumerate(images):
        out[i] = image[:, ::-1] if draws[i] < p else image
    return out, draws < p


# ---------------------------------------------------------------- augment_shift


@mistake("augment_shift", "np.roll wraps around: what leaves one edge comes back on the other; "
                          "a shift must fill what enters with zeros",
         rules=("ps4.augment_shift.zeros",))
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(images.shape[0], 2))
    out = np.stack([np.roll(im, tuple(s), axis=(0, 1)) for im, s in zip(images, shifts)])
    return out, shifts


@mistake("augment_shift", "the border pixels are repeated (edge padding) instead of zeros: what "
                          "enters the frame is filled with 0")
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    N, H, W = images.shape[:3]
    k = max_shift
    shifts = rng.integers(-k, k + 1, size=(N, 2))
    padded = np.pad(images, [(0, 0), (k, k), (k, k)] + [(0, 0)] * (images.ndim - 3), mode="edge")
    out = np.stack([padded[i, k - dy:k - dy + H, k - dx:k - dx + W]
                    for i, (dy, dx) in enumerate(shifts)])
    return out, shifts


@mistake("augment_shift", "one shift is drawn for the whole batch: every image needs its own "
                          "(dy, dx), rng.integers(-max_shift, max_shift + 1, size=(N, 2))")
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    N, H, W = images.shape[:3]
    shifts = np.tile(rng.integers(-max_shift, max_shift + 1, size=2), (N, 1))
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(shifts):
        out[i, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out, shifts


@mistake("augment_shift", "dy and dx are swapped: column 0 of shifts (dy) moves the image down, "
                          "along the rows (axis 1), and column 1 (dx) moves it right")
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    N, H, W = images.shape[:3]
    shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(shifts[:, ::-1]):
        out[i, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out, shifts


@mistake("augment_shift", "the images move the wrong way: a positive dy moves the image DOWN "
                          "(out[r] = image[r - dy]) and a positive dx moves it RIGHT")
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    N, H, W = images.shape[:3]
    shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(-shifts):
        out[i, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out, shifts


@mistake("augment_shift", "rng.integers(low, high) excludes high: shifts in [-max_shift, "
                          "max_shift] need rng.integers(-max_shift, max_shift + 1, size=(N, 2))")
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    N, H, W = images.shape[:3]
    shifts = rng.integers(-max_shift, max(max_shift, 1), size=(N, 2))
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(shifts):
        out[i, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out, shifts


@mistake("augment_shift", "float32 images came back as float64 (np.zeros(shape) is float64): "
                          "make the output with the images' dtype, np.zeros_like(images)",
         kind="dtype")
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    N, H, W = images.shape[:3]
    if not 0 <= max_shift < min(H, W) or int(max_shift) != max_shift:
        raise ValueError(f"max_shift must be an integer in [0, min(H, W)), got {max_shift}")
    shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))
    out = np.zeros(images.shape)
    for i, (dy, dx) in enumerate(shifts):
        out[i, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out, shifts


@mistake("augment_shift", GLOBAL_RNG, rules=("ps4.rng",))
def augment_shift(images, max_shift, rng):
    images = np.asarray(images)
    images = images if images.dtype.kind == "f" else images.astype(np.float64)
    N, H, W = images.shape[:3]
    shifts = np.random.randint(-max_shift, max_shift + 1, size=(N, 2))
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(shifts):
        out[i, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out, shifts


@correct("augment_shift")
def augment_shift(images, max_shift, rng):
    """zero padding by max_shift, then one window per image (a loop)"""
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    N, H, W = images.shape[:3]
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) \
            or not 0 <= max_shift < min(H, W):
        raise ValueError(f"max_shift must be an integer in [0, {min(H, W)}), got {max_shift!r}")
    k = int(max_shift)
    shifts = rng.integers(-k, k + 1, size=(N, 2))
    dtype = images.dtype if images.dtype.kind == "f" else np.dtype(np.float64)
    pad = [(0, 0), (k, k), (k, k)] + [(0, 0)] * (images.ndim - 3)
    padded = np.pad(images.astype(dtype), pad)
    out = np.empty(images.shape, dtype=dtype)
    for i, (dy, dx) in enumerate(shifts):
        out[i] = padded[i, k - dy:k - dy + H, k - dx:k - dx + W]
    return out, shifts


@correct("augment_shift")
def augment_shift(images, max_shift, rng):
    """slice assignment into zeros, one image at a time"""
    images = np.asarray(images)
    if not 3 <= images.ndim <= 4:
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got ndim={images.ndim}")
    N, H, W = images.shape[:3]
    if int(max_shift) != max_shift or max_shift < 0 or max_shift >= min(H, W):
        raise ValueError(f"max_shift must be an integer with 0 <= max_shift < {min(H, W)}, "
                         f"got {max_shift}")
    shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))
    out = np.zeros_like(images, dtype=images.dtype if images.dtype.kind == "f" else np.float64)
    for i, (dy, dx) in enumerate(shifts):
        out[i, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            images[i, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)]
    return out, shifts


# ---------------------------------------------------------------- rules of ps4 broken alone

@mistake("augment_noise", "a negative std must raise ValueError (check_nonnegative): std is a "
                          "standard deviation, not to be replaced by |std|",
         rules=("ps4.augment_noise.bad-input", "ps4.bad-input"))
def augment_noise(X, std, rng):
    return ref.augment_noise(X, abs(std), rng)


@mistake("augment_flip", "p outside [0, 1] must raise ValueError (check_real_in): p is a "
                         "probability, not to be clipped into [0, 1]",
         rules=("ps4.augment_flip.bad-input", "ps4.bad-input"))
def augment_flip(images, rng, p=0.5):
    return ref.augment_flip(images, rng, min(max(p, 0.0), 1.0))


@mistake("augment_shift", "max_shift must be an integer (check_int): 1.5 must raise ValueError, "
                          "not be truncated to 1",
         rules=("ps4.augment_shift.bad-input", "ps4.bad-input"))
def augment_shift(images, max_shift, rng):
    return ref.augment_shift(images, int(max_shift), rng)


@mistake("augment_flip", "with nothing to flip, the images themselves come back: the caller's "
                         "array and your output are one; return a new array",
         kind="aliasing", rules=("ps4.new-arrays",))
def augment_flip(images, rng, p=0.5):
    out, flip = ref.augment_flip(images, rng, p)
    same = not flip.any() and isinstance(images, np.ndarray) and images.dtype == out.dtype
    return (images if same else out), flip
