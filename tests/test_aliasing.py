"""The worker's aliasing report: a result that hands back the caller's memory.

The trusted side only ever sees decoded copies, so "return copies" rules cannot be
graded from the result itself: the worker reports, per call with echo, where the
result shares memory with an argument or the module (``serve.aliases``), and the
purity cases fail on that report (``cases.assert_new``).
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder import cases, sandbox
from autograder.cases import Case
from autograder.checks import CheckFailure
from autograder.student import StudentProxy
from autograder.worker import serve
from autograder.workers import InProcessWorker

A = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("result, where", [
    (A, ["argument #1"]),                       # the very array
    (A[:, ::-1], ["argument #1"]),              # a view of it (np.flip, slicing)
    ((A.T, None), ["argument #1"]),             # inside a tuple
    ({"m": A[0]}, ["argument #1"]),             # inside a dict
])
def test_a_result_sharing_an_arguments_memory_is_reported(result, where):
    assert serve.aliases(result, (A, 0.5), {}, {}) == where


def test_containers_handed_back_and_module_arrays_are_reported():
    state = {"v": np.zeros(3)}
    assert serve.aliases(state, (A, state), {}, {}) == ["argument #2"]  # the dict itself
    assert serve.aliases((A + 1, state["v"]), (), {"state": state}, {}) == ["argument 'state'"]
    cache = np.ones(4)
    assert serve.aliases(cache[:2], (A,), {}, {"CACHE": cache}) == ["the global 'CACHE'"]


def test_new_memory_is_not_reported():
    state = {"v": np.zeros(3)}
    copied = {k: v.copy() for k, v in state.items()}
    assert serve.aliases((A.copy(), copied, A * 2, np.flip(A).copy()),
                         (A, state), {}, {"X": np.ones(2)}) == []
    # a shallow copy of a dict still hands back the caller's arrays
    assert serve.aliases(dict(state), (A, state), {}, {}) == ["argument #2"]
    assert serve.aliases(np.zeros(0), (np.zeros(0),), {}, {}) == []  # nothing to share


def test_the_report_is_bounded():
    many = [np.ones(1) for _ in range(400)]
    assert serve.aliases(many, (many,), {}, {}) == []  # past MAX_ALIAS_PAIRS: not compared


def test_the_sandbox_reports_it_and_the_purity_case_fails_on_it(tmp_path):
    path = tmp_path / "s.py"
    path.write_text("import numpy as np\n"
                    "def same(A):\n    return A\n"
                    "def view(A):\n    return A[::-1]\n"
                    "def fresh(A):\n    return A[::-1].copy()\n")
    worker = sandbox.Worker(path, sandbox.Limits(call_timeout=5, load_timeout=10))
    proxy = StudentProxy(worker)
    try:
        for name, expect, fails in [("same", lambda a: a, True),
                                    ("view", lambda a: a[::-1], True),
                                    ("fresh", lambda a: a[::-1], False)]:
            case = Case(name, "inputs unchanged", (A,), kind="pure", expect=expect)
            try:
                cases.run_case(case, proxy)
                failed = None
            except CheckFailure as exc:
                failed = exc
            assert (failed is not None) == fails, name
            if fails:
                assert "shares memory with argument #1" in failed.message
    finally:
        worker.close()


def test_the_in_process_worker_reports_it_too():
    worker = InProcessWorker("nb.ipynb", namespace={"same": lambda A: A})
    worker.call_echo("same", (A,), {}, echo=False)
    assert worker.last_aliases == []  # reported with echo only, as the sandbox does
    worker.call_echo("same", (A,), {}, echo=True)
    assert worker.last_aliases == ["argument #1"]
