"""Batteries for the regularization topic: the L2 and L1 penalties and their gradients.

The penalties take one weight array or a list of them (any shapes; weights only,
never biases), so every penalty battery has cases of both forms, with layers of
different, non-square shapes.
"""
import numpy as np

from ..cases import battery
from ._kit import float32, pure, raises, rng, value


def _W(seed, shape=(3, 4)):
    return rng(seed).normal(0, 1.5, size=shape)


def _layers(seed):
    """A three-layer network's weights: non-square (n_in, n_out) shapes that differ."""
    return [_W(seed, (4, 3)), _W(seed + 1, (3, 5)), _W(seed + 2, (5, 1))]


def _with_zeros(seed, shape=(3, 4)):
    """Weights with some exact zeros (and integer-valued entries), for sign(0) = 0."""
    W = np.round(_W(seed, shape))
    W[0, :2] = 0.0
    return W


def _penalty_battery(fn):
    return [
        value(fn, "one weight array", _W(1), 0.7, 10),
        value(fn, "a list of three layers of different shapes", _layers(2), 0.1, 5, weight=2),
        value(fn, "a tuple of layers", tuple(_layers(5)), 0.3, 8, hidden=True),
        value(fn, "a list holding a single layer", [_W(8, (2, 6))], 1.5, 3, hidden=True),
        value(fn, "a layer with a single output (n_out = 1)", _W(9, (6, 1)), 2.0, 7,
              hidden=True),
        value(fn, "m = 1", _layers(10), 0.5, 1, hidden=True),
        value(fn, "lam = 0 gives 0", _layers(13), 0.0, 4, hidden=True),
        value(fn, "an empty list of layers has penalty 0", [], 0.5, 4, hidden=True),
        value(fn, "integer weights give float64", [np.arange(-3, 3).reshape(2, 3),
                                                   np.array([[2, -1]])], 1.0, 3, hidden=True,
              dtype=True),
        value(fn, "large weights", [1e3 * _W(16), 1e3 * _W(17, (4, 2))], 1e-2, 50,
              hidden=True),
        float32(fn, [_W(18).astype(np.float32), _W(19, (4, 2)).astype(np.float32)], 0.2, 6),
        pure(fn, _layers(21), 0.4, 6),
        raises(fn, "negative lam", _layers(24), -0.1, 5),
        raises(fn, "m = 0", _W(27), 0.1, 0),
    ]


def _grad_battery(fn, extra):
    return [
        value(fn, "a (3, 4) weight array", _W(31), 0.7, 10),
        *extra,
        value(fn, "a (5, 2) weight array", _W(32, (5, 2)), 0.25, 3),
        value(fn, "a 1-d weight vector", _W(33, (6,)), 1.2, 4, hidden=True),
        value(fn, "m = 1", _W(34, (2, 3)), 0.5, 1, hidden=True),
        value(fn, "lam = 0 gives zeros", _W(35), 0.0, 4, hidden=True),
        value(fn, "integer weights give float64", np.arange(-4, 4).reshape(2, 4), 1.0, 3,
              hidden=True, dtype=True),
        float32(fn, _with_zeros(36, (4, 2)), 0.2, 6),
        pure(fn, _W(37), 0.4, 6),
        raises(fn, "negative lam", _W(38), -0.1, 5),
        raises(fn, "m = 0", _W(39), 0.1, 0),
    ]


@battery("l2_penalty")
def l2_penalty():
    return _penalty_battery("l2_penalty")


@battery("l1_penalty")
def l1_penalty():
    return _penalty_battery("l1_penalty") + [
        value("l1_penalty", "weights with exact zeros", [_with_zeros(40), _W(41, (4, 2))],
              0.6, 9, hidden=True),
    ]


@battery("l2_grad")
def l2_grad():
    return _grad_battery("l2_grad", [])


@battery("l1_grad")
def l1_grad():
    return _grad_battery("l1_grad", [
        value("l1_grad", "exact zeros get gradient 0 (sign(0) = 0)", _with_zeros(42), 0.9, 3,
              weight=2),
        value("l1_grad", "half the weights exactly 0",
              np.array([[0.0, -2.5, 0.0], [3.25, 0.0, -0.5]]), 1.0, 2, hidden=True),
    ])
