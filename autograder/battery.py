"""The one test of the grading session, run once per case of the assignment.

The scoring plugin (:mod:`autograder.plugin`) parametrizes ``case``; the
``student`` fixture asks it for the worker of this session's submission.  A failed check is kept on the test item
for the plugin, and reported without a traceback (the student's message is
the whole story, and formatting tracebacks is the slowest part of pytest).
"""
import pytest

from autograder.cases import run_case
from autograder.checks import CheckFailure
from autograder.plugin import BOARD


@pytest.fixture(scope="session")
def student(request):
    """The submission's functions, through the sandboxed worker."""
    yield from request.config.stash[BOARD].open_student()


def test_case(case, student, request):
    try:
        run_case(case, student)
    except CheckFailure as failure:
        request.node.check_failure = failure
        pytest.fail(failure.message, pytrace=False)
