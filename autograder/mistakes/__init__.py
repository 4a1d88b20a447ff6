"""Known wrong variants of the graded functions, one module per lecture topic.

Each is registered with :func:`autograder.diagnosis.mistake` (through
``autograder.cases``) and serves twice: the grader names the mistake when a
student's output matches it (:mod:`autograder.diagnosis`), and the audit
(``autograder audit``) checks that the batteries catch it.  The battery modules
(``autograder/problems``) import this package; it imports only ``cases``.
"""
from . import (activation, loss, neuron, descent, optimizers, schedules, regularization, dropout, augmentation, normalization, initialization, model_selection)  # noqa: F401
