"""Test cases and the batteries that hold them.

A *battery* is the list of :class:`Case` objects that grade one function of
CURRICULUM.md.  Batteries live in ``autograder/problems/<topic>.py`` and
register themselves with :func:`battery`.  A case is data (the inputs, the
tolerance, public or hidden, its weight) plus, for the unusual ones, a custom
check.  :func:`run_case` runs one case against a student.
"""
from __future__ import annotations

import copy
import dataclasses
import warnings
from typing import Callable

import numpy as np

from .checks import CheckFailure, assert_close, assert_same_sets, assert_unchanged, matches


class Raised(CheckFailure):
    """The student's function raised an exception of type ``kind``."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"your function raised {kind}: {message}")
        self.kind = kind


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
        import reference
        return getattr(reference, self.problem)(*args, **kwargs)


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
#: problem name -> list of (message, wrong implementation), for diagnosis
MISTAKES: dict[str, list[tuple[str, Callable]]] = {}


def battery(problem: str):
    """Register the decorated function as the battery of ``problem``."""
    def register(fn):
        BATTERIES[problem] = fn
        return fn
    return register


def mistake(problem: str, message: str):
    """Register the decorated function as a known wrong variant of ``problem``.

    ``message`` is shown to a student whose output matches the variant's.
    """
    def register(fn):
        MISTAKES.setdefault(problem, []).append((message, fn))
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


def known_problems() -> set[str]:
    """Every function that has a battery here (in the student kit: public cases)."""
    if has_batteries():
        return set(BATTERIES)
    from . import kit
    return set(kit.public_batteries())


def has_batteries() -> bool:
    """True on the TA side; False in the student kit, which ships no batteries."""
    try:
        from . import problems  # noqa: F401  (registers the batteries)
    except ImportError:
        return False
    return True


def cases_for(problem: str) -> list[Case]:
    """All cases of ``problem``, public first (in the student kit: the public ones)."""
    if has_batteries():
        cases = BATTERIES[problem]()
    else:
        from . import kit
        cases = kit.public_batteries().get(problem, [])  # some have no public case
    return sorted(cases, key=lambda c: c.hidden)


def wrong_outputs(case: Case) -> list[tuple[str, object]]:
    """``(message, output)`` of every known mistake that this case tells apart.

    A mistake whose output passes the case (e.g. a dtype slip on float64
    inputs) says nothing about a failure here, so it is left out.
    """
    if case.wrong is not None:
        return case.wrong
    from . import mistakes  # noqa: F401  (registers the variants)
    try:
        expected = (run_quiet(case.expected),)
    except Exception:  # noqa: BLE001  e.g. a bad-input case: every variant may explain it
        expected = None
    outputs = []
    for message, wrong in MISTAKES.get(case.problem, []):
        args, kwargs = case.inputs()
        try:
            out = run_quiet(wrong, *args, **kwargs)
        except Exception:  # noqa: BLE001  a variant that fails here says nothing
            continue
        if expected is None or not _agrees(out, expected[0], case, case.rtol, case.atol, True):
            outputs.append((message, out))
    return outputs


def _agrees(got, other, case: Case, rtol: float, atol: float, exact: bool) -> bool:
    """``got`` equals ``other`` as the case compares (index sets, or values)."""
    if case.sets:
        try:
            assert_same_sets(got, other)
        except CheckFailure:
            return False
        return True
    return matches(got, other, rtol=rtol, atol=atol, exact_dtype=exact)


def run_quiet(fn, *args, **kwargs):
    """Call a trusted function (the reference, a wrong variant) with warnings silenced."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def diagnose_scenario(problem: str, scenario: Callable, got) -> str | None:
    """The first known mistake of ``problem`` whose ``scenario`` output matches ``got``.

    ``scenario(fn)`` runs a variant ``fn`` through the same steps a custom check
    ran the student's function through.  Values and dtypes must both match, so
    a float64 variant never explains a float32 slip.
    """
    from . import mistakes  # noqa: F401  (registers the variants)
    for message, wrong in MISTAKES.get(problem, []):
        try:
            out = run_quiet(scenario, wrong)
        except Exception:  # noqa: BLE001  a variant that fails here says nothing
            continue
        if matches(got, out, rtol=1e-6, atol=1e-9, exact_dtype=True):
            return message
    return None


def diagnose(case: Case, got) -> str | None:
    """Name the mistake whose output ``got`` matches, if any.

    A match in dtype as well as in values wins over a match in values only.
    """
    candidates = wrong_outputs(case)
    rtol, atol = max(case.rtol, 1e-6), max(case.atol, 1e-9)
    for exact in (True, False):
        for message, out in candidates:
            if _agrees(got, out, case, rtol, atol, exact):
                return message
    return None


def expect_value_error(call: Callable[[], object]) -> None:
    """Pass only if ``call()`` (a call of the student's function) raises ``ValueError``."""
    try:
        call()
    except Raised as exc:
        if exc.kind != "ValueError":
            raise CheckFailure(f"bad input should raise ValueError, but your function "
                               f"raised {exc.kind}") from None
        return
    raise CheckFailure("bad input should raise ValueError naming the argument, "
                       "but your function returned normally")


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
        expect_value_error(lambda: student.call_echo(case.problem, args, kwargs, echo=False))
        return
    got, args_after, kwargs_after = student.call_echo(case.problem, args, kwargs,
                                                      echo=case.kind == "pure")
    expected = case.expected()
    try:
        if case.sets:
            assert_same_sets(got, expected)
        else:
            assert_close(got, expected, rtol=case.rtol, atol=case.atol, exact_dtype=True)
    except CheckFailure as failure:
        failure.diagnosis = failure.diagnosis or diagnose(case, got)
        raise
    if case.silent and student.last_warnings:
        raise CheckFailure(f"your function emitted a warning ({student.last_warnings[0]}); "
                           "use a numerically stable form that stays silent",
                           "numerically unstable: it overflows for large inputs")
    if case.kind == "pure":
        assert_echo(*case.inputs(), args_after, kwargs_after)


def assert_echo(sent_args, sent_kwargs: dict, args_after, kwargs_after, names=None) -> None:
    """Purity: the arguments came back with the structure they were sent with, unchanged.

    The echo must match what was sent in length, keys, types, shapes and dtypes
    (the worker is untrusted: an echo it emptied or reshaped proves nothing);
    then every value must be unchanged.  Trusted functions in the arguments come
    back as stand-ins and are not compared.  ``names`` label the positional
    arguments (default ``argument #1``, ...).

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
