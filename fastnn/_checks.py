"""Validation of numeric hyper-parameters, shared by layers, optimizers, schedules and initializers."""
import numbers

import numpy as np


def check_number(value, name, who, low=None, high=None, low_open=False, high_open=False, allow_none=False):
    """Return `value` as a float after checking it is a finite real number (not a bool) in a range.

    Args:
        value: the received argument.
        name: the argument's name, for the message.
        who: the layer, optimizer or class that received it, for the message.
        low, high: bounds (None: unbounded on that side).
        low_open, high_open: exclude the bound itself (``low_open=True``: value > low).
        allow_none: accept None (returned as is).

    Raises:
        ValueError: ``<who>: argument `<name>` must be a number in [low, high), received <value>``.
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "(-inf" if low is None else f"{'(' if low_open else '['}{low}"
        hi = "inf)" if high is None else f"{high}{')' if high_open else ']'}"
        where = f" in {lo}, {hi}" if (low is not None or high is not None) else ""
        extra = " or None" if allow_none else ""
        raise ValueError(f"{who}: argument `{name}` must be a number{where}{extra}, received {value!r}")
    return float(value)


def check_int(layer_name, arg, value, low=1):
    """Return `value` as an int after checking it is an integer >= low (not a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{layer_name}: argument `{arg}` must be {expected}, received {value!r}")
    return int(value)
