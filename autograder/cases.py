"""Test cases and the batteries that hold them.

A *battery* is the list of :class:`Case` objects that grade one function of
CURRICULUM.md.  Batteries live in ``autograder/problems/<topic>.py`` and
register themselves with :func:`battery`.  A case is data (the inputs, the
tolerance, public or hidden, its weight) plus, for the unusual ones, a custom
check.  :func:`run_case` runs one case against a student.

Imports go one way: ``problems`` -> ``mistakes`` -> ``cases`` -> ``diagnosis``.  So
this module cannot import the batteries; :func:`batteries` loads their package by
name on first use, and lets any error in it propagate.  The student kit ships
without that package: there the kit's public cases take its place.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import importlib.machinery
from typing import Callable

import numpy as np

from .checks import CheckFailure, assert_close, assert_same_sets, assert_unchanged
from .diagnosis import (  # noqa: F401  (the mistakes register here)
    MISTAKES,
    changes,
    diagnose,
    diagnose_bad_input,
    diagnose_case,
    mistake,
)


class Raised(CheckFailure):
    """The student's function raised an exception of type ``kind``."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"your function raised {kind}: {message}")
        self.kind = kind


#: Case kinds that are always robustness: bad input, and inputs unchanged.
ROBUST_KINDS = ("raises", "pure")


@dataclasses.dataclass
class Case:
    """One graded call of one function.

    Attributes
    ----------
    problem : str
        The function's name in CURRICULUM.md, e.g. ``"adam"``.
    name : str
        A short description shown to the student, e.g. ``"large |z|"``.
    args, kwargs : tuple, dict
        The inputs.  Generators in them are copied, never advanced, before use.
    hidden : bool, default=False
        Hidden cases run only on the TA side; feedback names them but shows no values.
    weight : float, default=1.0
        The case's share of the problem's points.
    kind : {"value", "pure", "raises", "custom"}, default="value"
        ``value`` compares with the reference; ``pure`` also checks that the
        inputs come back unchanged; ``raises`` expects a ``ValueError``;
        ``custom`` runs ``check``.
    rtol, atol : float
        Tolerances of the value comparison.
    sets : bool, default=False
        Compare index arrays as sets (order inside each array is free).
    silent : bool, default=False
        Also fail when the call emits a warning (e.g. an overflow in ``exp``).
    check : callable, optional
        ``check(student, case)`` for custom cases; raises :class:`CheckFailure`.
    expect : callable, optional
        Computes the expected value instead of the reference function.
    wrong : list of (str, value), optional
        Precomputed outputs of known mistakes on these inputs, for diagnosis
        where the mistakes library is absent (the student kit).
    dtype : bool, default=False
        A dtype case: the output's dtype is compared too (float32 in gives float32
        out, integer labels stay integers).  Every other case compares values only.
    robust : bool, default=False
        Graded in the robustness share of the points (``[grading] robustness``)
        rather than the mathematics: bad input, dtype and purity.  Set for every
        ``raises`` or ``pure`` case and every dtype case; a custom case of those
        aspects sets it itself.
    rules : tuple of str, default=()
        Ids of the narrative's rules the case checks (:mod:`autograder.rules`); a
        bad-input case names the known mistake that breaks one of them.
    """

    problem: str
    name: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    hidden: bool = False
    weight: float = 1.0
    kind: str = "value"
    rtol: float = 1e-7
    atol: float = 1e-10
    sets: bool = False
    silent: bool = False
    check: Callable | None = None
    expect: Callable | None = None
    wrong: list | None = None
    dtype: bool = False
    robust: bool = False
    rules: tuple[str, ...] = ()

    def __post_init__(self):
        self.robust = self.robust or self.dtype or self.kind in ROBUST_KINDS

    @property
    def id(self) -> str:
        return f"{self.problem}::{self.name}"

    def inputs(self) -> tuple[tuple, dict]:
        """Fresh copies of the inputs (so a Generator is never shared)."""
        return copy.deepcopy(self.args), copy.deepcopy(self.kwargs)

    def expected(self):
        """The expected value: ``expect`` or the reference function on the inputs."""
        args, kwargs = self.inputs()
        if self.expect is not None:
            return self.expect(*args, **kwargs)
        return reference_function(self.problem)(*args, **kwargs)


def reference_function(problem: str) -> Callable:
    """The reference's ``problem``: TA side only (the student kit ships no ``reference``,
    so it is imported here, on use)."""
    import reference
    return getattr(reference, problem)


@dataclasses.dataclass(frozen=True)
class Guarded:
    """A trusted function handed to the student's code, run only on arguments it accepts.

    The student's code calls it back from the sandbox with arguments of its own
    choosing, and it runs in the grader's process.  So a battery states what the
    case itself could pass: ``accepts(args, kwargs)`` returns what is wrong with
    the arguments (a str), or None.  Refused arguments raise ``ValueError``,
    which the student's code sees; ``fn`` never runs on them.

    Attributes
    ----------
    fn : callable
        The trusted function (a reference optimizer, a ``fit``, a ``score``).
    accepts : callable
        ``accepts(args: tuple, kwargs: dict) -> str | None``.
    """

    fn: Callable
    accepts: Callable[[tuple, dict], "str | None"]

    def __call__(self, *args, **kwargs):
        why = self.accepts(args, kwargs)
        if why:
            name = getattr(getattr(self.fn, "func", self.fn), "__name__", "callback")  # partial
            raise ValueError(f"{name}() refused its arguments: {why}")
        return self.fn(*args, **kwargs)


#: problem name -> function returning its list of cases
BATTERIES: dict[str, Callable[[], list[Case]]] = {}
#: The TA side's battery package.  It imports this module, so it is loaded by name.
BATTERY_PACKAGE = f"{__package__}.problems"
#: The student kit's source of public cases, loaded by name where the batteries are absent.
KIT_MODULE = f"{__package__}.kit"


def battery(problem: str):
    """Register the decorated function as the battery of ``problem``."""
    def register(fn):
        BATTERIES[problem] = fn
        return fn
    return register


#: problem name -> correct implementations written differently from the reference
CORRECT: dict[str, list[Callable]] = {}


def correct(problem: str):
    """Register the decorated function as a correct variant of ``problem``.

    The audit checks that every correct variant earns full points.
    """
    def register(fn):
        CORRECT.setdefault(problem, []).append(fn)
        return fn
    return register


def has_batteries() -> bool:
    """True on the TA side; False in the student kit, which ships no batteries.

    The package is looked for on the file system only, beside this one: an
    editable install of the whole project must not lend its batteries to a kit.
    """
    parent = BATTERY_PACKAGE.rpartition(".")[0]
    path = importlib.import_module(parent).__path__ if parent else None
    return importlib.machinery.PathFinder.find_spec(BATTERY_PACKAGE, path) is not None


def batteries() -> dict[str, Callable[[], list[Case]]]:
    """Every gradable function's battery (in the student kit: its public cases).

    TA side: importing the battery package registers every battery, and through
    it every known mistake; an error in any of its modules propagates from here.
    """
    if has_batteries():
        importlib.import_module(BATTERY_PACKAGE)
        return BATTERIES
    public = importlib.import_module(KIT_MODULE).public_batteries()
    return {problem: functools.partial(list, cases) for problem, cases in public.items()}


def known_problems() -> set[str]:
    """Every function that has a battery here (in the student kit: public cases)."""
    return set(batteries())


def cases_for(problem: str) -> list[Case]:
    """All cases of ``problem``, public first (in the student kit: the public ones)."""
    make = batteries().get(problem)
    if make is None and has_batteries():
        raise KeyError(f"{problem!r} has no battery")
    return sorted(make() if make else [], key=lambda c: c.hidden)  # kit: some have no public case


def expect_value_error(call: Callable[[], object],
                       diagnose: Callable[[object], str | None] = lambda got: None) -> None:
    """Pass only if ``call()`` (a call of the student's function) raises ``ValueError``;
    ``diagnose(result)`` names the known mistake a normal return matches."""
    try:
        got = call()
    except Raised as exc:
        if exc.kind != "ValueError":
            raise CheckFailure(f"bad input should raise ValueError, but your function "
                               f"raised {exc.kind}") from None
        return
    raise CheckFailure("bad input should raise ValueError naming the argument, "
                       "but your function returned normally", diagnose(got))


def run_case(case: Case, student) -> None:
    """Run ``case`` against ``student``; raise :class:`CheckFailure` if it fails.

    ``student.call_echo(name, args, kwargs, echo)`` returns ``(result, args_after,
    kwargs_after)`` (the last two only with ``echo``) and raises :class:`Raised`
    or :class:`CheckFailure`.
    """
    if case.kind == "custom":
        case.check(student, case)
        return
    args, kwargs = case.inputs()
    if case.kind == "raises":
        expect_value_error(lambda: student.call_echo(case.problem, args, kwargs, echo=False)[0],
                           lambda got: diagnose_bad_input(case, got, [
                               c for c in cases_for(case.problem) if c.kind == "raises"]))
        return
    got, args_after, kwargs_after = student.call_echo(case.problem, args, kwargs,
                                                      echo=case.kind == "pure")
    expect_reference(case, got)
    if case.silent and student.last_warnings:
        raise CheckFailure(f"your function emitted a warning ({student.last_warnings[0]}); "
                           "use a numerically stable form that stays silent",
                           "numerically unstable: it overflows for large inputs")
    if case.kind == "pure":
        expect_unchanged(case, args_after, kwargs_after, student.last_aliases)


def expect_unchanged(case: Case, args_after, kwargs_after, aliases=()) -> None:
    """Purity: the inputs came back unchanged (:func:`assert_echo`), and the result is
    new memory (:func:`assert_new`, from the worker's report ``aliases``).  On
    failure, the :class:`CheckFailure` names the known mistake that changes the
    inputs as the student's function did, if any.
    """
    args, kwargs = case.inputs()
    try:
        assert_echo(args, kwargs, args_after, kwargs_after)
    except CheckFailure as caught:
        failure = caught
    else:
        assert_new(aliases, case.problem)
        return
    found = diagnose(case.problem, [list(args_after), kwargs_after], changes(args, kwargs),
                     rtol=case.rtol, atol=case.atol)
    failure.diagnosis = found or failure.diagnosis
    raise failure  # outside the except clause: no chain of exceptions kept


def assert_new(aliases, problem: str) -> None:
    """Purity, the other half: the result is new memory, neither an input's array (nor
    a view of one), list or dict, nor the module's own array.

    ``aliases`` is the worker's report (:attr:`StudentProxy.last_aliases` after a call
    with echo), untrusted like all the worker says: a submission can forge it only
    into a pass of the purity case at hand, whose points are its own.  The structural
    echo (:func:`assert_echo`) stays the primary purity test.  A failure names
    ``problem``'s known mistake of kind "aliasing", if it has one.
    """
    if aliases:
        known = [m.message for m in MISTAKES.get(problem, []) if m.kind == "aliasing"]
        raise CheckFailure(f"your function's result shares memory with {aliases[0]}: "
                           "a view or the very object, so the caller's data and your "
                           "result change together; return a new one (e.g. .copy())",
                           known[0] if len(known) == 1 else
                           "returns the caller's memory instead of a copy")


def expect_reference(case: Case, got) -> None:
    """``got`` must equal the case's expected value as the case compares (index sets, or
    values within its tolerances, the dtype too in a dtype case); on failure, the
    :class:`CheckFailure` names the known mistake that ``got`` matches, if any."""
    expected = case.expected()
    try:
        if case.sets:
            assert_same_sets(got, expected)
        else:
            assert_close(got, expected, rtol=case.rtol, atol=case.atol, exact_dtype=case.dtype)
    except CheckFailure as failure:
        failure.diagnosis = failure.diagnosis or diagnose_case(case, got)
        raise


def assert_echo(sent_args, sent_kwargs: dict, args_after, kwargs_after, names=None) -> None:
    """Purity: the arguments came back with the structure they were sent with, unchanged.

    The echo must match what was sent in length, keys, types, shapes and dtypes
    (the worker is untrusted: an echo it emptied or reshaped proves nothing);
    then every value must be unchanged (:func:`checks.changed`: like with like).
    Trusted functions in the arguments come back as stand-ins and are not compared.
    ``names`` label the positional arguments (default ``argument #1``, ...).

    Raises
    ------
    CheckFailure
        Naming the argument that differs.
    """
    names = list(names or (f"argument #{i + 1}" for i in range(len(sent_args))))
    why = (_structure_difference(list(sent_args), args_after, "the positional arguments")
           or _structure_difference(dict(sent_kwargs), kwargs_after, "the keyword arguments"))
    if why:
        raise CheckFailure(f"the arguments did not come back as they were sent ({why}), so "
                           "your function may have changed them in place; work on copies",
                           "mutates its input")
    for name, before, after in zip(names, sent_args, args_after):
        if not callable(before):
            assert_unchanged(before, after, name=name)
    for key, before in sent_kwargs.items():
        if not callable(before):
            assert_unchanged(before, kwargs_after[key], name=key)


def _structure_difference(before, after, name: str) -> str | None:
    """How ``after`` differs from ``before`` in structure (not values), or None."""
    if callable(before):
        return None  # a trusted function: the worker held a stand-in
    if type(after) is not type(before):
        return f"{name} should be a {type(before).__name__}, not a {type(after).__name__}"
    if isinstance(before, np.ndarray):
        if (after.shape, after.dtype) == (before.shape, before.dtype):
            return None
        return (f"{name} should have shape {before.shape} and dtype {before.dtype}, "
                f"not {after.shape} and {after.dtype}")
    if isinstance(before, (list, tuple)):
        if len(after) != len(before):
            return f"{name} should have {len(before)} items, not {len(after)}"
        return next(filter(None, (_structure_difference(b, a, f"{name}[{i}]")
                                  for i, (b, a) in enumerate(zip(before, after)))), None)
    if isinstance(before, dict):
        if set(after) != set(before):
            return f"{name} should have the keys {sorted(before)}, not {sorted(after)}"
        return next(filter(None, (_structure_difference(before[k], after[k], f"{name}[{k!r}]")
                                  for k in before)), None)
    return None
