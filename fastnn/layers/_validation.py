"""Hyper-parameter checks shared by the elementwise layers: messages name the layer, the argument,
what was expected and what was received."""
import numpy as np


def check_int(layer_name, arg, value, low=1):
    """Return `value` as an int after checking it is an integer >= low (not a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{layer_name}: argument `{arg}` must be {expected}, received {value!r}")
    return int(value)
