"""Grade submissions: one in a pytest session, a class in parallel.

:func:`grade_submission` runs the battery session for one file and always
returns a :class:`SubmissionResult`, whatever the file does.
:func:`grade_all` fans the class out over a ``concurrent.futures`` executor
(local processes by default; any Executor with the same interface, e.g. a
distributed one, can be passed in) and reports progress as results arrive.
"""
from __future__ import annotations

import concurrent.futures as cf
import io
import os
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Callable, Iterable

import pytest

from . import sandbox, spec
from .plugin import Scoreboard
from .results import SubmissionResult

_HERE = Path(__file__).resolve().parent
BATTERY = _HERE / "battery.py"
INI = _HERE / "pytest.ini"


def grade_submission(path, assignment: spec.Assignment, *, student: str = "",
                     limits: sandbox.Limits = sandbox.Limits(),
                     public_only: bool = False, problems: Iterable[str] | None = None
                     ) -> SubmissionResult:
    """Grade one ``.py``/``.ipynb`` file against ``assignment``.

    Parameters
    ----------
    path : path-like
        The submission.
    assignment : Assignment
    student : str, optional
        The student's id for the reports (default: the file's stem).
    limits : Limits
        Timeouts and rlimits of the sandbox.
    public_only : bool, default=False
        Run only the public cases (the student side).
    problems : iterable of str, optional
        Grade only these functions (e.g. for an audit of one function).

    Returns
    -------
    SubmissionResult
        Never raises for anything the submission does; a grader defect gives
        status "crashed" with the reason in ``message``.
    """
    path = Path(path)
    student = student or path.stem
    if problems is not None:
        wanted = set(problems)
        assignment = spec.Assignment(assignment.name, assignment.title,
                                     {k: v for k, v in assignment.points.items() if k in wanted},
                                     assignment.folder)
    start = time.monotonic()
    board = Scoreboard(assignment, str(path), student, public_only, limits)
    sink = io.StringIO()
    try:
        with redirect_stdout(sink), redirect_stderr(sink):
            code = pytest.main(["-c", str(INI), "--rootdir", str(_HERE), "-p", "no:terminal",
                                str(BATTERY)], plugins=[board])
    except BaseException:  # noqa: BLE001  a grader defect must not lose the row
        code, sink = -1, io.StringIO(traceback.format_exc())
    result = board.result(time.monotonic() - start)
    if code not in (0, 1) or board.internal_errors:
        result.status = "crashed" if code not in (0, 1) else result.status
        detail = "; ".join(board.internal_errors) or sink.getvalue()[-1500:]
        result.message = (result.message + " | grader error: " + detail).strip(" |")
    return result


def _grade_job(args) -> SubmissionResult:
    path, assignment, student, limits, public_only = args
    try:
        return grade_submission(path, assignment, student=student, limits=limits,
                                public_only=public_only)
    except BaseException as exc:  # noqa: BLE001
        return SubmissionResult(student, str(path), "crashed",
                                message=f"grader error: {type(exc).__name__}: {exc}")


def grade_all(submissions: list[tuple[str, Path]], assignment: spec.Assignment, *,
              jobs: int | None = None, limits: sandbox.Limits = sandbox.Limits(),
              executor: cf.Executor | None = None,
              progress: Callable[[int, int, SubmissionResult], None] | None = None
              ) -> list[SubmissionResult]:
    """Grade ``(student, path)`` pairs in parallel; results come back in input order.

    Every submission yields exactly one result: if a grading process itself
    dies, that submission is reported as "crashed" and the others go on.
    """
    jobs = jobs or os.cpu_count() or 1
    own = executor is None
    if own:
        executor = cf.ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else _InlineExecutor()
    results: list[SubmissionResult | None] = [None] * len(submissions)
    try:
        futures = {executor.submit(_grade_job, (path, assignment, student, limits, False)): i
                   for i, (student, path) in enumerate(submissions)}
        for done, fut in enumerate(cf.as_completed(futures), 1):
            i = futures[fut]
            student, path = submissions[i]
            try:
                results[i] = fut.result()
            except BaseException as exc:  # noqa: BLE001  e.g. BrokenProcessPool
                results[i] = SubmissionResult(student, str(path), "crashed",
                                              message=f"grading process failed: {exc}")
            if progress:
                progress(done, len(submissions), results[i])
    finally:
        if own:
            executor.shutdown(cancel_futures=True)
    return results  # type: ignore[return-value]


class _InlineExecutor(cf.Executor):
    """Runs each job at submit time, in this process (``--jobs 1``)."""

    def submit(self, fn, /, *args, **kwargs):
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            fut.set_exception(exc)
        return fut
