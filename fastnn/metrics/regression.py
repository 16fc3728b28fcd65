"""Regression metrics: mean squared / absolute error and root mean squared error."""
import numpy as np

from fastnn.metrics.base import Mean, MeanMetricWrapper, as_float_array, check_same_samples, \
    squeeze_or_expand_to_same_rank


def _difference(y_true, y_pred, who):
    y_true = as_float_array(y_true, who, "y_true")
    y_pred = as_float_array(y_pred, who, "y_pred")
    check_same_samples(y_true, y_pred, who)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    try:
        return y_true - y_pred
    except ValueError:
        raise ValueError(f"{who}: y_true and y_pred shapes do not match: {y_true.shape} and {y_pred.shape}") \
            from None


def mean_squared_error(y_true, y_pred):
    """Per-sample `mean((y_true - y_pred)**2, axis=-1)` (1-D inputs: one output per sample)."""
    squared = _difference(y_true, y_pred, "mean_squared_error") ** 2
    return squared.mean(axis=-1) if squared.ndim >= 2 else squared


def mean_absolute_error(y_true, y_pred):
    """Per-sample `mean(|y_true - y_pred|, axis=-1)` (1-D inputs: one output per sample)."""
    absolute = np.abs(_difference(y_true, y_pred, "mean_absolute_error"))
    return absolute.mean(axis=-1) if absolute.ndim >= 2 else absolute


class MeanSquaredError(MeanMetricWrapper):
    """The weighted mean of `(y_true - y_pred)**2` over samples and outputs."""

    _direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The weighted mean of `|y_true - y_pred|` over samples and outputs."""

    _direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """`sqrt(weighted mean of (y_true - y_pred)**2)` over everything seen since the last reset."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        squared = _difference(y_true, y_pred, self.name) ** 2
        super().update_state(squared, sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))
