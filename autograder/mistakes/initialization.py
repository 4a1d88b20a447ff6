"""Typical wrong (and correct, differently written) variants for the initialization topic.

The global-RNG variants are deliberately non-deterministic: the batteries must still
catch them (a seeded case and a "same seed, same weights" case do).
"""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake

#: np.empty returns recycled memory, so no replay can match it: the battery names it
EMPTY = ("np.empty does not zero the memory: it returns whatever was there; "
         "use np.zeros((n_in, n_out))")

# ================================================================ init_zeros

@mistake("init_zeros", "the weights have dtype int: use float zeros, np.zeros((n_in, n_out))",
         kind="dtype",
         rules=("ps5.init.float64",))
def init_zeros(n_in, n_out):
    return np.zeros((n_in, n_out), dtype=int)


@mistake("init_zeros", "the shape is (n_out, n_in): a layer's W has shape (n_in, n_out) "
                       "so that A_next = A @ W + b")
def init_zeros(n_in, n_out):
    return np.zeros((n_out, n_in))


@mistake("init_zeros", EMPTY)
def init_zeros(n_in, n_out):
    return np.empty((n_in, n_out))


@mistake("init_zeros", "a flat vector of n_in*n_out zeros: W must be a 2-d array of shape "
                       "(n_in, n_out)")
def init_zeros(n_in, n_out):
    return np.zeros(n_in * n_out)


@correct("init_zeros")
def init_zeros(n_in, n_out):
    """np.full with 0.0, after checking both sizes"""
    for name, n in (("n_in", n_in), ("n_out", n_out)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {name}={n!r}")
    return np.full((n_in, n_out), 0.0)


@correct("init_zeros")
def init_zeros(n_in, n_out):
    """a flat float vector reshaped to (n_in, n_out)"""
    import numbers
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
               for n in (n_in, n_out)):
        raise ValueError(f"n_in and n_out must be positive integers, got {n_in!r}, {n_out!r}")
    return np.zeros(int(n_in) * int(n_out), dtype=np.float64).reshape(int(n_in), int(n_out))


# ================================================================ init_normal

@mistake("init_normal", "scale was ignored: W = scale * standard_normal((n_in, n_out))")
def init_normal(n_in, n_out, rng, scale=1.0):
    return rng.standard_normal((n_in, n_out))


@mistake("init_normal", "the weights were multiplied by scale**2: scale is the standard "
                        "deviation, so multiply by scale itself")
def init_normal(n_in, n_out, rng, scale=1.0):
    return rng.standard_normal((n_in, n_out)) * scale ** 2


@mistake("init_normal", "rng.normal(scale, ...) makes scale the MEAN: pass it as the standard "
                        "deviation, rng.normal(0.0, scale, size) or standard_normal * scale")
def init_normal(n_in, n_out, rng, scale=1.0):
    return rng.normal(scale, size=(n_in, n_out))


@mistake("init_normal", "the shape is (n_out, n_in): W has shape (n_in, n_out)")
def init_normal(n_in, n_out, rng, scale=1.0):
    return rng.standard_normal((n_out, n_in)) * scale


@mistake("init_normal", "rng.random draws uniform values in [0, 1): use rng.standard_normal "
                        "for Gaussian weights with mean 0")
def init_normal(n_in, n_out, rng, scale=1.0):
    return rng.random((n_in, n_out)) * scale


@mistake("init_normal", "the weights do not come from the rng argument (the global np.random, "
                        "or a new generator): the same seed must give the same weights; "
                        "draw with rng.standard_normal((n_in, n_out))",
         rules=("ps5.rng",))
def init_normal(n_in, n_out, rng, scale=1.0):
    return np.random.standard_normal((n_in, n_out)) * scale


@correct("init_normal")
def init_normal(n_in, n_out, rng, scale=1.0):
    """rng.normal(0, scale, size), after checking the sizes"""
    if not all(isinstance(n, (int, np.integer)) and n >= 1 for n in (n_in, n_out)):
        raise ValueError(f"n_in and n_out must be integers >= 1, got {n_in!r}, {n_out!r}")
    return rng.normal(0.0, scale, size=(n_in, n_out))


@correct("init_normal")
def init_normal(n_in, n_out, rng, scale=1.0):
    """a flat draw of n_in*n_out values reshaped to (n_in, n_out)"""
    for name, n in (("n_in", n_in), ("n_out", n_out)):
        if int(n) != n or n < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    if not scale >= 0:
        raise ValueError(f"scale must be >= 0, got scale={scale!r}")
    return (scale * rng.standard_normal(n_in * n_out)).reshape(n_in, n_out)


# ================================================================ init_xavier

@mistake("init_xavier", "that is He's scale sqrt(2/n_in): Xavier uses sqrt(1/n_in)")
def init_xavier(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)


@mistake("init_xavier", "the scale uses n_out: Xavier's variance is 1/n_in, the fan-in")
def init_xavier(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(1 / n_out)


@mistake("init_xavier", "1/n_in is the VARIANCE: multiply standard normals by the standard "
                        "deviation sqrt(1/n_in)")
def init_xavier(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) / n_in


@mistake("init_xavier", "that is Glorot's sqrt(2/(n_in + n_out)): this course's Xavier "
                        "uses sqrt(1/n_in)")
def init_xavier(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / (n_in + n_out))


@mistake("init_xavier", "the shape is (n_out, n_in): W has shape (n_in, n_out)",
         rules=("ps5.init.shape",))
def init_xavier(n_in, n_out, rng):
    return rng.standard_normal((n_out, n_in)) * np.sqrt(1 / n_in)


@mistake("init_xavier", "rng.random draws uniform values in [0, 1): use rng.standard_normal "
                        "for Gaussian weights with mean 0",
         rules=("ps5.init.draw",))
def init_xavier(n_in, n_out, rng):
    return rng.random((n_in, n_out)) * np.sqrt(1 / n_in)


@mistake("init_xavier", "the weights do not come from the rng argument (the global np.random, "
                        "or a new generator): the same seed must give the same weights; "
                        "draw with rng.standard_normal((n_in, n_out))")
def init_xavier(n_in, n_out, rng):
    return np.random.default_rng().standard_normal((n_in, n_out)) * np.sqrt(1 / n_in)


@correct("init_xavier")
def init_xavier(n_in, n_out, rng):
    """rng.normal with standard deviation sqrt(1/n_in)"""
    if not all(isinstance(n, (int, np.integer)) and n > 0 for n in (n_in, n_out)):
        raise ValueError(f"n_in and n_out must be integers >= 1, got {n_in!r}, {n_out!r}")
    return rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))


@correct("init_xavier")
def init_xavier(n_in, n_out, rng):
    """divide by sqrt(n_in) through ref.init_normal's draw of scale 1"""
    return ref.init_normal(n_in, n_out, rng) / np.sqrt(n_in)


# ================================================================ init_he

@mistake("init_he", "that is Xavier's scale sqrt(1/n_in): He uses sqrt(2/n_in) for ReLU")
def init_he(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(1 / n_in)


@mistake("init_he", "2/n_in is the VARIANCE: multiply standard normals by the standard "
                    "deviation sqrt(2/n_in)")
def init_he(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * (2 / n_in)


@mistake("init_he", "the scale uses n_out: He's variance is 2/n_in, the fan-in")
def init_he(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_out)


@mistake("init_he", "the shape is (n_out, n_in): W has shape (n_in, n_out)")
def init_he(n_in, n_out, rng):
    return rng.standard_normal((n_out, n_in)) * np.sqrt(2 / n_in)


@mistake("init_he", "rng.random draws uniform values in [0, 1): use rng.standard_normal "
                    "for Gaussian weights with mean 0")
def init_he(n_in, n_out, rng):
    return rng.random((n_in, n_out)) * np.sqrt(2 / n_in)


@mistake("init_he", "the weights do not come from the rng argument (the global np.random, "
                    "or a new generator): the same seed must give the same weights; "
                    "draw with rng.standard_normal((n_in, n_out))")
def init_he(n_in, n_out, rng):
    return np.random.randn(n_in, n_out) * np.sqrt(2 / n_in)


@correct("init_he")
def init_he(n_in, n_out, rng):
    """ref.init_normal's unit draw (it validates), rescaled by sqrt(2/n_in) from W's shape"""
    W = ref.init_normal(n_in, n_out, rng)
    return W * np.sqrt(2.0 / W.shape[0])


@correct("init_he")
def init_he(n_in, n_out, rng):
    """sqrt(2) * standard_normal / sqrt(n_in), with math.sqrt"""
    import math
    if any(isinstance(n, float) or n <= 0 for n in (n_in, n_out)):
        raise ValueError(f"n_in and n_out must be integers >= 1, got {n_in!r}, {n_out!r}")
    return math.sqrt(2) * rng.standard_normal(size=(n_in, n_out)) / math.sqrt(n_in)


# ================================================================ init_glorot

@mistake("init_glorot", "the variance is 1/(n_in + n_out): Glorot's is 2/(n_in + n_out), "
                        "the inverse of the AVERAGE fan (n_in + n_out)/2")
def init_glorot(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(1 / (n_in + n_out))


@mistake("init_glorot", "the scale uses only n_out: Glorot averages the fans, "
                        "sqrt(2/(n_in + n_out))")
def init_glorot(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_out)


@mistake("init_glorot", "that is He's sqrt(2/n_in): Glorot uses both fans, "
                        "sqrt(2/(n_in + n_out))")
def init_glorot(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)


@mistake("init_glorot", "this is Glorot UNIFORM (uniform in +-sqrt(6/(n_in+n_out))): the "
                        "course's Glorot is normal, standard_normal * sqrt(2/(n_in + n_out))")
def init_glorot(n_in, n_out, rng):
    limit = np.sqrt(6 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


@mistake("init_glorot", "the shape is (n_out, n_in): W has shape (n_in, n_out)")
def init_glorot(n_in, n_out, rng):
    return rng.standard_normal((n_out, n_in)) * np.sqrt(2 / (n_in + n_out))


@mistake("init_glorot", "rng.random draws uniform values in [0, 1): use rng.standard_normal "
                        "for Gaussian weights with mean 0")
def init_glorot(n_in, n_out, rng):
    return rng.random((n_in, n_out)) * np.sqrt(2 / (n_in + n_out))


@mistake("init_glorot", "the weights do not come from the rng argument (the global np.random, "
                        "or a new generator): the same seed must give the same weights; "
                        "draw with rng.standard_normal((n_in, n_out))")
def init_glorot(n_in, n_out, rng):
    return np.random.normal(0, np.sqrt(2 / (n_in + n_out)), (n_in, n_out))


@correct("init_glorot")
def init_glorot(n_in, n_out, rng):
    """rng.normal with standard deviation sqrt(2/(n_in + n_out))"""
    if not all(isinstance(n, (int, np.integer)) and n > 0 for n in (n_in, n_out)):
        raise ValueError(f"n_in and n_out must be integers >= 1, got {n_in!r}, {n_out!r}")
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


@correct("init_glorot")
def init_glorot(n_in, n_out, rng):
    """ref.init_normal's unit draw, divided by sqrt of the fan average (n_in + n_out)/2"""
    W = ref.init_normal(n_in, n_out, rng)
    return W / np.sqrt(sum(W.shape) / 2)


# ---------------------------------------------------------------- rules of ps5 broken alone

@mistake("init_he", "n_in and n_out must be integers >= 1 (check_int): n_in = 0 or 2.5 must "
                    "raise ValueError naming the argument",
         rules=("ps5.init.bad-input", "ps5.bad-input"))
def init_he(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)


@mistake("init_normal", "a negative scale must raise ValueError: scale is a standard deviation, "
                        "scale >= 0", rules=("ps5.init_normal.scale", "ps5.bad-input"))
def init_normal(n_in, n_out, rng, scale=1.0):
    return ref.init_normal(n_in, n_out, rng) * scale
