"""Validation of numeric hyper-parameters shared by initializers and learning-rate schedules."""
import math

import numpy as np


def check_number(value, name, who, positive=False, non_negative=False):
    """Return `value` as a float after checking it is a finite real number (bool is refused).

    Args:
        value: the received argument.
        name: the argument's name, for the message.
        who: the class or function that received it, for the message.
        positive: require value > 0.
        non_negative: require value >= 0.

    Raises:
        ValueError: ``<who>: argument `<name>` must be ..., received <value>``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise ValueError(f"{who}: argument `{name}` must be a finite number, received {value!r}")
    value = float(value)
    if positive and value <= 0:
        raise ValueError(f"{who}: argument `{name}` must be positive, received {value!r}")
    if non_negative and value < 0:
        raise ValueError(f"{who}: argument `{name}` must be non-negative, received {value!r}")
    return value
