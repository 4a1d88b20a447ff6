"""Typical wrong (and correct, differently written) variants for the normalization topic.

The batch-norm backward variants receive the reference's cache
``{"x_hat", "gamma", "inv_std"}``: the audit splices them into a submission whose
``batchnorm_forward`` is the reference's, and the diagnosis runs them on the
reference's cache (a student's own cache format does not change the numbers).
"""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake

# ================================================================ standardize_fit

@mistake("standardize_fit", "sigma uses ddof=1 (the sample std, dividing by m-1): the "
                            "population std divides by m, so use X.std(axis=0) (ddof=0)",
         rules=("ps5.standardize_fit.ddof",))
def standardize_fit(X):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    mu = X.mean(axis=0)
    sigma = X.std(axis=0, ddof=1)
    sigma[np.ptp(X, axis=0) == 0] = 1
    return mu, sigma


@mistake("standardize_fit", "a constant column keeps sigma = 0, so standardizing divides by "
                            "zero (inf/nan): give constant columns sigma = 1",
         rules=("ps5.standardize_fit.constant",))
def standardize_fit(X):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return X.mean(axis=0), X.std(axis=0)


@mistake("standardize_fit", "sigma is the variance, not the standard deviation (the slide's "
                            "x/sigma^2 slip): sigma = sqrt(mean((x - mu)^2))")
def standardize_fit(X):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    sigma = X.var(axis=0)
    sigma[np.ptp(X, axis=0) == 0] = 1
    return X.mean(axis=0), sigma


@mistake("standardize_fit", "the statistics are per row (axis=1), one per sample: "
                            "standardization needs one mean and std per feature, axis=0")
def standardize_fit(X):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    sigma = X.std(axis=1)
    sigma[np.ptp(X, axis=1) == 0] = 1
    return X.mean(axis=1), sigma


@mistake("standardize_fit", "one mean and std for the whole matrix: compute them per column "
                            "with axis=0, giving arrays of shape (n,)",
         rules=("ps5.standardize_fit.per-column",))
def standardize_fit(X):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    sigma = X.std()
    return X.mean(), sigma if sigma > 0 else X.dtype.type(1)


@mistake("standardize_fit", "float32 input came back as float64: compute in the input's dtype",
         kind="dtype",
         rules=("ps5.dtype",))
def standardize_fit(X):
    X = np.asarray(X, dtype=np.float64)
    sigma = X.std(axis=0)
    sigma[np.ptp(X, axis=0) == 0] = 1
    return X.mean(axis=0), sigma


@correct("standardize_fit")
def standardize_fit(X):
    """explicit sums: mu = sum(x)/m, sigma = sqrt(sum((x-mu)^2)/m), np.where on max == min"""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (m, n) with m >= 1, got shape {X.shape}")
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    m = X.shape[0]
    mu = X.sum(axis=0) / m
    sigma = np.sqrt(((X - mu) ** 2).sum(axis=0) / m)
    return mu, np.where(X.max(axis=0) == X.min(axis=0), 1, sigma).astype(X.dtype)


@correct("standardize_fit")
def standardize_fit(X):
    """a loop over the columns, with max == min for the constant test"""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a 2-d array (m, n) with at least one row, got {X.shape}")
    if X.dtype.kind != "f":
        X = X.astype(float)
    mus, sigmas = [], []
    for j in range(X.shape[1]):
        col = X[:, j].copy()
        mus.append(np.mean(col))
        sigmas.append(1.0 if col.max() == col.min() else np.std(col))
    return np.array(mus, dtype=X.dtype), np.array(sigmas, dtype=X.dtype)


# ================================================================ standardize_apply

@mistake("standardize_apply", "divided by sigma^2 (the slide's known slip): standardize with "
                              "(x - mu)/sigma")
def standardize_apply(X, mu, sigma):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return (X - mu) / sigma ** 2


@mistake("standardize_apply", "mu and sigma were ignored and recomputed from X: every set "
                              "(validation, test) must be standardized with the TRAINING "
                              "statistics that are passed in")
def standardize_apply(X, mu, sigma):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    s = X.std(axis=0)
    s[np.ptp(X, axis=0) == 0] = 1
    return (X - X.mean(axis=0)) / s


@mistake("standardize_apply", "mu was not subtracted: standardize with (x - mu)/sigma")
def standardize_apply(X, mu, sigma):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return X / sigma


@mistake("standardize_apply", "multiplied by sigma: standardizing divides, (x - mu)/sigma")
def standardize_apply(X, mu, sigma):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    return (X - mu) * sigma


@mistake("standardize_apply", "float32 input came back as float64: compute in the input's dtype",
         kind="dtype")
def standardize_apply(X, mu, sigma):
    X = np.asarray(X, dtype=np.float64)
    return (X - np.asarray(mu, dtype=np.float64)) / np.asarray(sigma, dtype=np.float64)


@correct("standardize_apply")
def standardize_apply(X, mu, sigma):
    """multiply by the reciprocal of sigma, computed in X's dtype"""
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    mu, sigma = np.asarray(mu, dtype=X.dtype), np.asarray(sigma, dtype=X.dtype)
    if X.ndim != 2 or mu.shape != (X.shape[1],) or sigma.shape != (X.shape[1],):
        raise ValueError(f"X must be (m, n) and mu, sigma (n,), got {X.shape}, "
                         f"{mu.shape}, {sigma.shape}")
    if not np.all(sigma > 0):
        raise ValueError(f"every sigma must be > 0, got {sigma}")
    return (X - mu) * (1 / sigma)


@correct("standardize_apply")
def standardize_apply(X, mu, sigma):
    """a copy of X, standardized column by column in place"""
    out = np.array(X, dtype=None, copy=True)
    if out.dtype.kind != "f":
        out = out.astype(np.float64)
    mu, sigma = np.asarray(mu), np.asarray(sigma)
    if out.ndim != 2 or mu.shape != (out.shape[1],) or sigma.shape != (out.shape[1],):
        raise ValueError(f"X must be (m, n) and mu, sigma (n,), got {out.shape}, "
                         f"{mu.shape}, {sigma.shape}")
    if (sigma <= 0).any():
        raise ValueError("sigma must be positive in every column (a constant column has sigma 1)")
    for j in range(out.shape[1]):
        out[:, j] -= mu[j]
        out[:, j] /= sigma[j]
    return out


# ================================================================ batchnorm_forward

@mistake("batchnorm_forward", "the batch variance uses ddof=1 (unbiased, m-1): batch norm "
                              "normalizes with the biased variance, mean((x - mu)^2)",
         rules=("ps5.batchnorm.biased",))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    x = np.asarray(x)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    d = x.shape[1]
    rm = np.asarray(state.get("running_mean", np.zeros(d)), dtype=x.dtype)
    rv = np.asarray(state.get("running_var", np.zeros(d)), dtype=x.dtype)
    if not train:
        out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        return out, None, {"running_mean": rm.copy(), "running_var": rv.copy()}
    mu, var = x.mean(axis=0), x.var(axis=0, ddof=1)
    x_hat = (x - mu) / np.sqrt(var + eps)
    cache = {"x_hat": x_hat, "gamma": np.array(gamma), "inv_std": 1 / np.sqrt(var + eps)}
    return gamma * x_hat + beta, cache, {"running_mean": momentum * rm + (1 - momentum) * mu,
                                         "running_var": momentum * rv + (1 - momentum) * var}


@mistake("batchnorm_forward", "eps is outside the square root: x_hat = (x - mu)/sqrt(var + eps), "
                              "not (x - mu)/(sqrt(var) + eps)",
         rules=("ps5.batchnorm.eps-inside",))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    x = np.asarray(x)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    d = x.shape[1]
    rm = np.asarray(state.get("running_mean", np.zeros(d)), dtype=x.dtype)
    rv = np.asarray(state.get("running_var", np.zeros(d)), dtype=x.dtype)
    if not train:
        out = gamma * (x - rm) / (np.sqrt(rv) + eps) + beta
        return out, None, {"running_mean": rm.copy(), "running_var": rv.copy()}
    mu, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mu) / (np.sqrt(var) + eps)
    cache = {"x_hat": x_hat, "gamma": np.array(gamma), "inv_std": 1 / (np.sqrt(var) + eps)}
    return gamma * x_hat + beta, cache, {"running_mean": momentum * rm + (1 - momentum) * mu,
                                         "running_var": momentum * rv + (1 - momentum) * var}


@mistake("batchnorm_forward", "momentum weighs the wrong term: the running stats keep "
                              "momentum of the OLD value, r = momentum*r + (1-momentum)*batch",
         rules=("ps5.batchnorm.momentum",))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    x = np.asarray(x)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    d = x.shape[1]
    rm = np.asarray(state.get("running_mean", np.zeros(d)), dtype=x.dtype)
    rv = np.asarray(state.get("running_var", np.zeros(d)), dtype=x.dtype)
    if not train:
        out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        return out, None, {"running_mean": rm.copy(), "running_var": rv.copy()}
    mu, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    cache = {"x_hat": x_hat, "gamma": np.array(gamma), "inv_std": 1 / np.sqrt(var + eps)}
    return gamma * x_hat + beta, cache, {"running_mean": (1 - momentum) * rm + momentum * mu,
                                         "running_var": (1 - momentum) * rv + momentum * var}


@mistake("batchnorm_forward", "test mode (train=False) still normalizes with the batch "
                              "statistics: at test time use the running mean and variance, "
                              "leave them unchanged and return cache=None",
         rules=("ps5.batchnorm.test-mode",))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    x = np.asarray(x)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    d = x.shape[1]
    rm = np.asarray(state.get("running_mean", np.zeros(d)), dtype=x.dtype)
    rv = np.asarray(state.get("running_var", np.zeros(d)), dtype=x.dtype)
    mu, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    cache = {"x_hat": x_hat, "gamma": np.array(gamma), "inv_std": 1 / np.sqrt(var + eps)}
    return gamma * x_hat + beta, cache, {"running_mean": momentum * rm + (1 - momentum) * mu,
                                         "running_var": momentum * rv + (1 - momentum) * var}


@mistake("batchnorm_forward", "the state dict passed in was changed in place: build and "
                              "return a NEW dict (and new arrays) for state_new", kind="purity",
         rules=("ps5.batchnorm.state-unchanged",))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    out, cache, new = ref.batchnorm_forward(x, gamma, beta, state, train, momentum, eps)
    state["running_mean"] = new["running_mean"]
    state["running_var"] = new["running_var"]
    return out, cache, state


@mistake("batchnorm_forward", "the running variance is updated with the unbiased batch "
                              "variance (PyTorch's choice): in this course both the "
                              "normalization and the running variance use the biased "
                              "mean((x - mu)^2)")
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    out, cache, new = ref.batchnorm_forward(x, gamma, beta, state, train, momentum, eps)
    if train and np.shape(x)[0] > 1:
        xa = np.asarray(x)
        var = np.var(xa, axis=0, ddof=1).astype(new["running_var"].dtype)
        old = np.asarray(state.get("running_var", np.zeros(xa.shape[1])), dtype=var.dtype)
        new["running_var"] = momentum * old + (1 - momentum) * var
    return out, cache, new


@mistake("batchnorm_forward", "float32 input came back as float64: compute in the input's dtype",
         kind="dtype")
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    st = {k: np.asarray(v, dtype=np.float64) for k, v in state.items()}
    return ref.batchnorm_forward(x, np.asarray(gamma, dtype=np.float64),
                                 np.asarray(beta, dtype=np.float64), st, train, momentum, eps)


@correct("batchnorm_forward")
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    """explicit sums over the batch, a tuple cache holding x - mu and var"""
    x = np.asarray(x)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (m, d), got {x.shape}")
    m, d = x.shape
    if not 0 <= momentum <= 1 or not eps > 0:
        raise ValueError(f"need momentum in [0, 1] and eps > 0, got {momentum}, {eps}")
    gamma, beta = np.asarray(gamma, dtype=x.dtype), np.asarray(beta, dtype=x.dtype)
    if gamma.shape != (d,) or beta.shape != (d,):
        raise ValueError(f"gamma and beta must have shape ({d},), got {gamma.shape}, {beta.shape}")
    if state and not {"running_mean", "running_var"} <= set(state):
        raise ValueError(f"state needs both running_mean and running_var, got {sorted(state)}")
    rm = np.array(state["running_mean"], dtype=x.dtype) if state else np.zeros(d, x.dtype)
    rv = np.array(state["running_var"], dtype=x.dtype) if state else np.zeros(d, x.dtype)
    if rm.shape != (d,) or rv.shape != (d,):
        raise ValueError(f"the running stats must have shape ({d},), got {rm.shape}, {rv.shape}")
    if not train:
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None, \
            {"running_mean": rm, "running_var": rv}
    mu = x.sum(axis=0) / m
    xmu = x - mu
    var = (xmu * xmu).sum(axis=0) / m
    out = gamma * xmu / np.sqrt(var + eps) + beta
    new = {"running_mean": momentum * rm + (1 - momentum) * mu,
           "running_var": momentum * rv + (1 - momentum) * var}
    return out, (xmu, var, gamma.copy(), eps), new


@correct("batchnorm_forward")
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    """one code path: pick the statistics first, running stats as lerp toward the batch"""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim != 2 or np.shape(gamma) != (x.shape[1],) or np.shape(beta) != (x.shape[1],):
        raise ValueError(f"x must be (m, d) and gamma, beta (d,), got {x.shape}, "
                         f"{np.shape(gamma)}, {np.shape(beta)}")
    if not (0 <= momentum <= 1):
        raise ValueError(f"momentum must lie in [0, 1], got momentum={momentum}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got eps={eps}")
    if state and set(state) != {"running_mean", "running_var"}:
        raise ValueError(f"state must be {{}} or hold running_mean and running_var, got {set(state)}")
    zeros = np.zeros(x.shape[1], dtype=x.dtype)
    rm = np.asarray(state.get("running_mean", zeros), dtype=x.dtype)
    rv = np.asarray(state.get("running_var", zeros), dtype=x.dtype)
    if rm.shape != zeros.shape or rv.shape != zeros.shape:
        raise ValueError(f"running stats must have shape {zeros.shape}, got {rm.shape}, {rv.shape}")
    if train:
        mu, var = np.mean(x, axis=0), np.mean((x - np.mean(x, axis=0)) ** 2, axis=0)
        rm, rv = rm + (1 - momentum) * (mu - rm), rv + (1 - momentum) * (var - rv)
    else:
        mu, var = rm, rv
    std = np.sqrt(var + x.dtype.type(eps))
    x_hat = (x - mu) / std
    cache = {"x_hat": x_hat, "std": std, "gamma": np.array(gamma, dtype=x.dtype)} if train else None
    return np.asarray(gamma, dtype=x.dtype) * x_hat + np.asarray(beta, dtype=x.dtype), cache, \
        {"running_mean": np.array(rm), "running_var": np.array(rv)}


# ================================================================ batchnorm_backward
# These receive the reference's cache: {"x_hat", "gamma", "inv_std"}.

@mistake("batchnorm_backward", "dx misses the mean and variance terms: mu and sigma^2 depend "
                               "on every x^(i), so dx = (1/(m sigma)) (m dx_hat - sum(dx_hat) "
                               "- x_hat sum(dx_hat x_hat)), not dout*gamma/sqrt(var + eps)")
def batchnorm_backward(dout, cache):
    dout = np.asarray(dout)
    dx = dout * cache["gamma"] * cache["inv_std"]
    return dx, (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "dx misses the variance term: besides subtracting the mean of "
                               "dx_hat, also subtract x_hat * mean(dx_hat * x_hat)")
def batchnorm_backward(dout, cache):
    dout = np.asarray(dout)
    dx_hat = dout * cache["gamma"]
    dx = cache["inv_std"] * (dx_hat - dx_hat.mean(axis=0))
    return dx, (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "the variance's derivative uses m-1 (an unbiased variance): "
                               "batch norm's variance is the biased mean((x - mu)^2), "
                               "so dvar/dx = 2(x - mu)/m")
def batchnorm_backward(dout, cache):
    dout = np.asarray(dout)
    x_hat, inv_std = cache["x_hat"], cache["inv_std"]
    m = dout.shape[0]
    dx_hat = dout * cache["gamma"]
    dx = inv_std * (dx_hat - dx_hat.sum(axis=0) / m
                    - x_hat * (dx_hat * x_hat).sum(axis=0) / (m - 1))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "dx_hat = dout * gamma: the gradient through out = gamma*x_hat "
                               "+ beta must be multiplied by gamma")
def batchnorm_backward(dout, cache):
    dout = np.asarray(dout)
    x_hat, inv_std = cache["x_hat"], cache["inv_std"]
    m = dout.shape[0]
    dx = inv_std / m * (m * dout - dout.sum(axis=0) - x_hat * (dout * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("batchnorm_backward", "dgamma and dbeta are summed over the wrong axis: sum over the "
                               "samples (axis=0), giving one value per feature, shape (d,)",
         rules=("ps5.batchnorm_backward.shapes",))
def batchnorm_backward(dout, cache):
    dout = np.asarray(dout)
    x_hat = cache["x_hat"]
    dx = ref.batchnorm_backward(dout, cache)[0]
    return dx, (dout * x_hat).sum(axis=1), dout.sum(axis=1)


@mistake("batchnorm_backward", "dgamma and dbeta are averaged over the batch: they are sums "
                               "over the samples, sum_i dout^(i) x_hat^(i) and sum_i dout^(i)")
def batchnorm_backward(dout, cache):
    dout = np.asarray(dout)
    dx = ref.batchnorm_backward(dout, cache)[0]
    return dx, (dout * cache["x_hat"]).mean(axis=0), dout.mean(axis=0)


@mistake("batchnorm_backward", "dgamma and dbeta are swapped: dgamma = sum(dout * x_hat), "
                               "dbeta = sum(dout)")
def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = ref.batchnorm_backward(dout, cache)
    return dx, dbeta, dgamma


@mistake("batchnorm_backward", "dout was changed in place: work on a copy "
                               "(dx_hat = dout * gamma, not dout *= gamma)", kind="purity",
         rules=("ps5.purity",))
def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = ref.batchnorm_backward(dout, cache)
    dout *= cache["gamma"]
    return dx, dgamma, dbeta


@mistake("batchnorm_backward", "float32 input came back as float64: compute in dout's dtype",
         kind="dtype")
def batchnorm_backward(dout, cache):
    c = {k: np.asarray(v, dtype=np.float64) for k, v in cache.items()}
    return ref.batchnorm_backward(np.asarray(dout, dtype=np.float64), c)


@correct("batchnorm_backward")
def batchnorm_backward(dout, cache):
    """staged backprop through the graph (CS231n style): dvar, then dmu, then dx"""
    dout = np.asarray(dout)
    if dout.dtype.kind != "f":
        dout = dout.astype(np.float64)
    x_hat = np.asarray(cache["x_hat"], dtype=dout.dtype)
    gamma = np.asarray(cache["gamma"], dtype=dout.dtype)
    inv_std = np.asarray(cache["inv_std"], dtype=dout.dtype)
    if dout.shape != x_hat.shape:
        raise ValueError(f"dout must have the shape of x, {x_hat.shape}, got {dout.shape}")
    m = dout.shape[0]
    xmu = x_hat / inv_std
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = -np.sum(dx_hat * inv_std, axis=0) + dvar * np.mean(-2 * xmu, axis=0)
    dx = dx_hat * inv_std + dvar * 2 * xmu / m + dmu / m
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


@correct("batchnorm_backward")
def batchnorm_backward(dout, cache):
    """the mean form: dx = inv_std (dx_hat - mean(dx_hat) - x_hat mean(dx_hat x_hat))"""
    dout = np.asarray(dout)
    if dout.dtype.kind != "f":
        dout = dout.astype(np.float64)
    x_hat = np.asarray(cache["x_hat"]).astype(dout.dtype)
    if dout.shape != x_hat.shape:
        raise ValueError(f"dout must have shape {x_hat.shape} like x, got {dout.shape}")
    dx_hat = dout * np.asarray(cache["gamma"]).astype(dout.dtype)
    dx = np.asarray(cache["inv_std"]).astype(dout.dtype) * (
        dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0))
    return dx, np.einsum("ij,ij->j", dout, x_hat), dout.sum(axis=0)


# ---------------------------------------------------------------- rules of ps5 broken alone

@mistake("standardize_fit", "a constant column was found by sigma == 0, but rounding can leave its "
                            "computed std a tiny non-zero number (1e-16): detect it exactly, by "
                            "max == min (np.ptp(X, axis=0) == 0), and give it sigma = 1",
         rules=("ps5.standardize_fit.exact-constant",))
def standardize_fit(X):
    mu, _ = ref.standardize_fit(X)  # the reference's checks, and its dtype
    sigma = np.asarray(X, dtype=mu.dtype).std(axis=0)
    return mu, np.where(sigma == 0, 1, sigma).astype(mu.dtype)


@mistake("standardize_fit", "X must be 2-D with at least one row: a 1-d X must raise ValueError, "
                            "not be taken as one feature",
         rules=("ps5.standardize_fit.bad-input", "ps5.bad-input"))
def standardize_fit(X):
    X = np.asarray(X)
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    sigma = np.where(np.ptp(X, axis=0) == 0, 1, X.std(axis=0))
    return X.mean(axis=0), sigma.astype(X.dtype)


@mistake("standardize_apply", "float64 mu and sigma turned float32 X into float64: cast the "
                              "statistics to X's dtype first", kind="dtype",
         rules=("ps5.standardize_apply.float64-stats",))
def standardize_apply(X, mu, sigma):
    dtype = ref.standardize_apply(X, mu, sigma).dtype  # the reference's checks, and its dtype
    return (np.asarray(X, dtype=dtype) - np.asarray(mu)) / np.asarray(sigma)


@mistake("standardize_apply", "a sigma of 0 must raise ValueError (standardize_fit gives a "
                              "constant column sigma = 1), not divide by zero",
         rules=("ps5.standardize_apply.bad-input", "ps5.bad-input"))
def standardize_apply(X, mu, sigma):
    ones = np.ones(np.shape(sigma))
    dtype = ref.standardize_apply(X, mu, ones).dtype  # the reference's other checks
    X, mu, sigma = (np.asarray(a, dtype=dtype) for a in (X, mu, sigma))
    with np.errstate(all="ignore"):
        return (X - mu) / sigma


@mistake("batchnorm_forward", "in test mode the running statistics must come back unchanged: "
                              "only a training step updates them",
         rules=("ps5.batchnorm.test-unchanged",))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    out, cache, state_new = ref.batchnorm_forward(x, gamma, beta, state, train, momentum, eps)
    if not train:
        state_new = ref.batchnorm_forward(x, gamma, beta, state, True, momentum, eps)[2]
    return out, cache, state_new


@mistake("batchnorm_forward", "float64 gamma and beta turned float32 x into float64: cast gamma, "
                              "beta and the running statistics to x's dtype", kind="dtype",
         rules=("ps5.batchnorm.float64-params",))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    out, cache, state_new = ref.batchnorm_forward(x, gamma, beta, state, train, momentum, eps)
    if train:
        out = np.asarray(gamma) * cache["x_hat"] + np.asarray(beta)
    return out, cache, state_new


@mistake("batchnorm_forward", "momentum outside [0, 1] or eps <= 0 must raise ValueError: "
                              "momentum weighs the old running value, eps keeps the square "
                              "root positive",
         rules=("ps5.batchnorm.bad-input", "ps5.bad-input"))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    out = ref.batchnorm_forward(x, gamma, beta, state, train)[0]  # other checks, dtype
    x = np.asarray(x, dtype=out.dtype)
    r_mu, r_var = (np.asarray(state.get(k, np.zeros(x.shape[1])), dtype=out.dtype)
                   for k in ("running_mean", "running_var"))
    if train:
        mu, var = x.mean(axis=0), x.var(axis=0)
        r_mu, r_var = momentum * r_mu + (1 - momentum) * mu, momentum * r_var + (1 - momentum) * var
    else:
        mu, var = r_mu, r_var
    with np.errstate(all="ignore"):
        inv_std = 1 / np.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
    gamma = np.asarray(gamma, dtype=out.dtype)
    cache = {"x_hat": x_hat, "gamma": gamma, "inv_std": inv_std} if train else None
    state_new = {"running_mean": r_mu.astype(out.dtype), "running_var": r_var.astype(out.dtype)}
    return (gamma * x_hat + np.asarray(beta, dtype=out.dtype)).astype(out.dtype), cache, state_new


@mistake("batchnorm_forward", "a state must be {} or hold both running_mean and running_var: "
                              "a state with one of them must raise ValueError, not have the "
                              "other filled with zeros",
         rules=("ps5.batchnorm.state-keys", "ps5.bad-input"))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    if isinstance(state, dict) and len(state) == 1:
        d = np.shape(gamma)[0]
        state = {"running_mean": state.get("running_mean", np.zeros(d)),
                 "running_var": state.get("running_var", np.zeros(d))}
    return ref.batchnorm_forward(x, gamma, beta, state, train, momentum, eps)


@mistake("batchnorm_backward", "dout of another shape than the cached batch must raise "
                               "ValueError, not be broadcast",
         rules=("ps5.batchnorm_backward.bad-input", "ps5.bad-input"))
def batchnorm_backward(dout, cache):
    if isinstance(cache, dict) and np.ndim(dout) == 2:
        dout = np.broadcast_to(dout, np.shape(cache["x_hat"])).copy()
    return ref.batchnorm_backward(dout, cache)


@mistake("batchnorm_forward", "in test mode the state dict you were given comes back as "
                              "state_new: return copies of the running statistics",
         kind="aliasing", rules=("ps5.batchnorm.test-copies", "ps5.new-arrays"))
def batchnorm_forward(x, gamma, beta, state, train=True, momentum=0.9, eps=1e-5):
    out, cache, new = ref.batchnorm_forward(x, gamma, beta, state, train, momentum, eps)
    return out, cache, (new if train else state)
