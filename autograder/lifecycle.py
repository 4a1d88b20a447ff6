"""The life cycle of one sandboxed worker process, and the spare processes.

A :class:`WorkerProcess` is started (:meth:`WorkerProcess.spawn`), or adopts a spare, in a fresh
scratch dir under the confinement :mod:`isolation` decides, waits for its
submission, is talked to through the codec with a deadline on every frame, and is
killed with its whole process tree.  What it printed is kept across restarts.
:class:`autograder.sandbox.Worker` builds loading and calls on top of it.

A :class:`SparePool` keeps processes started ahead of time: starting Python and
importing numpy is most of a worker's start-up, and a spare overlaps it with
grading.  The grader that owns the pool (``grade.grade_all``) closes it.
"""
from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from . import isolation, slots
from .isolation import WORKER_DIR, Limits, isolation_mode
from .worker import codec
from .workers import WorkerFailure

LATE = object()  # what WorkerProcess._receive gives when no frame came in time
OUTPUT_KEPT = 20000  # characters of what a worker printed that are kept, over its restarts


@functools.lru_cache(maxsize=None)
def _site_packages() -> list[str]:
    """The folders the worker imports numpy from (the grader's own site-packages)."""
    import numpy
    return [str(Path(numpy.__file__).resolve().parent.parent)]


class WorkerProcess:
    """One worker process (or none yet), its scratch dir, channels and uid.

    Parameters
    ----------
    limits : Limits
        Timeouts and resource limits (see :class:`isolation.Limits`).
    """

    def __init__(self, limits: Limits = Limits()):
        self.limits, self.mode = limits, isolation_mode()
        self.proc: subprocess.Popen | None = None
        self._lease: slots.WorkerSlot | None = None
        self._tmp: Path | None = None
        self._r = self._w = -1  # the channels' ends: read from, and write to, the worker
        self._log = None  # the file the worker's stdout and stderr go to
        self._output = ""  # what earlier processes of this worker printed

    def spawn(self) -> None:
        """Start a worker process in a fresh scratch dir; it waits for its submission.

        In ``bwrap`` and ``uid`` modes the worker's uid, folder, scratch tmpfs and
        cgroup come from an :class:`slots.WorkerSlot`; otherwise from a temporary folder.
        """
        self._discard_files()
        if self.mode in isolation.LEASED:
            self._lease = slots.WorkerSlot(self.limits)
            self._tmp = self._lease.dir
        else:
            self._tmp = Path(tempfile.mkdtemp(prefix="autograder-"))
            (self._tmp / "scratch").mkdir(mode=0o700)
        scratch = self._tmp / "scratch"
        to_worker, self._w = os.pipe()
        self._r, from_worker = os.pipe()
        self._log = open(self._tmp / "output.log", "ab")
        bwrap = self.mode in ("bwrap", "bwrap-user")
        serve = "/sandbox/worker/serve.py" if bwrap else str(WORKER_DIR / "serve.py")
        # -S: no site module (no .pth files run); numpy's folder is passed explicitly
        python = os.path.abspath(sys.executable)  # no "..": those folders are not in the sandbox
        command = [python, "-I", "-S", "-u", serve, str(to_worker), str(from_worker),
                   *_site_packages()]
        if bwrap:
            uid = self._lease.uid if self._lease else None
            command = isolation.bwrap_argv(self.mode, uid, scratch, command)
        env = None if bwrap else {**isolation.worker_env(), "PATH": os.environ.get("PATH", "")}
        self.proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            pass_fds=(to_worker, from_worker), start_new_session=True, env=env,
            cwd=scratch, preexec_fn=self._set_limits)
        os.close(to_worker)
        os.close(from_worker)

    def adopt(self, spare: "WorkerProcess") -> None:
        """Take over a spare's process, scratch dir and uid."""
        self._discard_files()
        for attr in ("proc", "_r", "_w", "_log", "_tmp", "_lease"):
            setattr(self, attr, getattr(spare, attr))
        spare.proc, spare._tmp, spare._lease = None, None, None

    def _discard_files(self) -> None:
        """Keep what the last process printed; delete its scratch dir; release its uid."""
        if self._tmp is not None:
            self._output = (self._output + self._log_text(OUTPUT_KEPT))[:OUTPUT_KEPT]
            if self._lease is None:
                shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._lease:
            self._lease.release()
            self._lease = None

    def _set_limits(self) -> None:
        """In the child, before exec: rlimits, the cgroup and the uid, and death with the grader."""
        isolation.die_with_parent()
        isolation.set_rlimits(self.limits, nproc=self.mode != "rlimits" or os.geteuid() != 0)
        if self._lease:
            self._lease.enter()
        if self.mode == "uid":  # bwrap mode drops it with setpriv, inside bubblewrap
            isolation.drop_uid(self._lease.uid)

    def close_process(self) -> None:
        """Kill the worker's whole process tree, if it runs: its group, then its cgroup or uid."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        if self._lease:
            self._lease.kill()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        self.proc = None

    def close(self) -> None:
        """Stop the worker and delete its scratch dir; release its uid."""
        self.close_process()
        self._discard_files()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def output(self, limit: int = 4000) -> str:
        """The first ``limit`` characters the student's code printed."""
        return (self._output + self._log_text(limit))[:limit]

    def _log_text(self, limit: int) -> str:
        """The start of the current process's output log."""
        if self._tmp is None:
            return ""
        try:
            with open(self._tmp / "output.log", "rb") as fh:
                return fh.read(limit).decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _send(self, payload: bytes, deadline: float, what: str) -> None:
        """Write a frame to the worker by ``deadline``, else kill it (WorkerFailure)."""
        try:
            codec.write_frame(self._w, payload, deadline)
            return
        except TimeoutError:  # the worker does not read: never block on it
            status, detail = "timeout", f"{what} did not finish within its time limit"
        except OSError:
            status, detail = "crashed", "the worker exited"
        self._fail(status, detail)

    def _receive(self, deadline: float, what: str, handles=None, late_ok: bool = False):
        """Read and decode one frame from the worker by ``deadline``, else kill it.

        With ``late_ok``, a frame not read by ``deadline`` gives :data:`LATE` instead,
        and the caller kills the worker.

        Failures are raised outside the ``except`` clauses, so that no exception
        chain keeps the frame or its parsed content alive.
        """
        try:
            return codec.decode(codec.read_frame(self._r, deadline, codec.MAX_REPLY),
                                handles=handles)
        except TimeoutError:
            if late_ok:
                return LATE
            status, detail = "timeout", f"{what} did not finish within its time limit"
        except codec.CodecError as exc:  # the worker is alive, but broke the protocol
            status, detail = "crashed", f"the worker sent a bad frame while {what}: {exc}"
        except (EOFError, OSError) as exc:
            status, detail = "crashed", f"the worker died while {what}: " + self._how_it_ended(exc)
        self._fail(status, detail)

    def _how_it_ended(self, exc: Exception) -> str:
        """How the worker ended (it closed its channel), or ``exc``'s text."""
        try:
            return exit_reason(self.proc.wait(timeout=0.5))
        except subprocess.TimeoutExpired:
            return codec.clean(exc, 300)

    def _fail(self, status: str, message: str):
        self.close_process()
        raise WorkerFailure(status, message)


class SparePool:
    """Pre-started worker processes waiting for a submission, one per :class:`Limits`.

    The owner closes the pool (:meth:`close`) when it stops grading.
    """

    def __init__(self):
        self._spares: dict[Limits, WorkerProcess] = {}

    def __len__(self) -> int:
        return len(self._spares)

    def take(self, limits: Limits) -> WorkerProcess | None:
        """A live spare for ``limits`` (now no longer the pool's), or None."""
        spare = self._spares.pop(limits, None)
        if spare is not None and spare.proc is not None and spare.proc.poll() is None:
            return spare
        if spare is not None:
            spare.close()
        return None

    def refill(self, limits: Limits) -> None:
        """Start a spare for ``limits`` unless one waits already."""
        if limits not in self._spares:
            self._spares[limits] = spare = WorkerProcess(limits)
            spare.spawn()

    def close(self) -> None:
        """Stop every spare and delete its scratch dir."""
        while self._spares:
            self._spares.popitem()[1].close()


def exit_reason(code: int) -> str:
    """How a process with exit status ``code`` (negative: a signal) ended."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"

