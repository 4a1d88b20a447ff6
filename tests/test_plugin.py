"""The scoring plugin, run in pytester sessions on the real battery module.

Each test builds a :class:`Scoreboard` for a small assignment and a tiny
submission, runs ``battery.py`` in a pytester session with the board as a
plugin, and reads the outcome from the board.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import autograder.problems  # noqa: F401  (register the batteries before patching the registry)
from autograder import cases, flatten, sandbox, spec
from autograder.cases import Case, Raised
from autograder.checks import CheckFailure
from autograder.feedback import student_text
from autograder.grade import BATTERY
from autograder.plugin import Scoreboard, check_result

pytest_plugins = ["pytester"]

LIMITS = sandbox.Limits(call_timeout=2, load_timeout=5)
#: Inner sessions skip the unrelated plugins (each would be re-imported per session).
INNER = ("-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:cacheprovider")
GOOD = flatten.reference_source()
WRONG_RELU = GOOD + "\ndef relu(z):\n    return z * 0.0\n"


@pytest.fixture
def run(pytester, tmp_path):
    """``run(points, source, **board_options) -> (board, hook recorder)``."""
    pytester.makepyfile(battery=BATTERY.read_text(encoding="utf-8"))

    def run(points: dict, source: str, *args, **options):
        sub = tmp_path / "alice.py"
        sub.write_text(source)
        assignment = spec.Assignment("probe", "Probe", dict(points), tmp_path)
        board = Scoreboard(assignment, str(sub), "alice", limits=LIMITS, **options)
        recorder = pytester.inline_run(*INNER, "battery.py", *args, plugins=[board])
        return board, recorder
    return run


@pytest.fixture
def probe_battery(monkeypatch):
    """Register a battery for a test-only function ``probe`` (doubles its input)."""
    def install(*extra: Case):
        def battery():
            return [Case("probe", "small x", (1.0,), expect=lambda x: 2 * x, weight=1.0),
                    Case("probe", "large x", (5.0,), expect=lambda x: 2 * x, weight=3.0),
                    *extra]
        monkeypatch.setitem(cases.BATTERIES, "probe", battery)
    return install


# A probe that is right only for x > 2: it earns the weight-3 case, not the weight-1 one.
HALF_PROBE = "def probe(x):\n    return 2 * x if x > 2 else -1.0\n"


def checks(board, problem):
    return {c.name: c for c in board.problems[problem].checks}


# ---------------------------------------------------------------- the marker

MARKED = """
    import pytest
    @pytest.mark.points(problem="relu", weight=1)
    def test_marked():
        pass
"""


def _board():
    return Scoreboard(spec.Assignment("p", "P", {"relu": 1.0}, Path(".")), "nothing.py")


@pytest.fixture
def fresh_marks(monkeypatch):
    """Forget the marker names pytest remembers process-wide (``pytest.mark`` caches every
    name any earlier session registered), so that only this session's registrations count."""
    monkeypatch.setattr(pytest.mark, "_markers", set())


def test_the_points_marker_is_registered(pytester, fresh_marks):
    result = pytester.runpytest_inprocess(*INNER, "--markers", plugins=[_board()])
    result.stdout.fnmatch_lines(["@pytest.mark.points(problem, weight)*"])
    # Without the plugin the marker is unknown, and --strict-markers rejects it.
    pytester.makepyfile(test_marked=MARKED)
    result = pytester.runpytest_inprocess(*INNER, "--strict-markers", "test_marked.py")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'points' not found in `markers`*"])


def test_a_test_that_is_not_a_case_does_not_crash_the_session(pytester):
    pytester.makepyfile(test_marked=MARKED)
    result = pytester.runpytest_inprocess(*INNER, "--strict-markers", "test_marked.py",
                                          plugins=[_board()])
    assert result.ret == pytest.ExitCode.OK


def test_the_battery_runs_under_strict_markers(fresh_marks, run):
    board, rec = run({"sigmoid": 2.0, "relu": 1.0}, GOOD, "--strict-markers")
    passed, skipped, failed = rec.listoutcomes()
    assert not failed and not skipped
    assert len(passed) == len(cases.cases_for("sigmoid")) + len(cases.cases_for("relu"))


# ---------------------------------------------------------------- scoring

def test_each_case_lands_on_the_board_with_its_weight(run, probe_battery):
    probe_battery()
    board, rec = run({"probe": 4.0, "relu": 1.0}, GOOD + HALF_PROBE)
    got = checks(board, "probe")
    assert sorted(got) == ["large x", "small x"]
    assert (got["small x"].weight, got["small x"].passed) == (1.0, False)
    assert (got["large x"].weight, got["large x"].passed) == (3.0, True)
    assert "got -1, expected 2" in got["small x"].message
    # Partial credit: max_points * passed weight / total weight.
    assert board.problems["probe"].points == pytest.approx(4.0 * 3 / 4)
    assert board.problems["relu"].points == 1.0
    result = board.result()
    assert result.status == "graded" and result.points == pytest.approx(4.0)
    assert result.max_points == 5.0


def test_a_correct_submission_gets_full_points_and_a_wrong_function_zero(run):
    points = {"sigmoid": 2.0, "relu": 1.0, "tanh_grad": 1.0}
    board, _ = run(points, GOOD)
    assert {k: p.points for k, p in board.problems.items()} == points
    assert all(c.passed for p in board.problems.values() for c in p.checks)

    board, _ = run(points, WRONG_RELU)
    assert {k: p.points for k, p in board.problems.items()} == {**points, "relu": 0.0}
    relu = board.problems["relu"]
    assert relu.checks and not any(c.passed for c in relu.checks)
    assert all(c.message for c in relu.checks)


def test_public_only_drops_the_hidden_cases(run):
    points = {"sigmoid": 2.0, "relu": 1.0}
    every = {p: cases.cases_for(p) for p in points}
    assert all(any(c.hidden for c in cs) for cs in every.values())  # there is something to drop
    board, rec = run(points, GOOD, public_only=True)
    for problem, cs in every.items():
        got = board.problems[problem].checks
        assert [c.name for c in got] == [c.name for c in cs if not c.hidden]
        assert not any(c.hidden for c in got)
    assert len(rec.getreports("pytest_runtest_logreport")) == 3 * sum(
        not c.hidden for cs in every.values() for c in cs)


def test_a_submission_that_cannot_load_earns_nothing(run):
    board, _ = run({"sigmoid": 2.0, "relu": 1.0}, GOOD + "\nraise RuntimeError('boom')\n")
    result = board.result()
    assert result.status == "load-error" and "boom" in result.message
    assert result.points == 0
    assert all(not c.passed for p in result.problems for c in p.checks)


# ---------------------------------------------------------------- grader defects

def _defective(student, case):
    student.call("probe", 1.0)
    raise KeyError("internal detail 4711")


def _fine(student, case):
    if student.call("probe", 3.0) != 6.0:
        raise CheckFailure("probe(3) should be 6")


def test_a_grader_defect_is_not_the_students_fault(run, probe_battery):
    probe_battery(Case("probe", "defective check", kind="custom", check=_defective),
                  Case("probe", "custom check", kind="custom", check=_fine, hidden=True))
    board, _ = run({"probe": 4.0}, "def probe(x):\n    return 2 * x\n")
    got = checks(board, "probe")
    defect = got["defective check"]
    assert not defect.passed
    assert defect.message == "the grader could not run this check"
    assert "in _defective" in defect.log and "KeyError: 'internal detail 4711'" in defect.log
    assert "4711" not in student_text(defect) and "Traceback" not in student_text(defect)
    assert len(board.internal_errors) == 1
    assert board.internal_errors[0].startswith("probe::defective check: KeyError")
    # The other cases are unaffected, a custom CheckFailure included.
    assert got["small x"].passed and got["large x"].passed and got["custom check"].passed
    assert board.problems["probe"].points == pytest.approx(4.0 * 5 / 6, abs=1e-4)  # 4 decimals


def test_a_failed_custom_check_is_the_students_message(run, probe_battery):
    probe_battery(Case("probe", "custom check", kind="custom", check=_fine))
    board, _ = run({"probe": 1.0}, "def probe(x):\n    return x\n")
    custom = checks(board, "probe")["custom check"]
    assert not custom.passed and custom.message == "probe(3) should be 6"
    assert custom.log == custom.message and not board.internal_errors


# ---------------------------------------------------------------- documented, missing

def test_the_plugin_uses_no_api_that_pytest_10_removes(run):
    board, rec = run({"relu": 1.0}, GOOD, "-W", "error::pytest.PytestRemovedIn10Warning")
    passed, skipped, failed = rec.listoutcomes()
    assert passed and not failed and not skipped



@pytest.mark.parametrize("args, ini", [
    (("--call-timeout", "0"), ""), (("--load-timeout", "-1"), ""),
    ((), "[pytest]\nautograder_call_timeout = 0\n"),
    ((), "[pytest]\nautograder_cell_timeout = soon\n"),
])
def test_a_timeout_that_is_not_positive_is_a_usage_error(pytester, args, ini):
    """The same rule as the CLI's: zero, negative or not a number is refused, never used."""
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess(*INNER, *args, plugins=[_board()])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*must be a positive number of seconds*"])


def test_the_documented_options_exist(pytester):
    result = pytester.runpytest_inprocess(*INNER, "--help", plugins=[_board()])
    result.stdout.fnmatch_lines(["*--public-only*", "*--call-timeout*"])


# ---------------------------------------------------------------- what students may see

def test_a_failed_hidden_case_shows_only_grader_words():
    """Its student code has seen the hidden input: its words go to the TA's log only."""
    case = Case("relu", "hidden", hidden=True)
    for exc, shown in [
            (Raised("ValueError", "your input was 47.11"),
             "a hidden test failed: your function raised ValueError"),
            (Raised("Leak_47_11", "x"), "a hidden test failed: your function raised an exception"),
            (CheckFailure("got 47.11, expected 9"), "a hidden test failed")]:
        result = check_result(case, 1.0, exc)
        assert result.message == student_text(result) == shown
        assert "47" in result.log
    public = check_result(Case("relu", "public"), 1.0, Raised("ValueError", "bad z"))
    assert public.message == "your function raised ValueError: bad z"


def test_the_worker_is_given_no_symlink(pytester, tmp_path):
    """Whoever calls the grader with a link, the copy into the sandbox refuses it."""
    pytester.makepyfile(battery=BATTERY.read_text(encoding="utf-8"))
    target = tmp_path / "real.py"
    target.write_text(GOOD)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assignment = spec.Assignment("probe", "Probe", {"relu": 1.0}, tmp_path)
    board = Scoreboard(assignment, str(link), "link", limits=LIMITS)
    pytester.inline_run(*INNER, "battery.py", plugins=[board])
    result = board.result()
    assert (result.status, result.message, result.points) == (
        "load-error", "symlinks are not accepted", 0)
