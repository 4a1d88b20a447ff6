"""Typical wrong activations, as students write them."""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake


@mistake("sigmoid", "the sign of z is flipped: sigma(z) = 1/(1+e^{-z}), not 1/(1+e^{z})")
def sigmoid(z):
    return 1 / (1 + np.exp(z))


@mistake("sigmoid", "e^{-z}/(1+e^{-z}) overflows to inf/inf = nan for large negative z; "
                    "use a stable form",
         rules=("ps1.sigmoid.finite",))
def sigmoid(z):
    return np.exp(-z) / (1 + np.exp(-z))


@mistake("sigmoid", "this is tanh, not the logistic sigmoid")
def sigmoid(z):
    return np.tanh(z)


@mistake("sigmoid", "float32 input came back as float64: compute in the input's dtype",
         kind="dtype",
         rules=("ps1.dtype",))
def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


@mistake("sigmoid_grad", "this is sigma(z), not its derivative sigma(z)(1 - sigma(z))")
def sigmoid_grad(z):
    return 1 / (1 + np.exp(-z))


@mistake("sigmoid_grad", "sigma'(z) = s(1-s) with s = sigma(z), not z(1-z)")
def sigmoid_grad(z):
    return z * (1 - z)


@mistake("sigmoid_grad", "sigma'(z) = s(1 - s) with s = sigma(z); the (1 - s) factor uses z "
                         "instead of s")
def sigmoid_grad(z):
    return 1 / (1 + np.exp(-z)) * (1 - z)


@mistake("sigmoid_grad", "the derivative is s(1-s); s(1+s) has the wrong sign")
def sigmoid_grad(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 + s)


@mistake("relu", "relu(z) = max(z, 0): negative inputs must become 0, positive stay")
def relu(z):
    return np.minimum(z, 0)


@mistake("relu", "relu keeps the value of positive z, not 1")
def relu(z):
    return (z > 0).astype(float)


@mistake("relu", "abs(z) is not relu: negative inputs must become 0")
def relu(z):
    return np.abs(z)


@mistake("relu", "float32 input came back as float64: compute in the input's dtype", kind="dtype")
def relu(z):
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


@mistake("relu_grad", "relu'(0) must be 0 (the convention here), not 1")
def relu_grad(z):
    return (z >= 0).astype(z.dtype)


@mistake("relu_grad", "relu'(z) is 1 for z > 0, not z itself")
def relu_grad(z):
    return np.maximum(z, 0)


@mistake("relu_grad", "the comparison is reversed: relu'(z) = 1 where z > 0")
def relu_grad(z):
    return (z < 0).astype(z.dtype)


@mistake("relu_grad", "booleans came back: return floats in the input's dtype", kind="dtype",
         rules=("ps1.relu_grad.dtype",))
def relu_grad(z):
    return z > 0


@mistake("tanh_grad", "tanh'(z) = 1 - tanh(z)^2, not 1 - tanh(z)")
def tanh_grad(z):
    return 1 - np.tanh(z)


@mistake("tanh_grad", "tanh'(z) = 1 - tanh(z)^2, not 1 - z^2")
def tanh_grad(z):
    return 1 - z ** 2


@mistake("tanh_grad", "that is tanh(z) itself, not its derivative")
def tanh_grad(z):
    return np.tanh(z)


@mistake("tanh_grad", "the sign is flipped: tanh'(z) = 1 - tanh^2, which is positive")
def tanh_grad(z):
    return np.tanh(z) ** 2 - 1


# ---------------------------------------------------------------- correct variants

@correct("sigmoid")
def sigmoid(z):
    """sigmoid through tanh: sigma(z) = (1 + tanh(z/2)) / 2"""
    z = np.asarray(z)
    z = z if z.dtype.kind == "f" else z.astype(np.float64)
    return (1 + np.tanh(z / 2)) / 2


@correct("sigmoid")
def sigmoid(z):
    """sigmoid through logaddexp: exp(-log(1 + e^-z))"""
    z = np.asarray(z)
    z = z if z.dtype.kind == "f" else z.astype(np.float64)
    return np.exp(-np.logaddexp(z.dtype.type(0), -z))


@correct("sigmoid_grad")
def sigmoid_grad(z):
    """s(1 - s) with s computed through tanh"""
    s = (1 + np.tanh(z / 2)) / 2
    return s * (1 - s)


@correct("sigmoid_grad")
def sigmoid_grad(z):
    """exp(-log(1 + e^-z) - log(1 + e^z)), i.e. sigma(z) sigma(-z), in logs"""
    zero = z.dtype.type(0)
    return np.exp(-np.logaddexp(zero, -z) - np.logaddexp(zero, z))


@correct("relu")
def relu(z):
    """np.where on the sign"""
    return np.where(z > 0, z, 0)


@correct("relu")
def relu(z):
    """z times the mask z > 0"""
    return z * (z > 0)


@correct("relu_grad")
def relu_grad(z):
    """numpy's heaviside step, with value 0 at 0"""
    return np.heaviside(z, 0)


@correct("relu_grad")
def relu_grad(z):
    """np.where on the sign, in z's floating dtype"""
    return np.where(z > 0, 1.0, 0.0).astype(np.result_type(z, 1.0))


@correct("tanh_grad")
def tanh_grad(z):
    """(1 - tanh z)(1 + tanh z)"""
    t = np.tanh(z)
    return (1 - t) * (1 + t)


@correct("tanh_grad")
def tanh_grad(z):
    """4 e^{-2|z|} / (1 + e^{-2|z|})^2, which never overflows"""
    e = np.exp(-2 * np.abs(z))
    return 4 * e / (1 + e) ** 2


# ---------------------------------------------------------------- rules of ps1 broken alone

@mistake("sigmoid", "the result is flattened: return an array of z's shape", rules=("ps1.sigmoid.shape",))
def sigmoid(z):
    return ref.sigmoid(z).ravel()


@mistake("relu", "relu wrote into your input (z[z < 0] = 0 changes the caller's array): "
                 "build a new array, e.g. np.maximum(z, 0)", kind="purity", rules=("ps1.purity",))
def relu(z):
    z = np.asarray(z)
    out = z if z.dtype.kind == "f" else z.astype(np.float64)
    out[out < 0] = 0
    return out
