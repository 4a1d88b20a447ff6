"""Known wrong variants of the graded functions, one module per lecture topic.

Each is registered with :func:`autograder.cases.mistake` and serves twice: the
grader names the mistake when a student's output matches it, and the audit
(``autograder audit``) checks that the batteries catch it.
"""
from . import (activation, loss, neuron, descent, optimizers, schedules, regularization, dropout, augmentation, normalization, initialization, model_selection)  # noqa: F401
