"""Diagnosis, the registry and the import graph, in process (no sandbox).

Pinned diagnoses keep what students read; the distance tests show that the nearest
known mistake names a failure whatever the order its topic lists them in; the
registry tests show that a broken battery module is an error, not an empty list;
and a walk over the package's imports shows they run one way.
"""
from __future__ import annotations

import ast
import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import reference
from autograder import cases, diagnosis, kit, notebook
from autograder.checks import matches
from autograder.diagnosis import (
    MISTAKES,
    Mistake,
    case_explanations,
    diagnose,
    diagnose_case,
    distance,
    mistake,
    nearest,
)
from autograder.worker import codec

PACKAGE = Path(cases.__file__).resolve().parent
cases.batteries()  # registers the batteries and the known mistakes


def variant(problem: str, starts: str) -> Mistake:
    """The known mistake of ``problem`` whose message starts with ``starts``."""
    return next(m for m in MISTAKES[problem] if m.message.startswith(starts))


def diagnoses(problem: str, fn) -> dict[str, str | None]:
    """Check name -> diagnosis of every failed check of ``problem``, ``fn`` the student's."""
    result = notebook.run(problem, {problem: fn}, hidden=True)
    return {c.name: c.diagnosis for c in result.checks if not c.passed}


# ---------------------------------------------------------------- what students read

def test_a_dtype_slip_is_named_on_the_float32_case():
    slip = variant("sigmoid", "float32 input came back as float64")
    assert slip.kind == "dtype"
    found = diagnoses("sigmoid", slip.fn)
    assert found == {"float32 in, float32 out": "float32 input came back as float64: compute in "
                                                "the input's dtype"}


def test_adam_without_bias_correction_is_named_on_every_case_it_fails():
    missing = variant("adam", "the bias correction is missing")
    found = {name: found for name, found in diagnoses("adam", missing.fn).items()
             if not name.startswith("bad input")}  # the variant checks no input
    assert len(found) >= 10 and set(found.values()) == {
        "the bias correction is missing: use m_hat = m/(1-beta1^t) and v_hat = v/(1-beta2^t) "
        "in the step"}


def test_a_mutating_optimizer_is_named_by_the_purity_check_alone():
    inplace = variant("sgd", "functional update")
    assert inplace.kind == "purity"
    found = diagnoses("sgd", inplace.fn)
    assert found.pop("w, dw and the state dict unchanged (given state and fresh {})") \
        == inplace.message
    # the rest: bad input, which this variant does not check (each named by the mistake
    # that skips that check, or by none), and integer w, where w -= ... raises
    assert inplace.message not in found.values()
    assert all(name.startswith("bad input") or diagnosis is None
               for name, diagnosis in found.items())
    assert all("must raise ValueError" in d for d in found.values() if d)


def test_a_function_that_writes_into_its_input_is_named_by_the_purity_case():
    inplace = variant("relu", "relu wrote into your input")
    assert diagnoses("relu", inplace.fn) == {"inputs unchanged": inplace.message}


def test_a_bad_input_case_names_the_mistake_that_breaks_its_rule():
    """On bad input most mistakes return the same values: the case's rule decides."""
    unchecked = variant("bce_loss", "y_hat outside [0, 1]")
    found = diagnoses("bce_loss", unchecked.fn)
    assert found == {"bad input: y_hat outside [0, 1]": unchecked.message,
                     "bad input: labels other than 0 and 1": unchecked.message}
    case = next(c for c in cases.cases_for("bce_loss")
                if c.name == "bad input: y_hat outside [0, 1]")
    got = unchecked.fn(*case.args)
    assert diagnosis.diagnose_bad_input(case, got) == unchecked.message


def test_on_bad_input_a_tie_names_none_and_a_rule_decides(monkeypatch):
    def reference_raises(x):
        raise ValueError("x must be >= 0")

    case = cases.Case("probe", "bad input: x < 0", (np.array([-1.0]),), kind="raises",
                      expect=reference_raises)
    twice, doubled = (lambda x: 2 * x), (lambda x: x + x)
    monkeypatch.setitem(MISTAKES, "probe", [Mistake("a", twice), Mistake("b", doubled),
                                            Mistake("c", lambda x: x * 1.0, "purity")])
    got = np.array([-2.0])
    assert diagnosis.diagnose_bad_input(case, got) is None  # a and b alike: say nothing
    monkeypatch.setitem(MISTAKES, "probe", [Mistake("a", twice),
                                            Mistake("b", doubled, "value", ("ps.x",))])
    assert diagnosis.diagnose_bad_input(dataclasses.replace(case, rules=("ps.x",)), got) == "b"
    # a purity mistake's words never explain bad input, however near its output
    monkeypatch.setitem(MISTAKES, "probe", [Mistake("c", twice, "purity")])
    assert diagnosis.diagnose_bad_input(case, got) is None


def test_of_equally_near_mistakes_the_one_breaking_the_cases_rule_is_named():
    """In float32, clipping to [eps, 1 - eps] and clipping from below only give the same
    infinities: the float32 case checks the rule the first breaks."""
    boundary = variant("bce_loss", "in float32, 1 - eps rounds to 1")
    found = diagnoses("bce_loss", boundary.fn)
    assert found == {"float32 y_hat of exactly 0 and 1 is finite and silent": boundary.message}
    case = next(c for c in cases.cases_for("bce_loss") if c.name.startswith("float32 y_hat"))
    below = variant("bce_loss", "y_hat is clipped only from below")
    got = diagnosis.quietly(below.fn, *case.args)
    assert diagnose_case(case, got) == boundary.message  # a tie, ruled
    assert diagnose_case(dataclasses.replace(case, rules=()), got) == below.message  # by order


def test_a_near_miss_of_the_reference_names_no_mistake():
    """1e-6 off the right answer fails adam's cases (rtol 1e-7) and matches no variant."""
    def near_miss(w, dw, state, **kwargs):
        w_new, state_new = reference.adam(w, dw, state, **kwargs)
        return w_new * (1 + 1e-6), state_new
    found = diagnoses("adam", near_miss)
    assert found and set(found.values()) == {None}


# ---------------------------------------------------------------- the distance

def _adam_case(name: str):
    return next(c for c in cases.cases_for("adam") if c.name == name)


def test_the_nearest_of_two_matching_variants_wins_whatever_their_order(monkeypatch):
    """The optimizer near miss: on a fresh state, Adam with eps inside the square root and
    the paper's 'efficient' Adam agree to 1e-6, so both match either one's output; the
    first registered used to name both.  The distance names each after itself."""
    case = dataclasses.replace(_adam_case("w of shape (n_in, n_out) = (4, 2), fresh state"),
                               kind="value")
    inside = variant("adam", "eps is inside the square root")
    paper = variant("adam", "this is the paper's 'efficient' form")
    outs = dict(case_explanations(case))
    assert matches(outs[paper.message], outs[inside.message], rtol=1e-6, atol=1e-9)
    for order in (MISTAKES["adam"], MISTAKES["adam"][::-1]):
        monkeypatch.setitem(MISTAKES, "adam", list(order))
        for known in (inside, paper):
            assert diagnose_case(case, known.fn(*case.inputs()[0], **case.inputs()[1])) \
                == known.message


def test_the_student_kit_names_the_same_mistakes_from_its_precomputed_outputs():
    """A public case travels with its failing mistakes' outputs (through the safe codec);
    the kit, with no mistakes library, names what the grader names."""
    case = _adam_case("one step from a fresh state {} with the default hyperparameters")
    rows = codec.decode(codec.encode([[m, out] for m, out in case_explanations(case)]))
    travelled = dataclasses.replace(case, wrong=[(str(m), out) for m, out in rows])
    named = 0
    for known in MISTAKES["adam"]:
        got = diagnosis.quietly(known.fn, *case.inputs()[0], **case.inputs()[1])
        assert diagnose_case(travelled, got) == diagnose_case(case, got)
        named += diagnose_case(case, got) == known.message
    assert named >= 4  # the others are right on a fresh state, or only mutate


def test_nearest_prefers_a_dtype_match_then_the_smaller_error():
    x = np.array([1.0, 2.0], dtype=np.float32)
    near64, far32 = x.astype(np.float64), x * np.float32(1 + 5e-7)
    assert nearest(x, [("64", near64), ("32", far32)]) == "32"          # dtype first
    assert nearest(x, [("far", x * (1 + 9e-7)), ("near", x * (1 + 1e-7))]) == "near"
    assert nearest(x, [("none", x * 1.1)]) is None                       # beyond the tolerance


def test_a_mistake_written_differently_still_matches_an_exact_check():
    """The tolerances are the check's but at least rtol 1e-6: rounding is not a new mistake."""
    got = np.array([0.1, 0.7]) * 3
    assert nearest(got, [("the same mistake", got * (1 + 1e-12))], rtol=0, atol=0) \
        == "the same mistake"


def test_distance_is_the_tolerance_ratio_of_the_worst_element():
    got = np.array([1.0, 2.0, 4.0])
    out = np.array([1.0, 2.0 + 2e-6, 4.0])
    dtype_differs, e = distance(got, out, rtol=1e-6, atol=0)
    assert not dtype_differs and e == pytest.approx(2e-6 / (1e-6 * (2.0 + 2e-6)))
    assert distance(got, out[:2], rtol=1e-6, atol=0)[1] == math.inf      # shapes differ
    assert distance(got, got.astype(np.float32), rtol=1e-6, atol=0) == (True, 0.0)
    sets = [np.array([2, 0, 1])], [np.array([0, 1, 2])]
    assert distance(*sets, rtol=0, atol=0, sets=True) == (False, 0.0)


def test_only_a_variant_that_fails_the_check_may_explain_it():
    """Right values in the wrong dtype explain a failure only for a mistake of kind dtype."""
    registry = {"f": [Mistake("right on these inputs", lambda z: z * 1.0),
                      Mistake("float64 values", lambda z: z.astype(np.float64)),
                      Mistake("a dtype slip", lambda z: z.astype(np.float64), kind="dtype")]}
    z = np.array([0.5, 1.5], dtype=np.float32)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(diagnosis, "MISTAKES", registry)
        found = diagnose("f", z.astype(np.float64), diagnosis.on_inputs((z,), {}),
                         expected=(z,))
    assert found == "a dtype slip"


def test_a_variant_that_raises_or_warns_is_replayed_quietly(monkeypatch):
    def boom(z):
        raise ZeroDivisionError
    def noisy(z):
        return np.exp(z) / np.exp(z)  # inf/inf = nan, with a RuntimeWarning
    monkeypatch.setitem(MISTAKES, "f", [Mistake("boom", boom), Mistake("nan", noisy)])
    z = np.array([1e4])
    with np.errstate(all="raise"):
        assert diagnose("f", np.array([np.nan]), diagnosis.on_inputs((z,), {})) == "nan"


def test_replays_run_on_copies():
    def mutates(z):
        z *= 2
        return z
    z = np.ones(3)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(MISTAKES, "f", [Mistake("doubles in place", mutates, kind="purity")])
        assert diagnose("f", ([2 * z], {}), diagnosis.changes((z,), {}),
                        expected=(([z], {}),), rtol=0, atol=0) == "doubles in place"
    assert np.array_equal(z, np.ones(3))


def test_a_mistake_has_one_of_three_kinds():
    with pytest.raises(ValueError, match="kind must be one of"):
        mistake("sigmoid", "a message", kind="typo")


def test_dtype_mistakes_are_a_kind_not_a_message_prefix():
    """Every mistake whose values are right but whose dtype is not, on some case, is of kind
    dtype; and no engine code matches messages by their text."""
    seen = set()
    for problem, make in cases.BATTERIES.items():
        for case in make():
            if case.kind != "value" or case.sets:
                continue
            expected = diagnosis.expected_of(case)
            for known, out in diagnosis.replays(problem, diagnosis.on_inputs(case.args,
                                                                              case.kwargs)):
                if expected and matches(out, expected[0], rtol=case.rtol, atol=case.atol) and \
                        not matches(out, expected[0], rtol=case.rtol, atol=case.atol,
                                    exact_dtype=True):
                    seen.add(known)
    assert seen and all(k.kind == "dtype" for k in seen if "dtype" in k.message
                        or "float64" in k.message)
    source = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    assert "DTYPE_MISTAKE" not in source and ".startswith(DTYPE" not in source


# ---------------------------------------------------------------- the registry

def test_a_broken_battery_module_raises_instead_of_emptying_the_registry(tmp_path, monkeypatch):
    broken = tmp_path / "broken_batteries"
    broken.mkdir()
    (broken / "__init__.py").write_text("from . import sigmoid\n")
    (broken / "sigmoid.py").write_text("import numpy_typo\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cases, "BATTERY_PACKAGE", "broken_batteries")
    with pytest.raises(ModuleNotFoundError, match="numpy_typo"):
        cases.known_problems()
    sys.modules.pop("broken_batteries", None)


def test_without_batteries_the_kit_passes_in_its_public_cases(monkeypatch):
    public = cases.Case("sigmoid", "from the kit", (np.zeros(2),))
    monkeypatch.setattr(cases, "BATTERY_PACKAGE", "autograder.no_such_package")
    monkeypatch.setattr(kit, "public_batteries", lambda: {"sigmoid": [public]})
    assert not cases.has_batteries()
    assert cases.known_problems() == {"sigmoid"}
    assert cases.cases_for("sigmoid") == [public]
    assert cases.cases_for("adam") == []


# ---------------------------------------------------------------- the import graph

def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """``(module, inside a function)`` of every autograder module ``path`` imports."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{module}.{a.name}" for a in node.names] + [module]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append((target, id(node) in inner))
    return found


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
#: the modules of the registry's chain, which import nothing inside their functions
CHAIN = ["autograder.cases", "autograder.diagnosis", "autograder.checks", "autograder.kit",
         "autograder.spec", "autograder.audit"]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph``, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node):
        state[node], path[len(path):] = 1, [node]
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None
    return next(filter(None, (visit(n) for n in sorted(graph) if n not in state)), None)


def test_the_package_imports_run_one_way():
    graph = {name: {t for t, _ in _imports(path)} for name, path in MODULES.items()}
    graph = {name: {t for t in targets if not t.startswith(name + ".")}  # a package's own parts
             for name, targets in graph.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
    assert "autograder.mistakes" in graph["autograder.problems"]
    assert "autograder.cases" in graph["autograder.mistakes.optimizers"]
    assert not graph["autograder.cases"] & {"autograder.problems", "autograder.mistakes",
                                            "autograder.kit", "autograder.spec"}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_registry_chain_imports_nothing_inside_functions():
    modules = CHAIN + [m for m in MODULES if m.startswith(("autograder.problems",
                                                           "autograder.mistakes"))]
    inside = {m: [t for t, nested in _imports(MODULES[m]) if nested] for m in modules}
    assert not {m: t for m, t in inside.items() if t}
