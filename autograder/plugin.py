"""The scoring pytest plugin: one pytest session grades one submission.

The plugin is a :class:`Scoreboard` object, passed to ``pytest.main(plugins=[...])``
with the assignment and the submission.

* Options (group ``autograder``): ``--public-only``, ``--call-timeout``,
  ``--cell-timeout`` and ``--load-timeout`` override the board's settings; the ini
  keys ``autograder_call_timeout``, ``autograder_cell_timeout`` and
  ``autograder_load_timeout`` come next, then the board's own.
* Marker ``points(problem, weight)``: which function a test grades and its
  share of that function's points; registered in :func:`pytest_configure`.
* ``battery.py``'s ``student`` fixture gets its :class:`StudentProxy` to the
  sandboxed worker from :meth:`Scoreboard.open_student`.
* ``pytest_generate_tests`` turns each case of the assignment into a test
  item of ``battery.py``, every public case before any hidden one;
  ``pytest_runtest_setup`` gives the hidden cases a fresh worker, and
  ``pytest_runtest_makereport`` (a hook wrapper) records each outcome in the
  :class:`Scoreboard`; a failed case whose function calls other graded functions
  is first graded again with trusted stand-ins for them (:mod:`standins`), when
  the assignment's ``[grading] isolate_dependencies`` is on.

Student code sees the hidden inputs, so nothing it says from then on reaches
the student: not its output, nor its exception messages (see
:func:`check_result`), nor anything a public case could report later.
"""
from __future__ import annotations

import dataclasses
import functools

import pytest

from . import sandbox, spec, standins, workers
from .cases import cases_for, has_batteries
from .checks import CheckFailure
from .lifecycle import OUTPUT_KEPT
from .results import SubmissionResult
from .student import StudentProxy, check_result, hidden_message  # noqa: F401  (public here too)
from .submissions import Unreadable

#: Where a session's Scoreboard is kept, for the ``student`` fixture.
BOARD = pytest.StashKey()
#: Characters of the student's output shown to the student.
OUTPUT_SHOWN = 4000


def slow_note(worker: workers.Worker, key: int) -> str:
    """What the student reads about a cell that ran past its budget while loading."""
    cell, seconds = worker.cell_label(key), f"{worker.limits.cell_timeout:g} s"
    if worker.submission.suffix != ".ipynb":  # a statement of a .py: never a definition
        return (f"the statement at {cell} ran longer than {seconds}, so it was skipped; "
                "nothing it computes affects your grade")
    first = worker.slow_cells[key].strip()
    begins = f" (`{first[:60]}{'...' if len(first) > 60 else ''}`)" if first else ""
    return (f"{cell}{begins} ran longer than {seconds}, so only its definitions were kept; "
            "nothing else you wrote there affects your grade")


def _seconds(key: str, value) -> float:
    """A timeout option's value: a positive, finite number of seconds (as the CLI demands)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise pytest.UsageError(f"--{key.replace('_', '-')} (or autograder_{key}) must be a "
                                f"positive number of seconds, got {value!r}")
    return seconds


class Scoreboard:
    """The plugin object: holds the options and collects every check's result."""

    def __init__(self, assignment: spec.Assignment, submission: str, student: str = "",
                 public_only: bool = False, limits: sandbox.Limits = sandbox.Limits(),
                 isolated: bool = True, spares: sandbox.SparePool | None = None):
        self.assignment, self.submission, self.student_name = assignment, submission, student
        self.public_only, self.limits = public_only, limits
        self.worker_class = (functools.partial(sandbox.Worker, spares=spares) if isolated
                             else workers.InProcessWorker)
        self.problems = {p.name: p for p in assignment.problem_results()}
        # the functions that may stand in for others' (the student kit has no reference)
        self.standins = assignment.standins if has_batteries() else ()
        self.rescued: dict[str, list[str]] = {}  # function -> the wrong ones it was rescued from
        self.proxy: StudentProxy | None = None
        self.internal_errors: list[str] = []
        self.output = ""  # everything the student's code printed (kept up to OUTPUT_KEPT)
        self.public_output: str | None = None  # what it printed before the hidden cases
        self.outcome: tuple[str, str] | None = None  # the load status, kept at that point

    # -- hooks

    def pytest_addoption(self, parser):
        group = parser.getgroup("autograder", "grading one submission")
        group.addoption("--public-only", action="store_true", default=None,
                        help="run only the public cases (the student side)")
        group.addoption("--call-timeout", type=float, default=None,
                        help="seconds allowed per call of a student function")
        group.addoption("--cell-timeout", type=float, default=None,
                        help="seconds allowed per notebook cell while loading")
        group.addoption("--load-timeout", type=float, default=None,
                        help="seconds allowed to load the submission")
        parser.addini("autograder_call_timeout", "seconds allowed per call", default=None)
        parser.addini("autograder_cell_timeout", "seconds allowed per cell", default=None)
        parser.addini("autograder_load_timeout", "seconds allowed to load", default=None)

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(problem, weight): the function a test "
                                           "grades and its share of that function's points")
        config.stash[BOARD] = self
        if config.getoption("public_only", None):
            self.public_only = True
        timeouts = {}
        for key in ("call_timeout", "cell_timeout", "load_timeout"):
            value = config.getoption(key, None)
            if value is None:
                value = config.getini(f"autograder_{key}") or None
            if value is not None:
                timeouts[key] = _seconds(key, value)
        if timeouts:
            self.limits = dataclasses.replace(self.limits, **timeouts)

    def pytest_generate_tests(self, metafunc):
        if "case" not in metafunc.fixturenames:
            return
        every = [case for problem in self.assignment.points for case in cases_for(problem)
                 if not (case.hidden and self.public_only)]
        every.sort(key=lambda case: case.hidden)  # stable: all public cases before any hidden
        metafunc.parametrize("case", [pytest.param(case, id=case.id, marks=pytest.mark.points(
            problem=case.problem, weight=case.weight)) for case in every])

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
        if case is not None and case.hidden and self.public_output is None:
            self._start_hidden_phase()

    def open_student(self):
        """Start the worker; yield its :class:`StudentProxy`; stop it afterwards."""
        worker = self.worker_class(self.submission, self.limits)
        self.proxy = StudentProxy(worker)
        self._start_worker()
        try:
            yield self.proxy
        finally:
            worker.close_process()
            self.output = worker.output(OUTPUT_KEPT)
            worker.close()

    def _start_worker(self) -> None:
        """Start (or restart) the proxy's worker; an unreadable file is a load error."""
        try:
            self.proxy.start()
        except Unreadable as exc:
            self.proxy.load_failure = workers.WorkerFailure("load-error", str(exc))

    def _start_hidden_phase(self) -> None:
        """Before the first hidden case: keep what the student may see, then give the
        hidden cases a fresh worker, which remembers nothing of the public ones and
        whose words (output, exception messages) reach only the TA."""
        proxy = self.proxy
        if proxy is None:  # no public case ran: the worker starts with the hidden cases
            self.public_output = ""
            return
        self.outcome = self._load_outcome()  # a failed reload fails the hidden cases only
        proxy.worker.close_process()
        self.public_output = proxy.worker.output(OUTPUT_KEPT)
        if proxy.load_failure is None and not proxy.load_error:
            self._start_worker()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if not (report.when == "call" or (report.when == "setup" and report.failed)):
            return
        if "case" not in getattr(getattr(item, "callspec", None), "params", {}):
            return  # not a battery case: nothing to score
        case = item.callspec.params["case"]
        weight = item.get_closest_marker("points").kwargs.get("weight", 1.0)
        exc = None
        if not report.passed:
            exc = getattr(item, "check_failure", None) or (call.excinfo and call.excinfo.value)
        rescued = self._rescue(case) if isinstance(exc, CheckFailure) else ""
        result = check_result(case, weight, exc, passed=report.passed, rescued=rescued)
        if exc is not None and not isinstance(exc, CheckFailure):  # a grader defect
            self.internal_errors.append(f"{case.id}: {type(exc).__name__}: {exc}")
        self.problems[case.problem].checks.append(result)

    def _rescue(self, case) -> str:
        """The note of a failed ``case`` that passes when graded again with stand-ins
        for its function's dependencies (see :mod:`standins`); else nothing."""
        if not self.standins or self.proxy is None:
            return ""
        try:
            standing = standins.rescue(case, self.proxy, self.standins)
        except Exception as exc:  # noqa: BLE001  a grader defect: the first failure stands
            self.internal_errors.append(f"{case.id} (stand-ins): {type(exc).__name__}: {exc}")
            return ""
        if not standing:
            return ""
        wrong = self.rescued.setdefault(case.problem, [])
        wrong += [g for g in self._wrong(standing) if g not in wrong]
        return standins.note(case.problem, standing, wrong)

    def _wrong(self, names) -> list[str]:
        """Those of ``names`` that failed a check so far; one that passed only thanks to
        stand-ins counts as the functions that made it fail (predict, for a wrong sigmoid
        inside a right neuron_forward)."""
        wrong = []
        for name in names:
            checks = self.problems[name].checks if name in self.problems else []
            found = [name] if not all(c.passed for c in checks) else self.rescued.get(name, [])
            wrong += [g for g in found if g not in wrong]
        return wrong

    # -- the result

    def _load_outcome(self) -> tuple[str, str]:
        """``(status, message)`` from loading the submission."""
        proxy = self.proxy
        if proxy is None:
            return "graded", ""
        if proxy.load_failure is not None:
            return proxy.load_failure.status, str(proxy.load_failure)
        if proxy.load_error:
            return "load-error", f"could not load the file: {proxy.load_error}"
        notes = [slow_note(proxy.worker, key) for key in proxy.worker.slow_cells]
        if proxy.worker.load_errors:
            what = "notebook" if self.submission.endswith(".ipynb") else "file"
            notes.append(f"errors while running the {what}: "
                         + "; ".join(proxy.worker.load_errors[:5]))
        return "graded", "; ".join(notes)

    def result(self, seconds: float = 0.0) -> SubmissionResult:
        """The :class:`SubmissionResult` of the session that just ran.

        Its ``output`` is what the student's code printed before any hidden
        input; what it printed after goes to the TA-only ``log``.
        """
        status, message = self.outcome or self._load_outcome()
        if status != "graded":  # nothing was earned: no check could run
            for problem in self.problems.values():
                for check in problem.checks:
                    check.passed = False
        shown = self.output if self.public_output is None else self.public_output
        later = self.output[len(shown):]
        log = [f"printed during the hidden tests: {later}"] if later else []
        if self.proxy is not None:
            worker = self.proxy.worker
            log += [f"{worker.cell_label(key)} ran longer than {worker.limits.cell_timeout:g} s "
                    f"and ran definitions-only: {line}" for key, line in worker.slow_cells.items()]
        return SubmissionResult(self.student_name, self.submission, status,
                                list(self.problems.values()), message, shown[:OUTPUT_SHOWN],
                                round(seconds, 3), log="\n".join(log))
