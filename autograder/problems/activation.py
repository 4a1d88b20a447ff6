"""Batteries for the activations: sigmoid, its gradient, ReLU and tanh'."""
import numpy as np

from ..cases import battery
from ._kit import float32, pure, rng, value

Z_SMALL = np.linspace(-5, 5, 11)
Z_LARGE = np.array([-1e4, -800.0, -50.0, -1e-3, 0.0, 1e-3, 50.0, 800.0, 1e4])


def _z(seed, shape=(4, 3)):
    return rng(seed).normal(0, 3, size=shape)


@battery("sigmoid")
def sigmoid():
    return [
        value("sigmoid", "z from -5 to 5", Z_SMALL),
        value("sigmoid", "a 2-d array", _z(1)),
        value("sigmoid", "large |z| is finite and silent", Z_LARGE, hidden=True, weight=2,
              atol=1e-12, silent=True),
        value("sigmoid", "random 3-d array", _z(2, (2, 3, 4)), hidden=True),
        float32("sigmoid", _z(3)),
        pure("sigmoid", _z(4)),
    ]


@battery("sigmoid_grad")
def sigmoid_grad():
    return [
        value("sigmoid_grad", "z from -5 to 5", Z_SMALL),
        value("sigmoid_grad", "large |z| is finite and silent", Z_LARGE, hidden=True,
              atol=1e-12, silent=True),
        value("sigmoid_grad", "a 2-d array", _z(5), hidden=True),
        float32("sigmoid_grad", _z(6)),
        pure("sigmoid_grad", _z(7)),
    ]


@battery("relu")
def relu():
    return [
        value("relu", "z from -5 to 5", Z_SMALL),
        value("relu", "a 2-d array", _z(8), hidden=True),
        float32("relu", _z(9)),
        pure("relu", _z(10)),
    ]


@battery("relu_grad")
def relu_grad():
    return [
        value("relu_grad", "z from -5 to 5, with relu'(0) = 0", Z_SMALL),
        value("relu_grad", "a 2-d array", _z(11), hidden=True),
        value("relu_grad", "exactly zero gives 0", np.zeros(3), hidden=True),
        float32("relu_grad", _z(12)),
        pure("relu_grad", _z(13)),
    ]


@battery("tanh_grad")
def tanh_grad():
    return [
        value("tanh_grad", "z from -5 to 5", Z_SMALL),
        value("tanh_grad", "large |z| is finite and silent", Z_LARGE, hidden=True, silent=True),
        value("tanh_grad", "a 2-d array", _z(14), hidden=True),
        float32("tanh_grad", _z(15)),
        pure("tanh_grad", _z(16)),
    ]
