"""Checking and batching the arrays given to fit / evaluate / predict."""
import numpy as np


def to_list(x):
    """None -> [], array -> [array], list/tuple -> list."""
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def as_arrays(values, what, names=None):
    """Convert a structure of inputs/targets to a list of numpy arrays, checking they are usable.

    Args:
        values: array, list/tuple of arrays, or dict keyed by input/output names (needs `names`).
        what: 'x', 'y', 'sample_weight' — used in error messages.
        names: the model's input or output names, to order a dict.
    """
    if type(values) is np.ndarray and values.ndim and values.dtype.kind in "fiub":
        return [values]  # the common case, checked below for everything else
    if isinstance(values, dict):
        if names is None:
            raise ValueError(f"{what}: a dict is only accepted by models with named inputs/outputs")
        missing = [n for n in names if n not in values]
        if missing:
            raise ValueError(f"{what}: missing entries {missing}; expected keys {list(names)}, "
                             f"received {sorted(values)}")
        values = [values[n] for n in names]
    arrays = []
    for i, v in enumerate(to_list(values)):
        if v is None:
            arrays.append(None)
            continue
        arr = np.asarray(v)
        label = what if len(to_list(values)) == 1 else f"{what}[{i}]"
        if arr.dtype == object:
            raise ValueError(f"{label}: expected a numeric array, received an object array "
                             f"(ragged lists? pad them first, e.g. fastnn.utils.pad_sequences)")
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise ValueError(f"{label}: expected numbers, received dtype {arr.dtype}")
        if arr.ndim == 0:
            raise ValueError(f"{label}: expected an array with a batch axis, received a scalar")
        arrays.append(arr)
    return arrays


def check_finite(arrays, what):
    for i, arr in enumerate(arrays):
        if arr is not None and np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            label = what if len(arrays) == 1 else f"{what}[{i}]"
            raise ValueError(f"{label} contains {bad} NaN or infinite value(s); clean or impute the data first")


def check_lengths(xs, ys=(), sws=()):
    """All arrays must share the batch length and it must be positive."""
    if len(xs) == 1 and not ys and not sws and xs[0] is not None and xs[0].shape[0] > 0:
        return xs[0].shape[0]
    lengths = {}
    for what, arrays in (("x", xs), ("y", ys), ("sample_weight", sws)):
        for i, arr in enumerate(arrays):
            if arr is not None:
                label = what if len(arrays) == 1 else f"{what}[{i}]"
                lengths[label] = arr.shape[0]
    if not lengths:
        raise ValueError("No data given: pass x (and y for training)")
    sizes = set(lengths.values())
    if len(sizes) > 1:
        detail = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise ValueError(f"Data cardinality is ambiguous: the arrays have different numbers of samples ({detail}); "
                         f"make sure all arrays contain the same number of samples")
    n = sizes.pop()
    if n == 0:
        raise ValueError("The data is empty (0 samples)")
    return n


def take(arrays, index):
    """Rows `index` (a slice or index array) of every array (None stays None)."""
    return [None if a is None else a[index] for a in arrays]


def class_weights_to_sample_weights(class_weight, y):
    """Per-sample weights from a {class: weight} dict, reading labels from y (ints or one-hot)."""
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight must be a dict mapping class index to weight, received {type(class_weight).__name__}")
    labels = np.argmax(y, axis=-1) if (y.ndim > 1 and y.shape[-1] > 1) else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    classes, index = np.unique(labels, return_inverse=True)
    lookup = {int(k): float(v) for k, v in class_weight.items()}
    unknown = [int(c) for c in classes if int(c) not in lookup]
    if unknown:
        raise ValueError(f"class_weight has no entry for class(es) {unknown[:10]}; it has {sorted(class_weight)}")
    # One lookup per class, then a gather: no Python loop over the samples.
    return np.array([lookup[int(c)] for c in classes], dtype=np.float64)[index.reshape(-1)]
