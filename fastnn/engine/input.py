"""fastnn.Input: the symbolic entry point of a Functional model."""
from fastnn import config
from fastnn.engine.layer import unique_name
from fastnn.engine.symbolic import KerasTensor


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """A symbolic input of `shape` (one sample, without the batch axis).

    Args:
        shape: tuple, e.g. ``(784,)``; None entries are sizes known only at run time.
        batch_size: optional fixed batch size.
        dtype: 'float32' (default) or 'float64'.
        name: name of the input (used to key dict inputs).
        batch_shape: alternatively the full shape including the batch axis.
    """
    if batch_shape is None:
        if shape is None:
            raise ValueError("Input: give the shape of one sample, e.g. Input(shape=(784,))")
        if isinstance(shape, int):
            shape = (shape,)
        batch_shape = (batch_size,) + tuple(shape)
    try:
        batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
    except (TypeError, ValueError):
        raise ValueError(f"Input: shape must be a tuple of integers or None, received {shape!r}") from None
    if any(d is not None and d <= 0 for d in batch_shape[1:]):
        raise ValueError(f"Input: dimensions must be positive, received shape {batch_shape[1:]}")
    return KerasTensor(batch_shape, config.standardize_dtype(dtype).name, node=None,
                       name=name or unique_name("input_layer"))
