"""Check batteries, one module per lecture topic; importing this registers them all."""
from . import (activation, loss, neuron, descent, optimizers, schedules, regularization, dropout, augmentation, normalization, initialization, model_selection)  # noqa: F401
