"""Known wrong variants of the graded functions, one module per lecture topic.

Each is registered with :func:`autograder.diagnosis.mistake` (through
``autograder.cases``) and serves twice: the grader names the mistake when a
student's output matches it (:mod:`autograder.diagnosis`), and the audit
(``autograder audit``) checks that the batteries catch it.  The battery modules
(``autograder/problems``) import this package; it imports only ``cases``.
"""
import importlib

import reference

for _topic in reference.TOPICS:  # one module per topic, named as in reference.TOPICS
    importlib.import_module(f".{_topic}", __name__)
