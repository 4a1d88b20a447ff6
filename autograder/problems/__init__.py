"""Check batteries, one module per lecture topic; importing this registers them all.

The known mistakes register first: the batteries diagnose with them, and the
import runs one way, ``problems`` -> ``mistakes`` -> ``cases``.
"""
from .. import mistakes  # noqa: F401  (registers the known mistakes)
from . import (activation, loss, neuron, descent, optimizers, schedules, regularization, dropout, augmentation, normalization, initialization, model_selection)  # noqa: F401
