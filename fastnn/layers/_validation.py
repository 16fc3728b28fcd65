"""Hyper-parameter checks shared by the elementwise layers: messages name the layer, the argument,
what was expected and what was received."""
import numbers

import numpy as np


def check_number(layer_name, arg, value, low=None, high=None, low_inclusive=True, high_inclusive=True,
                 allow_none=False):
    """Return `value` as a float after checking it is a real number within the given bounds."""
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok and low is not None:
        ok = value >= low if low_inclusive else value > low
    if ok and high is not None:
        ok = value <= high if high_inclusive else value < high
    if not ok:
        lo = "" if low is None else (f"{'[' if low_inclusive else '('}{low}")
        hi = "" if high is None else (f"{high}{']' if high_inclusive else ')'}")
        where = f" in {lo or '(-inf'}, {hi or 'inf)'}" if (low is not None or high is not None) else ""
        extra = " or None" if allow_none else ""
        raise ValueError(f"{layer_name}: argument `{arg}` must be a number{where}{extra}, received {value!r}")
    return float(value)


def check_int(layer_name, arg, value, low=1):
    """Return `value` as an int after checking it is an integer >= low (not a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{layer_name}: argument `{arg}` must be {expected}, received {value!r}")
    return int(value)
