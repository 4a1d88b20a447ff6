"""Trusted stand-ins (autograder/standins.py): a right function is graded with a correct
version of the graded functions it calls, and the stand-in is an oracle for the
reference inside that one call only.

The end-to-end cases grade the flattened reference with functions replaced, through
the real engine and the sandbox; the rest test the pieces on their own.
"""
from __future__ import annotations

import copy
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import reference
from autograder import flatten, sandbox, spec, standins, workers
from autograder.cases import Case
from autograder.grade import grade_submission
from autograder.student import StudentProxy
from autograder.worker import serve
from autograder.workers import InProcessWorker

LIMITS = sandbox.Limits(call_timeout=5, load_timeout=20)
NEURON = {"sigmoid": 1.0, "neuron_forward": 1.0}
WRONG_SIGMOID = "def sigmoid(z):\n    return z * 0.0\n"


def _grade(tmp_path: Path, code: str, points: dict, isolate: bool = True,
           isolated: bool = True, limits: sandbox.Limits = LIMITS):
    """Grade the flattened reference with ``code`` appended (its definitions win)."""
    path = tmp_path / "submission.py"
    path.write_text(flatten.reference_source() + "\n" + textwrap.dedent(code))
    assignment = spec.Assignment("t", "t", points, tmp_path,
                                 standins=tuple(points) if isolate else ())
    return grade_submission(path, assignment, limits=limits, isolated=isolated)


def _share(result) -> dict:
    return {p.name: p.points / p.max_points for p in result.problems}


# ---------------------------------------------------------------- end to end, sandboxed

def test_a_right_function_keeps_its_points_when_what_it_calls_is_wrong(tmp_path):
    isolated = _grade(tmp_path, WRONG_SIGMOID, NEURON)
    assert _share(isolated) == {"sigmoid": 0.0, "neuron_forward": 1.0}
    forward = next(p for p in isolated.problems if p.name == "neuron_forward")
    note = ("`neuron_forward` is right when given a correct `sigmoid`; your `sigmoid` is wrong "
            "(see above)")
    assert {c.note for c in forward.checks} - {""} == {note}  # "": passed on its own
    assert all(c.passed for c in forward.checks)
    # the option off: the one mistake costs both functions, as it used to
    assert _share(_grade(tmp_path, WRONG_SIGMOID, NEURON, isolate=False))["neuron_forward"] < 0.5


def test_a_dependency_that_loops_costs_only_its_own_points(tmp_path):
    """neuron_forward times out inside the endless sigmoid, then passes with a stand-in."""
    loops = "def sigmoid(z):\n    while True:\n        pass\n"
    result = _grade(tmp_path, loops, NEURON, limits=sandbox.Limits(call_timeout=2,
                                                                   load_timeout=20))
    assert _share(result) == {"sigmoid": 0.0, "neuron_forward": 1.0}


class _TimedOut:
    """A student whose neuron_forward timed out, and whose sigmoid did or did not."""

    def __init__(self, timed_out):
        self.timed_out, self.ran = set(timed_out), False

    def reaches(self, name, graded):
        return ["sigmoid"]

    def standing_in(self, problem, oracle):
        self.ran = True
        raise standins.CheckFailure("graded again")


@pytest.mark.parametrize("timed_out, again", [({"neuron_forward"}, False),
                                              ({"neuron_forward", "sigmoid"}, True)])
def test_a_timeout_is_graded_again_only_when_a_dependency_timed_out_too(timed_out, again):
    student = _TimedOut(timed_out)
    case = Case("neuron_forward", "c", (np.ones((2, 1)), np.ones(1), 0.0))
    assert standins.rescue(case, student, ["sigmoid", "neuron_forward"]) is None
    assert student.ran == again


def test_a_function_listed_before_what_it_calls_gets_no_stand_in(tmp_path):
    """A stand-in for G is offered only after G's own cases: never to a function before it."""
    result = _grade(tmp_path, WRONG_SIGMOID, {"neuron_forward": 1.0, "sigmoid": 1.0})
    assert _share(result)["neuron_forward"] < 0.5


KEEPER = """
KEPT = []

def _oracle_says_sigmoid_0_is_half():
    for stub in KEPT:              # the stand-ins neuron_forward kept
        try:
            stub.live = True       # revive it, as student code may
            if float(stub(np.zeros(1))[0]) == 0.5:
                return True
        except Exception:
            pass
    return False

def sigmoid(z):                    # right only when a kept stand-in still answers
    if _oracle_says_sigmoid_0_is_half():
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    return np.asarray(z, dtype=float) * 0.0

_right_forward = neuron_forward    # the reference's, which calls sigmoid

def neuron_forward(X, w, b):       # right, and keeps whatever stands in for sigmoid
    if type(sigmoid).__name__ == "StandIn":
        KEPT.append(sigmoid)
    return _right_forward(X, w, b)

def relu(z):                       # right only when a kept stand-in still answers
    if _oracle_says_sigmoid_0_is_half():
        return np.maximum(z, 0)
    return np.asarray(z) * -1.0
"""


def test_a_kept_stand_in_answers_nothing_after_its_call(tmp_path):
    """Kept in a global and revived, the stand-in helps neither a later function's
    cases nor the dependency's own (its hidden cases run after neuron_forward's
    public ones): the grader answers only inside the call that was granted it."""
    result = _grade(tmp_path, KEEPER, {"sigmoid": 1.0, "neuron_forward": 1.0, "relu": 1.0})
    assert _share(result) == {"sigmoid": 0.0, "neuron_forward": 1.0, "relu": 0.0}


GREEDY = """
_right_forward = neuron_forward

def neuron_forward(X, w, b):       # right, but asks the oracle about far larger inputs
    sigmoid(np.zeros(10**6))
    return _right_forward(X, w, b)
"""


def test_a_stand_in_refuses_arguments_larger_than_the_case_could_pass(tmp_path):
    result = _grade(tmp_path, WRONG_SIGMOID + GREEDY, NEURON)
    assert _share(result)["neuron_forward"] < 0.5
    assert all(c.message != "" for c in result.problems[1].checks if not c.passed)


@pytest.mark.parametrize("standing, wrong, says", [
    (["sigmoid", "bce_cost"], ["sigmoid"],
     "`f` is right when given a correct `sigmoid` and `bce_cost`; your `sigmoid` is wrong"),
    (["a", "b", "c"], ["a", "c"], "given a correct `a`, `b` and `c`; your `a` and `c` are wrong"),
    (["neuron_forward"], [], "with your own `neuron_forward` this test fails, so check it on"),
])
def test_the_note_names_what_stood_in_and_what_is_wrong(standing, wrong, says):
    assert says in standins.note("f", standing, wrong)


# ---------------------------------------------------------------- the grader's answers

def _oracle(*names, max_int=100, max_size=100):
    return standins.StandIns(tuple(names), max_int, max_size)


def test_the_answer_is_the_reference_on_the_arguments_and_the_rng_advances():
    rng = np.random.default_rng(3)
    reply = _oracle("minibatches").answer("minibatches", [10, 3, copy.deepcopy(rng)], {})
    expected = reference.minibatches(10, 3, rng)
    assert all(np.array_equal(a, b) for a, b in zip(reply["return"], expected))
    assert reply["rngs"][0].bit_generator.state == rng.bit_generator.state


@pytest.mark.parametrize("name, args, why", [
    ("relu", [np.zeros(3)], "was not given to this call"),
    ("sigmoid", [np.zeros(101)], "refused an array of 101 elements"),
    ("init_zeros", [101, 1], "refused the integer 101"),
    ("init_zeros", [np.int64(-101), 1], "refused the integer -101"),
    ("sigmoid", "not a list", "malformed"),
])
def test_requests_the_case_could_not_make_are_refused(name, args, why):
    oracle = _oracle("sigmoid", "init_zeros")
    reply = oracle.answer(name, args, {})
    assert why in reply["raise"][1] and "return" not in reply
    assert oracle.calls_left == standins.MAX_CALLS


def test_large_products_large_results_and_too_many_calls_are_refused():
    big = _oracle("init_zeros", max_int=10**5)
    assert "product" in big.answer("init_zeros", [10**4, 10**4], {})["raise"][1]
    assert "product" in big.answer("init_zeros", [10**4], {"n_out": 10**4})["raise"][1]
    costs = list(range(100, 50, -1))  # a list of integers is data, not sizes
    assert _oracle("early_stopping").answer("early_stopping", [costs, 3], {})["return"] == (49, 49)
    assert "so large a result" in big.answer("init_zeros", [5000, 1000], {})["raise"][1]
    oracle = _oracle("sigmoid")
    oracle.calls_left = 1
    assert "return" in oracle.answer("sigmoid", [np.zeros(2)], {})
    assert f"more than {standins.MAX_CALLS} times" in \
        oracle.answer("sigmoid", [np.zeros(2)], {})["raise"][1]


def test_the_reference_stops_when_the_calls_time_runs_out():
    """Within the bounds, gradient_descent may loop for minutes: it stops at the deadline."""
    X, y = np.random.default_rng(0).standard_normal((500, 2)), np.ones(500)
    oracle = _oracle("gradient_descent", max_int=1000, max_size=1000)
    start = time.monotonic()
    reply = oracle.answer("gradient_descent", [X, y, np.zeros(2), 0.0],
                          {"lr": 0.1, "epochs": 1000, "batch_size": 1}, seconds=0.3)
    assert reply["raise"][0] == "TimeoutError" and time.monotonic() - start < 2


def test_the_reference_refusing_bad_input_is_raised_in_the_students_code():
    reply = _oracle("bce_cost").answer("bce_cost", [np.ones(3), np.ones(4)], {})
    assert reply["raise"][0] == "ValueError"


def test_bounds_come_from_the_case_with_floors():
    case = Case("neuron_forward", "big", (np.zeros((3000, 7)), np.zeros(7), 0.5), {"k": 4321})
    oracle = standins.StandIns.for_case(case, ["sigmoid"])
    assert (oracle.max_int, oracle.max_size) == (4321, 21000)
    tiny = standins.StandIns.for_case(Case("sigmoid", "tiny", (np.zeros(2),)), [])
    assert (tiny.max_int, tiny.max_size) == (standins.MIN_INT, standins.MIN_SIZE)


# ---------------------------------------------------------------- the worker's side

NS_SOURCE = """
import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def _forward(X, w, b):
    return sigmoid(X @ w + b)

def neuron_forward(X, w, b):
    return _forward(X, w, b)

def predict(X, w, b):
    return (lambda: neuron_forward(X, w, b) >= 0.5)()

def neuron_cost(X, y, w, b):
    losses = [bce_loss(p, t) for p, t in zip(neuron_forward(X, w, b), y)]
    return np.mean(losses) + 0 * neuron_cost.__code__.co_argcount

bce_loss = np.negative     # not a function of the submission's: nothing to walk into
relu = 3                   # not callable
"""


def _ns() -> dict:
    ns = {}
    exec(NS_SOURCE, ns)  # a test submission
    return ns


def test_reaches_walks_helpers_and_nested_code_and_stops_at_graded_functions():
    ns, graded = _ns(), ["sigmoid", "neuron_forward", "predict", "neuron_cost", "bce_loss",
                         "relu"]
    assert serve.reaches(ns, "neuron_forward", graded) == ["sigmoid"]        # via _forward
    assert serve.reaches(ns, "predict", graded) == ["neuron_forward"]        # in a lambda
    assert serve.reaches(ns, "neuron_cost", graded) == ["bce_loss", "neuron_forward"]
    assert serve.reaches(ns, "sigmoid", graded) == []
    assert serve.reaches(ns, "nothing", graded) == serve.reaches(ns, "sigmoid", "bad") == []


def test_stand_ins_are_bound_for_the_block_only_and_die_after_it():
    ns, asked = _ns(), []
    own = ns["sigmoid"]
    with pytest.raises(ZeroDivisionError), \
            serve.standing_in(ns, ["sigmoid", "undefined"], lambda *q: asked.append(q) or 7):
        stub = ns["sigmoid"]
        assert ns["neuron_forward"](np.ones((2, 1)), np.ones(1), 0.0) == 7
        assert "undefined" not in ns
        raise ZeroDivisionError  # the call fails: its own functions come back all the same
    assert ns["sigmoid"] is own and asked[0][0] == "sigmoid"
    with pytest.raises(RuntimeError, match="only inside the call"):
        stub(1.0)


class _Liar(InProcessWorker):
    """A worker that claims every name, and counts how often it is asked."""

    asked = 0

    def reaches(self, name, graded):
        type(self).asked += 1
        return ["reference", "__import__", name, *graded, "x" * 10_000]


def test_the_workers_claims_only_choose_among_earlier_graded_functions_it_defines():
    ns = _ns()
    ns.pop("predict")
    proxy = StudentProxy(_Liar("liar.py", namespace=ns))
    graded = ["bce_loss", "relu", "predict", "sigmoid", "neuron_forward", "neuron_cost"]
    # not predict (not defined), nor relu (not callable), nor anything ungraded or later
    assert proxy.reaches("neuron_forward", graded[:4]) == ["bce_loss", "sigmoid"]
    assert standins.dependencies("neuron_cost", graded, proxy) == ["bce_loss", "sigmoid",
                                                                   "neuron_forward"]
    assert standins.dependencies("bce_loss", graded, proxy) == []


class _Counting(InProcessWorker):
    """The in-process worker, counting the dependency questions it is asked."""

    asked = 0

    def reaches(self, name, graded):
        type(self).asked += 1
        return super().reaches(name, graded)


@pytest.mark.parametrize("code, asked", [("", False), (WRONG_SIGMOID, True)])
def test_only_a_failed_case_pays_for_stand_ins(tmp_path, monkeypatch, code, asked):
    """Grading the reference asks the worker nothing more; a wrong sigmoid does."""
    monkeypatch.setattr(workers, "InProcessWorker", _Counting)
    _Counting.asked = 0
    result = _grade(tmp_path, code, spec.load("ps1").points, isolated=False)
    assert result.status == "graded" and (_Counting.asked > 0) == asked


# ---------------------------------------------------------------- the option

def test_isolate_dependencies_is_on_in_every_assignment_and_lists_them_in_order():
    for name in ("ps1", "ps2", "ps3", "ps4", "ps5"):
        assignment = spec.load(name)
        assert assignment.standins == tuple(assignment.points), name


@pytest.mark.parametrize("value, ok", [("true", True), ("false", True), ("1", False),
                                       ('"yes"', False)])
def test_isolate_dependencies_must_be_a_boolean(tmp_path, value, ok):
    (tmp_path / "assignment.toml").write_text(
        f"[points]\nsigmoid = 1\nneuron_forward = 1\n[grading]\nisolate_dependencies = {value}\n")
    if ok:
        assert spec.load(tmp_path).standins == (("sigmoid", "neuron_forward")
                                                if value == "true" else ())
    else:
        with pytest.raises(spec.SpecError, match="isolate_dependencies must be true or false"):
            spec.load(tmp_path)
