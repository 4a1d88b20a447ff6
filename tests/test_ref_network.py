"""The multi-layer network, activation statistics and data loaders of the reference.

Oracles: float64 central differences of ``network_cost``, PyTorch autograd in
float64, and scikit-learn's bundled Iris.
"""
import numpy as np
import pytest
import sklearn.datasets
import torch
from conftest import call_pure, numerical_grad, rel_error

from reference.datasets import load_breast_cancer, load_iris_pair, make_circles, make_moons
from reference.network import (
    INITS,
    activation_stats,
    init_network,
    network_backward,
    network_cost,
    network_forward,
    predict_network,
    train_network,
)
from reference.optimizers import adam

SIZES = [3, 5, 4, 1]
DROPOUT_SEED = 5
# Central differences in float64 carry round-off ~eps*J/h ~ 1e-11 and truncation
# ~h^2 J'''/6; h = 1e-5 ~ eps^(1/3) balances the two (at h = 1e-6 round-off alone is
# 1e-7 relative on entries ~1e-4).  The relative-error floor holds entries below
# 1e-3 to an absolute error of 1e-10, ten times that noise.
H = 1e-5
FLOOR = 1e-3
TOL = 1e-7

# (activation, batchnorm, keep_prob, lam)
CASES = {
    "tanh": ("tanh", False, 1.0, 0.0),
    "tanh-l2": ("tanh", False, 1.0, 0.7),
    "tanh-dropout": ("tanh", False, 0.6, 0.0),
    "tanh-batchnorm": ("tanh", True, 1.0, 0.0),
    "relu-l2-dropout": ("relu", False, 0.7, 0.3),
    "relu-batchnorm-dropout-l2": ("relu", True, 0.7, 0.3),
}


def _problem(seed, batchnorm):
    """Small data and a generic parameter point (no zero biases: ReLU's kink sits at 0)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, SIZES[0]))
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=np.float64)
    params = init_network(SIZES, "xavier", rng, batchnorm=batchnorm)
    params = {k: v if k.startswith("W") else v + 0.5 * rng.standard_normal(v.shape)
              for k, v in params.items()}
    return X, y, params


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", CASES)
def test_backward_matches_central_differences(case, seed):
    activation, batchnorm, keep_prob, lam = CASES[case]
    X, y, params = _problem(seed, batchnorm)
    net = dict(activation=activation, keep_prob=keep_prob)
    _, cache = network_forward(X, params, rng=np.random.default_rng(DROPOUT_SEED), **net)
    grads = network_backward(y, cache, lam=lam)
    assert list(grads) == list(params)
    for key, value in params.items():
        def cost(v, key=key):
            return network_cost(X, y, {**params, key: v}, lam=lam,
                                rng=np.random.default_rng(DROPOUT_SEED), **net)
        numeric = numerical_grad(cost, value, h=H)
        assert grads[key].shape == value.shape
        err = rel_error(numeric, grads[key], floor=FLOOR)
        worst = np.unravel_index(np.argmax(np.abs(numeric - grads[key])), value.shape)
        assert err <= TOL, (f"d{key}: relative error {err:.2e} at {worst}: "
                             f"numerical {numeric[worst]!r}, analytic {grads[key][worst]!r}")


def test_gradient_check_catches_a_missing_term():
    X, y, params = _problem(0, False)
    _, cache = network_forward(X, params, activation="tanh")
    wrong = network_backward(y, cache, lam=0.0)["W1"]          # forgets the L2 term
    numeric = numerical_grad(lambda v: network_cost(X, y, {**params, "W1": v}, lam=0.7,
                                                    activation="tanh"), params["W1"], h=H)
    assert rel_error(numeric, wrong, floor=FLOOR) > 1e3 * TOL


def _torch_cost(X, y, params, activation, keep_prob, lam):
    """The same network in PyTorch float64, with the masks replayed from the same seed."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    g = torch.tanh if activation == "tanh" else torch.relu
    rng = np.random.default_rng(DROPOUT_SEED)
    L, m = len(SIZES) - 1, X.shape[0]
    A = torch.tensor(X)
    for l in range(1, L):
        Z = A @ t[f"W{l}"]
        if f"gamma{l}" in t:
            Z = torch.nn.functional.batch_norm(Z, None, None, t[f"gamma{l}"], t[f"beta{l}"],
                                               training=True, eps=1e-5)
        else:
            Z = Z + t[f"b{l}"]
        A = g(Z)
        if keep_prob < 1:
            A = A * torch.tensor(rng.random(tuple(A.shape)) < keep_prob) / keep_prob
    z = (A @ t[f"W{L}"] + t[f"b{L}"])[:, 0]
    J = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y))
    J = J + lam / (2 * m) * sum((t[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    J.backward()
    return J.item(), {k: v.grad.numpy() for k, v in t.items()}


@pytest.mark.parametrize("case", CASES)
def test_forward_backward_match_torch(case):
    activation, batchnorm, keep_prob, lam = CASES[case]
    X, y, params = _problem(3, batchnorm)
    net = dict(activation=activation, keep_prob=keep_prob)
    J = network_cost(X, y, params, lam=lam, rng=np.random.default_rng(DROPOUT_SEED), **net)
    _, cache = network_forward(X, params, rng=np.random.default_rng(DROPOUT_SEED), **net)
    grads = network_backward(y, cache, lam=lam)
    J_torch, grads_torch = _torch_cost(X, y, params, activation, keep_prob, lam)
    assert J == pytest.approx(J_torch, rel=1e-12)
    for key in params:
        np.testing.assert_allclose(grads[key], grads_torch[key], rtol=1e-9, atol=1e-14,
                                   err_msg=f"d{key}")


def test_init_network_shapes_and_keys():
    params = init_network([4, 6, 3, 1], "he", np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (4, 6), "b1": (6,), "W2": (6, 3), "b2": (3,), "W3": (3, 1), "b3": (1,)}
    bn = init_network([4, 6, 3, 1], "he", np.random.default_rng(0), batchnorm=True)
    assert list(bn) == ["W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"]
    np.testing.assert_array_equal(bn["W1"], params["W1"])  # same draws in the same order
    assert not np.any(init_network([4, 6, 1], "zeros", None)["W1"])
    custom = init_network([4, 6, 1], lambda i, o, r: np.full((i, o), 0.5), None)
    assert np.all(custom["W2"] == 0.5)


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.2, rng=np.random.default_rng(0))


@pytest.mark.parametrize("options", [
    {},
    {"lam": 0.3, "keep_prob": 0.9},
    {"batchnorm": True, "activation": "tanh"},
], ids=["plain", "l2-dropout", "batchnorm-tanh"])
def test_training_lowers_the_cost_on_moons(moons, options):
    X, y = moons
    kw = dict(optimizer=adam, lr=0.01, epochs=150, batch_size=32, **options)
    params, history = train_network(X, y, [2, 16, 16, 1], rng=np.random.default_rng(1), **kw)
    assert len(history["cost"]) == 150
    assert history["cost"][-1] < 0.5 * history["cost"][0]
    bn_state = history["bn_state"]
    assert bool(bn_state) == bool(options.get("batchnorm"))
    y_pred = predict_network(X, params, activation=options.get("activation", "relu"),
                             bn_state=bn_state)
    assert y_pred.dtype.kind == "i" and np.mean(y_pred == y) > 0.9
    again, _ = train_network(X, y, [2, 16, 16, 1], rng=np.random.default_rng(1), **kw)
    for key in params:
        np.testing.assert_array_equal(again[key], params[key])


def test_validation_cost_is_recorded(moons):
    X, y = moons
    _, history = train_network(X[:150], y[:150], [2, 8, 1], epochs=5,
                               rng=np.random.default_rng(0), validation=(X[150:], y[150:]))
    assert len(history["val_cost"]) == 5 and all(np.isfinite(history["val_cost"]))


def test_functions_do_not_mutate_their_inputs(moons):
    X, y = moons
    params = init_network([2, 6, 5, 1], "he", np.random.default_rng(0), batchnorm=True)
    rng = np.random.default_rng(0)
    _, cache = call_pure(network_forward, X, params, keep_prob=0.5, rng=rng)
    call_pure(network_backward, y, cache, lam=0.5)
    call_pure(network_cost, X, y, params, lam=0.5, keep_prob=0.5, rng=rng)
    call_pure(predict_network, X, params, bn_state=cache["bn_state"])
    call_pure(train_network, X, y, [2, 6, 1], epochs=2, batch_size=50, keep_prob=0.5,
              batchnorm=True, optimizer=adam, rng=rng, validation=(X[:20], y[:20]))
    call_pure(activation_stats, X, [2, 4, 4], "xavier", rng)


@pytest.fixture(scope="module")
def depth20():
    """tanh statistics of 20 layers of 100 units under each initialization."""
    X = np.random.default_rng(0).standard_normal((300, 100))
    return {name: activation_stats(X, [100] * 21, name, np.random.default_rng(1))
            for name in INITS}


def test_activation_stats_shapes(depth20):
    for stats in depth20.values():
        assert set(stats) == {"mean", "std", "grad_std"}
        assert all(v.shape == (20,) for v in stats.values())


def test_normal_init_saturates_tanh_and_explodes_gradients(depth20):
    normal = depth20["normal"]
    assert np.all(normal["std"] > 0.9)                            # activations stuck at +-1
    assert normal["grad_std"][0] > 1e3 * normal["grad_std"][-1]   # gradient blows up backwards


def test_xavier_init_keeps_tanh_statistics_order_one(depth20):
    xavier = depth20["xavier"]
    assert 0.05 < xavier["std"][-1] < 0.9
    assert np.all(np.abs(xavier["mean"]) < 0.05)
    assert 0.05 < xavier["grad_std"][0] / xavier["grad_std"][-1] < 20


def test_zero_and_tiny_inits_vanish(depth20):
    assert not np.any(depth20["zeros"]["std"])
    assert not np.any(depth20["zeros"]["grad_std"][:-1])
    X = np.random.default_rng(0).standard_normal((300, 100))
    tiny = activation_stats(X, [100] * 21, lambda i, o, r: 0.01 * r.standard_normal((i, o)),
                            np.random.default_rng(1))
    assert tiny["std"][-1] < 1e-10 and tiny["grad_std"][0] < 1e-10


def test_he_keeps_relu_alive_where_xavier_halves_it():
    X = np.random.default_rng(0).standard_normal((300, 100))
    he, xavier = (activation_stats(X, [100] * 21, init, np.random.default_rng(1),
                                   activation="relu") for init in ("he", "xavier"))
    assert he["std"][-1] > 0.2 and xavier["std"][-1] < 0.01


# ---------------------------------------------------------------- datasets

@pytest.mark.parametrize("pair, first", [("setosa-virginica", 0), ("versicolor-virginica", 50)])
def test_iris_pairs(pair, first):
    X, y = load_iris_pair(pair)
    iris = sklearn.datasets.load_iris()
    assert X.shape == (100, 4) and X.dtype == np.float64 and y.dtype.kind == "i"
    assert np.bincount(y).tolist() == [50, 50]
    np.testing.assert_array_equal(X[y == 1], iris.data[100:150])   # virginica is 1
    np.testing.assert_array_equal(X[y == 0], iris.data[first:first + 50])


def test_breast_cancer_scales_differ():
    X, y = load_breast_cancer()
    assert X.shape == (569, 30) and X.dtype == np.float64
    assert set(np.unique(y)) == {0, 1} and y.sum() == 357
    sd = X.std(axis=0)
    assert sd.max() / sd.min() > 1e4


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_synthetic_sets_are_deterministic_per_seed(make):
    X, y = make(rng=np.random.default_rng(7))
    assert X.shape == (200, 2) and X.dtype == np.float64 and y.dtype.kind == "i"
    assert np.bincount(y).tolist() == [100, 100]
    X2, y2 = make(rng=np.random.default_rng(7))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(rng=np.random.default_rng(8))[0])
    assert make(m=51, rng=np.random.default_rng(7))[0].shape == (51, 2)


def test_circles_inner_radius_is_factor():
    X, y = make_circles(m=100, noise=0.0, factor=0.3, rng=np.random.default_rng(0))
    np.testing.assert_allclose(np.linalg.norm(X[y == 1], axis=1), 0.3)
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)


# ---------------------------------------------------------------- bad input

def _bad_calls():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), np.array([0, 1, 0, 1, 1, 0])
    p = init_network(SIZES, "he", rng)
    pbn = init_network(SIZES, "he", rng, batchnorm=True)
    _, cache = network_forward(X, p)
    return {
        "iris pair": (lambda: load_iris_pair("setosa-versicolor"), "pair must be one of"),
        "moons m": (lambda: make_moons(m=1, rng=rng), "m must be >= 2"),
        "moons noise": (lambda: make_moons(noise=-0.1, rng=rng), "noise must be a non-negative"),
        "moons rng": (lambda: make_moons(rng=42), "rng must be a numpy.random.Generator"),
        "circles factor": (lambda: make_circles(factor=1.0, rng=rng),
                           r"factor must be in \[0, 1\)"),
        "one layer": (lambda: init_network([3], "he", rng), "layer_sizes must be a list"),
        "zero width": (lambda: init_network([3, 0, 1], "he", rng),
                       r"layer_sizes\[1\] must be >= 1"),
        "init name": (lambda: init_network(SIZES, "uniform", rng), "init must be one of"),
        "init rng": (lambda: init_network(SIZES, "he", None), "rng must be a numpy"),
        "init shape": (lambda: init_network(SIZES, lambda i, o, r: np.zeros((o, i)), None),
                       r"init must return shape \(n_in, n_out\)"),
        "activation": (lambda: network_forward(X, p, activation="sigmoid"),
                       "activation must be one of"),
        "keep_prob 0": (lambda: network_forward(X, p, keep_prob=0.0, rng=rng),
                        r"keep_prob must be a number in \(0, 1\]"),
        "keep_prob > 1": (lambda: network_forward(X, p, keep_prob=1.5, rng=rng),
                          r"keep_prob must be a number in \(0, 1\]"),
        "dropout rng": (lambda: network_forward(X, p, keep_prob=0.5), "rng must be a numpy"),
        "X width": (lambda: network_forward(X[:, :2], p), r"X must have shape \(m, n_0\)"),
        "params": (lambda: network_forward(X, {"w": 1}), "params must be a dict from init_network"),
        "bn test mode": (lambda: network_forward(X, pbn, train=False), "bn_state must hold"),
        "y shape": (lambda: network_backward(y[:5], cache), r"y must have shape \(m,\)"),
        "lam": (lambda: network_backward(y, cache, lam=-1.0), "lam must be a non-negative"),
        "sizes vs X": (lambda: train_network(X, y, [2, 4, 1], rng=rng),
                       "layer_sizes must start with n_0 = X.shape"),
        "two outputs": (lambda: train_network(X, y, [3, 4, 2], rng=rng), "end with 1"),
        "lr": (lambda: train_network(X, y, SIZES, lr=0.0, rng=rng), "lr must be a positive"),
        "epochs": (lambda: train_network(X, y, SIZES, epochs=-1, rng=rng), "epochs must be >= 0"),
        "batch_size": (lambda: train_network(X, y, SIZES, batch_size=7, rng=rng),
                       "batch_size must be <= 6"),
        "train rng": (lambda: train_network(X, y, SIZES, rng=None), "rng must be a numpy"),
        "stats X": (lambda: activation_stats(X, [4, 4], "he", rng),
                    r"X must have shape \(m, n_0\) with n_0 = layer_sizes\[0\]"),
    }


@pytest.mark.parametrize("name", list(_bad_calls()))
def test_bad_input_raises_value_error(name):
    call, match = _bad_calls()[name]
    with pytest.raises(ValueError, match=match):
        call()
