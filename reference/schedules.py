"""Learning-rate schedules: the rate ``alpha`` for an epoch, from the initial rate ``alpha_0``.

Each takes ``lr0`` (``alpha_0`` > 0) and an integer ``epoch`` and returns a Python
float that never increases with the epoch.  To use one in `gradient_descent`,
close over its constants: ``schedule=lambda e: inverse_time_decay(0.1, e, 0.5)``.
"""
import math

from ._validate import check_int, check_nonnegative, check_positive, check_real_in


def inverse_time_decay(lr0, epoch, decay_rate):
    """Inverse-time decay, ``alpha = alpha_0 / (1 + decay_rate * epoch)``.

    Parameters
    ----------
    lr0 : float
        Initial rate ``alpha_0`` > 0.
    epoch : int
        Epoch number, >= 0.
    decay_rate : float
        Decay rate, >= 0.

    Returns
    -------
    float
        ``alpha`` for this epoch.
    """
    lr0 = check_positive(lr0, "lr0")
    epoch = check_int(epoch, "epoch", low=0)
    decay_rate = check_nonnegative(decay_rate, "decay_rate")
    return lr0 / (1 + decay_rate * epoch)


def exponential_decay(lr0, epoch, base):
    """Exponential decay, ``alpha = alpha_0 * base^epoch``.

    Parameters
    ----------
    lr0 : float
        Initial rate ``alpha_0`` > 0.
    epoch : int
        Epoch number, >= 0.
    base : float
        Factor per epoch, in (0, 1] (e.g. 0.95).

    Returns
    -------
    float
        ``alpha`` for this epoch.
    """
    lr0 = check_positive(lr0, "lr0")
    epoch = check_int(epoch, "epoch", low=0)
    base = check_real_in(base, "base", 0, 1, low_open=True)
    return lr0 * base**epoch


def inverse_sqrt_decay(lr0, epoch, k=1.0):
    """Inverse-square-root decay, ``alpha = alpha_0 * k / sqrt(epoch)``, for ``epoch >= 1``.

    Parameters
    ----------
    lr0 : float
        Initial rate ``alpha_0`` > 0.
    epoch : int
        Epoch number, >= 1 (the formula is undefined at 0; in `gradient_descent`,
        whose epochs count from 0, use ``lambda e: inverse_sqrt_decay(lr0, e + 1)``).
    k : float, default=1.0
        Constant factor, > 0.

    Returns
    -------
    float
        ``alpha`` for this epoch.
    """
    lr0 = check_positive(lr0, "lr0")
    epoch = check_int(epoch, "epoch", low=1)
    k = check_positive(k, "k")
    return lr0 * k / math.sqrt(epoch)


def step_decay(lr0, epoch, decay_rate, interval):
    """Step decay, ``alpha = alpha_0 / (1 + decay_rate * floor(epoch / interval))``.

    The rate is constant for ``interval`` epochs, then drops.

    Parameters
    ----------
    lr0 : float
        Initial rate ``alpha_0`` > 0.
    epoch : int
        Epoch number, >= 0.
    decay_rate : float
        Decay rate, >= 0.
    interval : int
        Epochs per step, >= 1.

    Returns
    -------
    float
        ``alpha`` for this epoch.
    """
    lr0 = check_positive(lr0, "lr0")
    epoch = check_int(epoch, "epoch", low=0)
    decay_rate = check_nonnegative(decay_rate, "decay_rate")
    interval = check_int(interval, "interval", low=1)
    return lr0 / (1 + decay_rate * (epoch // interval))
