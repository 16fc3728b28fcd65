"""One-hot encoding and vector normalisation (Keras 3 `to_categorical`, `normalize`)."""
import numpy as np

from fastnn import config


def to_categorical(x, num_classes=None):
    """Convert integer class labels to one-hot rows.

    `y[..., c] = 1` where `c = x[...]`, 0 elsewhere. A trailing axis of size 1 is dropped first, as in
    Keras, so labels of shape (n,) and (n, 1) both give (n, num_classes).

    Args:
        x: array-like of integer labels in [0, num_classes) (integral floats such as 3.0 are accepted).
        num_classes: number of classes; `max(x) + 1` when None.

    Returns:
        An array of shape `x.shape + (num_classes,)` (trailing 1 dropped) and dtype floatx().

    Raises:
        ValueError: non-integral, negative or out-of-range labels, an empty input without
            `num_classes`, or a `num_classes` that is not a positive integer.
    """
    labels = np.asarray(x)
    if labels.dtype == object or not (np.issubdtype(labels.dtype, np.integer)
                                      or np.issubdtype(labels.dtype, np.floating)
                                      or labels.dtype == np.bool_):
        raise ValueError(f"to_categorical: expected integer class labels, received dtype {labels.dtype}")
    if np.issubdtype(labels.dtype, np.floating):
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("to_categorical: labels must be integers; received non-integral values "
                             f"such as {labels[labels != np.round(labels)].ravel()[:3].tolist()}")
    labels = labels.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"to_categorical: num_classes must be a positive integer, received {num_classes!r}")
        num_classes = int(num_classes)
    elif flat.size == 0:
        raise ValueError("to_categorical: cannot infer num_classes from empty labels; pass num_classes")
    else:
        num_classes = int(flat.max()) + 1
    if flat.size and flat.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, received {int(flat.min())}")
    if flat.size and flat.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(flat.max())} is out of range for "
                         f"num_classes={num_classes} (valid labels are 0..{num_classes - 1})")
    one_hot = np.zeros((flat.size, num_classes), dtype=config.floatx())
    one_hot[np.arange(flat.size), flat] = 1
    return one_hot.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale vectors to unit norm along `axis`: `x / ||x||_order` (zero vectors are left at zero).

    Args:
        x: array-like of numbers.
        axis: the axis along which to normalise.
        order: the norm order (2 for Euclidean; see `numpy.linalg.norm`).

    Returns:
        A float array of the shape of `x` (float64 inputs stay float64, others become floatx()).
    """
    values = np.asarray(x)
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(config.floatx())
    norm = np.linalg.norm(values, ord=order, axis=axis, keepdims=True)
    norm = np.where(norm == 0, 1, norm).astype(values.dtype)
    return values / norm
