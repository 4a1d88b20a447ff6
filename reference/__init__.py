"""Reference solutions for "Optimization in Deep Learning", one module per lecture topic.

Every function in ``shared/CURRICULUM.md`` is importable from here, e.g.
``from reference import adam``.  Pure numpy: rows are samples, inputs are never
mutated, float32 stays float32, and randomness comes only from an explicit ``rng``.
"""
from .activation import relu, relu_grad, sigmoid, sigmoid_grad, tanh_grad
from .augmentation import augment_flip, augment_noise, augment_shift
from .descent import gradient_descent, minibatches
from .dropout import dropout_backward, dropout_forward
from .initialization import init_glorot, init_he, init_normal, init_xavier, init_zeros
from .loss import bce_cost, bce_grad, bce_loss, bce_with_logits
from .model_selection import (
                            cross_validate,
                            early_stopping,
                            grid_search,
                            kfold,
                            train_val_test_split,
)
from .neuron import neuron_cost, neuron_forward, neuron_gradients, predict
from .normalization import batchnorm_backward, batchnorm_forward, standardize_apply, standardize_fit
from .optimizers import adadelta, adagrad, adam, momentum, nesterov, rmsprop, sgd
from .regularization import l1_grad, l1_penalty, l2_grad, l2_penalty
from .schedules import exponential_decay, inverse_sqrt_decay, inverse_time_decay, step_decay

#: The graded functions of CURRICULUM.md, by topic module.
TOPICS = {
    "activation": ["sigmoid", "sigmoid_grad", "relu", "relu_grad", "tanh_grad"],
    "loss": ["bce_loss", "bce_cost", "bce_grad", "bce_with_logits"],
    "neuron": ["neuron_forward", "neuron_cost", "neuron_gradients", "predict"],
    "descent": ["minibatches", "gradient_descent"],
    "optimizers": ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam"],
    "schedules": ["inverse_time_decay", "exponential_decay", "inverse_sqrt_decay", "step_decay"],
    "regularization": ["l2_penalty", "l2_grad", "l1_penalty", "l1_grad"],
    "dropout": ["dropout_forward", "dropout_backward"],
    "augmentation": ["augment_noise", "augment_flip", "augment_shift"],
    "normalization": ["standardize_fit", "standardize_apply", "batchnorm_forward",
                      "batchnorm_backward"],
    "initialization": ["init_zeros", "init_normal", "init_xavier", "init_he", "init_glorot"],
    "model_selection": ["train_val_test_split", "kfold", "cross_validate", "grid_search",
                        "early_stopping"],
}

__all__ = [name for names in TOPICS.values() for name in names] + ["TOPICS"]
