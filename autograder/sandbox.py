"""Run one submission in an isolated worker process and call its functions.

The worker (``autograder/worker/serve.py``) is untrusted.  Here, on the trusted
side, we start it under bubblewrap with a dedicated unprivileged uid, a
cgroup and rlimits, talk to it through the safe codec, enforce a timeout on every call,
and kill its whole process tree when it hangs or dies.  A fresh worker then
serves the remaining calls.

The isolation policy (modes, mounts, limits, cgroups, the scratch tmpfs, uid
leases) is :mod:`isolation`'s; its public names are importable from here too.
"""
from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from . import isolation, submissions
from .isolation import (  # noqa: F401  (public here too)
    UID_BASE, UID_COUNT, WORKER_DIR, Limits, SandboxWarning, isolation_mode)
from .worker import codec

_UidLease = isolation.UidLease  # the name tests use
MAX_CALLBACKS = 1000  # callbacks one call may make (an honest call makes at most about 40)
MAX_SLOW_CELLS = 50  # cells of one submission that may run definitions-only (a restart each)
MAX_CELL_KEY = 10**7  # the largest cell key a progress frame may name (a cell index, a line)
#: Loading one submission again and again (the hidden phase, a restart after each call that
#: timed out) may take at most this many whole load budgets in all.
LOAD_BUDGETS = 3
_LATE = object()  # what Worker._receive gives when no frame came in time


class StudentError(Exception):
    """The student's function raised; ``kind`` is the exception's type name."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class WorkerFailure(Exception):
    """The worker died, hung, or broke the protocol; it has been killed."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status  # "timeout" or "crashed"


@functools.lru_cache(maxsize=None)
def _site_packages() -> list[str]:
    """The folders the worker imports numpy from (the grader's own site-packages)."""
    import numpy
    return [str(Path(numpy.__file__).resolve().parent.parent)]


# ---------------------------------------------------------------- the worker

class Worker:
    """One sandboxed process serving the functions of one submission.

    Parameters
    ----------
    submission : path-like
        A ``.py`` or ``.ipynb`` file; it is copied into a fresh scratch dir.
    limits : Limits
        Timeouts and resource limits (see :class:`isolation.Limits`).

    Attributes
    ----------
    defined : list of str
        Names of callables the submission defines.
    load_errors : list of str
        Exceptions raised while loading (a notebook keeps going past them).
    load_fatal : bool
        True when loading failed outright (a ``.py`` that does not import, or
        an unreadable notebook): there is nothing to grade.
    last_warnings : list of str
        Warnings the last successful call emitted.
    slow_cells : dict of int to str
        Key -> first line of each cell that ran past its budget and now runs
        with only its definitions (see :meth:`start`, :meth:`cell_label`).
    unset : dict of str to int
        Globals that only the dropped part of a slow cell would have set, with
        that cell's key.
    """

    def __init__(self, submission, limits: Limits = Limits()):
        self.submission, self.limits = Path(submission), limits
        self.mode = isolation_mode()
        self.proc: subprocess.Popen | None = None
        self.defined: list[str] = []
        self.load_errors: list[str] = []
        self.load_fatal = False  # the submission could not be loaded at all
        self.last_warnings: list[str] = []  # warnings the last call emitted
        self._lease: isolation.WorkerSlot | None = None
        self._tmp: Path | None = None
        self._output = ""  # what earlier processes of this worker printed
        self.slow_cells: dict[int, str] = {}  # key -> first line of each cell past its budget
        self.unset: dict[str, int] = {}  # global -> key of the slow cell that alone sets it
        self.load_seconds = 0.0  # spent loading, over every start of this worker
        self._last_load = False  # this start may use only what is left of all the loads' budget

    # -- life cycle

    def start(self) -> None:
        """Start a fresh worker (or adopt a pre-started spare) and load the submission.

        Each cell (each top-level statement of a ``.py``) may run for
        ``limits.cell_timeout`` seconds, and the whole load, restarts included, for
        ``limits.load_timeout``.  A cell past its budget goes into :attr:`slow_cells`;
        the worker is killed and restarted, and from then on, in every start of this
        worker, that cell runs with only its definitions.  All the starts of one
        worker together may load for :data:`LOAD_BUDGETS` whole budgets.

        Raises
        ------
        WorkerFailure
            When loading runs past the whole budget, a cell runs past its own even
            with only its definitions, or the worker dies while loading.
        """
        begin = time.monotonic()
        left = LOAD_BUDGETS * self.limits.load_timeout - self.load_seconds
        self._last_load = left <= self.limits.load_timeout
        if left <= 0:
            self._fail("timeout", self._reloads_spent())
        deadline = begin + min(self.limits.load_timeout, left)
        hello = None
        try:
            while hello is None:
                self._launch()
                hello = self._load(deadline)
        finally:
            self.load_seconds += time.monotonic() - begin
        self._greeted(hello)
        if _PREWARM[0]:  # the next submission's worker imports numpy while this one is graded
            _SPARES[self.limits] = spare = Worker(self.submission, self.limits)
            spare._spawn()

    def cell_label(self, key: int) -> str:
        """How the student knows a cell: ``"cell 7"``, or ``"line 12"`` in a ``.py``."""
        return f"cell {key}" if self.submission.suffix == ".ipynb" else f"line {key}"

    def _launch(self) -> None:
        """Get a fresh worker process (a spare, or a new one) and copy the submission in."""
        self.close_process()
        spare = _SPARES.pop(self.limits, None)
        if spare is not None and spare.proc is not None and spare.proc.poll() is None:
            self._adopt(spare)
        else:
            if spare is not None:
                spare.close()
            self._spawn()
        scratch, name = self._tmp / "scratch", "submission" + self.submission.suffix
        submissions.copy_submission(self.submission, scratch / name)
        if self._lease:
            os.chown(scratch / name, self._lease.uid, self._lease.uid)

    def _load(self, deadline: float) -> dict | None:
        """Ask the worker to load the submission and follow its progress, cell by cell.

        Returns its greeting, or None when a cell ran past its budget: the worker
        has then been killed and the cell added to :attr:`slow_cells`.
        """
        what, name = "loading the submission", "submission" + self.submission.suffix
        self._send(codec.encode({"load": name, "definitions_only": sorted(self.slow_cells)}),
                   deadline, what)
        cell, budget = None, deadline  # (key, first line) of the cell running, and its end
        while True:  # (before the first cell, no student code runs: no cell budget yet)
            msg = self._receive(budget, what, late_ok=True)
            if msg is _LATE:
                return self._slow(cell, whole=budget >= deadline)
            if not isinstance(msg, dict):
                self._fail("crashed", "the worker sent a malformed greeting")
            if "ready" in msg:
                return msg
            cell = self._progress(msg, cell)
            budget = min(deadline, time.monotonic() + self.limits.cell_timeout)

    def _progress(self, msg: dict, cell: tuple | None) -> tuple[int, str]:
        """The ``(key, first line)`` a progress frame announces; its key must exceed the last."""
        key, line = msg.get("cell"), msg.get("line")
        if not (type(key) is int and type(line) is str and 0 <= key <= MAX_CELL_KEY
                and (cell is None or key > cell[0])):
            self._fail("crashed", "the worker sent a bad progress frame while loading")
        return key, codec.clean(line, 200)

    def _slow(self, cell: tuple | None, whole: bool) -> None:
        """A budget ran out while loading: record a slow cell, or fail when that cannot help.

        ``whole`` says the budget of the whole load ran out, not just the cell's.
        """
        self.close_process()
        seconds = f"{self.limits.cell_timeout:g} s"
        if whole and self._last_load:
            self._fail("timeout", self._reloads_spent())
        if whole:
            running = f"; {self.cell_label(cell[0])} was still running" if cell else ""
            self._fail("timeout", f"loading took longer than {self.limits.load_timeout:g} s "
                                  f"in all{self._slow_summary()}{running}")
        key, line = cell
        if key in self.slow_cells:
            self._fail("timeout", f"{self.cell_label(key)} ran longer than {seconds} even "
                                  "with only its definitions")
        if len(self.slow_cells) >= MAX_SLOW_CELLS:
            self._fail("timeout", f"more than {MAX_SLOW_CELLS} cells ran longer than {seconds}")
        self.slow_cells[key] = line

    def _reloads_spent(self) -> str:
        return (f"loading this submission again and again (after calls that timed out) took "
                f"over {LOAD_BUDGETS * self.limits.load_timeout:g} s in all, so it was not "
                "loaded again")

    def _slow_summary(self) -> str:
        """``"; cell 3, cell 5 ran longer than 20 s each"``, or nothing."""
        if not self.slow_cells:
            return ""
        cells = ", ".join(self.cell_label(key) for key in self.slow_cells)
        each = " each" if len(self.slow_cells) > 1 else ""
        return f"; {cells} ran longer than {self.limits.cell_timeout:g} s{each}"

    def _greeted(self, hello: dict) -> None:
        """Keep what the worker's greeting says it loaded (all of it untrusted)."""
        ready, errors, unset = hello.get("ready"), hello.get("errors"), hello.get("unset")
        if not isinstance(ready, list):
            self._fail("crashed", "the worker sent a malformed greeting")
        self.defined = [codec.clean(n, 100) for n in ready[:1000] if isinstance(n, str)]
        self.load_errors = [codec.clean(e, 500)
                            for e in (errors[:20] if isinstance(errors, list) else [])]
        self.load_fatal = bool(hello.get("fatal")) and bool(self.load_errors)
        self.unset = {codec.clean(pair[0], 100): pair[1]
                      for pair in (unset[:200] if isinstance(unset, list) else [])
                      if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
                      and type(pair[1]) is int and pair[1] in self.slow_cells}

    def _spawn(self) -> None:
        """Start a worker process in a fresh scratch dir; it waits for its submission.

        In ``bwrap`` mode the worker's uid, folder, scratch tmpfs and cgroup come
        from an :class:`isolation.WorkerSlot`; otherwise from a temporary folder.
        """
        self._discard_files()
        if self.mode == "bwrap":
            self._lease = isolation.WorkerSlot(self.limits)
            self._tmp = self._lease.dir
        else:
            self._tmp = Path(tempfile.mkdtemp(prefix="autograder-"))
            (self._tmp / "scratch").mkdir(mode=0o700)
        scratch = self._tmp / "scratch"
        to_worker, self._w = os.pipe()
        self._r, from_worker = os.pipe()
        self._log = open(self._tmp / "output.log", "ab")
        serve = ("/sandbox/worker/serve.py" if self.mode != "rlimits"
                 else str(WORKER_DIR / "serve.py"))
        # -S: no site module (no .pth files run); numpy's folder is passed explicitly
        python = os.path.abspath(sys.executable)  # no "..": those folders are not in the sandbox
        command = [python, "-I", "-S", "-u", serve, str(to_worker), str(from_worker),
                   *_site_packages()]
        if self.mode != "rlimits":
            uid = self._lease.uid if self._lease else None
            command = isolation.bwrap_argv(self.mode, uid, scratch, command)
        env = None if self.mode != "rlimits" else {**isolation.worker_env(),
                                                   "PATH": os.environ.get("PATH", "")}
        self.proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            pass_fds=(to_worker, from_worker), start_new_session=True, env=env,
            cwd=scratch, preexec_fn=self._set_limits)
        os.close(to_worker)
        os.close(from_worker)

    def _adopt(self, spare: "Worker") -> None:
        """Take over a spare's process, scratch dir and uid."""
        self._discard_files()
        for attr in ("proc", "_r", "_w", "_log", "_tmp", "_lease"):
            setattr(self, attr, getattr(spare, attr))
        spare.proc, spare._tmp, spare._lease = None, None, None

    def _discard_files(self) -> None:
        """Keep what the last process printed; delete its scratch dir; release its uid."""
        if self._tmp is not None:
            self._output = (self._output + self._log_text(20000))[:20000]
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

    # -- calls

    def call(self, name: str, *args, **kwargs):
        """Call the submission's ``name(*args, **kwargs)`` and return the decoded result.

        See :meth:`call_echo` for the errors raised.
        """
        return self.call_echo(name, args, kwargs, echo=False)[0]

    def call_echo(self, name: str, args: tuple, kwargs: dict, echo: bool = True):
        """Call ``name(*args, **kwargs)``; return ``(result, args_after, kwargs_after)``.

        With ``echo`` the worker sends back the arguments as the call left them,
        so a purity check can compare them with what was sent; without it the
        last two items are None.

        Functions and other objects of the grader's in the arguments (an optimizer,
        a ``fit`` function, a fitted model) stay here; the worker gets stand-ins
        that call back.

        Raises
        ------
        StudentError
            The student's function raised.
        WorkerFailure
            The call timed out or the worker died; the worker has been killed.
        """
        if self.proc is None:
            self.start()
        deadline, what = time.monotonic() + self.limits.call_timeout, f"{name}()"
        callbacks, handles = [], []
        enc = functools.partial(codec.encode, to_callback=_register(callbacks),
                                to_handle=_register(handles))
        self._send(enc({"call": name, "args": list(args), "kwargs": dict(kwargs), "echo": echo}),
                   deadline, what)
        for _ in range(MAX_CALLBACKS + 1):
            msg = self._receive(deadline, what, handles)
            if not isinstance(msg, dict):
                break
            if "result" in msg:
                return self._result(msg, echo)
            error = msg.get("error")
            if isinstance(error, list) and len(error) == 2:
                raise StudentError(codec.clean(error[0], 100), codec.clean(error[1], 500))
            if "callback" not in msg:
                break
            self._send(enc(self._run_callback(msg, callbacks)), deadline, what)
        else:
            self._fail("timeout", f"{what} made more than {MAX_CALLBACKS} callbacks")
        self._fail("crashed", "the worker sent a malformed reply")

    def _result(self, msg: dict, echo: bool) -> tuple:
        """``(result, args_after, kwargs_after)`` of a reply; keep its warnings."""
        warned = msg.get("warnings")
        self.last_warnings = ([codec.clean(w, 200) for w in warned[:5]]
                              if isinstance(warned, list) else [])
        if not echo:
            return msg["result"], None, None
        after = msg.get("after")
        if not (isinstance(after, list) and len(after) == 2 and isinstance(after[0], list)
                and isinstance(after[1], dict)):
            self._fail("crashed", "the worker sent a malformed reply")
        return msg["result"], after[0], after[1]

    @staticmethod
    def _run_callback(msg: dict, callbacks: list) -> dict:
        """Run the trusted function a callback request names: ``{"return": ...}`` or
        ``{"raise": [type name, message]}``.

        The function itself checks its arguments (see ``cases.Guarded``); only its
        result, or a bounded message, goes back.
        """
        index, args, kwargs = msg["callback"], msg.get("args", []), msg.get("kwargs", {})
        if not (type(index) is int and 0 <= index < len(callbacks)
                and type(args) is list and type(kwargs) is dict):
            return {"raise": ["ValueError", "malformed callback request"]}
        try:
            return {"return": callbacks[index](*args, **kwargs)}
        except Exception as exc:  # a bad argument from the student's code
            return {"raise": [type(exc).__name__, codec.clean(exc, 500)]}

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

        With ``late_ok``, a frame not read by ``deadline`` gives :data:`_LATE` instead,
        and the caller kills the worker.

        Failures are raised outside the ``except`` clauses, so that no exception
        chain keeps the frame or its parsed content alive.
        """
        try:
            return codec.decode(codec.read_frame(self._r, deadline, codec.MAX_REPLY),
                                handles=handles)
        except TimeoutError:
            if late_ok:
                return _LATE
            status, detail = "timeout", f"{what} did not finish within its time limit"
        except codec.CodecError as exc:  # the worker is alive, but broke the protocol
            status, detail = "crashed", f"the worker sent a bad frame while {what}: {exc}"
        except (EOFError, OSError) as exc:
            status, detail = "crashed", f"the worker died while {what}: " + self._how_it_ended(exc)
        self._fail(status, detail)

    def _how_it_ended(self, exc: Exception) -> str:
        """How the worker ended (it closed its channel), or ``exc``'s text."""
        try:
            return _exit_reason(self.proc.wait(timeout=0.5))
        except subprocess.TimeoutExpired:
            return codec.clean(exc, 300)

    def _fail(self, status: str, message: str):
        self.close_process()
        raise WorkerFailure(status, message)


#: Pre-started workers waiting for a submission, by limits (see :func:`prewarm`).
_SPARES: dict[Limits, Worker] = {}
_PREWARM = [False]


def prewarm(enabled: bool = True) -> None:
    """Keep one pre-started worker ready in this process (for grading many files).

    Starting Python and importing numpy is most of a worker's start-up; with
    this on, it overlaps with grading the previous submission.  Turning it off
    stops the spare.
    """
    _PREWARM[0] = enabled
    if not enabled:
        while _SPARES:
            _SPARES.popitem()[1].close()


def _register(table: list):
    def add(obj) -> int:
        table.append(obj)
        return len(table) - 1
    return add


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class InProcessWorker:
    """No isolation at all: the submission runs inside the grader's process.

    Same interface as :class:`Worker`, no timeouts, no limits.  It exists only
    so that ``bench/`` can measure what the sandbox costs; never grade
    untrusted code with it.
    """

    def __init__(self, submission, limits: Limits = Limits()):
        self.submission, self.limits, self.mode = Path(submission), limits, "none"
        self.proc = None
        self.defined, self.load_errors, self.last_warnings = [], [], []
        self.load_fatal = False
        self.slow_cells, self.unset = {}, {}

    cell_label = Worker.cell_label

    def start(self) -> None:
        from .worker import serve
        self.ns, self.load_errors, fatal, _ = serve.load(str(self.submission), stub_plots=False)
        self.load_fatal = fatal and bool(self.load_errors)
        self.defined = [k for k, v in self.ns.items() if callable(v) and not k.startswith("_")]
        self.proc = True

    def call_echo(self, name: str, args: tuple, kwargs: dict, echo: bool = True):
        import copy
        fn = self.ns.get(name)
        if not callable(fn):
            raise StudentError("NameError", f"the submission defines no function {name!r}")
        args, kwargs = copy.deepcopy((list(args), dict(kwargs)))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise StudentError(type(exc).__name__, str(exc)) from None
        self.last_warnings = [str(w.message) for w in caught[:5]]
        return (result, args, kwargs) if echo else (result, None, None)

    def call(self, name: str, *args, **kwargs):
        return self.call_echo(name, args, kwargs, echo=False)[0]

    def close_process(self) -> None:
        self.proc = None

    def close(self) -> None:
        self.proc = None

    def output(self, limit: int = 4000) -> str:
        return ""
