"""Batteries for the optimizers: sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam.

Every optimizer is ``(w, dw, state, lr, ...) -> (w_new, state_new)`` with ``state={}``
a fresh start.  Each battery has the same shape:

* public: one step from a fresh state with the default hyperparameters; one step from a
  given (non-empty) state; a chain of steps that feeds the function's own returned state
  back (catches ``t`` not incremented, bias-correction errors, state ignored);
* hidden: explicit non-default hyperparameters, a non-square 2-d ``w`` of shape
  ``(n_in, n_out)``, a scalar (0-d) ``w`` (the contract's "any shape"), edge inputs
  where ``eps`` matters, float32 (fresh, and with a float64 ``dw`` and state to cast),
  purity of ``w``, ``dw`` and the state dict (given and fresh), and bad input
  (``lr <= 0``, ``dw`` of a shape that broadcasts silently against ``w``, a decay rate
  outside [0, 1), ``eps < 0``, a state that is not a dict or whose arrays are not
  shaped like ``w``).

Diagnosis is the engine's (:mod:`autograder.diagnosis`): only a variant that fails
a case may explain its failure, and the nearest one names it.  So a near miss is not
blamed on a variant that happens to be right on the case's inputs (an in-place
variant, a float64-output variant on float64 input, a variant that ignores the
state, on a fresh state).  On top of it:

* hidden value cases are custom (:func:`_check_value`): when no variant matches,
  a plain dtype hint;
* purity (a functional update that mutates its input, or a key added to a fresh
  ``{}``) and the chain (``t`` never incremented, the state ignored, ...) are custom,
  and replay the variants the same way.
"""
from __future__ import annotations

import dataclasses

import numpy as np

import reference

from ..cases import Case, assert_new, battery
from ..checks import CheckFailure, assert_close, error_ratio, matches
from ..diagnosis import changes, diagnose, diagnose_case, on_inputs
from ..mistakes.optimizers import T_NOT_INT
from ._kit import float32, raises, rng, value

ARG_NAMES = ("w", "dw", "state")


# ---------------------------------------------------------------- inputs

def _w(seed, shape=(5,)):
    return rng(seed).normal(0, 1, size=shape)


def _dw(seed, shape=(5,), scale=1.0):
    return rng(seed).normal(0, scale, size=shape)


def _state(problem, seed, shape=(5,)):
    """A plausible non-empty state of ``problem`` for parameters of ``shape``."""
    g = rng(seed)
    if problem in ("momentum", "nesterov"):
        return {"v": g.normal(0, 0.5, size=shape)}
    if problem == "adagrad":
        return {"G": g.uniform(0.05, 2.0, size=shape)}
    if problem == "rmsprop":
        return {"s": g.uniform(0.01, 1.0, size=shape)}
    if problem == "adadelta":
        return {"Eg2": g.uniform(0.01, 1.0, size=shape),
                "Edx2": g.uniform(1e-4, 1e-2, size=shape)}
    if problem == "adam":
        return {"m": g.normal(0, 0.3, size=shape), "v": g.uniform(0.01, 0.5, size=shape),
                "t": 5}
    return {}


#: keyword arguments of the "defaults" call (lr is required for the first three)
DEFAULTS = {"sgd": {"lr": 0.1}, "momentum": {"lr": 0.1}, "nesterov": {"lr": 0.1},
            "adagrad": {}, "rmsprop": {}, "adadelta": {}, "adam": {}}
#: explicit, non-default hyperparameters
EXPLICIT = {
    "sgd": {"lr": 0.37},
    "momentum": {"lr": 0.05, "beta": 0.5},
    "nesterov": {"lr": 0.05, "beta": 0.5},
    "adagrad": {"lr": 0.5, "eps": 1e-3},
    "rmsprop": {"lr": 0.05, "beta": 0.9, "eps": 1e-3},
    "adadelta": {"lr": 0.5, "rho": 0.95, "eps": 1e-3},
    "adam": {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-4},
}
EXPLICIT_DOC = {
    "sgd": "lr=0.37",
    "momentum": "beta=0.5", "nesterov": "beta=0.5",
    "adagrad": "lr=0.5, eps=1e-3",
    "rmsprop": "beta=0.9, eps=1e-3",
    "adadelta": "lr=0.5, rho=0.95, eps=1e-3",
    "adam": "beta1=0.8, beta2=0.99, eps=1e-4",
}
#: hyperparameters of the chained case
CHAIN = {"sgd": {"lr": 0.1}, "momentum": {"lr": 0.1}, "nesterov": {"lr": 0.05},
         "adagrad": {"lr": 0.1}, "rmsprop": {"lr": 0.01}, "adadelta": {},
         "adam": {"lr": 0.01}}
CHAIN_STEPS = 12
#: the decay rates of each optimizer, each in [0, 1)
DECAYS = {"momentum": ("beta",), "nesterov": ("beta",), "rmsprop": ("beta",),
          "adadelta": ("rho",), "adam": ("beta1", "beta2")}
#: the optimizers with an eps (eps >= 0)
WITH_EPS = ("adagrad", "rmsprop", "adadelta", "adam")


# ---------------------------------------------------------------- value cases

def _identical(before, after) -> bool:
    """Exactly the same value, including the keys of a dict (an added key counts)."""
    if isinstance(before, dict):
        return (isinstance(after, dict) and set(before) == set(after)
                and all(_identical(before[k], after[k]) for k in before))
    return error_ratio(after, before, rtol=0, atol=0, exact_dtype=True) <= 1


def _dtype_hint(case: Case, got, expected) -> str | None:
    """A plain-words diagnosis when the values are right but a dtype or t's type is not."""
    w = np.asarray(case.args[0]) if case.args else None
    if (isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[1], dict)
            and "t" in got[1] and not isinstance(got[1]["t"], (int, np.integer))):
        return T_NOT_INT
    if matches(got, expected, rtol=case.rtol, atol=case.atol):
        if w is not None and w.dtype == np.float32:
            return ("float32 input came back as float64 (in w_new or a state array): keep "
                    "every operand float32; np.zeros(w.shape) and numpy float64 scalars such "
                    "as np.sqrt(1 - beta**t) turn float32 arrays into float64, so use "
                    "np.zeros_like(w) and Python floats (math.sqrt)")
        if w is not None and w.dtype.kind in "iu":
            return ("integer w and dw must give float64 results (w_new and every state "
                    "array): cast them with .astype(np.float64) first; np.zeros_like of an "
                    "integer array is an integer array")
        return "the values are right but a dtype is not: compute in w's floating dtype"
    return None


def _diagnose(case: Case, got, expected) -> str | None:
    """The engine's diagnosis, else a plain dtype hint."""
    return diagnose_case(case, got) or _dtype_hint(case, got, expected)


def _check_value(student, case: Case) -> None:
    """The ``value`` check of ``cases.run_case``, diagnosed by :func:`_diagnose`."""
    args, kwargs = case.inputs()
    got = student.call(case.problem, *args, **kwargs)
    expected = case.expected()
    try:
        assert_close(got, expected, rtol=case.rtol, atol=case.atol, exact_dtype=case.dtype)
    except CheckFailure as failure:
        failure.diagnosis = failure.diagnosis or _diagnose(case, got, expected)
        raise


def _finished(case: Case) -> Case:
    """A hidden value case becomes a custom case run by :func:`_check_value` (it falls
    back to a dtype hint); it keeps its inputs, so ``case.expected()`` works.  A public
    one stays a ``value`` case, so it travels to the student kit."""
    if case.kind != "value" or not case.hidden:
        return case
    return dataclasses.replace(case, kind="custom", check=_check_value)


# ---------------------------------------------------------------- purity

def _mutation_diagnosis(case: Case, got, args_after, kwargs_after, expected) -> str:
    """The mistake whose result and leftover inputs both match the student's, else a
    generic description of the functional-update mistake."""
    found = diagnose(case.problem, (got, list(args_after), kwargs_after),
                     changes(case.args, case.kwargs, result=True),
                     expected=((expected, list(case.args), case.kwargs),),
                     rtol=case.rtol, atol=case.atol)
    return found or ("mutates its input: it writes into w, dw or the state dict it was given "
                     "(e.g. w -= lr*dw or state['v'] = ...); an optimizer step must return "
                     "new arrays and a new state dict")


def _check_unchanged(case: Case, student) -> None:
    args, kwargs = case.inputs()
    got, args_after, kwargs_after = student.call_echo(case.problem, args, kwargs)
    expected = case.expected()
    try:
        assert_close(got, expected, rtol=case.rtol, atol=case.atol)
    except CheckFailure as failure:
        failure.diagnosis = failure.diagnosis or _diagnose(case, got, expected)
        raise
    sent, _ = case.inputs()
    for name, before, after in zip(ARG_NAMES, sent, args_after):
        if _identical(before, after):
            continue
        if isinstance(before, dict):
            how = ("gained the key(s) " + str(sorted(set(after) - set(before)))
                   if isinstance(after, dict) and set(after) > set(before)
                   else "was changed")
            keys = sorted(expected[1]) if isinstance(expected[1], dict) else []
            example = "{" + ", ".join(f"'{k}': {k}" for k in keys) + "}"
            what = (f"the state dict you were given {how}; build and return a new dict "
                    f"(e.g. {example}) and never write into the one passed in, because the "
                    "caller may still need it")
        else:
            what = (f"your function changed its input {name} in place (e.g. {name} -= ... "
                    "or np.add(..., out=" + name + ")); compute w_new = w - ... as a new "
                    "array and return it")
        raise CheckFailure(what, _mutation_diagnosis(case, got, args_after, kwargs_after,
                                                     expected))
    assert_new(student.last_aliases, case.problem)


def _pure(problem, w, dw, state, kwargs):
    """Hidden custom case: inputs unchanged, with a given state and with a fresh {}."""
    given = Case(problem, "inputs unchanged", (w, dw, state), kwargs, kind="value")
    fresh = Case(problem, "inputs unchanged", (w, dw, {}), kwargs, kind="value")

    def check(student, case):
        _check_unchanged(given, student)
        _check_unchanged(fresh, student)

    return Case(problem, "w, dw and the state dict unchanged (given state and fresh {})",
                hidden=True, weight=1.0, kind="custom", robust=True, check=check)


# ---------------------------------------------------------------- chained steps

def _run_chain(call, w0, grads, kwargs):
    """Feed each returned state back for every gradient; return the list of outputs."""
    w, state, outs = w0, {}, []
    for k, g in enumerate(grads):
        try:
            out = call(w, g, state, **kwargs)
        except CheckFailure as failure:  # the student's function raised or timed out
            raise CheckFailure(f"at step {k + 1} of {len(grads)}, each fed the state returned "
                               f"by the step before: {failure.message}",
                               failure.diagnosis) from None
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise CheckFailure(f"step {k + 1} did not return a pair (w_new, state_new)")
        outs.append(out)
        w, state = out
    return outs


def _chain_diagnosis(problem, w0, grads, kwargs, outs, ref) -> str | None:
    """The known mistake whose own chain is nearest the student's."""
    def chain(fn):
        return _run_chain(lambda *a, **k: on_inputs(a, k)(fn), w0, grads, kwargs)
    return diagnose(problem, outs, chain, expected=(ref,))


def _chain(problem, seed, steps=CHAIN_STEPS, shape=(4, 3), weight=2.0):
    """A public custom case chaining ``steps`` calls on a random gradient sequence.

    Each call gets the student's own ``(w_new, state_new)`` of the call before, the
    reference is chained the same way, and every step is compared (so the first step
    that differs is named); the mistakes are chained too, to name the one that matches.
    """
    g = rng(seed)
    w0 = g.normal(0, 1, size=shape)
    grads = g.normal(0, 1, size=(steps,) + shape) * g.uniform(0.1, 3.0, size=(steps, 1, 1))
    grads = list(grads)
    kwargs = CHAIN[problem]

    def check(student, case):
        outs = _run_chain(lambda *a, **k: student.call(problem, *a, **k), w0, grads, kwargs)
        ref = _run_chain(getattr(reference, problem), w0, grads, kwargs)
        for k, (o, r) in enumerate(zip(outs, ref)):
            try:
                assert_close(o, r, rtol=1e-7, atol=1e-10, name=f"at step {k + 1}, the result")
            except CheckFailure as failure:
                hint = (" Step 1 (from the fresh state {}) was right, so look at how the "
                        "state you return is used at the next step (what it holds, what "
                        "you update, and, for Adam, t)." if k > 0 else "")
                raise CheckFailure(
                    f"{steps} steps, each fed the (w_new, state_new) of the step before, "
                    f"starting from state={{}} with {_kw(kwargs)}: {failure.message}.{hint}",
                    _chain_diagnosis(problem, w0, grads, kwargs, outs, ref)) from None

    return Case(problem, f"{steps} steps, feeding the returned state back", weight=weight,
                kind="custom", check=check)


def _kw(kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) or "the default hyperparameters"


# ---------------------------------------------------------------- the common battery

def _common(problem, seed):
    """The cases every optimizer shares; ``seed`` keeps each battery's inputs distinct."""
    s = seed
    kw, ex = DEFAULTS[problem], EXPLICIT[problem]
    stateful = problem != "sgd"
    cases = [
        value(problem, f"one step from a fresh state {{}} with {_kw(kw)}",
              _w(s), _dw(s + 1), {}, kwargs=kw, weight=2),
    ]
    if stateful:
        cases.append(value(problem, "one step from a given state "
                           + ("(t = 5 with given m and v)" if problem == "adam" else
                              f"({', '.join(_state(problem, 0))} given)"),
                           _w(s + 2), _dw(s + 3), _state(problem, s + 4), kwargs=kw, weight=2))
    cases += [
        _chain(problem, s + 5),
        value(problem, f"explicit non-default hyperparameters ({EXPLICIT_DOC[problem]})"
              + (" from a given state" if stateful else ""),
              _w(s + 6), _dw(s + 7), _state(problem, s + 8), kwargs=ex, hidden=True,
              weight=1.5),
        value(problem, "w of shape (n_in, n_out) = (3, 5)", _w(s + 9, (3, 5)),
              _dw(s + 10, (3, 5)), _state(problem, s + 11, (3, 5)), kwargs=ex, hidden=True),
        value(problem, "w of shape (n_in, n_out) = (4, 2), fresh state", _w(s + 12, (4, 2)),
              _dw(s + 13, (4, 2)), {}, kwargs=kw, hidden=True),
        value(problem, "a scalar (0-d) w, fresh state", _w(s + 23, ()), _dw(s + 24, ()), {},
              kwargs=kw, hidden=True, weight=0.5),
        value(problem, "a scalar (0-d) w, given state", _w(s + 25, ()), _dw(s + 26, ()),
              _state(problem, s + 27, ()), kwargs=kw, hidden=True, weight=0.5),
        float32(problem, _w(s + 14, (2, 3)), _dw(s + 15, (2, 3)), {}, kwargs=ex),
        _pure(problem, _w(s + 16, (2, 3)), _dw(s + 17, (2, 3)),
              _state(problem, s + 18, (2, 3)), ex),
        raises(problem, "lr = 0", _w(s + 19), _dw(s + 20), {}, lr=0.0),
        raises(problem, "lr < 0", _w(s + 19), _dw(s + 20), {}, lr=-0.1),
        raises(problem, "dw of shape (3,) for w of shape (2, 3) (it would broadcast)",
               _w(s + 21, (2, 3)), _dw(s + 22, (3,)), {}, lr=0.1),
        value(problem, "float32 w with a float64 dw"
              + (" and float64 state arrays" if stateful else "") + " (cast to w's dtype)",
              _w(s + 28, (2, 3)).astype(np.float32), _dw(s + 29, (2, 3)),
              _state(problem, s + 30, (2, 3)), kwargs=ex, hidden=True, dtype=True,
              rtol=2e-5, atol=1e-6),
        raises(problem, "state a list, not a dict", _w(s + 19), _dw(s + 20), [], lr=0.1),
    ]
    if stateful:
        cases.append(raises(problem, "state arrays of shape (3,) for w of shape (2, 3)",
                            _w(s + 21, (2, 3)), _dw(s + 31, (2, 3)),
                            _state(problem, s + 32, (3,)), lr=0.1))
    for name in DECAYS.get(problem, ()):
        cases += [raises(problem, f"{name} = 1", _w(s + 19), _dw(s + 20), {}, lr=0.1,
                         **{name: 1.0}),
                  raises(problem, f"{name} < 0", _w(s + 19), _dw(s + 20), {}, lr=0.1,
                         **{name: -0.1})]
    if problem in WITH_EPS:
        cases.append(raises(problem, "eps < 0", _w(s + 19), _dw(s + 20), {}, lr=0.1, eps=-1e-8))
    return cases


def _small_gradients(problem, seed):
    """Tiny gradients (1e-5 to 1e-3) from a fresh state, where the placement of eps
    decides the step (eps inside the square root, the paper's eps-hat form of Adam)."""
    g = rng(seed)
    dw = g.choice([-1, 1], size=6) * 10.0 ** g.uniform(-5, -3, size=6)
    return value(problem, "tiny gradients (|dw| ~ 1e-5..1e-3), where eps matters",
                 g.normal(0, 1, size=6), dw, {}, hidden=True)


def _zero_gradient(problem, seed):
    """A fresh state and gradient entries exactly 0: 0/(0 + eps) must be 0, not nan."""
    g = rng(seed)
    dw = g.normal(0, 1, size=6)
    dw[[1, 4]] = 0.0
    return value(problem, "gradient entries exactly 0 from a fresh state (0/(sqrt(0)+eps) = 0)",
                 g.normal(0, 1, size=6), dw, {}, hidden=True)


def _integers(problem, seed, kwargs):
    """Integer w and dw: compute in float64."""
    g = rng(seed)
    return value(problem, "integer w and dw give float64", g.integers(-5, 6, size=(2, 3)),
                 g.integers(-3, 4, size=(2, 3)), {}, kwargs=kwargs, hidden=True, dtype=True)


# ---------------------------------------------------------------- batteries

def _finish(cases):
    """Every value case with its sharper diagnosis (see :func:`_finished`)."""
    return [_finished(c) for c in cases]


@battery("sgd")
def sgd():
    return _finish(_common("sgd", 100) + [_integers("sgd", 130, {"lr": 0.1})])


@battery("momentum")
def momentum():
    return _finish(_common("momentum", 200) + [_integers("momentum", 230, {"lr": 0.1})])


@battery("nesterov")
def nesterov():
    return _finish(_common("nesterov", 300) + [_integers("nesterov", 330, {"lr": 0.1})])


@battery("adagrad")
def adagrad():
    return _finish(_common("adagrad", 400) + [
        _small_gradients("adagrad", 430),
        _zero_gradient("adagrad", 431),
        _integers("adagrad", 432, {"lr": 0.1}),
    ])


@battery("rmsprop")
def rmsprop():
    return _finish(_common("rmsprop", 500) + [
        _small_gradients("rmsprop", 530),
        _zero_gradient("rmsprop", 531),
    ])


@battery("adadelta")
def adadelta():
    return _finish(_common("adadelta", 600) + [
        _zero_gradient("adadelta", 630),
        value("adadelta", "lr = 0.1 scales the step (PyTorch's lr)", _w(631), _dw(632),
              _state("adadelta", 633), kwargs={"lr": 0.1}, hidden=True),
    ])


@battery("adam")
def adam():
    return _finish(_common("adam", 700) + [
        _small_gradients("adam", 730),
        value("adam", "tiny gradients from a given state (t = 2)", _w(731, (6,)),
              _dw(732, (6,), scale=1e-4),
              {"m": _dw(733, (6,), scale=1e-4), "v": rng(734).uniform(1e-9, 1e-8, size=6),
               "t": 2}, hidden=True),
        _zero_gradient("adam", 735),
        value("adam", "beta2 = 0.99 only (the other defaults kept)", _w(736), _dw(737),
              _state("adam", 738), kwargs={"beta2": 0.99}, hidden=True),
        _integers("adam", 739, {}),
        value("adam", "state['t'] comes back as an int", _w(740), _dw(741), {}, hidden=True,
              dtype=True, weight=0.5),
    ])
