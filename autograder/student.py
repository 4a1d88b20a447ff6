"""The trusted side's handle on a student's functions, and the result of one check.

Both serve every grading path: the pytest session of ``autograder grade``
(:mod:`plugin`) and a notebook's own check cells (:mod:`notebook`), which run
without pytest.
"""
from __future__ import annotations

import builtins
import contextlib
import re
import traceback

from .cases import Raised
from .checks import CheckFailure
from .results import HIDDEN_FAILED, CheckResult
from .workers import StudentError, Worker, WorkerFailure

#: A NameError's message, as Python words it; group 1 is the name.
_UNSET = re.compile(r"name '(\w+)' is not defined")


class StudentProxy:
    """The trusted side's handle on a student's functions.

    Every failure of the student's code becomes a :class:`CheckFailure` with a
    readable message.  A function that timed out once fails fast afterwards, and
    a worker that cannot even load the submission fails every call at once.
    """

    def __init__(self, worker: Worker):
        self.worker = worker
        self.load_failure: WorkerFailure | None = None
        self.timed_out: set[str] = set()
        self.started = False
        self._standins: tuple = (None, None)  # (function, StandIns) while standing_in

    def start(self) -> None:
        """Load the submission once, remembering a failure instead of raising."""
        self.started = True
        try:
            self.worker.start()
        except WorkerFailure as exc:  # kept as a fresh error: its text, no traceback
            self.load_failure = WorkerFailure(exc.status, str(exc))

    @property
    def load_error(self) -> str | None:
        """Why the submission could not be loaded at all, if it could not."""
        return self.worker.load_errors[0] if self.worker.load_fatal else None

    def call_echo(self, name: str, args: tuple, kwargs: dict, echo: bool = True):
        """Call ``name`` in the worker; see :meth:`workers.Worker.call_echo`.

        Failures become a :class:`CheckFailure` raised outside any ``except``
        clause: it carries its message only, no chain of exceptions whose
        tracebacks would keep the worker's reply alive.
        """
        if not self.started:
            self.start()
        if self.load_failure is not None:
            raise CheckFailure(f"your submission could not be loaded: {self.load_failure}")
        if self.load_error:
            raise CheckFailure(f"your file could not be loaded: {self.load_error}")
        problem, standins = self._standins
        standins = standins if name == problem else None
        # a call with stand-ins times out on its own: a looping dependency is not its fault
        timing = name if standins is None else f"{name} with stand-ins"
        if timing in self.timed_out:
            raise CheckFailure(f"{name}() timed out in an earlier test, so it was not run again")
        if name not in self.worker.defined and self.worker.running:
            raise CheckFailure(f"your submission does not define a function named {name}"
                               + self._unset_note(name))
        try:
            return self.worker.call_echo(name, args, kwargs, echo=echo, standins=standins)
        except (StudentError, WorkerFailure) as exc:
            failure = self._failure(name, exc, timing)
        raise failure

    @contextlib.contextmanager
    def standing_in(self, problem: str, standins):
        """While the block runs, every call of ``problem`` gets ``standins`` (a
        :class:`standins.StandIns`) for the functions it names."""
        self._standins = (problem, standins)
        try:
            yield
        finally:
            self._standins = (None, None)

    def reaches(self, name: str, graded: list[str]) -> list[str]:
        """The functions of ``graded`` that the submission defines and its ``name`` calls
        (as its worker reports: untrusted); none when the submission cannot answer."""
        if not self.started:
            self.start()
        if self.load_failure is not None or self.load_error:
            return []
        try:
            found = self.worker.reaches(name, graded)
        except WorkerFailure:
            return []
        return [g for g in graded if g != name and g in found and g in self.worker.defined]

    def _failure(self, name: str, exc: Exception, timing: str) -> CheckFailure:
        """The student-facing failure of a call that raised ``exc``; a timeout puts
        ``timing`` (the call's kind) in :attr:`timed_out`."""
        if isinstance(exc, StudentError):
            if exc.kind == "NotImplementedError":
                return CheckFailure(f"{name}() is not implemented yet "
                                    "(it raised NotImplementedError)")
            unset = _UNSET.match(exc.message) if exc.kind == "NameError" else None
            return Raised(exc.kind, exc.message + (self._unset_note(unset[1]) if unset else ""))
        if exc.status == "timeout":
            self.timed_out.add(timing)
            return CheckFailure(f"{name}() did not return within "
                                f"{self.worker.limits.call_timeout:g} s: is there an "
                                "endless loop?")
        return CheckFailure(f"{name}() crashed the Python process ({exc}); "
                            "do not call sys.exit or os._exit")

    def _unset_note(self, var: str) -> str:
        """Why ``var`` is missing, when only a slow cell would have set it; else nothing."""
        if var not in self.worker.unset:
            return ""
        cell = self.worker.cell_label(self.worker.unset[var])
        return (f"; only {cell} sets {var}, and {cell} ran longer than "
                f"{self.worker.limits.cell_timeout:g} s, so only its definitions were kept")

    @property
    def last_aliases(self) -> list[str]:
        """Where the last call's result (with echo) shares the caller's or the module's
        memory: the worker's own report (see :func:`cases.expect_unchanged`)."""
        return self.worker.last_aliases

    @property
    def last_warnings(self) -> list[str]:
        """Warnings emitted by the last successful call."""
        return self.worker.last_warnings

    def call(self, name: str, *args, **kwargs):
        """Call ``name(*args, **kwargs)`` in the worker and return the result."""
        return self.call_echo(name, args, kwargs, echo=False)[0]


def check_result(case, weight: float, exc: BaseException | None,
                 passed: bool | None = None, rescued: str = "") -> CheckResult:
    """The :class:`CheckResult` of ``case``, from the exception its check raised (if any).

    A :class:`CheckFailure` is the student's; anything else is a defect of the
    grader's, which the student sees only as "could not run", with the
    traceback kept for TAs.  A failed hidden case's message is grader-written
    words only (:func:`hidden_message`); the full text goes to the TA-only log.
    ``rescued`` is the note of a case that failed (``exc``) but passed when graded
    again with stand-ins (:func:`standins.note`): it passes, with that note, and the
    first failure in the TA-only log.
    """
    if rescued:
        result = CheckResult(case.problem, case.name, case.hidden, weight, True,
                             robust=case.robust)
        first = exc.message if isinstance(exc, CheckFailure) else str(exc)
        result.note, result.log = rescued, f"{rescued}; with the student's own: {first}"
        return result
    passed = exc is None if passed is None else passed
    result = CheckResult(case.problem, case.name, case.hidden, weight, passed, robust=case.robust)
    if isinstance(exc, CheckFailure):
        result.message, result.diagnosis, result.log = exc.message, exc.diagnosis, exc.message
        if case.hidden:
            result.message = hidden_message(exc)
    elif exc is not None:
        result.message = "the grader could not run this check"
        result.log = "".join(traceback.format_exception(exc))[-3000:]
    return result


def hidden_message(exc: CheckFailure) -> str:
    """What a student reads of a failed hidden case: never a value, nor any text
    that student code produced (it has seen the hidden input)."""
    if not isinstance(exc, Raised):
        return HIDDEN_FAILED
    error = getattr(builtins, exc.kind, None)
    known = isinstance(error, type) and issubclass(error, BaseException)
    return f"{HIDDEN_FAILED}: your function raised {exc.kind if known else 'an exception'}"
