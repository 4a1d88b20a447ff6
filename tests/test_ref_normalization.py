"""Oracle tests for reference.normalization.

Oracles: scikit-learn's StandardScaler, torch.nn.functional.batch_norm in float64
(autograd for the backward pass) and float64 central differences.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import numerical_grad, rel_error
from sklearn.preprocessing import StandardScaler

from reference import batchnorm_backward, batchnorm_forward, standardize_apply, standardize_fit

GRAD_TOL = 1e-7
# Two float64 implementations of the same formulas: out agrees to ~1e-15, but with m = 2
# x_hat is +-sqrt(var/(var+eps)) and dx is an O(eps) cancellation, which costs ~1e-11.
TORCH_TOL = 1e-10


def _data(seed, m=8, d=5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, d)) * rng.uniform(0.5, 3.0, d) + rng.uniform(-2, 2, d)
    gamma, beta = rng.uniform(0.5, 2.0, d), rng.standard_normal(d)
    return rng, x, gamma, beta


# --------------------------------------------------------------------------- standardization

def _scaler_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4)) * [1e-3, 1.0, 1e3, 1e5] + [0.0, 5.0, -1e4, 1e6]
    # two constant columns: 0.1 (whose float mean is not exactly 0.1) and 0.0
    return np.column_stack([X, np.full(50, 0.1), np.zeros(50)]), rng.standard_normal((7, 6))


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_standardize_fit_matches_sklearn(dtype, rtol, request):
    X, _ = _scaler_data()
    X = X.astype(dtype)
    mu, sigma = standardize_fit(X)
    ref = StandardScaler().fit(X)
    assert mu.dtype == dtype and sigma.dtype == dtype
    np.testing.assert_allclose(mu, ref.mean_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(sigma, ref.scale_, rtol=rtol)
    assert sigma[-1] == 1 and sigma[-2] == 1  # constant columns -> sigma = 1
    err = max(rel_error(mu, ref.mean_), rel_error(sigma, ref.scale_))
    request.node.user_properties.append(("max_rel_error", err))


def test_standardize_apply_matches_sklearn(request):
    X, X_test = _scaler_data()
    X_test = X_test * X.std(axis=0) + X.mean(axis=0)
    ref = StandardScaler().fit(X)
    mu, sigma = standardize_fit(X)
    err = max(rel_error(standardize_apply(X, mu, sigma), ref.transform(X)),
              rel_error(standardize_apply(X_test, mu, sigma), ref.transform(X_test)))
    request.node.user_properties.append(("max_rel_error", err))
    assert err <= 1e-9  # sklearn divides in float64 too; both are a few ulps off the exact value


def test_standardized_training_set_has_zero_mean_unit_std():
    X, _ = _scaler_data()
    Z = standardize_apply(X, *standardize_fit(X))
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(Z[:, :4].std(axis=0), 1, rtol=1e-9)


# --------------------------------------------------------------------------- batch norm vs torch

def _torch_bn(x, gamma, beta, rm, rv, train, momentum, eps, dout=None):
    """torch's batch norm in float64; returns out, running stats (updated in place), grads."""
    t = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, gamma, beta)]
    rm_t, rv_t = torch.tensor(rm, dtype=torch.float64), torch.tensor(rv, dtype=torch.float64)
    # torch: r = (1 - momentum_torch)*r + momentum_torch*batch, so momentum_torch = 1 - ours
    out = F.batch_norm(t[0], rm_t, rv_t, t[1], t[2], training=train, momentum=1 - momentum,
                       eps=eps)
    grads = None
    if dout is not None:
        out.backward(torch.tensor(dout, dtype=torch.float64))
        grads = [a.grad.numpy() for a in t]
    return out.detach().numpy(), rm_t.numpy(), rv_t.numpy(), grads


CASES = [  # (seed, m, d, momentum, eps, fresh state?)
    (1, 8, 5, 0.9, 1e-5, True),
    (2, 16, 3, 0.7, 1e-3, False),
    (3, 2, 4, 0.0, 1e-5, False),
    (4, 5, 1, 1.0, 1e-2, True),
]


@pytest.mark.parametrize("seed, m, d, momentum, eps, fresh", CASES)
def test_batchnorm_train_matches_torch(seed, m, d, momentum, eps, fresh, request):
    rng, x, gamma, beta = _data(seed, m, d)
    dout = rng.standard_normal((m, d))
    if fresh:
        state, rm, rv = {}, np.zeros(d), np.zeros(d)  # ours starts at 0 from {}
    else:
        rm, rv = rng.standard_normal(d), rng.uniform(0.5, 2.0, d)
        state = {"running_mean": rm, "running_var": rv}
    out, cache, new = batchnorm_forward(x, gamma, beta, state, momentum=momentum, eps=eps)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    t_out, t_rm, t_rv, (t_dx, t_dgamma, t_dbeta) = _torch_bn(x, gamma, beta, rm, rv, True,
                                                             momentum, eps, dout)
    # torch blends the UNBIASED batch variance into running_var; undo that with torch's own
    # numbers: var_unbiased = (t_rv - momentum*rv)/(1 - momentum), biased = (m-1)/m * that.
    if momentum < 1:
        biased = (t_rv - momentum * rv) / (1 - momentum) * (m - 1) / m
        expected_rv = momentum * rv + (1 - momentum) * biased
    else:
        expected_rv = rv
    errs = {"out": rel_error(out, t_out), "running_mean": rel_error(new["running_mean"], t_rm),
            "running_var": rel_error(new["running_var"], expected_rv),
            "dx": rel_error(dx, t_dx), "dgamma": rel_error(dgamma, t_dgamma),
            "dbeta": rel_error(dbeta, t_dbeta)}
    request.node.user_properties.append(("max_rel_error", max(errs.values())))
    assert max(errs.values()) <= TORCH_TOL, errs


@pytest.mark.parametrize("fresh", [True, False])
def test_batchnorm_test_mode_matches_torch(fresh, request):
    rng, x, gamma, beta = _data(5)
    d = x.shape[1]
    rm, rv = (np.zeros(d), np.zeros(d)) if fresh else (rng.standard_normal(d),
                                                       rng.uniform(0.5, 2.0, d))
    state = {} if fresh else {"running_mean": rm, "running_var": rv}
    out, cache, new = batchnorm_forward(x, gamma, beta, state, train=False)
    t_out, t_rm, t_rv, _ = _torch_bn(x, gamma, beta, rm, rv, False, 0.9, 1e-5)
    err = rel_error(out, t_out)
    request.node.user_properties.append(("max_rel_error", err))
    assert err <= TORCH_TOL
    assert cache is None
    np.testing.assert_array_equal(new["running_mean"], t_rm)
    np.testing.assert_array_equal(new["running_var"], t_rv)


def test_batchnorm_running_var_is_biased_blend():
    """Independent of torch: r_var = momentum*r_var + (1-momentum)*mean((x-mu)^2)."""
    _, x, gamma, beta = _data(6)
    state = {"running_mean": np.ones(5), "running_var": np.full(5, 2.0)}
    _, _, new = batchnorm_forward(x, gamma, beta, state, momentum=0.8)
    biased = ((x - x.sum(0) / len(x)) ** 2).sum(0) / len(x)
    np.testing.assert_allclose(new["running_var"], 0.8 * 2.0 + 0.2 * biased, rtol=1e-14)
    np.testing.assert_allclose(new["running_mean"], 0.8 + 0.2 * x.sum(0) / len(x), rtol=1e-14)


# --------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("seed, m, d", [(7, 6, 4), (8, 3, 2), (9, 10, 3)])
def test_batchnorm_backward_matches_central_differences(seed, m, d, request):
    rng, x, gamma, beta = _data(seed, m, d)
    dout = rng.standard_normal((m, d))
    _, cache, _ = batchnorm_forward(x, gamma, beta, {})
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)

    def J(x=x, gamma=gamma, beta=beta):
        return np.sum(dout * batchnorm_forward(x, gamma, beta, {})[0])

    errs = {"dx": rel_error(dx, numerical_grad(lambda v: J(x=v), x)),
            "dgamma": rel_error(dgamma, numerical_grad(lambda v: J(gamma=v), gamma)),
            "dbeta": rel_error(dbeta, numerical_grad(lambda v: J(beta=v), beta))}
    request.node.user_properties.append(("max_rel_error", max(errs.values())))
    assert max(errs.values()) <= GRAD_TOL, errs


# --------------------------------------------------------------------------- state, purity, dtype

def test_batchnorm_state_is_new():
    _, x, gamma, beta = _data(10)
    state = {"running_mean": np.zeros(5), "running_var": np.ones(5)}
    for train in (True, False):
        _, _, new = batchnorm_forward(x, gamma, beta, state, train=train)
        assert new is not state and set(new) == {"running_mean", "running_var"}
        assert not any(np.shares_memory(new[k], v) for k in new for v in state.values())
    empty = {}
    batchnorm_forward(x, gamma, beta, empty)
    assert empty == {}


def _snapshot(obj):
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    return obj.copy() if isinstance(obj, np.ndarray) else obj


def _assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    else:
        np.testing.assert_array_equal(a, b)


def _calls(dtype):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((6, 3)) * 4).astype(dtype)
    gamma, beta = np.array([1, 2, 3]).astype(dtype), np.array([0, -1, 1]).astype(dtype)
    state = {"running_mean": np.array([1, 0, 2]).astype(dtype),
             "running_var": np.array([2, 1, 3]).astype(dtype)}
    _, cache, _ = batchnorm_forward(x, gamma, beta, {})
    dout = (rng.standard_normal((6, 3)) * 3).astype(dtype)
    mu, sigma = standardize_fit(x)
    return {
        "standardize_fit": (standardize_fit, (x,)),
        "standardize_apply": (standardize_apply, (x, mu, sigma)),
        "batchnorm_forward": (batchnorm_forward, (x, gamma, beta, state)),
        "batchnorm_forward_test": (lambda *a: batchnorm_forward(*a, train=False), (x, gamma, beta, state)),
        "batchnorm_backward": (batchnorm_backward, (dout, cache)),
    }


def _arrays(result):
    items = result if isinstance(result, tuple) else (result,)
    for item in items:
        if isinstance(item, dict):
            yield from item.values()
        elif item is not None:
            yield item


@pytest.mark.parametrize("name", list(_calls(np.float64)))
@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64),
                                             (np.int64, np.float64)])
def test_dtype_kept(name, dtype, expected):
    fn, args = _calls(dtype)[name]
    dtypes = {a.dtype for a in _arrays(fn(*args))}
    assert dtypes == {np.dtype(expected)}


@pytest.mark.parametrize("name", list(_calls(np.float64)))
def test_inputs_not_mutated(name):
    fn, args = _calls(np.float64)[name]
    before = [_snapshot(a) for a in args]
    fn(*args)
    for a, b in zip(args, before):
        _assert_same(a, b)


# --------------------------------------------------------------------------- bad input

X0, G0 = np.ones((4, 3)), np.ones(3)
S0 = {"running_mean": np.zeros(3), "running_var": np.ones(3)}
CACHE0 = batchnorm_forward(np.arange(12.0).reshape(4, 3), G0, G0, {})[1]
BAD = [
    ("fit-1d", lambda: standardize_fit(np.ones(3)), r"X must have shape \(m, n\)"),
    ("fit-empty", lambda: standardize_fit(np.ones((0, 3))), "at least one sample"),
    ("fit-str", lambda: standardize_fit([["a"]]), "X must be a numeric array"),
    ("apply-mu-shape", lambda: standardize_apply(X0, np.zeros(2), G0), r"mu must have shape \(d,\) = \(3,\)"),
    ("apply-sigma-shape", lambda: standardize_apply(X0, G0, np.ones((1, 3))), "sigma must have shape"),
    ("apply-sigma-zero", lambda: standardize_apply(X0, G0, np.array([1.0, 0.0, 1.0])), "sigma must be > 0"),
    ("apply-1d", lambda: standardize_apply(np.ones(3), G0, G0), "X must have shape"),
    ("bn-x-1d", lambda: batchnorm_forward(np.ones(3), G0, G0, {}), r"x must have shape \(m, d\)"),
    ("bn-gamma", lambda: batchnorm_forward(X0, np.ones(4), G0, {}), "gamma must have shape"),
    ("bn-beta", lambda: batchnorm_forward(X0, G0, np.ones((3, 1)), {}), "beta must have shape"),
    ("bn-state-type", lambda: batchnorm_forward(X0, G0, G0, None), "state must be a dict"),
    ("bn-state-partial", lambda: batchnorm_forward(X0, G0, G0, {"running_mean": G0}), "running_var"),
    ("bn-state-shape", lambda: batchnorm_forward(X0, G0, G0, {**S0, "running_var": np.ones(2)}),
     r"state\['running_var'\] must have shape"),
    ("bn-momentum", lambda: batchnorm_forward(X0, G0, G0, S0, momentum=1.5), r"momentum must be a number in \[0, 1\]"),
    ("bn-eps", lambda: batchnorm_forward(X0, G0, G0, S0, eps=0.0), "eps must be a positive"),
    ("bn-train", lambda: batchnorm_forward(X0, G0, G0, S0, train=None), "train must be True or False"),
    ("bn-empty-batch", lambda: batchnorm_forward(np.ones((0, 3)), G0, G0, S0), "at least one sample"),
    ("bnb-cache-none", lambda: batchnorm_backward(X0, None), "cache is None"),
    ("bnb-cache-type", lambda: batchnorm_backward(X0, {"x_hat": X0}), "cache must be the dict"),
    ("bnb-dout-shape", lambda: batchnorm_backward(np.ones((4, 2)), CACHE0), "dout and cache"),
]


@pytest.mark.parametrize("call, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
