"""A small fully connected network for binary classification (ps4, ps5).

Layers ``l = 1..L``, with ``A_0 = X`` of shape ``(m, n_0)``::

    Z_l = A_{l-1} @ W_l + b_l          W_l: (n_{l-1}, n_l),  b_l: (n_l,)
    A_l = g(Z_l)                       hidden layers, g = relu or tanh
    y_hat = sigma(Z_L[:, 0])           output layer, n_L = 1
    J = (1/m) sum_i L(y_hat_i, y_i) + lambda/(2m) sum_l ||W_l||_F^2

Options on the hidden layers: batch-norm between the affine map and ``g``
(``Z_l = BN(A_{l-1} @ W_l)``; its shift ``beta_l`` replaces ``b_l``) and
inverted dropout after ``g``.  The building blocks are the topic modules'
functions; this module only wires them together, CS231n style:
``network_forward -> (y_hat, cache)`` and ``network_backward(y, cache) -> grads``.

``params`` holds the trainable arrays, keyed ``W1, b1, ..., WL, bL`` (with
batch-norm ``W1, gamma1, beta1, ...`` for hidden layers).  Batch-norm's running
statistics are not trained, so they live apart, in ``bn_state``, a dict
``{"bn1": {"running_mean", "running_var"}, ...}``.  No function mutates its inputs.
"""
import numpy as np

from ._validate import (
    as_float,
    check_data,
    check_int,
    check_nonnegative,
    check_positive,
    check_real_in,
    check_rng,
)
from .activation import relu, relu_grad, sigmoid, tanh_grad
from .descent import minibatches
from .dropout import dropout_backward, dropout_forward
from .initialization import init_glorot, init_he, init_normal, init_xavier, init_zeros
from .loss import bce_cost
from .normalization import batchnorm_backward, batchnorm_forward
from .optimizers import sgd
from .regularization import l2_grad, l2_penalty

#: Hidden-layer activations: name -> (g, g').
ACTIVATIONS = {"relu": (relu, relu_grad), "tanh": (np.tanh, tanh_grad)}

#: Weight initializations by name: each is ``init(n_in, n_out, rng) -> W``.
INITS = {
    "zeros": lambda n_in, n_out, rng: init_zeros(n_in, n_out),
    "normal": init_normal,
    "xavier": init_xavier,
    "he": init_he,
    "glorot": init_glorot,
}


# ---------------------------------------------------------------- validation

def _check_layer_sizes(layer_sizes):
    sizes = list(layer_sizes) if isinstance(layer_sizes, (list, tuple, np.ndarray)) else []
    if len(sizes) < 2:
        raise ValueError(
            "layer_sizes must be a list [n_0, n_1, ..., n_L] of at least two layer widths, "
            f"got layer_sizes={layer_sizes!r}"
        )
    return [check_int(n, f"layer_sizes[{i}]", low=1) for i, n in enumerate(sizes)]


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                         f"got activation={activation!r}")
    return ACTIVATIONS[activation]


def _check_keep_prob(keep_prob):
    return check_real_in(keep_prob, "keep_prob", 0, 1, low_open=True)


def _depth(params):
    """Number of layers ``L``, checking that ``params`` has W1..WL and bL."""
    if not isinstance(params, dict) or "W1" not in params:
        raise ValueError("params must be a dict from init_network with keys 'W1', 'b1', ..., "
                         f"got {type(params).__name__}")
    L = sum(1 for k in params if k.startswith("W"))
    if f"W{L}" not in params or f"b{L}" not in params:
        raise ValueError(f"params must have keys W1..W{L} and b{L}, got keys {list(params)}")
    if params[f"W{L}"].shape[1] != 1:
        raise ValueError("the output layer must have one unit (sigmoid + BCE), "
                         f"got params['W{L}'].shape={params[f'W{L}'].shape}")
    return L


# ---------------------------------------------------------------- the network

def init_network(layer_sizes, init, rng, batchnorm=False):
    """Initial parameters for layer widths ``[n_0, n_1, ..., n_L]``.

    For ``l = 1..L`` in order, ``W_l = init(n_{l-1}, n_l, rng)`` (one draw per
    layer, none for "zeros") and ``b_l = 0``.  With batch-norm, each hidden
    layer gets ``gamma_l = 1`` and ``beta_l = 0`` instead of ``b_l``.

    Parameters
    ----------
    layer_sizes : list of int
        ``[n_0, ..., n_L]``: input width, hidden widths, output width.
    init : {"zeros", "normal", "xavier", "he", "glorot"} or callable
        A name from ``INITS``, or ``init(n_in, n_out, rng) -> W`` of shape
        ``(n_in, n_out)``, e.g. ``lambda i, o, r: init_normal(i, o, r, scale=0.01)``.
    rng : numpy.random.Generator or None
        Needed unless ``init="zeros"``.
    batchnorm : bool, default=False
        Give hidden layers ``gamma_l, beta_l`` (shape ``(n_l,)``) instead of ``b_l``.

    Returns
    -------
    params : dict of str -> ndarray, float64
        ``W_l`` of shape ``(n_{l-1}, n_l)``; ``b_l``, ``gamma_l``, ``beta_l`` of shape ``(n_l,)``.
    """
    sizes = _check_layer_sizes(layer_sizes)
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {sorted(INITS)} or a callable, "
                             f"got init={init!r}")
        draw = INITS[init]
        check_rng(rng, optional=(init == "zeros"))
    elif callable(init):
        draw = init
    else:
        raise ValueError(f"init must be one of {sorted(INITS)} or a callable, got {init!r}")
    L = len(sizes) - 1
    params = {}
    for l in range(1, L + 1):
        n_in, n_out = sizes[l - 1], sizes[l]
        W = np.asarray(draw(n_in, n_out, rng), dtype=np.float64)
        if W.shape != (n_in, n_out):
            raise ValueError(f"init must return shape (n_in, n_out) = {(n_in, n_out)}, "
                             f"got {W.shape} for layer {l}")
        params[f"W{l}"] = W
        if batchnorm and l < L:
            params[f"gamma{l}"] = np.ones(n_out)
            params[f"beta{l}"] = np.zeros(n_out)
        else:
            params[f"b{l}"] = np.zeros(n_out)
    return params


def network_forward(X, params, *, activation="relu", keep_prob=1.0, bn_state=None,
                    train=True, rng=None):
    """Forward pass: ``y_hat = sigma(Z_L)`` with ``Z_l = A_{l-1} @ W_l + b_l``, ``A_l = g(Z_l)``.

    With batch-norm params, hidden layers compute ``Z_l = BN(A_{l-1} @ W_l)``
    (batch statistics when ``train``, running statistics otherwise).  Dropout
    applies to each hidden ``A_l`` only when ``train`` and ``keep_prob < 1``,
    drawing one mask per hidden layer from ``rng``, in layer order.

    Parameters
    ----------
    X : array-like of shape (m, n_0)
    params : dict
        From ``init_network``.
    activation : {"relu", "tanh"}, default="relu"
        Hidden-layer activation ``g``.
    keep_prob : float in (0, 1], default=1.0
        Inverted-dropout keep probability for hidden layers.
    bn_state : dict or None
        Running statistics ``{"bn<l>": {"running_mean", "running_var"}}``; required
        for a batch-norm network in test mode, fresh (zeros) when None in training.
    train : bool, default=True
        Training mode (dropout on, batch statistics) or test mode.
    rng : numpy.random.Generator or None
        Required when dropout is on.

    Returns
    -------
    y_hat : ndarray of shape (m,)
    cache : dict
        Everything ``network_backward`` needs; ``cache["bn_state"]`` holds the
        updated running statistics (``{}`` without batch-norm).
    """
    A = as_float(X, "X")
    L = _depth(params)
    g, _ = _check_activation(activation)
    keep_prob = _check_keep_prob(keep_prob)
    if A.ndim != 2 or A.shape[1] != params["W1"].shape[0]:
        raise ValueError(f"X must have shape (m, n_0) with n_0 = {params['W1'].shape[0]}, "
                         f"got X.shape={A.shape}")
    dropout = train and keep_prob < 1
    if dropout:
        check_rng(rng)
    batchnorm = "gamma1" in params
    if batchnorm and not train and bn_state is None:
        raise ValueError("bn_state must hold the running statistics for a batch-norm network "
                         "in test mode (e.g. history['bn_state'] from train_network), got None")
    bn_state = {} if bn_state is None else bn_state
    layers, new_bn = [], {}
    for l in range(1, L):
        Z = A @ params[f"W{l}"]
        bn_cache = None
        if batchnorm:
            key = f"bn{l}"
            Z, bn_cache, new_bn[key] = batchnorm_forward(
                Z, params[f"gamma{l}"], params[f"beta{l}"], bn_state.get(key, {}), train=train)
        else:
            Z = Z + params[f"b{l}"]
        A_next, mask = g(Z), None
        if dropout:
            A_next, mask = dropout_forward(A_next, keep_prob, rng)
        layers.append((A, Z, bn_cache, mask))
        A = A_next
    y_hat = sigmoid((A @ params[f"W{L}"] + params[f"b{L}"])[:, 0])
    cache = {"layers": layers, "A": A, "y_hat": y_hat, "params": params,
             "activation": activation, "keep_prob": keep_prob, "bn_state": new_bn}
    return y_hat, cache


def network_backward(y, cache, *, lam=0.0):
    """Backward pass: the gradient of ``J`` with respect to every parameter.

    Output layer (sigmoid and BCE fused): ``dZ_L = (y_hat - y) / m``.  For
    ``l = L..1``: ``dW_l = A_{l-1}^T dZ_l + (lambda/m) W_l``, ``db_l = sum_i dZ_l``,
    ``dA_{l-1} = dZ_l W_l^T``; then through dropout
    (``dA * mask / keep_prob``), ``g`` (``dZ = dA * g'(Z)``) and batch-norm.

    Parameters
    ----------
    y : array-like of shape (m,)
        Labels in {0, 1} of the batch that went through ``network_forward``.
    cache : dict
        From ``network_forward``.
    lam : float, default=0.0
        L2 strength ``lambda`` (weights only); ``m`` is the batch size.

    Returns
    -------
    grads : dict
        ``d<key>`` under the same keys (and shapes) as ``params``.
    """
    params, y_hat = cache["params"], cache["y_hat"]
    y = as_float(y, "y")
    if y.shape != y_hat.shape:
        raise ValueError(f"y must have shape (m,) = {y_hat.shape} to match the forward pass, "
                         f"got y.shape={y.shape}")
    lam = check_nonnegative(lam, "lam")
    _, g_grad = ACTIVATIONS[cache["activation"]]
    m, L = y.shape[0], len(cache["layers"]) + 1
    grads = {}
    dZ = ((y_hat - y) / m)[:, None]
    grads[f"W{L}"] = cache["A"].T @ dZ + l2_grad(params[f"W{L}"], lam, m)
    grads[f"b{L}"] = dZ.sum(axis=0)
    dA = dZ @ params[f"W{L}"].T
    for l in range(L - 1, 0, -1):
        A_prev, Z, bn_cache, mask = cache["layers"][l - 1]
        if mask is not None:
            dA = dropout_backward(dA, mask, cache["keep_prob"])
        dZ = dA * g_grad(Z)
        if bn_cache is not None:
            dZ, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm_backward(dZ, bn_cache)
        else:
            grads[f"b{l}"] = dZ.sum(axis=0)
        grads[f"W{l}"] = A_prev.T @ dZ + l2_grad(params[f"W{l}"], lam, m)
        dA = dZ @ params[f"W{l}"].T
    return {key: grads[key] for key in params}


def _weights(params):
    return [v for k, v in params.items() if k.startswith("W")]


def network_cost(X, y, params, *, activation="relu", lam=0.0, keep_prob=1.0, bn_state=None,
                 train=True, rng=None):
    """Cost ``J = (1/m) sum_i L(y_hat_i, y_i) + lambda/(2m) sum_l ||W_l||_F^2``.

    Same arguments as ``network_forward``, plus ``y`` of shape (m,) and ``lam``.
    With dropout on, ``J`` depends on the masks drawn from ``rng``.

    Returns
    -------
    float
    """
    X, y = check_data(X, y)
    lam = check_nonnegative(lam, "lam")
    y_hat, _ = network_forward(X, params, activation=activation, keep_prob=keep_prob,
                               bn_state=bn_state, train=train, rng=rng)
    return float(bce_cost(y_hat, y) + l2_penalty(_weights(params), lam, X.shape[0]))


def predict_network(X, params, *, activation="relu", bn_state=None, threshold=0.5):
    """Class predictions in test mode: 1 where ``y_hat >= threshold``.

    Parameters
    ----------
    X : array-like of shape (m, n_0)
    params, activation, bn_state
        As for ``network_forward`` (``bn_state`` required with batch-norm).
    threshold : float, default=0.5

    Returns
    -------
    ndarray of shape (m,), int
    """
    y_hat, _ = network_forward(X, params, activation=activation, bn_state=bn_state,
                               train=False)
    return (y_hat >= threshold).astype(np.int64)


def train_network(X, y, layer_sizes, *, init="he", activation="relu", lr=0.1, epochs=100,
                  batch_size=None, optimizer=None, lam=0.0, keep_prob=1.0, batchnorm=False,
                  rng, validation=None):
    """Train the network by (mini-batch) gradient descent with any optimizer.

    Draws from ``rng`` in this order: the weights (``init_network``), then each
    epoch ``minibatches(m, batch_size, rng)`` and, per batch, the dropout masks.
    Each parameter array has its own optimizer state and is updated once per
    batch with ``optimizer(p, dp, state, lr=lr)``, where ``dp`` comes from
    ``network_backward`` on the batch (L2 with the batch size as ``m``).

    Parameters
    ----------
    X : array-like of shape (m, n_0)
    y : array-like of shape (m,)
        Labels in {0, 1}.
    layer_sizes : list of int
        ``[n_0, ..., n_L]`` with ``n_0 = X.shape[1]`` and ``n_L = 1``.
    init : str or callable, default="he"
        See ``init_network``.
    activation : {"relu", "tanh"}, default="relu"
    lr : float, default=0.1
        Learning rate ``alpha`` > 0.
    epochs : int, default=100
    batch_size : int or None, default=None
        None for batch gradient descent (one batch of ``m``).
    optimizer : callable, default=sgd
        ``optimizer(w, dw, state, lr) -> (w_new, state_new)`` from ``reference.optimizers``.
    lam : float, default=0.0
        L2 strength ``lambda``.
    keep_prob : float in (0, 1], default=1.0
        Dropout keep probability on hidden layers (1 means no dropout).
    batchnorm : bool, default=False
        Batch-norm on hidden layers.
    rng : numpy.random.Generator
    validation : tuple (X_val, y_val) or None
        If given, ``history["val_cost"]`` records the validation cost too.

    Returns
    -------
    params : dict
        Trained parameters.
    history : dict
        ``"cost"``: list of the full-data ``J`` (test mode, with L2) after each
        epoch; ``"val_cost"`` (validation cost without L2, if ``validation``);
        ``"bn_state"``: running statistics for ``predict_network`` (``{}`` without batch-norm).
    """
    X, y = check_data(X, y)
    sizes = _check_layer_sizes(layer_sizes)
    if sizes[0] != X.shape[1] or sizes[-1] != 1:
        raise ValueError(f"layer_sizes must start with n_0 = X.shape[1] = {X.shape[1]} and end "
                         f"with 1 (one sigmoid output), got layer_sizes={layer_sizes!r}")
    _check_activation(activation)
    lr = check_positive(lr, "lr")
    lam = check_nonnegative(lam, "lam")
    epochs = check_int(epochs, "epochs", low=0)
    m = X.shape[0]
    batch_size = m if batch_size is None else check_int(batch_size, "batch_size", 1, m)
    optimizer = sgd if optimizer is None else optimizer
    keep_prob = _check_keep_prob(keep_prob)
    rng = check_rng(rng)
    if validation is not None:
        X_val, y_val = check_data(*validation)

    params = init_network(sizes, init, rng, batchnorm)
    opt_state = {key: {} for key in params}
    bn_state = {}
    history = {"cost": []} if validation is None else {"cost": [], "val_cost": []}
    for _ in range(epochs):
        for idx in minibatches(m, batch_size, rng):
            _, cache = network_forward(X[idx], params, activation=activation,
                                       keep_prob=keep_prob, bn_state=bn_state, train=True, rng=rng)
            bn_state = cache["bn_state"]
            grads = network_backward(y[idx], cache, lam=lam)
            updated = {}
            for key in params:
                updated[key], opt_state[key] = optimizer(params[key], grads[key],
                                                         opt_state[key], lr=lr)
            params = updated
        test_mode = {"activation": activation, "bn_state": bn_state, "train": False}
        history["cost"].append(network_cost(X, y, params, lam=lam, **test_mode))
        if validation is not None:
            history["val_cost"].append(network_cost(X_val, y_val, params, **test_mode))
    history["bn_state"] = bn_state
    return params, history


def activation_stats(X, layer_sizes, init, rng, activation="tanh"):
    """Per-layer statistics of a deep stack ``A_l = g(A_{l-1} @ W_l)``, ``l = 1..L``.

    The weights come from ``init_network(layer_sizes, init, rng)`` (biases 0);
    then one upstream gradient ``dA_L ~ N(0, 1)`` of shape ``(m, n_L)`` is drawn
    from ``rng`` and backpropagated: ``dZ_l = dA_l * g'(Z_l)``,
    ``dA_{l-1} = dZ_l W_l^T``.  Activations whose std collapses to 0 or saturates
    at 1 (tanh), and gradients that shrink or grow geometrically towards layer 1,
    are the vanishing and exploding of deep networks.

    Parameters
    ----------
    X : array-like of shape (m, n_0)
        Inputs, e.g. ``rng.standard_normal((500, 100))``.
    layer_sizes : list of int
        ``[n_0, n_1, ..., n_L]``, e.g. ``[100] * 21`` for 20 layers.
    init : str or callable
        See ``init_network``.
    rng : numpy.random.Generator
    activation : {"tanh", "relu"}, default="tanh"
        ``g``, applied in every layer (no sigmoid output here).

    Returns
    -------
    dict of str -> ndarray of shape (L,)
        ``"mean"`` and ``"std"`` of ``A_l``, and ``"grad_std"``, the std of
        ``dZ_l`` (the backpropagated gradient at layer ``l``); index ``l - 1``.
    """
    A = as_float(X, "X")
    g, g_grad = _check_activation(activation)
    sizes = _check_layer_sizes(layer_sizes)
    if A.ndim != 2 or A.shape[1] != sizes[0]:
        raise ValueError(f"X must have shape (m, n_0) with n_0 = layer_sizes[0] = {sizes[0]}, "
                         f"got X.shape={A.shape}")
    rng = check_rng(rng)
    params = init_network(sizes, init, rng)
    L = len(sizes) - 1
    Zs, mean, std = [], np.empty(L), np.empty(L)
    for l in range(1, L + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        A = g(Z)
        Zs.append(Z)
        mean[l - 1], std[l - 1] = A.mean(), A.std()
    grad_std = np.empty(L)
    dA = rng.standard_normal(A.shape)
    for l in range(L, 0, -1):
        dZ = dA * g_grad(Zs[l - 1])
        grad_std[l - 1] = dZ.std()
        dA = dZ @ params[f"W{l}"].T
    return {"mean": mean, "std": std, "grad_std": grad_std}
