"""The one test of the grading session, run once per case of the assignment.

The scoring plugin (:mod:`autograder.plugin`) parametrizes ``case`` and
provides the ``student`` fixture.  A failed check is kept on the test item
for the plugin, and reported without a traceback (the student's message is
the whole story, and formatting tracebacks is the slowest part of pytest).
"""
import pytest

from autograder.cases import run_case
from autograder.checks import CheckFailure


def test_case(case, student, request):
    try:
        run_case(case, student)
    except CheckFailure as failure:
        request.node.check_failure = failure
        pytest.fail(failure.message, pytrace=False)
