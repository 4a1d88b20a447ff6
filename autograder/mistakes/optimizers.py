"""Typical wrong (and correct, differently written) variants for the optimizers topic.

The "float64 out for float32 in" variants are of kind ``dtype``: their values are
right, so only they may explain a failure whose values are right but whose dtype
is not.  The in-place variants (``MUTATES``) are of kind ``purity``: they return
the right values, and only the purity check catches them.  Which one names a
failure is decided by distance (:mod:`autograder.diagnosis`), not by list order.

Every variant is named exactly as the function and uses only ``np`` and builtins,
so the audit can splice it into a submission.  The correct ones validate their
input as the contract asks (``lr <= 0``, ``w``/``dw`` shapes) and keep the dtype.
"""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake

#: the diagnosis of a step counter that is not an int (the battery names it too)
T_NOT_INT = "state['t'] must be an int step counter (t = t + 1), not a float or an array"
MUTATES = ("functional update: your step writes into the {what} it was given ({how}); "
           "return new arrays and a new state dict instead, so the caller's values survive")


# ================================================================ sgd

@mistake("sgd", "float32 input came back as float64: compute in w's dtype "
                "(do not convert with np.array(w, dtype=float))", kind="dtype",
         rules=("ps3.dtype",))
def sgd(w, dw, state, lr):
    return np.array(w, dtype=np.float64) - lr * np.array(dw, dtype=np.float64), {}


@mistake("sgd", "the update goes uphill: gradient descent subtracts, w - lr*dw, not w + lr*dw")
def sgd(w, dw, state, lr):
    return w + lr * dw, {}


@mistake("sgd", "the learning rate is missing: the step is w - lr*dw, not w - dw")
def sgd(w, dw, state, lr):
    return w - dw, {}


@mistake("sgd", "sgd must return a pair (w_new, state_new), e.g. (w - lr*dw, {}), "
                "not only w_new")
def sgd(w, dw, state, lr):
    return w - lr * dw


@mistake("sgd", MUTATES.format(what="array w", how="w -= lr*dw changes the caller's w"),
         kind="purity",
         rules=("ps3.purity",))
def sgd(w, dw, state, lr):
    w -= lr * dw
    return w, state


@correct("sgd")
def sgd(w, dw, state, lr):
    """np.multiply / np.subtract with out= into fresh arrays"""
    ref.sgd(w, dw, state, lr)  # the contract's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got lr={lr}")
    if dw.shape != w.shape:
        raise ValueError(f"dw must have the shape of w {w.shape}, got {dw.shape}")
    step = np.multiply(lr, dw, out=np.empty_like(w), casting="unsafe")
    return np.subtract(w, step, out=np.empty_like(w)), {}


@correct("sgd")
def sgd(w, dw, state, lr):
    """in-place subtraction on a copy of w"""
    ref.sgd(w, dw, state, lr)  # the contract's checks
    if lr <= 0:
        raise ValueError("lr must be positive")
    if np.shape(w) != np.shape(dw):
        raise ValueError("w and dw must have the same shape")
    w_new = np.array(w, dtype=float) if np.asarray(w).dtype.kind != "f" else np.array(w)
    w_new -= (lr * np.asarray(dw)).astype(w_new.dtype)
    return w_new, dict()


# ================================================================ momentum

@mistake("momentum", "float32 input came back as float64: a fresh v made with "
                     "np.zeros(w.shape) is float64; use np.zeros_like(w)", kind="dtype",
         rules=("ps3.dtype",))
def momentum(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros(np.shape(w))) + (1 - beta) * dw
    return w - lr * v, {"v": v}


@mistake("momentum", "this is PyTorch's form v = beta*v + dw; the lecture's momentum is the "
                     "moving average v = beta*v + (1-beta)*dw",
         rules=("ps3.momentum.lecture-form",))
def momentum(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(w)) + dw
    return w - lr * v, {"v": v}


@mistake("momentum", "(1-beta) sits on the wrong term: v = beta*v + (1-beta)*dw, "
                     "not (1-beta)*v + beta*dw")
def momentum(w, dw, state, lr, beta=0.9):
    v = (1 - beta) * state.get("v", np.zeros_like(w)) + beta * dw
    return w - lr * v, {"v": v}


@mistake("momentum", "the update goes uphill: w - lr*v, not w + lr*v")
def momentum(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(w)) + (1 - beta) * dw
    return w + lr * v, {"v": v}


@mistake("momentum", "the incoming state is ignored: v must continue from state['v'] "
                     "(zeros only when state is {}), otherwise there is no momentum")
def momentum(w, dw, state, lr, beta=0.9):
    v = (1 - beta) * dw
    return w - lr * v, {"v": v}


@mistake("momentum", "the step uses the old v: update v = beta*v + (1-beta)*dw first, "
                     "then step with the new v")
def momentum(w, dw, state, lr, beta=0.9):
    v_old = state.get("v", np.zeros_like(w))
    return w - lr * v_old, {"v": beta * v_old + (1 - beta) * dw}


@mistake("momentum", "beta is hard-coded to 0.9: use the beta argument")
def momentum(w, dw, state, lr, beta=0.9):
    v = 0.9 * state.get("v", np.zeros_like(w)) + 0.1 * dw
    return w - lr * v, {"v": v}


@mistake("momentum", MUTATES.format(what="state dict",
                                    how="state['v'] = ... changes the caller's state"),
         kind="purity",
         rules=("ps3.purity",))
def momentum(w, dw, state, lr, beta=0.9):
    state["v"] = beta * state.get("v", np.zeros_like(w)) + (1 - beta) * dw
    return w - lr * state["v"], state


@correct("momentum")
def momentum(w, dw, state, lr, beta=0.9):
    """v = dw + beta*(v - dw), the same moving average rearranged"""
    ref.momentum(w, dw, state, lr, beta)  # the contract's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw).astype(w.dtype)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if dw.shape != w.shape:
        raise ValueError(f"w and dw shapes differ: {w.shape} vs {dw.shape}")
    v = np.asarray(state["v"], dtype=w.dtype) if "v" in state else np.zeros_like(w)
    v = dw + beta * (v - dw)
    return w - lr * v, {"v": v}


@correct("momentum")
def momentum(w, dw, state, lr, beta=0.9):
    """a copied state dict, updated in place (only the copies)"""
    ref.momentum(w, dw, state, lr, beta)  # the contract's checks
    if lr <= 0:
        raise ValueError("lr must be positive")
    if np.shape(w) != np.shape(dw):
        raise ValueError("w and dw must have the same shape")
    w_new = np.array(w, dtype=float) if np.asarray(w).dtype.kind != "f" else np.array(w)
    new = {k: np.array(val, dtype=w_new.dtype) for k, val in state.items()}
    v = new.setdefault("v", np.zeros_like(w_new))
    v *= beta
    v += (1 - beta) * np.asarray(dw, dtype=w_new.dtype)
    w_new -= lr * v
    return w_new, new


# ================================================================ nesterov

@mistake("nesterov", "float32 input came back as float64: a fresh v made with "
                     "np.zeros(w.shape) is float64; use np.zeros_like(w)", kind="dtype")
def nesterov(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros(np.shape(w))) + dw
    return w - lr * (dw + beta * v), {"v": v}


@mistake("nesterov", "this is the plain momentum step w - lr*v; Nesterov looks ahead: "
                     "w - lr*(dw + beta*v)")
def nesterov(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(w)) + dw
    return w - lr * v, {"v": v}


@mistake("nesterov", "wrong look-ahead: the step is dw + beta*v (beta times the new v), "
                     "not dw + v")
def nesterov(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(w)) + dw
    return w - lr * (dw + v), {"v": v}


@mistake("nesterov", "this is CS231n's form (v = beta*v - lr*dw, w += -beta*v_prev + "
                     "(1+beta)*v), where v holds -lr times the velocity; the contract is "
                     "PyTorch's: v = beta*v + dw, w - lr*(dw + beta*v)")
def nesterov(w, dw, state, lr, beta=0.9):
    v_prev = state.get("v", np.zeros_like(w))
    v = beta * v_prev - lr * dw
    return w - beta * v_prev + (1 + beta) * v, {"v": v}


@mistake("nesterov", "Nesterov here is PyTorch's form v = beta*v + dw, without the (1-beta) "
                     "factor of the lecture's momentum",
         rules=("ps3.nesterov.no-damping",))
def nesterov(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(w)) + (1 - beta) * dw
    return w - lr * (dw + beta * v), {"v": v}


@mistake("nesterov", "the update goes uphill: w - lr*(dw + beta*v), not w + lr*(...)")
def nesterov(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(w)) + dw
    return w + lr * (dw + beta * v), {"v": v}


@mistake("nesterov", "the incoming state is ignored: v must continue from state['v'] "
                     "(zeros only when state is {})")
def nesterov(w, dw, state, lr, beta=0.9):
    v = dw
    return w - lr * (dw + beta * v), {"v": v}


@mistake("nesterov", MUTATES.format(what="array w", how="w -= ... changes the caller's w"),
         kind="purity",
         rules=("ps3.purity",))
def nesterov(w, dw, state, lr, beta=0.9):
    v = beta * state.get("v", np.zeros_like(w)) + dw
    w -= lr * (dw + beta * v)
    return w, {"v": v}


@correct("nesterov")
def nesterov(w, dw, state, lr, beta=0.9):
    """the step expanded in the old v: w - lr*((1+beta)*dw + beta^2*v_old)"""
    ref.nesterov(w, dw, state, lr, beta)  # the contract's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw).astype(w.dtype)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if dw.shape != w.shape:
        raise ValueError(f"w and dw shapes differ: {w.shape} vs {dw.shape}")
    v_old = np.asarray(state["v"], dtype=w.dtype) if "v" in state else np.zeros_like(w)
    w_new = w - lr * ((1 + beta) * dw + beta * beta * v_old)
    return w_new, {"v": beta * v_old + dw}


@correct("nesterov")
def nesterov(w, dw, state, lr, beta=0.9):
    """np.multiply / np.add with out= into fresh arrays"""
    ref.nesterov(w, dw, state, lr, beta)  # the contract's checks
    if lr <= 0:
        raise ValueError("lr must be positive")
    if np.shape(w) != np.shape(dw):
        raise ValueError("w and dw must have the same shape")
    w = np.asarray(w)
    dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    dw = np.asarray(dw, dtype=dt)
    v = np.multiply(beta, np.asarray(state.get("v", np.zeros(w.shape)), dtype=dt),
                    out=np.empty(w.shape, dt))
    np.add(v, dw, out=v)
    look = np.add(dw, np.multiply(beta, v, out=np.empty(w.shape, dt)), out=np.empty(w.shape, dt))
    return np.subtract(w, np.multiply(lr, look, out=look), out=np.empty(w.shape, dt)), {"v": v}


# ================================================================ adagrad

@mistake("adagrad", "float32 input came back as float64: a fresh G made with "
                    "np.zeros(w.shape) is float64; use np.zeros_like(w)", kind="dtype")
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    G = state.get("G", np.zeros(np.shape(w))) + dw ** 2
    return w - lr * dw / (np.sqrt(G) + eps), {"G": G}


@mistake("adagrad", "G is not accumulated: AdaGrad sums the squares over all steps, "
                    "G = G + dw^2, not G = dw^2")
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    G = dw ** 2
    return w - lr * dw / (np.sqrt(G) + eps), {"G": G}


@mistake("adagrad", "the square root is missing: divide by sqrt(G) + eps, not G + eps")
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    G = state.get("G", np.zeros_like(w)) + dw ** 2
    return w - lr * dw / (G + eps), {"G": G}


@mistake("adagrad", "the squares are summed over all elements: G is per coordinate, "
                    "G = G + dw**2 elementwise, not G + sum(dw**2)")
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    G = state.get("G", np.zeros_like(w)) + np.sum(dw ** 2)
    return w - lr * dw / (np.sqrt(G) + eps), {"G": G}


@mistake("adagrad", "eps is inside the square root: the denominator is sqrt(G) + eps, "
                    "not sqrt(G + eps)",
         rules=("ps3.adagrad.eps-outside",))
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    G = state.get("G", np.zeros_like(w)) + dw ** 2
    return w - lr * dw / np.sqrt(G + eps), {"G": G}


@mistake("adagrad", "eps is missing: a zero gradient from a fresh state gives 0/0 = nan; "
                    "divide by sqrt(G) + eps",
         rules=("ps3.zero-gradient",))
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    G = state.get("G", np.zeros_like(w)) + dw ** 2
    return w - lr * dw / np.sqrt(G), {"G": G}


@mistake("adagrad", MUTATES.format(what="state's array G",
                                   how="G += dw**2 adds into the caller's state['G']"),
         kind="purity",
         rules=("ps3.purity",))
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    G = state["G"] if "G" in state else np.zeros_like(w)
    G += dw ** 2
    return w - lr * dw / (np.sqrt(G) + eps), {"G": G}


@correct("adagrad")
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    """np.square / np.add with out=, and the rate lr/(sqrt(G)+eps) computed first"""
    ref.adagrad(w, dw, state, lr, eps)  # the contract's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw).astype(w.dtype)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if dw.shape != w.shape:
        raise ValueError(f"w and dw shapes differ: {w.shape} vs {dw.shape}")
    G = np.array(state["G"], dtype=w.dtype) if "G" in state else np.zeros_like(w)
    np.add(G, np.square(dw), out=G)
    rate = lr / (np.sqrt(G) + eps)
    return w - rate * dw, {"G": G}


@correct("adagrad")
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    """in-place updates on copies of w and G"""
    ref.adagrad(w, dw, state, lr, eps)  # the contract's checks
    if lr <= 0:
        raise ValueError("lr must be positive")
    if np.shape(w) != np.shape(dw):
        raise ValueError("w and dw must have the same shape")
    w_new = np.array(w, dtype=float) if np.asarray(w).dtype.kind != "f" else np.array(w)
    g = np.asarray(dw, dtype=w_new.dtype)
    G = np.array(state.get("G", np.zeros_like(w_new)), dtype=w_new.dtype)
    G += g * g
    w_new -= lr * g / (G ** 0.5 + eps)
    return w_new, {"G": G}


# ================================================================ rmsprop

@mistake("rmsprop", "float32 input came back as float64: a fresh s made with "
                    "np.zeros(w.shape) is float64; use np.zeros_like(w)", kind="dtype")
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    s = beta * state.get("s", np.zeros(np.shape(w))) + (1 - beta) * dw ** 2
    return w - lr * dw / (np.sqrt(s) + eps), {"s": s}


@mistake("rmsprop", "beta and 1-beta are swapped: s = beta*s + (1-beta)*dw^2 keeps most of "
                    "the old average")
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    s = (1 - beta) * state.get("s", np.zeros_like(w)) + beta * dw ** 2
    return w - lr * dw / (np.sqrt(s) + eps), {"s": s}


@mistake("rmsprop", "the square root is missing: divide by sqrt(s) + eps, not s + eps")
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    s = beta * state.get("s", np.zeros_like(w)) + (1 - beta) * dw ** 2
    return w - lr * dw / (s + eps), {"s": s}


@mistake("rmsprop", "eps is inside the square root: the denominator is sqrt(s) + eps, "
                    "not sqrt(s + eps)",
         rules=("ps3.rmsprop.eps-outside",))
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    s = beta * state.get("s", np.zeros_like(w)) + (1 - beta) * dw ** 2
    return w - lr * dw / np.sqrt(s + eps), {"s": s}


@mistake("rmsprop", "the (1-beta) factor on dw^2 is missing: s = beta*s + (1-beta)*dw^2 "
                    "is a moving average, not a decayed sum")
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    s = beta * state.get("s", np.zeros_like(w)) + dw ** 2
    return w - lr * dw / (np.sqrt(s) + eps), {"s": s}


@mistake("rmsprop", "the incoming state is ignored: s must continue from state['s'] "
                    "(zeros only when state is {})")
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    s = (1 - beta) * dw ** 2
    return w - lr * dw / (np.sqrt(s) + eps), {"s": s}


@mistake("rmsprop", MUTATES.format(what="state dict",
                                   how="state['s'] = ... changes the caller's state"),
         kind="purity",
         rules=("ps3.purity",))
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    state["s"] = beta * state.get("s", np.zeros_like(w)) + (1 - beta) * dw ** 2
    return w - lr * dw / (np.sqrt(state["s"]) + eps), state


@correct("rmsprop")
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    """s = s + (1-beta)*(dw^2 - s), the moving average rearranged"""
    ref.rmsprop(w, dw, state, lr, beta, eps)  # the contract's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw).astype(w.dtype)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if dw.shape != w.shape:
        raise ValueError(f"w and dw shapes differ: {w.shape} vs {dw.shape}")
    s = np.asarray(state["s"], dtype=w.dtype) if "s" in state else np.zeros_like(w)
    s = s + (1 - beta) * (dw * dw - s)
    return w - lr * dw / (np.power(s, 0.5) + eps), {"s": s}


@correct("rmsprop")
def rmsprop(w, dw, state, lr=0.01, beta=0.99, eps=1e-8):
    """a copied state dict updated in place, np.multiply / np.add with out="""
    ref.rmsprop(w, dw, state, lr, beta, eps)  # the contract's checks
    if lr <= 0:
        raise ValueError("lr must be positive")
    if np.shape(w) != np.shape(dw):
        raise ValueError("w and dw must have the same shape")
    w_new = np.array(w, dtype=float) if np.asarray(w).dtype.kind != "f" else np.array(w)
    g = np.asarray(dw, dtype=w_new.dtype)
    new = {k: np.array(val, dtype=w_new.dtype) for k, val in state.items()}
    s = new.setdefault("s", np.zeros_like(w_new))
    np.multiply(s, beta, out=s)
    np.add(s, (1 - beta) * np.square(g), out=s)
    w_new -= lr * g / (np.sqrt(s) + eps)
    return w_new, new


# ================================================================ adadelta

@mistake("adadelta", "float32 input came back as float64: the fresh E[g^2], E[dx^2] = "
                     "np.zeros(w.shape) are float64; use np.zeros_like(w)", kind="dtype")
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    Eg2 = rho * state.get("Eg2", np.zeros(np.shape(w))) + (1 - rho) * dw ** 2
    Edx2 = state.get("Edx2", np.zeros(np.shape(w)))
    dx = np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * dw
    return w - lr * dx, {"Eg2": Eg2, "Edx2": rho * Edx2 + (1 - rho) * dx ** 2}


@mistake("adadelta", "lr is ignored: PyTorch's AdaDelta scales the step, w - lr*dx",
         rules=("ps3.adadelta.lr",))
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    Eg2 = rho * state.get("Eg2", np.zeros_like(w)) + (1 - rho) * dw ** 2
    Edx2 = state.get("Edx2", np.zeros_like(w))
    dx = np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * dw
    return w - dx, {"Eg2": Eg2, "Edx2": rho * Edx2 + (1 - rho) * dx ** 2}


@mistake("adadelta", "E[dx^2] is updated (decayed by rho) before the step is computed: dx "
                     "must use the old E[dx^2], and only then E[dx^2] = rho*E[dx^2] + "
                     "(1-rho)*dx^2",
         rules=("ps3.adadelta.dx2-after",))
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    Eg2 = rho * state.get("Eg2", np.zeros_like(w)) + (1 - rho) * dw ** 2
    Edx2 = rho * state.get("Edx2", np.zeros_like(w))
    dx = np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * dw
    return w - lr * dx, {"Eg2": Eg2, "Edx2": Edx2 + (1 - rho) * dx ** 2}


@mistake("adadelta", "rho and 1-rho are swapped: E = rho*E + (1-rho)*new keeps most of "
                     "the old average")
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    Eg2 = (1 - rho) * state.get("Eg2", np.zeros_like(w)) + rho * dw ** 2
    Edx2 = state.get("Edx2", np.zeros_like(w))
    dx = np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * dw
    return w - lr * dx, {"Eg2": Eg2, "Edx2": (1 - rho) * Edx2 + rho * dx ** 2}


@mistake("adadelta", "eps is missing from the numerator: with E[dx^2] = 0 at the start, "
                     "sqrt(E[dx^2]) = 0 and AdaDelta never moves; use sqrt(E[dx^2] + eps)")
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    Eg2 = rho * state.get("Eg2", np.zeros_like(w)) + (1 - rho) * dw ** 2
    Edx2 = state.get("Edx2", np.zeros_like(w))
    dx = np.sqrt(Edx2) / np.sqrt(Eg2 + eps) * dw
    return w - lr * dx, {"Eg2": Eg2, "Edx2": rho * Edx2 + (1 - rho) * dx ** 2}


@mistake("adadelta", "the ratio is upside down: dx = sqrt(E[dx^2]+eps) / sqrt(E[g^2]+eps) * dw")
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    Eg2 = rho * state.get("Eg2", np.zeros_like(w)) + (1 - rho) * dw ** 2
    Edx2 = state.get("Edx2", np.zeros_like(w))
    dx = np.sqrt(Eg2 + eps) / np.sqrt(Edx2 + eps) * dw
    return w - lr * dx, {"Eg2": Eg2, "Edx2": rho * Edx2 + (1 - rho) * dx ** 2}


@mistake("adadelta", "E[g^2] must be updated with this step's dw^2 before dx is computed; "
                     "your dx uses the old E[g^2]",
         rules=("ps3.adadelta.g2-first",))
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    Eg2_old = state.get("Eg2", np.zeros_like(w))
    Edx2 = state.get("Edx2", np.zeros_like(w))
    dx = np.sqrt(Edx2 + eps) / np.sqrt(Eg2_old + eps) * dw
    return w - lr * dx, {"Eg2": rho * Eg2_old + (1 - rho) * dw ** 2,
                         "Edx2": rho * Edx2 + (1 - rho) * dx ** 2}


@mistake("adadelta", MUTATES.format(what="state dict",
                                    how="state['Eg2'] = ... / state['Edx2'] = ... change "
                                        "the caller's state"), kind="purity",
         rules=("ps3.purity",))
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    state["Eg2"] = rho * state.get("Eg2", np.zeros_like(w)) + (1 - rho) * dw ** 2
    Edx2 = state.get("Edx2", np.zeros_like(w))
    dx = np.sqrt(Edx2 + eps) / np.sqrt(state["Eg2"] + eps) * dw
    state["Edx2"] = rho * Edx2 + (1 - rho) * dx ** 2
    return w - lr * dx, state


@correct("adadelta")
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    """one square root of the ratio, sqrt((E[dx^2]+eps)/(E[g^2]+eps))"""
    ref.adadelta(w, dw, state, lr, rho, eps)  # the contract's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw).astype(w.dtype)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if dw.shape != w.shape:
        raise ValueError(f"w and dw shapes differ: {w.shape} vs {dw.shape}")
    Eg2 = np.asarray(state.get("Eg2", np.zeros_like(w)), dtype=w.dtype)
    Edx2 = np.asarray(state.get("Edx2", np.zeros_like(w)), dtype=w.dtype)
    Eg2 = Eg2 + (1 - rho) * (dw * dw - Eg2)
    dx = np.sqrt((Edx2 + eps) / (Eg2 + eps)) * dw
    Edx2 = Edx2 + (1 - rho) * (dx * dx - Edx2)
    return w - lr * dx, {"Edx2": Edx2, "Eg2": Eg2}


@correct("adadelta")
def adadelta(w, dw, state, lr=1.0, rho=0.9, eps=1e-6):
    """a copied state dict, updated in place with out= (only the copies)"""
    ref.adadelta(w, dw, state, lr, rho, eps)  # the contract's checks
    if lr <= 0:
        raise ValueError("lr must be positive")
    if np.shape(w) != np.shape(dw):
        raise ValueError("w and dw must have the same shape")
    w_new = np.array(w, dtype=float) if np.asarray(w).dtype.kind != "f" else np.array(w)
    g = np.asarray(dw, dtype=w_new.dtype)
    new = {k: np.array(val, dtype=w_new.dtype) for k, val in state.items()}
    Eg2 = new.setdefault("Eg2", np.zeros_like(w_new))
    Edx2 = new.setdefault("Edx2", np.zeros_like(w_new))
    np.multiply(Eg2, rho, out=Eg2)
    np.add(Eg2, (1 - rho) * g ** 2, out=Eg2)
    rms_dx = np.sqrt(Edx2 + eps)
    rms_g = np.sqrt(Eg2 + eps)
    dx = rms_dx / rms_g * g
    Edx2 *= rho
    Edx2 += (1 - rho) * dx ** 2
    w_new -= lr * dx
    return w_new, new


# ================================================================ adam

@mistake("adam", "float32 input came back as float64: the fresh m, v = np.zeros(w.shape) "
                 "are float64; use np.zeros_like(w)", kind="dtype",
         rules=("ps3.dtype",))
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros(np.shape(w))) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros(np.shape(w))) + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


@mistake("adam", "float32 input came back as float64: np.sqrt(1 - beta2**t) is a numpy "
                 "float64 scalar, and (in NumPy 2) it turns float32 arrays into float64; use "
                 "math.sqrt(1 - beta2**t) or (1 - beta2**t) ** 0.5, or v_hat = v/(1-beta2**t)",
         kind="dtype")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    denom = np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps
    return w - lr * m / (1 - beta1 ** t) / denom, {"m": m, "v": v, "t": t}


@mistake("adam", "the bias correction is missing: use m_hat = m/(1-beta1^t) and "
                 "v_hat = v/(1-beta2^t) in the step")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    return w - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": t}


@mistake("adam", "t is incremented after the update: do t = t + 1 first and use that t in "
                 "the bias correction (with t = 0, 1 - beta^0 = 0 divides by zero)",
         rules=("ps3.adam.t-first",))
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0)
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t + 1}


@mistake("adam", "t is never incremented: each step must return t + 1 in the state, "
                 "otherwise the bias correction stays that of the first step")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 1)
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


@mistake("adam", "eps is inside the square root: the denominator is sqrt(v_hat) + eps, "
                 "not sqrt(v_hat + eps)",
         rules=("ps3.adam.eps-outside",))
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat + eps), {"m": m, "v": v, "t": t}


@mistake("adam", "beta1 and beta2 are swapped: beta1 belongs to m (the gradient average), "
                 "beta2 to v (the squared-gradient average)")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta2 * state.get("m", np.zeros_like(w)) + (1 - beta2) * dw
    v = beta1 * state.get("v", np.zeros_like(w)) + (1 - beta1) * dw ** 2
    m_hat = m / (1 - beta2 ** t)
    v_hat = v / (1 - beta1 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


@mistake("adam", "m_hat is corrected with beta2: m_hat = m/(1-beta1^t), "
                 "v_hat = v/(1-beta2^t)")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta2 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "t": t}


@mistake("adam", "this is the paper's 'efficient' form lr*sqrt(1-beta2^t)/(1-beta1^t) * "
                 "m/(sqrt(v)+eps), where eps is not added to sqrt(v_hat): the contract asks "
                 "for lr*m_hat/(sqrt(v_hat)+eps), and the two differ when gradients are small")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    alpha_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return w - alpha_t * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": t}


@mistake("adam", MUTATES.format(what="state dict",
                                how="state['t'] += 1, state['m'] = ... change the "
                                    "caller's state"), kind="purity",
         rules=("ps3.purity",))
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    state["v"] = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw ** 2
    m_hat = state["m"] / (1 - beta1 ** state["t"])
    v_hat = state["v"] / (1 - beta2 ** state["t"])
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), state


@correct("adam")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """alpha_t = lr*sqrt(1-beta2^t)/(1-beta1^t) with eps scaled to eps*sqrt(1-beta2^t)"""
    ref.adam(w, dw, state, lr, beta1, beta2, eps)  # the contract's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw).astype(w.dtype)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if dw.shape != w.shape:
        raise ValueError(f"w and dw shapes differ: {w.shape} vs {dw.shape}")
    t = int(state.get("t", 0)) + 1
    m = np.asarray(state.get("m", np.zeros_like(w)), dtype=w.dtype)
    v = np.asarray(state.get("v", np.zeros_like(w)), dtype=w.dtype)
    m = m + (1 - beta1) * (dw - m)
    v = v + (1 - beta2) * (dw * dw - v)
    import math
    c2 = math.sqrt(1 - beta2 ** t)
    alpha_t = lr * c2 / (1 - beta1 ** t)
    return w - alpha_t * m / (np.sqrt(v) + eps * c2), {"m": m, "v": v, "t": t}


@correct("adam")
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """intermediate copies updated in place, out= into fresh arrays"""
    ref.adam(w, dw, state, lr, beta1, beta2, eps)  # the contract's checks
    if lr <= 0:
        raise ValueError("lr must be positive")
    if np.shape(w) != np.shape(dw):
        raise ValueError("w and dw must have the same shape")
    w_new = np.array(w, dtype=float) if np.asarray(w).dtype.kind != "f" else np.array(w)
    g = np.asarray(dw, dtype=w_new.dtype)
    new = {k: (np.array(val, dtype=w_new.dtype) if k in ("m", "v") else val)
           for k, val in state.items()}
    new["t"] = new.get("t", 0) + 1
    m = new.setdefault("m", np.zeros_like(w_new))
    v = new.setdefault("v", np.zeros_like(w_new))
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * np.square(g)
    m_hat = np.divide(m, 1 - beta1 ** new["t"], out=np.empty_like(m))
    v_hat = np.divide(v, 1 - beta2 ** new["t"], out=np.empty_like(v))
    np.sqrt(v_hat, out=v_hat)
    v_hat += eps
    w_new -= lr * m_hat / v_hat
    return w_new, new


# ================================================================ rules of ps3 broken alone

@mistake("sgd", "dw of a different shape must raise ValueError (check_same_shape): a dw of shape "
                "(3,) for a w of shape (2, 3) silently broadcasts", rules=("ps3.same-shape",))
def sgd(w, dw, state, lr):
    w_new, _ = ref.sgd(w, np.zeros_like(w), state, lr)  # the other checks; w as floats
    return w_new - lr * np.asarray(dw, dtype=w_new.dtype), {}


@mistake("sgd", "lr <= 0 must raise ValueError (check_positive): a zero or negative rate "
                "is a bug upstream", rules=("ps3.bad-input.lr",))
def sgd(w, dw, state, lr):
    ref.sgd(w, dw, state, 1.0)  # the other checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    return w - lr * np.asarray(dw).astype(w.dtype), {}


@mistake("sgd", "a state that is not a dict must raise ValueError, even in SGD, which keeps no "
                "state", rules=("ps3.bad-input.state-dict",))
def sgd(w, dw, state, lr):
    return ref.sgd(w, dw, {}, lr)


@mistake("momentum", "w may have any shape: a fresh v is np.zeros_like(w), not np.zeros(len(w))",
         rules=("ps3.any-shape",))
def momentum(w, dw, state, lr, beta=0.9):
    ref.momentum(w, dw, state, lr, beta)  # the reference's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    v = (np.asarray(state["v"], dtype=w.dtype) if "v" in state
         else np.zeros(len(w), dtype=w.dtype))
    v = beta * v + (1 - beta) * np.asarray(dw).astype(w.dtype)
    return w - lr * v, {"v": v}


@mistake("momentum", "beta outside [0, 1) must raise ValueError "
                     "(check_real_in(beta, 'beta', 0, 1, high_open=True))",
         rules=("ps3.bad-input.decay",))
def momentum(w, dw, state, lr, beta=0.9):
    ref.momentum(w, dw, state, lr)  # the other checks, with the default beta
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    v = np.asarray(state.get("v", np.zeros_like(w)), dtype=w.dtype)
    v = beta * v + (1 - beta) * np.asarray(dw).astype(w.dtype)
    return w - lr * v, {"v": v}


@mistake("momentum", "a state array whose shape differs from w's must raise ValueError: the "
                     "parameters changed, so the caller must pass a fresh {}",
         rules=("ps3.bad-input.state-shape",))
def momentum(w, dw, state, lr, beta=0.9):
    ref.momentum(w, dw, {}, lr, beta)  # the other checks, on a fresh state
    if not isinstance(state, dict):
        raise ValueError(f"state must be a dict, got {type(state).__name__}")
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    v = np.asarray(state.get("v", 0.0), dtype=w.dtype)
    v = beta * v + (1 - beta) * np.asarray(dw).astype(w.dtype)
    return w - lr * v, {"v": v}


@mistake("momentum", "float32 w with a float64 state came back as float64: cast the state "
                     "arrays (and dw) to w's dtype", kind="dtype", rules=("ps3.dtype.cast",))
def momentum(w, dw, state, lr, beta=0.9):
    ref.momentum(w, dw, state, lr, beta)  # the reference's checks
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    v = state["v"] if "v" in state else np.zeros_like(w)
    v = beta * v + (1 - beta) * np.asarray(dw).astype(w.dtype)
    return w - lr * v, {"v": v}


@mistake("adagrad", "eps < 0 must raise ValueError: eps >= 0 (0 is allowed, as in torch.optim)",
         rules=("ps3.bad-input.eps",))
def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    ref.adagrad(w, dw, state, lr)  # the other checks, with the default eps
    w = np.asarray(w)
    w = w if w.dtype.kind == "f" else w.astype(np.float64)
    dw = np.asarray(dw).astype(w.dtype)
    G = np.asarray(state.get("G", np.zeros_like(w)), dtype=w.dtype) + dw * dw
    return w - lr * dw / (np.sqrt(G) + eps), {"G": G}


@mistake("adam", T_NOT_INT, rules=("ps3.adam.t-int",))
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    given = dict(state, t=int(state["t"])) if isinstance(state, dict) and "t" in state else state
    w_new, new = ref.adam(w, dw, given, lr, beta1, beta2, eps)
    return w_new, {"m": new["m"], "v": new["v"], "t": float(new["t"])}


@mistake("adam", "the state must hold the uncorrected m and v: storing m_hat and v_hat "
                 "compounds the bias correction at the next step", rules=("ps3.adam.uncorrected",))
def adam(w, dw, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    w_new, new = ref.adam(w, dw, state, lr, beta1, beta2, eps)
    t = new["t"]
    return w_new, {"m": new["m"] / (1 - beta1 ** t), "v": new["v"] / (1 - beta2 ** t), "t": t}


@mistake("nesterov", "the step uses the old v: update v = beta*v + dw first, then step "
                     "w - lr*(dw + beta*v) with the new v", rules=("ps3.nesterov.new-v",))
def nesterov(w, dw, state, lr, beta=0.9):
    w_new, new = ref.nesterov(w, dw, state, lr, beta)  # the reference's checks, and its state
    w, dw = np.asarray(w, dtype=w_new.dtype), np.asarray(dw, dtype=w_new.dtype)
    v_old = np.asarray(state.get("v", np.zeros_like(w)), dtype=w.dtype)
    return w - lr * (dw + beta * v_old), new
