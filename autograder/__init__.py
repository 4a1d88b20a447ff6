"""A secure pytest autograder for the "Optimization in Deep Learning" lecture.

The pipeline, one module each: ``spec`` (load an assignment) -> ``submissions``
(find the class's files) -> ``sandbox`` (run untrusted code) -> ``checks`` and
``problems`` (compare with ``reference``) -> ``plugin`` (score in pytest) ->
``grade`` (a whole class, in parallel) -> ``report`` (gradebook and feedback).
"""
__version__ = "0.1.0"
