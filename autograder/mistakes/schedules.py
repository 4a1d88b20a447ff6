"""Typical wrong (and correct, differently written) variants for the learning-rate schedules."""
import numpy as np

import reference as ref  # variants may call ref.<name>

from ..cases import correct, mistake

# ---------------------------------------------------------------- inverse_time_decay

@mistake("inverse_time_decay", "operator precedence: lr0 / (1 + decay_rate) * epoch multiplies by "
                               "the epoch; write lr0 / (1 + decay_rate * epoch)")
def inverse_time_decay(lr0, epoch, decay_rate):
    return lr0 / (1 + decay_rate) * epoch


@mistake("inverse_time_decay", "the rate must shrink: divide lr0 by (1 + decay_rate * epoch), "
                               "do not multiply",
         rules=("ps2.schedules.monotone",))
def inverse_time_decay(lr0, epoch, decay_rate):
    return lr0 * (1 + decay_rate * epoch)


@mistake("inverse_time_decay", "off by one epoch: epochs count from 0, and epoch 0 must give lr0; "
                               "use epoch, not epoch + 1",
         rules=("ps2.epoch-from-0",))
def inverse_time_decay(lr0, epoch, decay_rate):
    return lr0 / (1 + decay_rate * (epoch + 1))


@mistake("inverse_time_decay", "that is an exponential decay, lr0 / (1 + decay_rate)^epoch; "
                               "inverse-time decay is lr0 / (1 + decay_rate * epoch)")
def inverse_time_decay(lr0, epoch, decay_rate):
    return lr0 / (1 + decay_rate) ** epoch


@mistake("inverse_time_decay", "the 1 + is missing: alpha = lr0 / (1 + decay_rate * epoch), which "
                               "is lr0 at epoch 0")
def inverse_time_decay(lr0, epoch, decay_rate):
    return lr0 / (decay_rate * epoch)


@correct("inverse_time_decay")
def inverse_time_decay(lr0, epoch, decay_rate):
    """multiplies lr0 by the reciprocal 1 / (1 + decay_rate * epoch)."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"epoch must be an integer >= 0, got {epoch}")
    if decay_rate < 0:
        raise ValueError(f"decay_rate must be >= 0, got {decay_rate}")
    return float(lr0) * (1.0 / (1.0 + decay_rate * epoch))


@correct("inverse_time_decay")
def inverse_time_decay(lr0, epoch, decay_rate):
    """numpy arithmetic, returned as a Python float."""
    if lr0 <= 0 or epoch < 0 or epoch != int(epoch) or decay_rate < 0:
        raise ValueError(f"need lr0 > 0, an integer epoch >= 0 and decay_rate >= 0, got "
                         f"lr0={lr0}, epoch={epoch}, decay_rate={decay_rate}")
    return float(np.float64(lr0) / np.add(1.0, np.multiply(decay_rate, epoch)))


# ---------------------------------------------------------------- exponential_decay

@mistake("exponential_decay", "off by one epoch: epoch 0 must give lr0, so "
                              "alpha = lr0 * base^epoch, not base^(epoch + 1)")
def exponential_decay(lr0, epoch, base):
    return lr0 * base ** (epoch + 1)


@mistake("exponential_decay", "base is the factor per epoch: alpha = lr0 * base^epoch, "
                              "not lr0 * e^(-base * epoch)")
def exponential_decay(lr0, epoch, base):
    import math
    return lr0 * math.exp(-base * epoch)


@mistake("exponential_decay", "base is the factor kept each epoch, not the fraction removed: "
                              "use base^epoch, not (1 - base)^epoch")
def exponential_decay(lr0, epoch, base):
    return lr0 * (1 - base) ** epoch


@mistake("exponential_decay", "the epoch is an exponent: alpha = lr0 * base**epoch, not "
                              "lr0 * base * epoch")
def exponential_decay(lr0, epoch, base):
    return lr0 * base * epoch


@mistake("exponential_decay", "lr0 is missing: alpha = lr0 * base^epoch")
def exponential_decay(lr0, epoch, base):
    return base ** epoch


@correct("exponential_decay")
def exponential_decay(lr0, epoch, base):
    """lr0 * exp(epoch * log(base))."""
    import math
    if not lr0 > 0 or epoch < 0 or epoch % 1 or not 0 < base <= 1:
        raise ValueError(f"need lr0 > 0, an integer epoch >= 0 and base in (0, 1], got "
                         f"lr0={lr0}, epoch={epoch}, base={base}")
    return float(lr0) * math.exp(epoch * math.log(base))


@correct("exponential_decay")
def exponential_decay(lr0, epoch, base):
    """multiplies by base once per epoch in a loop."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"epoch must be an integer >= 0, got {epoch}")
    if not (base > 0 and base <= 1):
        raise ValueError(f"base must lie in (0, 1], got {base}")
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
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    return lr0 * k / epoch


@mistake("inverse_sqrt_decay", "k multiplies: alpha = lr0 * k / sqrt(epoch), "
                               "not lr0 / (k sqrt(epoch))")
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    import math
    return lr0 / (k * math.sqrt(epoch))


@mistake("inverse_sqrt_decay", "the rate must shrink: divide by sqrt(epoch), do not multiply")
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    import math
    return lr0 * k * math.sqrt(epoch)


@mistake("inverse_sqrt_decay", "the factor k is ignored: alpha = lr0 * k / sqrt(epoch)")
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    import math
    return lr0 / math.sqrt(epoch)


@mistake("inverse_sqrt_decay", "epoch 0 gives a division by zero (inf); check epoch >= 1 and raise "
                               "ValueError naming epoch",
         rules=("ps2.inverse_sqrt_decay.epoch-0",))
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    return lr0 * k / np.sqrt(np.float64(epoch))


@correct("inverse_sqrt_decay")
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    """lr0 * k * epoch ** -0.5."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if not isinstance(epoch, (int, np.integer)) or epoch < 1:
        raise ValueError(f"epoch must be an integer >= 1 for 1/sqrt(epoch), got {epoch}")
    if not k > 0:
        raise ValueError(f"k must be > 0, got {k}")
    return float(lr0 * k * epoch ** -0.5)


@correct("inverse_sqrt_decay")
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    """numpy: lr0 * sqrt(k^2 / epoch), returned as a Python float."""
    if lr0 <= 0 or epoch < 1 or int(epoch) != epoch or k <= 0:
        raise ValueError(f"need lr0 > 0, an integer epoch >= 1 and k > 0, got lr0={lr0}, "
                         f"epoch={epoch}, k={k}")
    return float(lr0 * np.sqrt(k * k / np.float64(epoch)))


# ---------------------------------------------------------------- step_decay

@mistake("step_decay", "the floor is missing: the rate stays constant for `interval` epochs, "
                       "so use floor(epoch / interval) (epoch // interval)")
def step_decay(lr0, epoch, decay_rate, interval):
    return lr0 / (1 + decay_rate * epoch / interval)


@mistake("step_decay", "off by one epoch: epochs count from 0, so the first drop comes at "
                       "epoch = interval; use floor(epoch / interval), "
                       "not floor((epoch+1) / interval)",
         rules=("ps2.step_decay.first-drop",))
def step_decay(lr0, epoch, decay_rate, interval):
    return lr0 / (1 + decay_rate * ((epoch + 1) // interval))


@mistake("step_decay", "that is the drop-factor form lr0 * decay_rate^floor(epoch/interval); "
                       "here alpha = lr0 / (1 + decay_rate * floor(epoch / interval))")
def step_decay(lr0, epoch, decay_rate, interval):
    return lr0 * decay_rate ** (epoch // interval)


@mistake("step_decay", "round() instead of floor: the step must come only after a full interval; "
                       "use epoch // interval",
         rules=("ps2.step_decay.floor",))
def step_decay(lr0, epoch, decay_rate, interval):
    return lr0 / (1 + decay_rate * round(epoch / interval))


@mistake("step_decay", "ceil instead of floor: the rate must stay lr0 for the first `interval` "
                       "epochs; use epoch // interval")
def step_decay(lr0, epoch, decay_rate, interval):
    import math
    return lr0 / (1 + decay_rate * math.ceil(epoch / interval))


@correct("step_decay")
def step_decay(lr0, epoch, decay_rate, interval):
    """math.floor of the true quotient."""
    import math
    if not lr0 > 0 or epoch < 0 or epoch != math.floor(epoch):
        raise ValueError(f"need lr0 > 0 and an integer epoch >= 0, got lr0={lr0}, epoch={epoch}")
    if decay_rate < 0 or interval < 1 or interval != math.floor(interval):
        raise ValueError(f"need decay_rate >= 0 and an integer interval >= 1, got "
                         f"decay_rate={decay_rate}, interval={interval}")
    return float(lr0 / (1 + decay_rate * math.floor(epoch / interval)))


@correct("step_decay")
def step_decay(lr0, epoch, decay_rate, interval):
    """counts the completed intervals in a loop."""
    if not lr0 > 0:
        raise ValueError(f"lr0 must be > 0, got {lr0}")
    if not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"epoch must be an integer >= 0, got {epoch}")
    if not isinstance(interval, (int, np.integer)) or interval < 1:
        raise ValueError(f"interval must be an integer >= 1, got {interval}")
    if not decay_rate >= 0:
        raise ValueError(f"decay_rate must be >= 0, got {decay_rate}")
    steps, left = 0, epoch
    while left >= interval:
        left -= interval
        steps += 1
    return float(lr0) / (1 + decay_rate * steps)


# ---------------------------------------------------------------- rules of ps2 broken alone

@mistake("exponential_decay", "return a Python float, float(lr0 * base**epoch): integer lr0 and "
                              "base give an int, and a numpy float32 lr0 a float32",
         kind="dtype", rules=("ps2.schedules.python-float",))
def exponential_decay(lr0, epoch, base):
    ref.exponential_decay(lr0, epoch, base)  # the reference's checks
    return lr0 * base ** epoch


@mistake("inverse_time_decay", "epoch must be an integer: a fractional epoch such as 2.5 must "
                               "raise ValueError (check_int(epoch, 'epoch', low=0))",
         rules=("ps2.schedules.validate",))
def inverse_time_decay(lr0, epoch, decay_rate):
    ref.inverse_time_decay(lr0, int(np.ceil(epoch)), decay_rate)  # the other checks
    return float(lr0 / (1 + decay_rate * epoch))


@mistake("inverse_time_decay", "a negative decay_rate must raise ValueError: decay_rate >= 0, "
                               "or the rate grows", rules=("ps2.inverse_time_decay.decay-rate",))
def inverse_time_decay(lr0, epoch, decay_rate):
    ref.inverse_time_decay(lr0, epoch, abs(decay_rate))  # the other checks
    return float(lr0 / (1 + decay_rate * epoch))


@mistake("exponential_decay", "base must lie in (0, 1]: base 0 or base > 1 must raise ValueError",
         rules=("ps2.exponential_decay.base",))
def exponential_decay(lr0, epoch, base):
    ref.exponential_decay(lr0, epoch, 1.0)  # the other checks
    return float(lr0 * base ** epoch)


@mistake("inverse_sqrt_decay", "k must be > 0: k <= 0 must raise ValueError (check_positive)",
         rules=("ps2.inverse_sqrt_decay.k",))
def inverse_sqrt_decay(lr0, epoch, k=1.0):
    ref.inverse_sqrt_decay(lr0, epoch)  # the other checks
    return float(lr0 * k / np.sqrt(epoch))


@mistake("step_decay", "interval must be an integer >= 1 and decay_rate >= 0: check them and "
                       "raise ValueError", rules=("ps2.step_decay.params",))
def step_decay(lr0, epoch, decay_rate, interval):
    ref.step_decay(lr0, epoch, 0.0, 1)  # the checks of lr0 and epoch
    return float(lr0 / (1 + decay_rate * (epoch // interval)))
