"""The checks behind a notebook's test cells: ``check(name)`` and ``grade(name)``.

A test cell of a source notebook reads::

    check("sigmoid")      # the public tests: prints what passed, what failed and why
    ### BEGIN HIDDEN TESTS
    grade("sigmoid")      # every test; its value is the points earned
    ### END HIDDEN TESTS

Both run the very cases of ``autograder grade``, on the functions defined in
the notebook, in the notebook's own kernel: they are for working on a
notebook (students' public checks, an instructor's run of the source notebook),
and neither ever writes to stderr nor raises.

No grade that counts comes from here.  ``nbgrader autograde`` does not run the
test cells: with this repository's ``nbgrader_config.py`` its autograde step is
:class:`autograder.nbgrader_grading.SandboxGrade`, which grades the notebook in
the sandbox exactly as ``autograder grade`` does and writes the points into each
test cell.  A student who imports the solutions, redefines ``grade`` or patches
numpy in the kernel therefore gains nothing on either path.
"""
from __future__ import annotations

import sys

from . import feedback, spec
from .cases import cases_for, run_case
from .results import ProblemResult
from .student import StudentProxy, check_result
from .workers import InProcessWorker


def _points(name: str) -> tuple[float, float]:
    """``(points, robustness)`` of ``name`` in the first assignment that grades it."""
    for assignment in map(spec.load, spec.available()):
        if name in assignment.points:
            return assignment.points[name], assignment.robustness
    return 1.0, spec.DEFAULT_ROBUSTNESS


def run(name: str, namespace: dict, hidden: bool) -> ProblemResult:
    """Run the public (or all) cases of ``name`` against ``namespace``'s functions."""
    proxy = StudentProxy(InProcessWorker("notebook.ipynb", namespace=namespace))
    points, robustness = _points(name)
    result = ProblemResult(name, points, robustness=robustness)
    for case in cases_for(name):
        if case.hidden and not hidden:
            continue
        try:
            run_case(case, proxy)
            error = None
        except Exception as exc:  # noqa: BLE001  a CheckFailure, or a grader defect
            error = exc
        result.checks.append(check_result(case, case.weight, error))
    return result


def check(name: str) -> None:
    """Run the public tests of ``name`` and print readable feedback."""
    print(feedback.notebook_check(run(name, sys._getframe(1).f_globals, hidden=False)))


def grade(name: str) -> float:
    """Run every test of ``name`` in this kernel; print a summary; return the points.

    For working on a notebook only: the points that count come from the
    sandbox (see the module's doc).
    """
    result = run(name, sys._getframe(1).f_globals, hidden=True)
    print(feedback.problem_summary(result))
    return result.points
