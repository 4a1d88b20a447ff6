"""Each mistake costs once: one wrong function loses its own points only.

For every dependency edge of ps1, ps2 and ps4 (F calls G, as the reference is
written), a known mistake of G is planted in the flattened reference and the whole
assignment graded once: G loses points, every other function, each F included,
keeps all of its own.  Each planted submission is graded once, in process (the
stand-ins work there as in the sandbox; tests/test_standins.py covers the sandbox).
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from autograder import audit, flatten, sandbox, spec
from autograder.cases import MISTAKES, batteries
from autograder.grade import grade_submission
from autograder.worker import serve

ASSIGNMENTS = ("ps1", "ps2", "ps4")


def _namespace(source: str) -> dict:
    ns: dict = {}
    exec(compile(source, "submission.py", "exec"), ns)  # trusted: the reference
    return ns


@functools.cache
def edges(name: str) -> dict[str, list[str]]:
    """G -> the functions F of assignment ``name`` that call G (listed after it)."""
    ns, graded = _namespace(flatten.reference_source()), list(spec.load(name).points)
    callers: dict[str, list[str]] = {}
    for i, caller in enumerate(graded):
        for callee in serve.reaches(ns, caller, graded[:i]):
            callers.setdefault(callee, []).append(caller)
    return callers


def planted(*problems_and_mistakes) -> str:
    """The flattened reference with each ``(problem, mistake)`` in its function's place."""
    return flatten.reference_source() + "".join(
        f"\n\n{flatten.function_source(m.fn, p)}\n" for p, m in problems_and_mistakes)


def first_mistake(problem: str):
    """The first known mistake of ``problem`` in its mathematics (not its dtype)."""
    batteries()
    return next(mistake for mistake in MISTAKES[problem] if mistake.kind == "value")


def lost(tmp_path: Path, name: str, source: str) -> dict[str, str]:
    """Grade ``source`` against assignment ``name`` in process; the functions that lost
    points, and the notes of the checks that passed with stand-ins."""
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    result = grade_submission(path, spec.load(name), isolated=False)
    assert result.status == "graded", result.message
    return ({p.name for p in result.problems if p.points < p.max_points},
            {p.name: {c.note for c in p.checks if c.note}
             for p in result.problems})


def test_the_edges_are_the_ones_the_lecture_builds_on():
    assert edges("ps1") == {"sigmoid": ["neuron_forward", "neuron_cost", "neuron_gradients"],
                            "bce_loss": ["bce_cost"], "bce_cost": ["neuron_cost"],
                            "neuron_forward": ["predict"]}
    assert edges("ps2") == {"minibatches": ["gradient_descent"]}
    assert edges("ps4") == {"kfold": ["cross_validate", "grid_search"]}


@pytest.mark.parametrize("name, callee", [(name, callee) for name in ASSIGNMENTS
                                          for callee in edges(name)])
def test_one_mistake_costs_exactly_its_own_function(tmp_path, name, callee):
    losers, notes = lost(tmp_path, name, planted((callee, first_mistake(callee))))
    assert losers == {callee}
    for caller in edges(name)[callee]:
        assert any(f"your `{callee}` is wrong" in note for note in notes[caller]), notes[caller]


# The known mistake "the bias is subtracted", written through the student's own sigmoid
# (the library's variants compute sigma inline), so that its failed cases are graded again.
SUBTRACTED_BIAS = """
_right_forward = neuron_forward

def neuron_forward(X, w, b):
    return _right_forward(X, w, -b)
"""


def test_a_wrong_function_loses_its_points_even_given_correct_dependencies(tmp_path):
    """neuron_forward itself wrong, over a wrong sigmoid: graded again with a correct
    sigmoid it still fails, so both lose their points; what calls them keeps its own."""
    source = planted(("sigmoid", first_mistake("sigmoid"))) + SUBTRACTED_BIAS
    assert serve.reaches(_namespace(source), "neuron_forward", ["sigmoid"]) == ["sigmoid"]
    losers, notes = lost(tmp_path, "ps1", source)
    assert losers == {"sigmoid", "neuron_forward"}
    assert notes["neuron_forward"] == set()
    assert any("your `neuron_forward` is wrong" in note for note in notes["predict"])


@pytest.mark.parametrize("standins, full", [(spec.load("ps1").standins, True), ((), False)])
def test_the_audit_grades_each_variant_with_its_assignments_stand_ins(tmp_path, standins, full):
    """A right neuron_forward over a wrong sigmoid, graded as the audit grades a variant."""
    source = planted(("sigmoid", first_mistake("sigmoid")))
    limits = sandbox.Limits(call_timeout=5, load_timeout=20)
    result = audit._grade_variant(("neuron_forward", source, str(tmp_path), limits, (), standins))
    assert (result.points == result.max_points) == full
