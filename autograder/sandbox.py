"""Run one submission in an isolated worker process and call its functions.

The worker (``autograder/worker/serve.py``) is untrusted.  Here, on the trusted
side, :class:`Worker` loads the submission into it, cell by cell within each
cell's budget, then calls its functions, each within its timeout.  A worker that
hangs or dies is killed with its whole process tree; a fresh one then serves the
remaining calls.

Its process life cycle (start, spares, channels, kill) is :mod:`lifecycle`'s; the
isolation policy (modes, mounts, limits, cgroups, the scratch tmpfs, uid leases) is
:mod:`isolation`'s.  Their public names, and :mod:`workers`' errors, are importable
from here too.
"""
from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from . import lifecycle, slots, submissions, workers
from .isolation import UID_BASE, UID_COUNT, WORKER_DIR, Limits, SandboxWarning, isolation_mode  # noqa: F401  (public here too)
from .lifecycle import LATE, SparePool
from .worker import codec
from .workers import InProcessWorker, StudentError, WorkerFailure  # noqa: F401  (public here too)

_UidLease = slots.UidLease  # the name tests use
MAX_CALLBACKS = 1000  # callbacks one call may make (an honest call makes at most about 40)
MAX_SLOW_CELLS = 50  # cells of one submission that may run definitions-only (a restart each)
MAX_CELL_KEY = 10**7  # the largest cell key a progress frame may name (a cell index, a line)
#: Loading one submission again and again (the hidden phase, a restart after each call that
#: timed out) may take at most this many whole load budgets in all.
LOAD_BUDGETS = 3


class Worker(lifecycle.WorkerProcess, workers.Worker):
    """One sandboxed process serving the functions of one submission.

    Parameters
    ----------
    submission : path-like
        A ``.py`` or ``.ipynb`` file; it is copied into a fresh scratch dir.
    limits : Limits
        Timeouts and resource limits (see :class:`isolation.Limits`).
    spares : SparePool, optional
        Where each start takes a pre-started process from, and leaves one for the
        next start (the hidden phase, the next submission); None: no spares.

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

    def __init__(self, submission, limits: Limits = Limits(), spares: SparePool | None = None):
        super().__init__(limits)
        self.submission, self.spares = Path(submission), spares
        self.defined: list[str] = []
        self.load_errors: list[str] = []
        self.load_fatal = False  # the submission could not be loaded at all
        self.last_warnings: list[str] = []  # warnings the last call emitted
        self.last_aliases: list[str] = []  # what the last call's result shares (with echo)
        self.slow_cells: dict[int, str] = {}  # key -> first line of each cell past its budget
        self.unset: dict[str, int] = {}  # global -> key of the slow cell that alone sets it
        self.load_seconds = 0.0  # spent loading, over every start of this worker
        self._last_load = False  # this start may use only what is left of all the loads' budget

    @property
    def running(self) -> bool:
        """True while a worker process runs (its :attr:`defined` is current)."""
        return self.proc is not None

    # -- loading

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
        if self.spares is not None:  # the next start imports numpy while this worker serves
            self.spares.refill(self.limits)

    def _launch(self) -> None:
        """Get a fresh worker process (a spare, or a new one) and copy the submission in."""
        self.close_process()
        spare = self.spares.take(self.limits) if self.spares is not None else None
        if spare is not None:
            self.adopt(spare)
        else:
            self.spawn()
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
            if msg is LATE:
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

    # -- calls

    def call_echo(self, name: str, args: tuple, kwargs: dict, echo: bool = True,
                  standins=None):
        """Call ``name(*args, **kwargs)``; return ``(result, args_after, kwargs_after)``.

        With ``echo`` the worker sends back the arguments as the call left them,
        so a purity check can compare them with what was sent; without it the
        last two items are None.

        Functions and other objects of the grader's in the arguments (an optimizer,
        a ``fit`` function, a fitted model) stay here; the worker gets stand-ins
        that call back.  ``standins`` (a :class:`standins.StandIns`) replaces, for
        this call only, the submission's functions it names with stand-ins that
        it answers here; without it every stand-in request is refused.

        Raises
        ------
        StudentError
            The student's function raised.
        WorkerFailure
            The call timed out or the worker died; the worker has been killed.
        """
        if not self.running:
            self.start()
        deadline, what = time.monotonic() + self.limits.call_timeout, f"{name}()"
        callbacks, handles = [], []
        enc = functools.partial(codec.encode, to_callback=_register(callbacks),
                                to_handle=_register(handles))
        request = {"call": name, "args": list(args), "kwargs": dict(kwargs), "echo": echo}
        if standins is not None:
            request["standins"] = list(standins.names)
        self._send(enc(request), deadline, what)
        for _ in range(MAX_CALLBACKS + 1):  # callbacks and stand-in requests alike
            msg = self._receive(deadline, what, handles)
            if not isinstance(msg, dict):
                break
            if "result" in msg:
                return self._result(msg, echo)
            error = msg.get("error")
            if isinstance(error, list) and len(error) == 2:
                raise StudentError(codec.clean(error[0], 100), codec.clean(error[1], 500))
            if "callback" in msg:
                self._send(enc(self._run_callback(msg, callbacks)), deadline, what)
            elif "standin" in msg:
                left = deadline - time.monotonic()
                self._send(enc(_answer_standin(standins, msg, left)), deadline, what)
            else:
                break
        else:
            self._fail("timeout", f"{what} made more than {MAX_CALLBACKS} callbacks")
        self._fail("crashed", "the worker sent a malformed reply")

    def reaches(self, name: str, graded: list[str]) -> list[str]:
        """Which of ``graded`` the submission's ``name`` calls, as the worker reports it
        (untrusted: see :mod:`standins`)."""
        if not self.running:
            self.start()
        deadline, what = time.monotonic() + self.limits.call_timeout, f"{name}()"
        self._send(codec.encode({"reaches": name, "graded": list(graded)}), deadline, what)
        reply = self._receive(deadline, what)
        found = reply.get("reaches") if isinstance(reply, dict) else None
        if not isinstance(found, list):
            self._fail("crashed", "the worker sent a malformed reply")
        return [codec.clean(g, 100) for g in found[:len(graded)] if isinstance(g, str)]

    def _result(self, msg: dict, echo: bool) -> tuple:
        """``(result, args_after, kwargs_after)`` of a reply; keep its warnings."""
        warned, shared = msg.get("warnings"), msg.get("aliases")
        self.last_warnings = ([codec.clean(w, 200) for w in warned[:5]]
                              if isinstance(warned, list) else [])
        self.last_aliases = ([codec.clean(w, 100) for w in shared[:5]]
                             if isinstance(shared, list) else [])
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
        except Exception as exc:  # noqa: BLE001  a bad argument from the student's code
            return {"raise": [type(exc).__name__, codec.clean(exc, 500)]}


def _answer_standin(standins, msg: dict, seconds: float) -> dict:
    """The answer to a stand-in request, within ``seconds``: ``standins``' own, or a
    refusal without any."""
    if standins is None:
        return {"raise": ["RuntimeError", "no stand-in was given to this call"]}
    return standins.answer(msg.get("standin"), msg.get("args"), msg.get("kwargs"), seconds)


def _register(table: list):
    """A function that appends its argument to ``table`` and gives its index."""
    def add(obj) -> int:
        table.append(obj)
        return len(table) - 1
    return add

