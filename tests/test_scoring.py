"""Scoring: mathematics and robustness, one slip costing once, purity like with like.

The batteries run in process (``notebook.run``), except the robustness weight, which
runs through the real engine, sandbox included.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

import reference
from autograder import cases, feedback, notebook, report, sandbox, spec
from autograder.grade import grade_submission
from autograder.results import CheckResult, ProblemResult, SubmissionResult

cases.batteries()


def failed(problem: str, namespace: dict) -> set[str]:
    """The names of the failed cases of ``problem``, graded on ``namespace``'s functions."""
    result = notebook.run(problem, namespace, hidden=True)
    return {c.name for c in result.checks if not c.passed}


def dtype_cases(problem: str) -> set[str]:
    return {c.name for c in cases.cases_for(problem) if c.dtype}


# ---------------------------------------------------------------- one slip costs once

def _predict_bool(X, w, b, threshold=0.5):
    return reference.predict(X, w, b, threshold).astype(bool)


def _predict_float(X, w, b, threshold=0.5):
    return reference.predict(X, w, b, threshold).astype(float)


def _relu_grad_int(z):
    return (np.asarray(z) > 0).astype(int)


@pytest.mark.parametrize("problem, fn", [("predict", _predict_bool), ("predict", _predict_float),
                                         ("relu_grad", _relu_grad_int)])
def test_a_dtype_slip_loses_exactly_the_dtype_cases(problem, fn):
    assert dtype_cases(problem)
    assert failed(problem, {problem: fn}) == dtype_cases(problem)


def test_every_dtype_case_is_robustness():
    every = [c for p in cases.batteries() for c in cases.cases_for(p)]
    assert all(c.robust for c in every if c.dtype or c.kind in ("pure", "raises"))
    assert all(c.robust for c in every if c.name == "inputs unchanged"
               or c.name.startswith("bad input") or "float32 in" in c.name)
    assert not any(c.robust for c in every if not c.hidden)  # public checks: the mathematics


# ---------------------------------------------------------------- purity, like with like

def _bn_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    """The reference's values, with a CS231n cache: a mode string and a nested dict."""
    out, _, state_new = reference.batchnorm_forward(x, gamma, beta, state, train, momentum, eps)
    if not train:
        return out, None, state_new
    inv_std = 1 / np.sqrt(x.var(axis=0) + eps)
    cache = {"mode": "train", "x_hat": (x - x.mean(axis=0)) * inv_std, "gamma": gamma,
             "inv_std": inv_std, "bn_param": {"eps": eps, "momentum": momentum,
                                              "layout": ("m", "d"), "note": None}}
    return out, cache, state_new


def _bn_backward(dout, cache):
    if cache["mode"] != "train" or dout.shape != cache["x_hat"].shape:
        raise ValueError("dout must have the shape of x, from a training-mode cache")
    x_hat, inv_std, m = cache["x_hat"], cache["inv_std"], dout.shape[0]
    dx_hat = dout * cache["gamma"]
    dx = inv_std / m * (m * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def test_a_cache_with_a_mode_string_and_a_nested_dict_is_not_changed():
    assert failed("batchnorm_backward", {"batchnorm_forward": _bn_forward,
                                         "batchnorm_backward": _bn_backward}) == set()


def test_a_backward_pass_that_does_change_such_a_cache_is_caught():
    def backward(dout, cache):
        cache["bn_param"]["note"] = "used"
        return _bn_backward(dout, cache)
    assert failed("batchnorm_backward", {"batchnorm_forward": _bn_forward,
                                         "batchnorm_backward": backward}) == {"inputs unchanged"}


# ---------------------------------------------------------------- the robustness weight

def _unvalidated(name: str) -> str:
    """Correct optimizers that check nothing: lr <= 0 and mismatched shapes go through
    (dw and the state are cast to w's dtype, as the contract asks)."""
    return {
        "sgd": "def sgd(w, dw, state, lr):\n    return w - lr * dw.astype(w.dtype), {}\n",
        "momentum": ("def momentum(w, dw, state, lr, beta=0.9):\n"
                     "    v = (beta * state.get('v', 0 * w).astype(w.dtype)\n"
                     "         + (1 - beta) * dw.astype(w.dtype))\n"
                     "    return w - lr * v, {'v': v}\n"),
    }[name]


@pytest.fixture(scope="module")
def unvalidated(tmp_path_factory):
    """Grade the unvalidated optimizers, for real, with robustness 0 and 0.1."""
    root = tmp_path_factory.mktemp("robustness")
    path = root / "student.py"
    path.write_text(_unvalidated("sgd") + _unvalidated("momentum"))
    limits = sandbox.Limits(call_timeout=5, load_timeout=10)
    points = {"sgd": 1.0, "momentum": 2.0}
    return {r: grade_submission(path, spec.Assignment("opt", "Optimizers", points, root,
                                                      robustness=r), limits=limits)
            for r in (0.0, 0.1)}


def test_with_robustness_0_a_correct_unvalidated_submission_gets_full_marks(unvalidated):
    result = unvalidated[0.0]
    assert result.status == "graded" and result.points == result.max_points == 3.0
    assert any(not c.passed and c.robust for p in result.problems for c in p.checks)


def test_robustness_is_a_share_of_each_function_and_a_line_of_its_own(unvalidated):
    result = unvalidated[0.1]
    for p in result.problems:
        (math_got, math_max), (robust_got, robust_max) = p.parts().values()
        assert math_got == math_max == pytest.approx(0.9 * p.max_points)
        assert robust_max == pytest.approx(0.1 * p.max_points) and 0 < robust_got < robust_max
        assert p.points == pytest.approx(math_got + robust_got, abs=1e-4)
        failures = [c for c in p.checks if not c.passed]
        assert failures and all(c.robust and c.name.startswith("bad input") for c in failures)
    sgd = result.problems[0]
    assert sgd.split() == f"mathematics 0.9/0.9, robustness {sgd.parts()['robustness'][0]:g}/0.1"


def _result(robust_passed: bool) -> SubmissionResult:
    checks = [CheckResult("relu", "values", False, 1.0, True),
              CheckResult("relu", "inputs unchanged", True, 1.0, True, robust=True),
              CheckResult("relu", "bad input: z is a list", True, 1.0, robust_passed,
                          robust=True)]
    return SubmissionResult("ann", "ann.py", "graded", [ProblemResult("relu", 1.0, checks)])


def test_every_report_shows_the_split_per_function():
    result = _result(robust_passed=False)
    line = "mathematics 0.9/0.9, robustness 0.05/0.1"
    assert result.problems[0].split() == line and result.points == 0.95
    assignment = spec.Assignment("ps", "PS", {"relu": 1.0}, spec.ASSIGNMENTS_DIR)
    assert line in feedback.markdown(result, assignment)
    data = report.gradescope(result)
    assert f"relu: {line}" in data["output"]
    assert [t["max_score"] for t in data["tests"]] == [0.9, 0.05, 0.05]
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
    assert line in feedback.check_report(result)
    assert line in feedback.problem_summary(result.problems[0])


def test_a_part_without_cases_gives_its_share_to_the_other():
    only_values = ProblemResult("sigmoid", 2.0, [CheckResult("sigmoid", "v", False, 1.0, True)])
    assert only_values.points == 2.0 and only_values.split() == "mathematics 2/2"


@pytest.mark.parametrize("value, ok", [("0", 0.0), ("0.25", 0.25), ("1", 1.0), ("1.5", None),
                                       ("-0.1", None), ("true", None), ("'0.1'", None)])
def test_the_robustness_share_comes_from_the_grading_table(tmp_path, value, ok):
    (tmp_path / "assignment.toml").write_text(f"[points]\nrelu = 1\n[grading]\n"
                                              f"robustness = {value}\n")
    if ok is None:
        with pytest.raises(spec.SpecError, match="robustness must be a number from 0 to 1"):
            spec.load(tmp_path)
    else:
        assert spec.load(tmp_path).robustness == ok


def test_every_assignment_states_its_robustness_share():
    for name in spec.available():
        text = (spec.ASSIGNMENTS_DIR / name / "assignment.toml").read_text()
        assert f"robustness = {spec.load(name).robustness:g}" in text
        intro = (spec.ASSIGNMENTS_DIR / name / "notebook.md").read_text()
        assert f"{spec.load(name).robustness:.0%}" in intro and "robustness" in intro


def test_an_echo_of_such_a_cache_compares_its_strings_by_equality():
    cache = _bn_forward(*[np.ones((3, 2)), np.ones(2), np.zeros(2)], {})[1]
    cases.assert_echo((np.ones((3, 2)), cache), {}, [np.ones((3, 2)), copy.deepcopy(cache)], {})
