"""Grade submissions: one in a pytest session, a class in parallel.

:func:`grade_submission` runs the battery session for one file and always
returns a :class:`SubmissionResult`, whatever the file does.
:func:`grade_all` fans the class out over a ``concurrent.futures`` executor
(local processes by default; any Executor with the same interface, e.g. a
distributed one, can be passed in) and reports progress as results arrive.
Each of its own grading processes keeps a spare worker started ahead of time
(:data:`SPARES`), so that starting one overlaps with grading the last.
"""
from __future__ import annotations

import concurrent.futures as cf
import io
import os
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from multiprocessing import util
from pathlib import Path
from typing import Callable

import pytest

from . import sandbox, spec
from .plugin import Scoreboard
from .results import SubmissionResult

_HERE = Path(__file__).resolve().parent
BATTERY = _HERE / "battery.py"
INI = _HERE / "pytest.ini"
#: This process's pre-started workers; :func:`grade_all` uses them in the processes
#: it starts (and in its own, with one job), and closes them when it is done.
SPARES = sandbox.SparePool()


def limits_for(assignment: spec.Assignment, **given) -> sandbox.Limits:
    """The sandbox limits for ``assignment``: ``given`` ones (None: not given) first,
    then its ``[grading]`` table, then :class:`sandbox.Limits`' defaults."""
    chosen = {key: value for key, value in given.items() if value is not None}
    return sandbox.Limits(**{**assignment.timeouts, **chosen})


def grade_submission(path, assignment: spec.Assignment, *, student: str = "",
                     limits: sandbox.Limits | None = None,
                     public_only: bool = False, isolated: bool = True,
                     spares: sandbox.SparePool | None = None) -> SubmissionResult:
    """Grade one ``.py``/``.ipynb`` file against ``assignment``.

    Parameters
    ----------
    path : path-like
        The submission.
    assignment : Assignment
    student : str, optional
        The student's id for the reports (default: the file's stem).
    limits : Limits, optional
        Timeouts and rlimits of the sandbox (default: :func:`limits_for` the assignment).
    public_only : bool, default=False
        Run only the public cases (the student side).
    isolated : bool, default=True
        False runs the submission in this process with no sandbox: only for
        measuring what isolation costs (``bench/``), never for real grading.
    spares : SparePool, optional
        Where the worker takes a pre-started process from and leaves one for the
        next start; None (the default): no process is started ahead of time.

    Returns
    -------
    SubmissionResult
        Never raises for anything the submission does.  A grader defect gives
        status "crashed" (or a note, when only some checks were hit), with the
        details in the TA-only ``log``.
    """
    path = Path(path)
    student = student or path.stem
    limits = limits or limits_for(assignment)
    start = time.monotonic()
    board = Scoreboard(assignment, str(path), student, public_only, limits, isolated, spares)
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
        detail = "; ".join(board.internal_errors) or sink.getvalue()[-3000:]
        result.log = f"{detail}\n{result.log}".strip()
        note = "the grader hit an internal error; your TA has the details"
        result.message = f"{result.message} | {note}".strip(" |")
    return result


def load_error(student: str, path, assignment: spec.Assignment, message: str) -> SubmissionResult:
    """The row of a submission that cannot be graded at all: no points, and why."""
    return SubmissionResult(student, str(path), "load-error",
                            assignment.problem_results(),
                            message=message)


def _grade_job(args) -> SubmissionResult:
    path, assignment, student, limits, isolated, prewarm = args
    try:
        return grade_submission(path, assignment, student=student, limits=limits,
                                isolated=isolated, spares=SPARES if prewarm else None)
    except BaseException as exc:  # noqa: BLE001
        return SubmissionResult(student, str(path), "crashed",
                                message=f"grader error: {type(exc).__name__}: {exc}")


def grade_all(submissions: list[tuple[str, Path]], assignment: spec.Assignment, *,
              jobs: int | None = None, limits: sandbox.Limits | None = None,
              executor: cf.Executor | None = None,
              progress: Callable[[int, int, SubmissionResult], None] | None = None,
              isolated: bool = True) -> list[SubmissionResult]:
    """Grade ``(student, path)`` pairs in parallel; results come back in input order.

    Every submission yields exactly one result.  If a grading process itself
    dies (which breaks a process pool), the unfinished submissions are graded
    again in a fresh pool; one that breaks it twice is reported as "crashed".
    """
    jobs = jobs or os.cpu_count() or 1
    results: list[SubmissionResult | None] = [None] * len(submissions)
    pending, done, attempts = list(range(len(submissions))), 0, 0
    while pending and attempts < 2:
        attempts += 1
        own = executor is None
        pool = executor or (cf.ProcessPoolExecutor(max_workers=jobs, initializer=_start_job)
                            if jobs > 1 else _InlineExecutor())
        broken = []
        try:
            futures = {pool.submit(_grade_job, (submissions[i][1], assignment, submissions[i][0],
                                                limits, isolated, own)): i for i in pending}
            for fut in cf.as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except BaseException:  # noqa: BLE001  e.g. BrokenProcessPool
                    broken.append(i)
                    continue
                done += 1
                if progress:
                    progress(done, len(submissions), results[i])
        finally:
            if own:
                pool.shutdown(cancel_futures=True)
        pending = sorted(broken)
    for i in pending:
        student, path = submissions[i]
        results[i] = SubmissionResult(student, str(path), "crashed",
                                      message="the grading process died twice on this submission")
        done += 1
        if progress:
            progress(done, len(submissions), results[i])
    return results  # type: ignore[return-value]


def _start_job() -> None:
    """In each grading process: stop its spare workers at exit."""
    util.Finalize(SPARES, SPARES.close, exitpriority=10)


class _InlineExecutor(cf.Executor):
    """Runs each job at submit time, in this process (``--jobs 1``); its shutdown
    stops this process's spare workers."""

    def submit(self, fn, /, *args, **kwargs):
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            fut.set_exception(exc)
        return fut

    def shutdown(self, wait=True, *, cancel_futures=False):
        SPARES.close()
