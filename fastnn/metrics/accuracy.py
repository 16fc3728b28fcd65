"""Accuracy metrics: functions returning per-sample hits (1.0/0.0) and their averaging classes."""
import numpy as np

from fastnn.metrics.base import (MeanMetricWrapper, as_float_array, check_same_samples,
                                 squeeze_or_expand_to_same_rank)


def _pair(y_true, y_pred, who):
    y_true = as_float_array(y_true, who, "y_true")
    y_pred = as_float_array(y_pred, who, "y_pred")
    check_same_samples(y_true, y_pred, who)
    return y_true, y_pred


def _sparse_labels(y_true, y_pred, who):
    """Labels (n,) from sparse y_true of shape (n,) or (n, 1); y_pred holds scores of shape (n, C)."""
    if y_true.ndim == y_pred.ndim and y_true.ndim > 0 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_pred.ndim != y_true.ndim + 1:
        raise ValueError(f"{who}: expected integer labels y_true of shape (n,) or (n, 1) and scores y_pred "
                         f"of shape (n, num_classes), received {y_true.shape} and {y_pred.shape} "
                         "(for one-hot labels use the non-sparse metric)")
    return y_true


def accuracy(y_true, y_pred):
    """Per-element exact equality: `1.0 if y_true == y_pred else 0.0` (for label predictions)."""
    y_true, y_pred = _pair(y_true, y_pred, "accuracy")
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(np.float64)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-element hits of thresholded probabilities: `y_true == (y_pred > threshold)`.

    Args:
        y_true: 0/1 labels.
        y_pred: probabilities (use threshold=0.0 for logits).
        threshold: the decision threshold.
    """
    y_true, y_pred = _pair(y_true, y_pred, "binary_accuracy")
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == (y_pred > threshold)).astype(np.float64)


def categorical_accuracy(y_true, y_pred):
    """Per-sample hits of one-hot labels: `argmax(y_true, -1) == argmax(y_pred, -1)`."""
    y_true, y_pred = _pair(y_true, y_pred, "categorical_accuracy")
    if y_true.shape != y_pred.shape:
        raise ValueError("categorical_accuracy: y_true (one-hot) and y_pred must have the same shape, "
                         f"received {y_true.shape} and {y_pred.shape} "
                         "(for integer labels use sparse_categorical_accuracy)")
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample hits of integer labels: `y_true == argmax(y_pred, -1)`."""
    y_true, y_pred = _pair(y_true, y_pred, "sparse_categorical_accuracy")
    y_true = _sparse_labels(y_true, y_pred, "sparse_categorical_accuracy")
    return (y_true == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Per-sample hits when the true label is among the `k` highest scores.

    A label counts as in the top k when its score is >= the k-th largest score (so ties at the
    boundary count as hits, as in Keras's `in_top_k`).

    Args:
        y_true: integer labels of shape (n,) or (n, 1).
        y_pred: scores of shape (n, num_classes); or, with `from_sorted_ids`, class ids sorted by
            decreasing score, shape (n, m) with m >= k.
        k: how many top classes count.
        from_sorted_ids: whether y_pred already holds sorted class ids.
    """
    who = "sparse_top_k_categorical_accuracy"
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{who}: k must be a positive integer, received {k!r}")
    y_true, y_pred = _pair(y_true, y_pred, who)
    y_true = _sparse_labels(y_true, y_pred, who)
    labels = y_true.reshape(-1)
    scores = y_pred.reshape(-1, y_pred.shape[-1])
    if from_sorted_ids:
        return np.any(scores[:, :k] == labels[:, None], axis=-1).astype(np.float64).reshape(y_true.shape)
    num_classes = scores.shape[-1]
    if labels.size and (np.any(labels < 0) or np.any(labels >= num_classes) or np.any(labels != np.round(labels))):
        raise ValueError(f"{who}: labels must be integers in [0, {num_classes}), received values in "
                         f"[{labels.min()}, {labels.max()}]")
    if k >= num_classes:
        return np.ones(y_true.shape, dtype=np.float64)
    kth_largest = np.partition(scores, num_classes - k, axis=-1)[:, num_classes - k]
    label_scores = scores[np.arange(scores.shape[0]), labels.astype(np.int64)]
    return (label_scores >= kth_largest).astype(np.float64).reshape(y_true.shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample hits when the one-hot label's class is among the `k` highest scores."""
    y_true, y_pred = _pair(y_true, y_pred, "top_k_categorical_accuracy")
    if y_true.shape != y_pred.shape:
        raise ValueError("top_k_categorical_accuracy: y_true (one-hot) and y_pred must have the same shape, "
                         f"received {y_true.shape} and {y_pred.shape} "
                         "(for integer labels use sparse_top_k_categorical_accuracy)")
    return sparse_top_k_categorical_accuracy(np.argmax(y_true, axis=-1), y_pred, k=k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly: mean of `y_true == y_pred` (weighted)."""

    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded probabilities match 0/1 labels: mean of `y_true == (y_pred > threshold)`.

    Args:
        name, dtype: see Metric.
        threshold: the decision threshold (0.5 for probabilities; 0.0 for logits).
    """

    _direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))


class CategoricalAccuracy(MeanMetricWrapper):
    """How often `argmax(y_pred)` matches one-hot labels `argmax(y_true)`."""

    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often `argmax(y_pred)` matches integer labels."""

    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the `k` highest scores.

    Args:
        k: how many top classes count (5).
        name, dtype: see Metric.
    """

    _direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest scores.

    Args:
        k: how many top classes count (5).
        name, dtype: see Metric.
        from_sorted_ids: whether y_pred holds class ids sorted by decreasing score.
    """

    _direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=bool(from_sorted_ids))
