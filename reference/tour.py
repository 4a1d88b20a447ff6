"""A tour of the reference: one key figure per lecture topic, on the bundled data.

Run ``python -m reference.tour``.  Every figure is computed afresh with the
reference functions (seeded, so the table is the same on every run); it takes
a few seconds.
"""
import numpy as np
import sklearn.datasets

from .activation import relu_grad, sigmoid, sigmoid_grad, tanh_grad
from .augmentation import augment_noise, augment_shift
from .datasets import load_breast_cancer, load_iris_pair, make_moons
from .descent import gradient_descent
from .loss import bce_cost
from .model_selection import cross_validate, train_val_test_split
from .network import INITS, activation_stats, predict_network, train_network
from .neuron import predict
from .normalization import batchnorm_forward, standardize_apply, standardize_fit
from .optimizers import adam, sgd
from .schedules import exponential_decay, inverse_sqrt_decay, inverse_time_decay, step_decay

SEED = 0


def _standardized(X):
    return standardize_apply(X, *standardize_fit(X))


def _fit_neuron(X, y, lr=0.1, epochs=300, **kw):
    w, b, history = gradient_descent(X, y, np.zeros(X.shape[1]), 0.0, lr=lr, epochs=epochs, **kw)
    return w, b, history


def _accuracy(y_pred, y):
    return float(np.mean(y_pred == y))


def _activation():
    z = np.array([-1e4, 0.0, 1e4])
    s = sigmoid(z)
    return ("activation", "sigma(-1e4), sigma(1e4); max sigma', tanh'(0), relu'(0)",
            f"{s[0]:.0f}, {s[2]:.0f}; {sigmoid_grad(0.0):.2f}, {tanh_grad(0.0):.0f}, "
            f"{relu_grad(0.0):.0f}")


def _loss():
    y = np.array([0.0, 1.0])
    return ("loss", "J at y_hat=0.5 (log 2); J at y_hat=1-y (clipped, eps=1e-12)",
            f"{bce_cost(np.full(2, 0.5), y):.4f}; {bce_cost(1 - y, y):.2f}")


def _neuron():
    parts = []
    for pair in ("setosa-virginica", "versicolor-virginica"):
        X, y = load_iris_pair(pair)
        w, b, _ = _fit_neuron(X, y)
        parts.append(f"{pair} {_accuracy(predict(X, w, b), y):.2f}")
    return "neuron", "Iris train accuracy, batch GD (lr 0.1, 300 epochs)", ", ".join(parts)


def _descent():
    X, y = load_iris_pair("versicolor-virginica")
    X = _standardized(X)
    parts = []
    for name, batch_size in (("batch", None), ("SGD", 1), ("mini-batch 16", 16)):
        rng = np.random.default_rng(SEED)
        _, _, history = _fit_neuron(X, y, epochs=20, batch_size=batch_size, rng=rng)
        parts.append(f"{name} {history['cost'][-1]:.3f}")
    return "descent", "Iris vers.-virg. cost after 20 epochs (lr 0.1)", ", ".join(parts)


def _optimizers():
    curvature = np.array([1.0, 100.0])          # f(w) = 1/2 sum_i c_i w_i^2, condition 100
    runs = {"SGD (lr 0.015)": (sgd, 0.015), "Adam (lr 0.1)": (adam, 0.1)}
    parts = []
    for name, (step, lr) in runs.items():
        w, state = np.array([1.0, 1.0]), {}
        for _ in range(100):
            w, state = step(w, curvature * w, state, lr=lr)
        parts.append(f"{name} {0.5 * np.sum(curvature * w**2):.1e}")
    return "optimizers", "f = (w1^2 + 100 w2^2)/2 after 100 steps from (1, 1)", ", ".join(parts)


def _schedules():
    lr0, e = 0.1, 10
    rates = {"inverse_time(0.1)": inverse_time_decay(lr0, e, 0.1),
             "exponential(0.95)": exponential_decay(lr0, e, 0.95),
             "inverse_sqrt": inverse_sqrt_decay(lr0, e),
             "step(1, every 5)": step_decay(lr0, e, 1.0, 5)}
    return ("schedules", "lr at epoch 10 from lr0 = 0.1",
            ", ".join(f"{k} {v:.4f}" for k, v in rates.items()))


def _moons_runs(settings):
    """Train/val accuracy of a [2, 64, 64, 1] ReLU network on 100 noisy moons per setting."""
    rng = np.random.default_rng(SEED)
    X, y = make_moons(200, noise=0.35, rng=rng)
    train, val, _ = train_val_test_split(200, rng, val=0.5, test=0.0)
    parts = []
    for label, kw in settings:
        params, _ = train_network(X[train], y[train], [2, 64, 64, 1], optimizer=adam,
                                     lr=0.01, epochs=400, rng=np.random.default_rng(SEED), **kw)
        acc = [_accuracy(predict_network(X[i], params), y[i]) for i in (train, val)]
        parts.append(f"{label} {acc[0]:.2f}/{acc[1]:.2f}")
    return ", ".join(parts)


def _regularization():
    return ("regularization", "moons train/val accuracy, L2 (Adam, 400 epochs)",
            _moons_runs([("lam 0", {}), ("lam 5", {"lam": 5.0})]))


def _dropout():
    return ("dropout", "moons train/val accuracy, dropout (Adam, 400 epochs)",
            _moons_runs([("keep 1", {}), ("keep 0.5", {"keep_prob": 0.5})]))


def _augmentation():
    digits = sklearn.datasets.load_digits()
    keep = np.isin(digits.target, (3, 8))
    images, y = digits.images[keep] / 16.0, (digits.target[keep] == 8).astype(np.int64)
    rng = np.random.default_rng(SEED)
    train, val, _ = train_val_test_split(len(y), rng, val=0.7, test=0.0)
    moved, _ = augment_shift(images[val], 1, rng)
    parts = []
    for copies in (0, 4):
        shifted = [augment_shift(images[train], 1, rng)[0] for _ in range(copies)]
        batch = np.concatenate([images[train]] + [augment_noise(s, 0.1, rng) for s in shifted])
        w, b, _ = _fit_neuron(batch.reshape(len(batch), -1), np.tile(y[train], copies + 1),
                              lr=0.5, epochs=200)
        accuracy = _accuracy(predict(moved.reshape(len(moved), -1), w, b), y[val])
        parts.append(f"{copies} copies {accuracy:.2f}")
    return ("augmentation", "digits 3 vs 8, neuron val accuracy on digits moved <= 1 px",
            ", ".join(parts))


def _normalization():
    X, y = load_breast_cancer()
    costs = [_fit_neuron(Z, y, lr=0.1, epochs=100)[2]["cost"][-1] for Z in (X, _standardized(X))]
    rng = np.random.default_rng(SEED)
    z = 5 + 3 * rng.standard_normal((256, 8))
    out, _, _ = batchnorm_forward(z, np.ones(8), np.zeros(8), {})
    return ("normalization", "breast-cancer GD cost raw -> standardized; BN out mean/std",
            f"{costs[0]:.2f} -> {costs[1]:.3f}; {abs(out.mean()):.3f}/{out.std():.3f}")


def _initialization():
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((500, 100))
    parts = []
    for name in INITS:
        stats = activation_stats(X, [100] * 21, name, np.random.default_rng(SEED))
        parts.append(f"{name} {stats['std'][-1]:.2g}")
    return "initialization", "tanh activation std at layer 20 (100 units)", ", ".join(parts)


def _model_selection():
    X, y = load_iris_pair("versicolor-virginica")

    def fit(X_train, y_train):
        mu, sigma = standardize_fit(X_train)
        w, b, _ = _fit_neuron(standardize_apply(X_train, mu, sigma), y_train, lr=0.5)
        return mu, sigma, w, b

    def score(model, X_val, y_val):
        mu, sigma, w, b = model
        return _accuracy(predict(standardize_apply(X_val, mu, sigma), w, b), y_val)

    scores = cross_validate(fit, score, X, y, 5, np.random.default_rng(SEED))
    return ("model_selection", "Iris vers.-virg. 5-fold CV accuracy",
            f"{scores.mean():.3f} +- {scores.std():.3f}")


_ROWS = (_activation, _loss, _neuron, _descent, _optimizers, _schedules, _regularization,
         _dropout, _augmentation, _normalization, _initialization, _model_selection)


def tour_rows():
    """One ``(topic, what, value)`` row per lecture topic, in the order of ``reference.TOPICS``.

    Returns
    -------
    list of tuple of str
    """
    return [row() for row in _ROWS]


def main():
    """Print the tour as an aligned three-column table."""
    rows = [("topic", "what", "value")] + tour_rows()
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for topic, what, value in rows:
        print(f"{topic:<{widths[0]}}  {what:<{widths[1]}}  {value}")


if __name__ == "__main__":
    main()
