"""Each mistake costs once: trusted stand-ins for the functions a failed function calls.

When a case of a graded function F fails, and F calls the student's own versions of
other graded functions G of the same assignment, the case is graded again with each
such G replaced by a *stand-in*: for that one call of F, the worker rebinds the name
G in the submission's namespace to a stub that asks the grader, and the grader
answers with the reference's ``G`` on the stub's arguments.  F's case is awarded if
it passes then, with a note: "`neuron_cost` is right when given a correct
`bce_cost`; your `bce_cost` is wrong (see above)".  G's own cases are graded as
always.  A correct F never fails, so it never pays for the second run.  Only the TA
side has stand-ins (``[grading] isolate_dependencies``): the student kit has no
reference, so ``autograder check`` and the notebook's check cells still fail F too.

Which G a function calls is derived, not declared: the worker walks the global names
of F's code and of the submission's helpers that F calls (:func:`serve.reaches`).
A student's F may call its G through a helper, or not at all, whatever the
reference does, and a declared list would have to be kept in step with it.

Security, in the terms of DESIGN.md's trust boundary:

* **The reference never enters the sandbox.**  A stand-in is a callback like an
  optimizer's: the worker holds a stub, the reference runs in the grader, and only
  its result crosses back, through the codec.
* **What the worker reports is only a request.**  The names :func:`serve.reaches`
  reports, like everything the worker says, are untrusted.  They only decide whether
  to try the second run and which stand-ins to offer: the grader offers only graded
  functions of the same assignment that come *before* F in its ``[points]`` order,
  never F itself, and of those only the ones the submission defines.  A lie can make
  F's case pass only if F's own code, given correct dependencies, gives the right
  answer, which is what F's points are for.
* **An oracle for the reference inside one call only.**  The grader answers a
  stand-in request only while the call it granted that stand-in to runs (each call
  says which it grants; :class:`StandIns` belongs to one case), so a stub the student
  kept in a global and calls later, in another case or in G's own cases, is refused
  by the grader, whatever the worker does to the stub (which also refuses by itself
  once its call is over).  A stand-in for G is offered only to functions listed
  after G, so by the time it is offered all of G's own cases of that phase have been
  graded: no answer it gives can reach G's grading.  Hidden cases run in a fresh
  worker, so nothing learnt from a public case's stand-in is still there.
* **Bounded like every callback.**  The arguments are decoded with the codec's caps;
  the grader then refuses arguments larger than the case's own inputs (each array no
  larger than the case's largest, each integer no larger than its largest integer or
  dimension, with floors of :data:`MIN_SIZE` and :data:`MIN_INT`, and integer arguments
  whose product exceeds :data:`MAX_ELEMENTS`) and results larger than a worker's reply may
  be; a case may make at most :data:`MAX_CALLS` stand-in requests, and each counts,
  with its time, against the call's callbacks and timeout: the reference is stopped
  when the call's time runs out (:func:`time_limit`).  An oracle on the case's own
  inputs tells the student nothing a correct G would not.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import threading

import numpy as np

from .cases import Case, reference_function, run_case
from .checks import CheckFailure
from .worker import codec, serve

#: Stand-in requests one case may make, over all its calls (an honest one makes at most
#: one per epoch of ``gradient_descent``).
MAX_CALLS = 1000
#: Floors of the argument bounds, for cases whose inputs are built inside their check.
MIN_INT, MIN_SIZE = 1000, 10_000
#: The largest product of a stand-in call's integer arguments (``init_zeros(n, m)``).
MAX_ELEMENTS = 10**7


@dataclasses.dataclass
class StandIns:
    """The trusted stand-ins of one case: the reference's functions ``names``, on bounded
    arguments, for at most ``calls_left`` requests.

    Attributes
    ----------
    names : tuple of str
        The graded functions replaced in the calls this object is given to.
    max_int, max_size : int
        The largest integer, and the largest array (in elements), an argument may be.
    calls_left : int, default=MAX_CALLS
    """

    names: tuple
    max_int: int
    max_size: int
    calls_left: int = MAX_CALLS

    @classmethod
    def for_case(cls, case: Case, names) -> StandIns:
        """Stand-ins for ``names`` with argument bounds from ``case``'s own inputs."""
        ints, sizes = [MIN_INT], [MIN_SIZE]
        for leaf in serve.leaves(case.inputs()):
            if isinstance(leaf, np.ndarray):
                sizes.append(leaf.size)
                ints += leaf.shape
            elif _is_int(leaf):
                ints.append(abs(int(leaf)))
        return cls(tuple(names), max(ints), max(sizes))

    def answer(self, name, args, kwargs, seconds: float | None = None) -> dict:
        """The reply to a stand-in request: ``{"return": value, "rngs": [...]}`` with the
        reference's result and its generator arguments as the call left them, or
        ``{"raise": [type name, message]}``.  The reference may run for ``seconds``
        (what is left of the call's time; None: no limit)."""
        why = self._refusal(name, args, kwargs)
        if why:
            return {"raise": ["RuntimeError" if name not in self.names else "ValueError",
                              f"the grader's stand-in for {str(name)[:100]}() {why}"]}
        self.calls_left -= 1
        try:
            with time_limit(seconds, f"the grader's stand-in for {name}() ran out of time"):
                value = reference_function(name)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001  bad arguments from the student's code
            return {"raise": [type(exc).__name__, codec.clean(exc, 500)]}
        if sum(leaf.nbytes for leaf in serve.leaves(value) if isinstance(leaf, np.ndarray)) \
                > codec.MAX_REPLY:
            too_large = f"the grader's stand-in for {name}() refused to return so large a result"
            return {"raise": ["ValueError", too_large]}
        return {"return": value, "rngs": serve.generators([args, kwargs])}

    def _refusal(self, name, args, kwargs) -> str | None:
        """Why this request gets no answer, or None."""
        if name not in self.names:
            return "was not given to this call"
        if self.calls_left <= 0:
            return f"was called more than {MAX_CALLS} times in one test"
        if type(args) is not list or type(kwargs) is not dict:
            return "got malformed arguments"
        for leaf in serve.leaves([args, kwargs]):
            if isinstance(leaf, np.ndarray) and leaf.size > self.max_size:
                return (f"refused an array of {leaf.size} elements (this test's inputs have "
                        f"at most {self.max_size})")
            if _is_int(leaf) and abs(int(leaf)) > self.max_int:
                return f"refused the integer {int(leaf)} (at most {self.max_int} here)"
        sizes = [max(abs(int(v)), 1) for v in [*args, *kwargs.values()] if _is_int(v)]
        if math.prod(sizes) > MAX_ELEMENTS:  # sizes such as init_zeros(n_in, n_out)
            return f"refused integer arguments whose product exceeds {MAX_ELEMENTS}"
        return None


@contextlib.contextmanager
def time_limit(seconds: float | None, message: str):
    """Raise ``TimeoutError(message)`` in the block once ``seconds`` have passed.

    A timer signal interrupts the reference's Python loops (``gradient_descent`` on
    inputs the bounds allow may loop for minutes).  Python delivers signals to the
    main thread only: elsewhere, or with ``seconds`` None, there is no limit.
    """
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def dependencies(problem: str, graded, student) -> list[str]:
    """The graded functions that may stand in for ``problem``'s dependencies: those listed
    before it in ``graded`` (the assignment's order) that the submission's ``problem``
    calls and that the submission defines."""
    graded = list(graded)
    before = graded[:graded.index(problem)] if problem in graded else []
    return student.reaches(problem, before) if before else []


def rescue(case: Case, student, graded) -> list[str] | None:
    """Grade the failed ``case`` again, its function's dependencies replaced by stand-ins.

    ``student`` is the :class:`student.StudentProxy`; ``graded`` the assignment's
    functions in order.  Returns the dependencies that stood in when the case passes
    then; None when it fails again, or when there is nothing to stand in.  A function
    that timed out is graded again only when one of its dependencies timed out too.
    """
    standing = dependencies(case.problem, graded, student)
    if not standing or (case.problem in student.timed_out
                        and not student.timed_out.intersection(standing)):
        return None  # nothing to stand in, or a timeout of its own: none of these loops
    try:
        with student.standing_in(case.problem, StandIns.for_case(case, standing)):
            run_case(case, student)
    except CheckFailure:
        return None
    return standing


def note(problem: str, standing: list[str], wrong: list[str]) -> str:
    """The student's note on a case that passed only with stand-ins for ``standing``;
    ``wrong`` are the functions that failed checks of their own so far."""
    given = f"`{problem}` is right when given a correct {_names(standing)}"
    if wrong:
        verb = "is" if len(wrong) == 1 else "are"
        return f"{given}; your {_names(wrong)} {verb} wrong (see above)"
    them = "it" if len(standing) == 1 else "them"
    return (f"{given}; with your own {_names(standing)} this test fails, so check {them} "
            "on inputs like this test's")


def _names(names: list[str]) -> str:
    """```a```, ```a` and `b```, ```a`, `b` and `c```."""
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"
