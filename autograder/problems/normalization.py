"""Batteries for the normalization topic: standardization and batch normalization.

``batchnorm_forward`` returns ``(out, cache, state_new)``, and the cache's format is
the student's own business: its cases compare only ``out`` and ``state_new`` (and, in
test mode, that the cache is None).  ``batchnorm_backward`` is graded on the
student's OWN cache: each case runs the student's forward pass, hands its cache to
the student's backward pass, and compares ``(dx, dgamma, dbeta)`` with the reference's
gradients on the same inputs, or with a numerical gradient of the reference forward.
"""
import copy

import numpy as np

import reference

from ..cases import Case, Raised, assert_echo, assert_new, battery, expect_value_error
from ..checks import CheckFailure, assert_close, check_gradient, matches
from ..diagnosis import changes, diagnose
from ..worker.codec import Unsafe
from ._kit import float32, pure, raises, rng, value

# ---------------------------------------------------------------- inputs

#: features on very different scales, as in breast-cancer
_LOC, _SCALE = np.array([0.0, 50.0, -3.0]), np.array([1.0, 20.0, 0.01])


def _features(seed, m):
    return rng(seed).normal(_LOC, _SCALE, size=(m, 3))


X_TRAIN = _features(1, 8)
X_VAL = _features(2, 5)
#: a constant column (2.5, exact in binary) next to ordinary ones
X_CONST = np.column_stack([_features(3, 6)[:, :2], np.full(6, 2.5), _features(4, 6)[:, 2]])
X_CONST_VAL = np.column_stack([_features(5, 4)[:, :2], np.full(4, 3.0), _features(6, 4)[:, 2]])
X_CONST_HIDDEN = np.column_stack([_features(30, 6)[:, :2], np.full(6, 2.5), _features(31, 6)[:, 2]])
X_INT = rng(7).integers(-20, 20, size=(7, 4))
#: a constant column of 0.7, whose computed std is 1.1e-16, not 0: detect it by max == min
X_CONST_ROUNDED = np.column_stack([_features(8, 3), np.full(3, 0.7)])


def _fit(X):
    return reference.standardize_fit(X)


def _bn_data(seed, m=6, d=4, low_var=True):
    """x (m, d), gamma, beta; with ``low_var`` the last column's variance (~1.6e-5) is
    comparable to eps, which tells eps inside the sqrt from eps outside it."""
    g = rng(seed)
    x = g.standard_normal((m, d)) * g.uniform(0.5, 3.0, d) + g.uniform(-2, 2, d)
    tiny = 0.7 + 0.004 * g.standard_normal(m)
    if low_var:  # (float32 cases leave it out: float32 cannot resolve it reliably)
        x[:, -1] = tiny
    return x, g.uniform(0.5, 2.0, d), g.standard_normal(d)


def _bn_state(seed, d=4):
    g = rng(seed)
    return {"running_mean": g.normal(0, 1, d), "running_var": g.uniform(0.5, 4.0, d)}


# ---------------------------------------------------------------- shared helpers





def _purity_diagnosis(problem, args, kwargs, args_after, kwargs_after):
    """The known mistake that changes the inputs as the student's code did."""
    return diagnose(problem, (list(args_after), kwargs_after), changes(args, kwargs),
                    expected=((list(args), kwargs),), rtol=0, atol=0)


def _check_unchanged(problem, sent_args, sent_kwargs, args_after, kwargs_after, names):
    """Purity: fail (with a diagnosis) if any input came back changed."""
    try:
        assert_echo(sent_args, sent_kwargs, args_after, kwargs_after, names)
    except CheckFailure as failure:
        failure.diagnosis = _purity_diagnosis(problem, sent_args, sent_kwargs,
                                              args_after, kwargs_after) or failure.diagnosis
        raise


def _triple(got, fn: str, names: str):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        kind = f"{len(got)} items" if isinstance(got, (tuple, list)) else type(got).__name__
        raise CheckFailure(f"{fn} should return a tuple of three items {names}, got {kind}")
    return got


# ================================================================ standardization

@battery("standardize_fit")
def standardize_fit():
    return [
        value("standardize_fit", "features on very different scales", X_TRAIN, weight=2),
        value("standardize_fit", "a constant column gets sigma = 1", X_CONST, weight=2),
        value("standardize_fit", "m = 1: every column is constant", _features(21, 1), hidden=True),
        value("standardize_fit", "more columns than rows (m=3, n=4)",
              np.column_stack([_features(22, 3)[:, :3], np.full(3, 2.5)]), hidden=True),
        value("standardize_fit", "integer input gives float64", X_INT, hidden=True, dtype=True),
        value("standardize_fit", "a constant column whose computed std rounds to 1e-16 gets "
              "sigma = 1", X_CONST_ROUNDED, hidden=True),
        float32("standardize_fit", X_CONST),
        pure("standardize_fit", np.column_stack([_features(23, 5), np.full(5, 3.0)])),
        raises("standardize_fit", "X is 1-d", X_TRAIN[:, 0]),
        raises("standardize_fit", "X has no rows", np.zeros((0, 3))),
    ]


@battery("standardize_apply")
def standardize_apply():
    return [
        value("standardize_apply", "the training set, with its own statistics",
              X_TRAIN, *_fit(X_TRAIN)),
        value("standardize_apply", "a validation set, with the TRAINING statistics",
              X_VAL, *_fit(X_TRAIN), weight=2),
        value("standardize_apply", "validation set, constant training column (sigma = 1)",
              X_CONST_VAL, *_fit(X_CONST_HIDDEN), hidden=True, weight=2),
        value("standardize_apply", "one sample (m = 1)", _features(24, 1), *_fit(_features(25, 6)),
              hidden=True),
        value("standardize_apply", "integer X gives float64", X_INT, *_fit(X_INT + 0.5),
              hidden=True, dtype=True),
        float32("standardize_apply", X_CONST_VAL, *_fit(X_CONST)),
        pure("standardize_apply", _features(26, 4), *_fit(_features(27, 7))),
        raises("standardize_apply", "mu has the wrong length", _features(28, 3), np.zeros(4),
               np.ones(3)),
        raises("standardize_apply", "sigma has the wrong length", _features(29, 3), np.zeros(3),
               np.ones(2)),
        raises("standardize_apply", "a sigma of 0", _features(29, 3), np.zeros(3),
               np.array([1.0, 0.0, 2.0])),
        value("standardize_apply", "float32 X with float64 mu and sigma stays float32",
              rng(32).normal(size=(5, 3)).astype(np.float32), *_fit(rng(33).normal(size=(9, 3))),
              hidden=True, dtype=True, rtol=2e-5, atol=1e-6),
    ]


# ================================================================ batchnorm_forward

def _bn_forward_scenario(calls):
    """``scenario(fn)``: run ``fn`` over ``calls`` (x, gamma, beta, kwargs), feeding each
    call's state_new into the next when ``kwargs`` has no state; project each result
    to ``(out, cache is None, state_new)``."""
    def scenario(fn):
        results, state = [], None
        for x, gamma, beta, state0, kwargs in copy.deepcopy(calls):
            state = state0 if state0 is not None else state
            got = _triple(fn(x, gamma, beta, state, **kwargs), "batchnorm_forward",
                          "(out, cache, state_new)")
            results.append((got[0], got[1] is None, got[2]))
            state = got[2]
        return results
    return scenario


def _bn_forward_case(name, calls, *, hidden=True, weight=1.0, rtol=1e-7, atol=1e-10,
                     pure_check=False, dtype=False):
    """A custom case: the student's (out, state_new) over ``calls`` against the reference's.

    ``calls`` is a list of ``(x, gamma, beta, state, kwargs)``; ``state=None`` means
    "the state_new of the previous call" (a chain of training steps).
    """
    def check(student, case):
        expected = _bn_forward_scenario(calls)(reference.batchnorm_forward)
        got_all, state = [], None
        for k, (x, gamma, beta, state0, kwargs) in enumerate(copy.deepcopy(calls)):
            state = state0 if state0 is not None else state
            args = (x, gamma, beta, state)
            got, args_after, kwargs_after = student.call_echo("batchnorm_forward", args, kwargs)
            got = _triple(got, "batchnorm_forward", "(out, cache, state_new)")
            got_all.append((got[0], got[1] is None, got[2]))
            step = f" (call {k + 1} of {len(calls)})" if len(calls) > 1 else ""
            exp_out, exp_none, exp_state = expected[k]
            try:
                assert_close(got[0], exp_out, rtol=rtol, atol=atol, name="out" + step,
                             exact_dtype=case.dtype)
                if exp_none and got[1] is not None:
                    raise CheckFailure("in test mode (train=False) the cache should be None: "
                                       "there is no backward pass at test time" + step)
                assert_close(got[2], exp_state, rtol=rtol, atol=atol, name="state_new" + step,
                             exact_dtype=case.dtype)
            except CheckFailure as failure:
                if failure.diagnosis is None:
                    # run every mistake over the same calls, up to this one
                    prefix = _bn_forward_scenario(calls[:k + 1])
                    failure.diagnosis = diagnose("batchnorm_forward", got_all, prefix)
                raise
            if pure_check:
                sent = copy.deepcopy(calls[k])
                _check_unchanged("batchnorm_forward", sent[:4], sent[4], args_after,
                                 kwargs_after, ["x", "gamma", "beta", "state"])
                assert_new(student.last_aliases, "batchnorm_forward")
            state = got[2]
    return Case("batchnorm_forward", name, hidden=hidden, weight=weight, kind="custom",
                dtype=dtype, robust=pure_check, check=check)


@battery("batchnorm_forward")
def batchnorm_forward():
    x, gamma, beta = _bn_data(11)
    x2, gamma2, beta2 = _bn_data(12, m=9, d=4)
    state = _bn_state(13)
    x1, g1, b1 = _bn_data(14, m=1, d=3)
    xs = [_bn_data(15 + k, m=5, d=3)[0] for k in range(3)]
    _, g3, b3 = _bn_data(18, m=5, d=3)
    x32, g32, b32 = (a.astype(np.float32) for a in _bn_data(19, m=7, d=4, low_var=False))
    state32 = {k: v.astype(np.float32) for k, v in _bn_state(20).items()}
    xt, gt, bt = _bn_data(21, m=5, d=4)
    xp, gp, bp = _bn_data(22, m=4, d=4)
    return [
        _bn_forward_case("train mode, fresh state {}", [(x, gamma, beta, {}, {})],
                         hidden=False, weight=2),
        _bn_forward_case("train mode, given running stats, momentum=0.8",
                         [(x2, gamma2, beta2, state, {"momentum": 0.8})], hidden=False, weight=2),
        # a plain value case: the whole (out, None, state_new) is data, so it travels to
        # the student kit (custom cases stay TA-side)
        value("batchnorm_forward", "test mode: running stats, cache None, state unchanged",
              xp, gp, bp, _bn_state(22), kwargs={"train": False}),
        _bn_forward_case("test mode uses the running stats, cache None",
                         [(xt, gt, bt, state, {"train": False})], weight=2),
        _bn_forward_case("test mode: inputs unchanged, the state copied",
                         [(xt, gt, bt, state, {"train": False})], pure_check=True),
        _bn_forward_case("m = 1 in train mode", [(x1, g1, b1, {}, {})]),
        _bn_forward_case("running stats chained over 3 training calls from {}",
                         [(xs[0], g3, b3, {}, {}), (xs[1], g3, b3, None, {}),
                          (xs[2], g3, b3, None, {"momentum": 0.7})], weight=2),
        _bn_forward_case("eps = 0.5", [(x, gamma, beta, state, {"eps": 0.5})]),
        _bn_forward_case("integer x gives float64",
                         [(np.round(x * 3).astype(np.int64), gamma, beta, {}, {})], dtype=True),
        _bn_forward_case("float32 in, float32 out", [(x32, g32, b32, state32, {})],
                         rtol=2e-5, atol=1e-5, dtype=True),
        _bn_forward_case("float32 x with float64 gamma, beta and running stats stays float32",
                         [(x32, *_bn_data(19, m=7, d=4, low_var=False)[1:], _bn_state(20), {})],
                         rtol=2e-5, atol=1e-5, dtype=True),
        _bn_forward_case("inputs unchanged", [(x2, gamma2, beta2, state, {})], pure_check=True),
        raises("batchnorm_forward", "gamma has the wrong length", x, gamma[:3], beta, {}),
        raises("batchnorm_forward", "running_mean has the wrong length", x, gamma, beta,
               {"running_mean": np.zeros(5), "running_var": np.ones(5)}),
        raises("batchnorm_forward", "state with running_mean only", x, gamma, beta,
               {"running_mean": np.zeros(4)}),
        raises("batchnorm_forward", "momentum = 1.5", x, gamma, beta, {}, momentum=1.5),
        raises("batchnorm_forward", "eps = 0", x, gamma, beta, {}, eps=0.0),
    ]


# ================================================================ batchnorm_backward

def _plain(value, where="the cache"):
    """Fail if the student's cache holds something that cannot cross the sandbox."""
    if isinstance(value, Unsafe):
        raise CheckFailure(f"{where} holds {value.type_name!r} object(s), which cannot be "
                           "graded: keep the cache to plain arrays, numbers, tuples, lists "
                           "and dicts with str keys")
    if isinstance(value, dict):
        for k, v in value.items():
            _plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _plain(v, f"{where}[{i}]")


def _student_forward(student, x, gamma, beta):
    try:
        got = student.call("batchnorm_forward", x, gamma, beta, {})
    except Raised as exc:
        raise CheckFailure(f"the backward pass needs your batchnorm_forward's cache, but "
                           f"batchnorm_forward raised {exc.kind}: {exc.message}") from None
    except CheckFailure as failure:
        raise CheckFailure("the backward pass needs your batchnorm_forward's cache: "
                           + failure.message) from None
    out, cache, _ = _triple(got, "batchnorm_forward", "(out, cache, state_new)")
    _plain(cache)
    return out, cache


def _reference_backward(x, gamma, beta, dout, bwd=None):
    _, cache, _ = reference.batchnorm_forward(x, gamma, beta, {})
    return (bwd or reference.batchnorm_backward)(dout.copy(), cache)   # a variant may mutate dout


def _forward_note(out, x, gamma, beta):
    """A hint when the student's own forward pass is already wrong on these inputs."""
    if matches(out, reference.batchnorm_forward(x, gamma, beta, {})[0], rtol=1e-6, atol=1e-9):
        return ""
    return (" (note: your batchnorm_forward's out is also wrong on these inputs, and "
            "the backward pass is graded on your forward's cache: fix the forward first)")


def _bn_backward_case(name, seed, m, d, *, hidden=True, weight=1.0, dtype=np.float64,
                      pure_check=False, rtol=1e-7, atol=1e-9):
    """A custom case: student's backward(dout, student's own cache) vs the reference."""
    x, gamma, beta = (a.astype(dtype) for a in _bn_data(seed, m, d, low_var=dtype != np.float32))
    dout = rng(seed + 1000).standard_normal((m, d)).astype(dtype)

    def check(student, case):
        out, cache = _student_forward(student, x, gamma, beta)
        sent = copy.deepcopy((dout, cache))
        got, args_after, kwargs_after = student.call_echo("batchnorm_backward", sent, {})
        got = _triple(got, "batchnorm_backward", "(dx, dgamma, dbeta)")
        expected = _reference_backward(x, gamma, beta, dout)
        try:
            for i, part in enumerate(("dx", "dgamma", "dbeta")):
                assert_close(got[i], expected[i], rtol=rtol, atol=atol, name=part,
                             exact_dtype=case.dtype)
        except CheckFailure as failure:
            failure.message += _forward_note(out, x, gamma, beta)
            failure.diagnosis = diagnose(
                "batchnorm_backward", got,
                lambda bwd: _reference_backward(x, gamma, beta, dout, bwd))
            raise
        if pure_check:
            try:
                assert_echo((dout, cache), {}, args_after, kwargs_after, ("dout", "cache"))
            except CheckFailure as failure:
                failure.diagnosis = _backward_purity_diagnosis(x, gamma, beta, dout,
                                                               args_after[0])
                raise
            assert_new(student.last_aliases, "batchnorm_backward")
    return Case("batchnorm_backward", name, hidden=hidden, weight=weight, kind="custom",
                dtype=dtype != np.float64, robust=pure_check, check=check)


def _backward_purity_diagnosis(x, gamma, beta, dout, dout_after):
    """The known mistake that changes dout as the student's code did."""
    _, cache, _ = reference.batchnorm_forward(x, gamma, beta, {})

    def scenario(bwd):
        d = dout.copy()
        bwd(d, copy.deepcopy(cache))
        return d
    return diagnose("batchnorm_backward", dout_after, scenario, expected=(dout,), rtol=0, atol=0)


def _float_array(value, name, shape):
    """``value`` as a float64 array of ``shape``, or a CheckFailure saying what it is."""
    try:
        arr = np.asarray(value)
        ok = arr.shape == shape and arr.dtype.kind in "biuf"
    except Exception:  # noqa: BLE001  ragged lists and the like
        ok = False
    if not ok:
        raise CheckFailure(f"{name} should be a float array of shape {shape}, got {value!r:.80}")
    return arr.astype(np.float64)


def _bn_gradient_case(name, seed, m, d, *, hidden=True, weight=1.0):
    """A custom case: the student's gradients vs central differences of
    ``J = sum(dout * out)`` through the REFERENCE forward pass."""
    x, gamma, beta = _bn_data(seed, m, d)
    dout = rng(seed + 1000).standard_normal((m, d))

    def check(student, case):

        def loss(x_, gamma_, beta_):
            return float(np.sum(dout * reference.batchnorm_forward(x_, gamma_, beta_, {})[0]))

        out, cache = _student_forward(student, x, gamma, beta)
        got = _triple(student.call("batchnorm_backward", dout, cache),
                      "batchnorm_backward", "(dx, dgamma, dbeta)")
        try:
            for part, (g, at, f) in zip(("dx", "dgamma", "dbeta"), (
                    (got[0], x, lambda v: loss(v, gamma, beta)),
                    (got[1], gamma, lambda v: loss(x, v, beta)),
                    (got[2], beta, lambda v: loss(x, gamma, v)))):
                check_gradient(f, at, _float_array(g, part, np.shape(at)), name=part,
                               rtol=1e-5, floor=1e-6)
        except CheckFailure as failure:
            failure.message += _forward_note(out, x, gamma, beta)
            failure.diagnosis = diagnose(
                "batchnorm_backward", got,
                lambda bwd: _reference_backward(x, gamma, beta, dout, bwd))
            raise
    return Case("batchnorm_backward", name, hidden=hidden, weight=weight, kind="custom",
                check=check)


def _bn_backward_raises(name, seed, m, d, dout_shape, weight=0.5):
    """A custom bad-input case: dout whose shape does not match x's must raise ValueError."""
    x, gamma, beta = _bn_data(seed, m, d)
    dout = rng(seed + 1000).standard_normal(dout_shape)

    def check(student, case):
        _, cache = _student_forward(student, x, gamma, beta)
        expect_value_error(lambda: student.call("batchnorm_backward", dout, cache))
    return Case("batchnorm_backward", f"bad input: {name}", hidden=True, weight=weight,
                kind="custom", robust=True, check=check)


@battery("batchnorm_backward")
def batchnorm_backward():
    return [
        _bn_backward_case("dx, dgamma, dbeta on your own cache", 31, 6, 4, hidden=False,
                          weight=2),
        _bn_gradient_case("gradients match a numerical gradient of sum(dout * out)",
                          32, 5, 3, hidden=False, weight=2),
        _bn_backward_case("more features than samples (m=3, d=5)", 33, 3, 5),
        _bn_backward_case("a larger batch (m=40, d=3)", 34, 40, 3),
        _bn_backward_case("m = 1: dx is 0", 35, 1, 3),
        _bn_backward_case("float32 in, float32 out", 36, 7, 4, dtype=np.float32,
                          rtol=1e-4, atol=1e-4),
        _bn_backward_case("inputs unchanged", 37, 6, 4, pure_check=True),
        _bn_backward_raises("dout has one row for a batch of 4", 38, 4, 3, (1, 3)),
    ]
