"""Diagnosis: name the known mistake that a wrong answer matches.

A known mistake is a wrong variant of a graded function, registered in
``autograder/mistakes/`` with :func:`mistake`.  Its *kind* says how it is wrong:

* ``"value"``: its values are wrong;
* ``"dtype"``: its values are right but a dtype is not (float32 in, float64 out);
* ``"purity"``: its result is right, but it changes its inputs in place;
* ``"aliasing"``: its result is right, but it is (or is a view of) an input's
  memory, so the caller's data and the result change together; only the worker's
  aliasing report sees it (:func:`cases.expect_unchanged`).

Every check diagnoses a failure the same way, :func:`diagnose`:

1. **Replay.**  Every mistake of the function runs the check's *scenario* (the
   steps the check put the student's function through), on fresh deep copies of
   the inputs, with NumPy's floating-point errors and Python's warnings silenced.
   A mistake that raises says nothing here and is dropped.
2. **Relevance.**  Only a mistake that would fail the check itself may explain its
   failure.  One whose replay agrees with the expected value (as the check
   compares: within its tolerances, dtype included) is dropped, and so is one whose
   values agree while only its dtype differs, unless it is of kind ``"dtype"``.
3. **Distance.**  The distance from the student's answer ``got`` to a mistake's
   replay ``out`` is the pair ``(dtype differs, e)``, compared in that order, where
   ``e = max |got - out| / (atol + rtol*|out|)`` over every element of every item
   (:func:`autograder.checks.error_ratio`; ``inf`` when the structure or a shape
   differs, or a key of ``out`` is missing from ``got``).  Index arrays compared as sets have ``e = 0`` when the sets are
   equal and ``inf`` otherwise.  ``rtol`` and ``atol`` are the check's, but at least
   1e-6 and 1e-9, so that a mistake written differently from its variant still
   matches.  A mistake *matches* when ``e <= 1``; of those, the nearest wins: a
   match in dtype before a match in values only, then the smallest ``e``, then the
   first registered.

So the order in which a topic lists its mistakes matters only between exact ties:
of two mistakes that both fall within the tolerances of a near miss, the one whose
output is nearer names it.
"""
from __future__ import annotations

import collections
import copy
import math
import typing
import warnings
from typing import Callable

import numpy as np

from .checks import CheckFailure, assert_same_sets, error_ratio

KINDS = ("value", "dtype", "purity", "aliasing")
#: the loosest tolerances a diagnosis matches with (see the module doc)
MATCH_RTOL, MATCH_ATOL = 1e-6, 1e-9


class Mistake(typing.NamedTuple):
    """A known wrong variant of a graded function.

    Attributes
    ----------
    message : str
        Shown to a student whose answer matches the variant's.
    fn : callable
        The variant, named exactly as the function it imitates.
    kind : {"value", "dtype", "purity", "aliasing"}, default="value"
    rules : tuple of str, default=()
        The ids of the rules of a narrative that the variant breaks, and no
        other (see :mod:`autograder.rules`).
    """

    message: str
    fn: Callable
    kind: str = "value"
    rules: tuple[str, ...] = ()


#: problem name -> its known mistakes, in the order they were registered
MISTAKES: dict[str, list[Mistake]] = {}


def mistake(problem: str, message: str, *, kind: str = "value", rules: tuple[str, ...] = ()):
    """Register the decorated function as a known mistake of ``problem`` that
    breaks ``rules`` (rule ids of a narrative, see :mod:`autograder.rules`)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if isinstance(rules, str):
        raise TypeError("rules must be a tuple of rule ids")

    def register(fn):
        MISTAKES.setdefault(problem, []).append(Mistake(message, fn, kind, tuple(rules)))
        return fn
    return register


# ---------------------------------------------------------------- replay

def quietly(fn: Callable, *args, **kwargs):
    """Call a trusted function (the reference, a variant) with warnings silenced."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def on_inputs(args: tuple, kwargs: dict) -> Callable[[Callable], object]:
    """The scenario of a plain call: ``fn`` on fresh deep copies of the inputs."""
    def scenario(fn):
        return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    return scenario


def changes(args: tuple, kwargs: dict, *, result: bool = False) -> Callable[[Callable], object]:
    """The scenario of a purity check: ``fn`` on fresh deep copies of the inputs,
    returning the inputs as ``fn`` left them, ``[args], kwargs`` (after ``fn``'s
    result, with ``result``)."""
    def scenario(fn):
        a, k = copy.deepcopy(args), copy.deepcopy(kwargs)
        out = fn(*a, **k)
        return (out, list(a), k) if result else (list(a), k)
    return scenario


def replays(problem: str, scenario: Callable[[Callable], object]) -> list[tuple[Mistake, object]]:
    """``(mistake, output)`` of every mistake of ``problem`` that runs ``scenario``."""
    done = []
    for known in MISTAKES.get(problem, []):
        try:
            done.append((known, quietly(scenario, known.fn)))
        except Exception:  # noqa: BLE001  a variant that fails here says nothing
            continue
    return done


# ---------------------------------------------------------------- distance

def distance(got, out, *, rtol: float, atol: float, sets: bool = False) -> tuple[bool, float]:
    """``(dtype differs, e)`` from ``got`` to a mistake's output ``out`` (module doc)."""
    if sets:
        try:
            assert_same_sets(got, out)
        except CheckFailure:
            return True, math.inf
        return False, 0.0
    e = error_ratio(got, out, rtol=rtol, atol=atol, exact_dtype=True)
    if e <= 1:
        return False, e
    return True, error_ratio(got, out, rtol=rtol, atol=atol)


def nearest(got, candidates: list[tuple[str, object]], *, rtol: float = MATCH_RTOL,
            atol: float = MATCH_ATOL, sets: bool = False) -> str | None:
    """The message of the candidate ``(message, output)`` nearest ``got`` that matches it."""
    rtol, atol = max(rtol, MATCH_RTOL), max(atol, MATCH_ATOL)
    scored = [(distance(got, out, rtol=rtol, atol=atol, sets=sets), k, message)
              for k, (message, out) in enumerate(candidates)]
    matched = [s for s in scored if s[0][1] <= 1]
    return min(matched)[2] if matched else None


# ---------------------------------------------------------------- relevance

def fails(known: Mistake, out, expected, *, rtol: float, atol: float, sets: bool = False) -> bool:
    """True when ``out``, the replay of ``known``, would fail a check expecting ``expected``."""
    if sets:
        return distance(out, expected, rtol=rtol, atol=atol, sets=True)[1] > 0
    if error_ratio(out, expected, rtol=rtol, atol=atol, exact_dtype=True) <= 1:
        return False
    return known.kind == "dtype" or error_ratio(out, expected, rtol=rtol, atol=atol) > 1


def explanations(problem: str, scenario: Callable[[Callable], object], *, expected=None,
                 rtol: float = 1e-7, atol: float = 1e-10,
                 sets: bool = False) -> list[tuple[str, object]]:
    """``(message, output)`` of every mistake of ``problem`` that may explain a failure.

    ``expected`` is the value the check expects from ``scenario``; ``None`` when there
    is none (a bad-input case, where the reference raises), which keeps every mistake.
    """
    return [(known.message, out) for known, out in replays(problem, scenario)
            if expected is None
            or fails(known, out, expected[0], rtol=rtol, atol=atol, sets=sets)]


def diagnose(problem: str, got, scenario: Callable[[Callable], object], *, expected=None,
             rtol: float = 1e-7, atol: float = 1e-10, sets: bool = False) -> str | None:
    """The known mistake of ``problem`` nearest ``got`` (see the module doc).

    Parameters
    ----------
    problem : str
    got : object
        The student's answer, as ``scenario`` would return it.
    scenario : callable
        ``scenario(fn)`` puts a variant ``fn`` through the steps the check put the
        student's function through, and returns what the check compared.
    expected : 1-tuple, optional
        ``(value,)``: what the check expected; relevance is judged against it.
    rtol, atol : float
        The check's tolerances.
    sets : bool
        Index arrays compared as sets.
    """
    found = explanations(problem, scenario, expected=expected, rtol=rtol, atol=atol, sets=sets)
    return nearest(got, found, rtol=rtol, atol=atol, sets=sets)


# ---------------------------------------------------------------- cases

def expected_of(case) -> tuple | None:
    """``(value,)`` the case expects, or None when the reference raises on its inputs."""
    try:
        return (quietly(case.expected),)
    except Exception:  # noqa: BLE001  e.g. a bad-input case: every variant may explain it
        return None


def case_explanations(case) -> list[tuple[str, object]]:
    """``(message, output)`` of every known mistake that fails ``case``.

    A case that carries them (``case.wrong``, the student kit's precomputed list)
    answers from that list; otherwise the mistakes replay on its inputs.
    """
    if case.wrong is not None:
        return case.wrong
    return explanations(case.problem, on_inputs(case.args, case.kwargs),
                        expected=expected_of(case), rtol=case.rtol, atol=case.atol,
                        sets=case.sets)


def diagnose_case(case, got) -> str | None:
    """The known mistake nearest ``got``, the student's answer to ``case``; of mistakes
    equally near, one that breaks a rule the case checks (``case.rules``) first."""
    rules = {m.message: set(m.rules) for m in MISTAKES.get(case.problem, [])}
    found = sorted(case_explanations(case),
                   key=lambda pair: not rules.get(pair[0], set()) & set(case.rules))
    return nearest(got, found, rtol=case.rtol, atol=case.atol, sets=case.sets)


def diagnose_bad_input(case, got, siblings=()) -> str | None:
    """The known mistake behind ``got``, a normal return from a bad-input case.

    On bad input most mistakes compute the same thing, so the output alone points
    nowhere.  Of the mistakes that return ``got`` too, the one named breaks a rule
    the case checks (``case.rules``); else the most specific one: it returns normally
    on the fewest of ``siblings``, the function's bad-input cases (a mistake that
    skips one check, not one that checks nothing).  A tie names none, and so does a
    mistake of another kind than "value" (its words are about dtype or purity).
    """
    rtol, atol = max(case.rtol, MATCH_RTOL), max(case.atol, MATCH_ATOL)
    known = MISTAKES.get(case.problem, [])
    values = {m.message for m in known if m.kind == "value"}  # no purity words for bad input
    matching = [message for message, out in case_explanations(case)
                if message in values and distance(got, out, rtol=rtol, atol=atol)[1] <= 1]
    rules = {m.message: set(m.rules) for m in known}
    choice = set(m for m in matching if rules.get(m, set()) & set(case.rules)) or set(matching)
    if len(choice) > 1 and siblings:
        normal = collections.Counter(message for other in siblings
                                     for message, _ in case_explanations(other))
        fewest = min(normal[m] for m in choice)
        choice = {m for m in choice if normal[m] == fewest}
    return choice.pop() if len(choice) == 1 else None
