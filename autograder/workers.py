"""What every worker offers the grader: the :class:`Worker` protocol, its errors,
and the in-process worker.

Three classes implement the protocol: the sandboxed :class:`autograder.sandbox.Worker`
(the grade of record), :class:`InProcessWorker` over a file (only for ``bench/``),
and :class:`InProcessWorker` over a notebook's own namespace (``autograder.notebook``).
"""
from __future__ import annotations

import copy
import functools
import warnings
from abc import abstractmethod
from pathlib import Path
from typing import Protocol, runtime_checkable

from .isolation import Limits
from .worker import serve


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


@runtime_checkable
class Worker(Protocol):
    """Serves the functions of one submission to the trusted side.

    A class that names this protocol as its base inherits :meth:`call` and
    :meth:`cell_label`, and must implement the abstract methods.

    Attributes
    ----------
    submission : Path
        The ``.py`` or ``.ipynb`` file.
    limits : Limits
        Timeouts and resource limits.
    defined : list of str
        The graded functions the submission defines (see :func:`serve.defined_functions`).
    load_errors : list of str
        Exceptions raised while loading (a notebook keeps going past them).
    load_fatal : bool
        True when loading failed outright: there is nothing to grade.
    last_warnings : list of str
        Warnings the last successful call emitted.
    last_aliases : list of str
        Where the last call's result (with echo) hands back an argument's memory or
        the module's (see :func:`serve.aliases`): an untrusted report.
    slow_cells : dict of int to str
        Key -> first line of each cell that ran past its budget while loading.
    unset : dict of str to int
        Globals that only the dropped part of a slow cell would have set.
    """

    submission: Path
    limits: Limits
    defined: list[str]
    load_errors: list[str]
    load_fatal: bool
    last_warnings: list[str]
    last_aliases: list[str]
    slow_cells: dict[int, str]
    unset: dict[str, int]

    @property
    @abstractmethod
    def running(self) -> bool:
        """True while the submission is loaded and :attr:`defined` is current."""

    @abstractmethod
    def start(self) -> None:
        """Load the submission (again), in a fresh worker where there is one."""

    @abstractmethod
    def call_echo(self, name: str, args: tuple, kwargs: dict, echo: bool = True,
                  standins=None) -> tuple:
        """``(result, args_after, kwargs_after)`` of ``name(*args, **kwargs)``; the last
        two are None without ``echo``.  ``standins`` (a :class:`standins.StandIns`)
        replaces the functions it names with trusted stand-ins for this call only.
        Raises StudentError or WorkerFailure."""

    @abstractmethod
    def reaches(self, name: str, graded: list[str]) -> list[str]:
        """Which of ``graded`` the submission's ``name`` calls, directly or through its
        helpers (see :func:`serve.reaches`), as the worker reports it: untrusted."""

    @abstractmethod
    def close_process(self) -> None:
        """Stop serving; a later call starts afresh."""

    @abstractmethod
    def close(self) -> None:
        """Stop serving and release everything held."""

    @abstractmethod
    def output(self, limit: int = 4000) -> str:
        """The first ``limit`` characters the student's code printed."""

    def call(self, name: str, *args, **kwargs):
        """Call the submission's ``name(*args, **kwargs)`` and return the decoded result."""
        return self.call_echo(name, args, kwargs, echo=False)[0]

    def cell_label(self, key: int) -> str:
        """How the student knows a cell: ``"cell 7"``, or ``"line 12"`` in a ``.py``."""
        return f"cell {key}" if self.submission.suffix == ".ipynb" else f"line {key}"


class InProcessWorker(Worker):
    """No isolation at all: the submission runs inside the grader's process.

    Same interface as the sandboxed worker, no timeouts, no limits.  Over a file it
    exists only so that ``bench/`` can measure what the sandbox costs; never grade
    untrusted code with it.  Over a ``namespace`` (a notebook's own globals, for its
    check cells) it serves that namespace's functions, and :meth:`start` keeps it.

    Parameters
    ----------
    submission : path-like
        A ``.py`` or ``.ipynb`` file, loaded by :meth:`start`.
    limits : Limits, optional
        Kept for the messages; nothing is enforced.
    namespace : dict, optional
        Functions already loaded: :meth:`start` then loads nothing.
    """

    def __init__(self, submission, limits: Limits = Limits(), namespace: dict | None = None):
        self.submission, self.limits, self.mode = Path(submission), limits, "none"
        self.defined, self.load_errors, self.last_warnings, self.last_aliases = [], [], [], []
        self.load_fatal = False
        self.slow_cells, self.unset = {}, {}
        self.given = namespace is not None  # a namespace given is never reloaded
        self.ns: dict | None = None
        if namespace is not None:
            self._serve(namespace)

    @property
    def running(self) -> bool:
        return self.ns is not None

    def start(self) -> None:
        if self.given:
            return
        ns, self.load_errors, fatal, _ = serve.load(str(self.submission), stub_plots=False)
        self.load_fatal = fatal and bool(self.load_errors)
        self._serve(ns)

    def _serve(self, namespace: dict) -> None:
        self.ns, self.defined = namespace, serve.defined_functions(namespace)

    def call_echo(self, name: str, args: tuple, kwargs: dict, echo: bool = True,
                  standins=None):
        if not self.running:
            self.start()
        fn = self.ns.get(name)
        if not callable(fn):
            raise StudentError("NameError", f"the submission defines no function {name!r}")
        args, kwargs = copy.deepcopy((list(args), dict(kwargs)))
        names = standins.names if standins is not None else ()
        try:
            with warnings.catch_warnings(record=True) as caught, \
                    serve.standing_in(self.ns, names, functools.partial(_ask, standins)):
                warnings.simplefilter("always")
                result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise StudentError(type(exc).__name__, str(exc)) from None
        self.last_warnings = [str(w.message) for w in caught[:5]]
        self.last_aliases = serve.aliases(result, args, kwargs, self.ns) if echo else []
        return (result, args, kwargs) if echo else (result, None, None)

    def reaches(self, name: str, graded: list[str]) -> list[str]:
        if not self.running:
            self.start()
        return serve.reaches(self.ns, name, list(graded))

    def close_process(self) -> None:
        if not self.given:
            self.ns = None

    def close(self) -> None:
        self.close_process()

    def output(self, limit: int = 4000) -> str:
        return ""


def _ask(standins, name: str, args: tuple, kwargs: dict):
    """A stand-in's question, answered in this process as the sandbox's grader answers it:
    on copies of the arguments, whose generators the answer then advances."""
    sent_args, sent_kwargs = copy.deepcopy((list(args), dict(kwargs)))
    return serve.answer(standins.answer(name, sent_args, sent_kwargs), args, kwargs)
