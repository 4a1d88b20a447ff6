"""Typical wrong (and correct, differently written) variants for the learning-rate schedules."""
import numpy as np

import reference as ref  # noqa: F401  (variants may call ref.<name>)

from ..cases import correct, mistake


# ---------------------------------------------------------------- inverse_time_decay

@mistake("inverse_time_decay", "operator precedence: lr0 / (1 + decay_rate) * epoch multiplies by "
                               "the epoch; write lr0 / (1 + decay_rate * epoch)")
def inverse_time_decay(lr0, epoch, decay_rate):
    return lr0 / (1 + decay_rate) * epoch


@mistake("inverse_time_decay", "the rate must shrink: divide lr0 by (1 + decay_rate * epoch), "
                               "do not multiply")
def inverse_time_decay(lr0, epoch, decay_rate):  # noqa: F811
    return lr0 * (1 + decay_rate * epoch)


@mistake("inverse_time_decay", "off by one epoch: epochs count from 0, and epoch 0 must give lr0; "
                               "use epoch, not epoch + 1")
def inverse_time_decay(lr0, epoch, decay_rate):  # noqa: F811
    return lr0 / (1 + decay_rate * (epoch + 1))


@mistake("inverse_time_decay", "that is an exponential decay, lr0 / (1 + decay_rate)^epoch; "
                               "inverse-time decay is lr0 / (1 + decay_rate * epoch)")
def inverse_time_decay(lr0, epoch, decay_rate):  # noqa: F811
    return lr0 / (1 + decay_rate) ** epoch


@mistake("inverse_time_decay", "the 1 + is missing: alpha = lr0 / (1 + decay_rate * epoch), which "
                               "is lr0 at epoch 0")
def inverse_time_decay(lr0, epoch, decay_rate):  # noqa: F811
    return lr0 / (decay_rate * epoch)


@correct("inverse_time_decay")
def inverse_time_decay(lr0, epoch, decay_rate):  # noqa: F811
    """multiplies lr0 by the reciprocal 1 / (1 + decay_rate * epoch)."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    return lr0 * (1.0 / (1.0 + decay_rate * epoch))


@correct("inverse_time_decay")
def inverse_time_decay(lr0, epoch, decay_rate):  # noqa: F811
    """numpy arithmetic, returned as a Python float."""
    if lr0 <= 0 or epoch < 0:
        raise ValueError(f"need lr0 > 0 and epoch >= 0, got lr0={lr0}, epoch={epoch}")
    return float(np.float64(lr0) / np.add(1.0, np.multiply(decay_rate, epoch)))


# ---------------------------------------------------------------- exponential_decay

@mistake("exponential_decay", "off by one epoch: epoch 0 must give lr0, so "
                              "alpha = lr0 * base^epoch, not base^(epoch + 1)")
def exponential_decay(lr0, epoch, base):
    return lr0 * base ** (epoch + 1)


@mistake("exponential_decay", "base is the factor per epoch: alpha = lr0 * base^epoch, "
                              "not lr0 * e^(-base * epoch)")
def exponential_decay(lr0, epoch, base):  # noqa: F811
    import math
    return lr0 * math.exp(-base * epoch)


@mistake("exponential_decay", "base is the factor kept each epoch, not the fraction removed: "
                              "use base^epoch, not (1 - base)^epoch")
def exponential_decay(lr0, epoch, base):  # noqa: F811
    return lr0 * (1 - base) ** epoch


@mistake("exponential_decay", "the epoch is an exponent: alpha = lr0 * base**epoch, not "
                              "lr0 * base * epoch")
def exponential_decay(lr0, epoch, base):  # noqa: F811
    return lr0 * base * epoch


@mistake("exponential_decay", "lr0 is missing: alpha = lr0 * base^epoch")
def exponential_decay(lr0, epoch, base):  # noqa: F811
    return base ** epoch


@correct("exponential_decay")
def exponential_decay(lr0, epoch, base):  # noqa: F811
    """lr0 * exp(epoch * log(base))."""
    import math
    if not lr0 > 0 or epoch < 0:
        raise ValueError(f"need lr0 > 0 and epoch >= 0, got lr0={lr0}, epoch={epoch}")
    return lr0 * math.exp(epoch * math.log(base))


@correct("exponential_decay")
def exponential_decay(lr0, epoch, base):  # noqa: F811
    """multiplies by base once per epoch in a loop."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    rate = float(lr0)
    for _ in range(epoch):
        rate *= base
    return rate


# ---------------------------------------------------------------- inverse_sqrt_decay

@mistake("inverse_sqrt_decay", "off by one epoch: alpha = lr0 * k / sqrt(epoch), for epoch >= 1 "
                               "(not sqrt(epoch + 1)); epoch 0 must raise ValueError")
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    import math
    return lr0 * k / math.sqrt(epoch + 1)


@mistake("inverse_sqrt_decay", "the square root is missing: alpha = lr0 * k / sqrt(epoch)")
def inverse_sqrt_decay(lr0, epoch, k=1.0):  # noqa: F811
    return lr0 * k / epoch


@mistake("inverse_sqrt_decay", "k multiplies: alpha = lr0 * k / sqrt(epoch), "
                               "not lr0 / (k sqrt(epoch))")
def inverse_sqrt_decay(lr0, epoch, k=1.0):  # noqa: F811
    import math
    return lr0 / (k * math.sqrt(epoch))


@mistake("inverse_sqrt_decay", "the rate must shrink: divide by sqrt(epoch), do not multiply")
def inverse_sqrt_decay(lr0, epoch, k=1.0):  # noqa: F811
    import math
    return lr0 * k * math.sqrt(epoch)


@mistake("inverse_sqrt_decay", "the factor k is ignored: alpha = lr0 * k / sqrt(epoch)")
def inverse_sqrt_decay(lr0, epoch, k=1.0):  # noqa: F811
    import math
    return lr0 / math.sqrt(epoch)


@mistake("inverse_sqrt_decay", "epoch 0 gives a division by zero (inf); check epoch >= 1 and raise "
                               "ValueError naming epoch")
def inverse_sqrt_decay(lr0, epoch, k=1.0):  # noqa: F811
    return lr0 * k / np.sqrt(np.float64(epoch))


@correct("inverse_sqrt_decay")
def inverse_sqrt_decay(lr0, epoch, k=1.0):  # noqa: F811
    """lr0 * k * epoch ** -0.5."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if epoch < 1:
        raise ValueError(f"epoch must be >= 1 for 1/sqrt(epoch), got {epoch}")
    return lr0 * k * epoch ** -0.5


@correct("inverse_sqrt_decay")
def inverse_sqrt_decay(lr0, epoch, k=1.0):  # noqa: F811
    """numpy: lr0 * sqrt(k^2 / epoch), returned as a Python float."""
    if lr0 <= 0 or epoch < 1:
        raise ValueError(f"need lr0 > 0 and epoch >= 1, got lr0={lr0}, epoch={epoch}")
    return float(lr0 * np.sqrt(k * k / np.float64(epoch)))


# ---------------------------------------------------------------- step_decay

@mistake("step_decay", "the floor is missing: the rate stays constant for `interval` epochs, "
                       "so use floor(epoch / interval) (epoch // interval)")
def step_decay(lr0, epoch, decay_rate, interval):
    return lr0 / (1 + decay_rate * epoch / interval)


@mistake("step_decay", "off by one epoch: epochs count from 0, so the first drop comes at "
                       "epoch = interval; use floor(epoch / interval), "
                       "not floor((epoch+1) / interval)")
def step_decay(lr0, epoch, decay_rate, interval):  # noqa: F811
    return lr0 / (1 + decay_rate * ((epoch + 1) // interval))


@mistake("step_decay", "that is the drop-factor form lr0 * decay_rate^floor(epoch/interval); "
                       "here alpha = lr0 / (1 + decay_rate * floor(epoch / interval))")
def step_decay(lr0, epoch, decay_rate, interval):  # noqa: F811
    return lr0 * decay_rate ** (epoch // interval)


@mistake("step_decay", "round() instead of floor: the step must come only after a full interval; "
                       "use epoch // interval")
def step_decay(lr0, epoch, decay_rate, interval):  # noqa: F811
    return lr0 / (1 + decay_rate * round(epoch / interval))


@mistake("step_decay", "ceil instead of floor: the rate must stay lr0 for the first `interval` "
                       "epochs; use epoch // interval")
def step_decay(lr0, epoch, decay_rate, interval):  # noqa: F811
    import math
    return lr0 / (1 + decay_rate * math.ceil(epoch / interval))


@correct("step_decay")
def step_decay(lr0, epoch, decay_rate, interval):  # noqa: F811
    """math.floor of the true quotient."""
    import math
    if not lr0 > 0 or epoch < 0:
        raise ValueError(f"need lr0 > 0 and epoch >= 0, got lr0={lr0}, epoch={epoch}")
    return lr0 / (1 + decay_rate * math.floor(epoch / interval))


@correct("step_decay")
def step_decay(lr0, epoch, decay_rate, interval):  # noqa: F811
    """counts the completed intervals in a loop."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    steps, left = 0, epoch
    while left >= interval:
        left -= interval
        steps += 1
    return lr0 / (1 + decay_rate * steps)
