"""Grade a class on a Dask cluster: ``autograder grade ... --scheduler ADDRESS``.

``ADDRESS`` is a running scheduler (``tcp://HOST:8786``) or ``local:N``, a
``LocalCluster`` of N worker processes on this machine.  :func:`executor` gives
a ``concurrent.futures.Executor`` that :func:`autograder.grade.grade_all` uses
as it uses its local process pool, so the progress bar, the one row per
submission and the reports are the same.

What travels, and why:

* **A submission, as bytes** (compressed), with its student id and original
  path: cluster nodes do not share the TA's disk.  The TA's side reads it with
  :func:`submissions.read_bytes` (no symlink, at most 20 MB).  On the Dask
  worker it is written into a private temp dir (in the worker's local
  directory, which Dask clears when the worker dies) under its own file name and
  graded by :func:`grade._grade_job`, exactly as a local grading process grades
  it: the same sandbox, the same :class:`Limits`, a spare sandbox worker started
  ahead; the result then gets its original path back.
* **The assignment, by name and battery version** (:func:`battery_version`).
  Each Dask worker loads the assignment from its own installed engine and
  refuses to grade when its version differs (:class:`ClusterError`), before the
  first task (:func:`executor` asks every worker) and at each task (a worker
  that joined later).

A Dask worker process is a grading process: it runs one pytest session at a
time, so it must have one thread (``dask worker --nthreads 1 --nworkers M``);
:func:`executor` refuses a worker with more.  When a Dask worker dies
mid-grading, the scheduler runs its tasks again elsewhere (up to
``distributed.scheduler.allowed-failures`` times); ``grade_all`` keeps one
result per submission, and one whose task still fails gets its second pass and
then a "crashed" row, as a local grading process that dies.

Byte-identical to a local run: ``gradebook.csv``, ``feedback/*.md``,
``feedback/*.html`` and ``summary.md``.  ``results/*.json`` differ only in
``execution_time`` and ``ta/results.jsonl`` in ``seconds`` (wall-clock times).
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import functools
import re
import tempfile
import zlib
from pathlib import Path

from . import grade, journal, sandbox, spec, submissions
from .results import SubmissionResult

_LOCAL = re.compile(r"local:([0-9]+)")
_INSTALL = "pip install '.[cluster]'"


class ClusterError(RuntimeError):
    """The cluster cannot grade: no dask, no scheduler, or a worker that must not
    grade (another battery version, more than one thread).  One line, for the TA."""


def battery_version(assignment: spec.Assignment) -> str:
    """What a worker's engine must agree on with the TA's: :func:`journal.battery_version`
    of ``assignment`` (its spec, the batteries, mistakes, checks and reference, the
    package version and ``AUTOGRADER_SEED``), without the limits, which travel with
    each job."""
    return journal.battery_version(assignment)


# ---------------------------------------------------------------- on a Dask worker

@dataclasses.dataclass(frozen=True)
class ShippedJob:
    """One submission as it travels to a Dask worker.

    Attributes
    ----------
    student : str
    path : str
        The file on the TA's disk (kept in the result).
    data : bytes
        Its content, zlib-compressed.
    assignment : str
        The assignment's name.
    version : str
        Its :func:`battery_version` on the TA's engine.
    limits : Limits
    isolated : bool
    """

    student: str
    path: str
    data: bytes
    assignment: str
    version: str
    limits: sandbox.Limits | None
    isolated: bool = True


@functools.lru_cache(maxsize=8)
def _installed(name: str) -> tuple[spec.Assignment, str]:
    """The assignment ``name`` of this worker's engine, and its battery version."""
    assignment = spec.load(name)
    return assignment, battery_version(assignment)


def worker_problem(name: str, version: str) -> str:
    """Why this process must not grade ``name`` at ``version`` ("" when it may)."""
    try:
        installed = _installed(name)[1]
    except spec.SpecError as exc:
        return f"its engine cannot load the assignment: {exc}"
    if installed != version:
        return (f"its engine has battery version {installed} of {name}, the TA's has {version}; "
                "install the same autograder on every node")
    return ""


def grade_shipped(job: ShippedJob) -> SubmissionResult:
    """Grade ``job`` in this process (a Dask worker), as a local grading process would.

    Raises
    ------
    ClusterError
        This worker's engine has another battery version of the assignment.
    """
    problem = worker_problem(job.assignment, job.version)
    if problem:
        raise ClusterError(f"a Dask worker refused to grade: {problem}")
    assignment = _installed(job.assignment)[0]
    # Private (mode 0700), in the worker's own folder: Dask removes a killed worker's.
    scratch = _distributed().get_worker().local_directory
    with tempfile.TemporaryDirectory(prefix="autograder-", dir=scratch) as tmp:
        path = Path(tmp) / Path(job.path).name
        path.write_bytes(zlib.decompress(job.data))
        result = grade._grade_job((path, assignment, job.student, job.limits, job.isolated, True))
    result.path = job.path
    return result


def _worker_state(name: str, version: str) -> dict:
    """What :func:`executor` asks each Dask worker before grading."""
    return {"problem": worker_problem(name, version), "isolation": sandbox.isolation_mode()}


# ---------------------------------------------------------------- on the TA's side

class DaskExecutor(cf.Executor):
    """An Executor on a Dask ``Client`` that ships :func:`grade._grade_job` jobs.

    ``submit(grade._grade_job, args)`` reads the job's file and sends a
    :class:`ShippedJob` (see the module's docstring); any other callable is
    submitted as it is.  A worker's refusal (:class:`ClusterError`) is kept and
    raised by the next ``submit``, so that ``grade_all``'s second pass stops
    with it instead of grading again where it cannot.

    Parameters
    ----------
    client : distributed.Client
    assignment : Assignment
    description : str
        Where grading runs, for the TA.
    """

    def __init__(self, client, assignment: spec.Assignment, description: str = ""):
        self._pool = client.get_executor(pure=False)
        self.assignment, self.version = assignment, battery_version(assignment)
        self.description = description
        self.refusal: ClusterError | None = None

    def submit(self, fn, /, *args, **kwargs):
        if self.refusal is not None:
            raise self.refusal
        if fn is not grade._grade_job:
            return self._pool.submit(fn, *args, **kwargs)
        path, assignment, student, limits, isolated, _ = args[0]
        try:
            data = zlib.compress(submissions.read_bytes(path), 6)
        except submissions.Unreadable as exc:  # changed since it was found: its own row
            done: cf.Future = cf.Future()
            done.set_result(grade.load_error(student, path, assignment, str(exc)))
            return done
        job = ShippedJob(student, str(path), data, assignment.name, self.version, limits, isolated)
        future = self._pool.submit(grade_shipped, job)
        future.add_done_callback(self._keep_refusal)
        return future

    def _keep_refusal(self, future: cf.Future) -> None:
        if not future.cancelled() and isinstance(future.exception(), ClusterError):
            self.refusal = future.exception()

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._pool.shutdown(wait=wait)


def _distributed():
    """The ``distributed`` package, or a :class:`ClusterError` saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--scheduler needs dask's distributed scheduler: {_INSTALL}") from None
    return distributed


@contextlib.contextmanager
def client(scheduler: str, timeout: float = 30.0):
    """A Dask ``Client`` on ``scheduler`` (``local:N`` or an address), closed on exit.

    Raises
    ------
    ClusterError
        No dask, a malformed ``local:N``, or no scheduler (or no worker) within ``timeout``.
    """
    distributed = _distributed()
    local = _LOCAL.fullmatch(scheduler)
    if scheduler.startswith("local:") and not (local and int(local.group(1)) > 0):
        raise ClusterError(f"--scheduler {scheduler}: expected local:N with N >= 1 worker "
                           "processes, or a scheduler address such as tcp://HOST:8786")
    with contextlib.ExitStack() as stack:
        try:
            if local:
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=int(local.group(1)), threads_per_worker=1, processes=True,
                    dashboard_address=":0"))  # any free port: 8787 may be taken
                scheduler = cluster.scheduler_address
            dask_client = stack.enter_context(distributed.Client(scheduler, timeout=timeout))
            dask_client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else repr(exc)
            raise ClusterError(f"--scheduler {scheduler}: cannot reach a Dask scheduler with "
                               f"workers ({why})") from None
        yield dask_client


def check_workers(dask_client, assignment: spec.Assignment) -> str:
    """Refuse a cluster that would not grade as this machine does.

    Returns
    -------
    str
        The workers and their isolation, for the TA.

    Raises
    ------
    ClusterError
        A worker with more than one thread, or whose engine has another battery
        version of ``assignment`` (or cannot load it).
    """
    threads = {addr: w["nthreads"] for addr, w in dask_client.scheduler_info()["workers"].items()}
    crowded = sorted(addr for addr, n in threads.items() if n != 1)
    if crowded:
        raise ClusterError(f"Dask worker {crowded[0]} runs {threads[crowded[0]]} threads; a "
                           "grading process runs one pytest session at a time: start workers "
                           "with `dask worker --nthreads 1 --nworkers M`")
    states = dask_client.run(_worker_state, assignment.name, battery_version(assignment))
    for addr, state in sorted(states.items()):
        if state["problem"]:
            raise ClusterError(f"Dask worker {addr} refuses to grade: {state['problem']}")
    modes = sorted({s["isolation"] for s in states.values()})
    return f"on {len(states)} Dask worker(s); isolation: {', '.join(modes)}"


@contextlib.contextmanager
def executor(scheduler: str, assignment: spec.Assignment):
    """A :class:`DaskExecutor` on ``scheduler`` for ``assignment``, its workers checked.

    Each worker stops its spare sandbox workers when it exits, as a local
    grading process does.

    Raises
    ------
    ClusterError
        See :func:`client` and :func:`check_workers`.
    """
    with client(scheduler) as dask_client:
        description = check_workers(dask_client, assignment)
        dask_client.run(grade._start_job)
        pool = DaskExecutor(dask_client, assignment, description)
        try:
            yield pool
        finally:
            pool.shutdown(wait=False)
