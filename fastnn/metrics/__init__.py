"""Metrics with Keras 3 names and semantics, `get()` to resolve compile(metrics=...) entries, and
whole-dataset helpers (`confusion_matrix`, `classification_report`)."""
import numpy as np

from fastnn._registry import find_class, serialize as _serialize, snake_case, split_config
from fastnn.metrics.accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                                     SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy,
                                     binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                     sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from fastnn.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from fastnn.metrics.confusion import AUC, Precision, Recall
from fastnn.metrics.regression import (MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError,
                                       mean_absolute_error, mean_squared_error)
from fastnn.metrics.report import classification_report, confusion_matrix

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_CLASSES = {cls.__name__: cls for cls in (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC,
    MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError)}

_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, mean_squared_error, mean_absolute_error)}

# Names accepted by get(): each builds a fresh metric object (functions map to their class).
_NAMED = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError, "rmse": RootMeanSquaredError,
    "precision": Precision, "recall": Recall, "auc": AUC,
}
for _cls in (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
             SparseTopKCategoricalAccuracy, Precision, Recall, AUC, MeanSquaredError, MeanAbsoluteError,
             RootMeanSquaredError):
    _NAMED[_cls.__name__] = _cls
    _NAMED[snake_case(_cls.__name__)] = _cls
_CLASS_OF_FUNCTION = {binary_accuracy: BinaryAccuracy, categorical_accuracy: CategoricalAccuracy,
                      sparse_categorical_accuracy: SparseCategoricalAccuracy,
                      top_k_categorical_accuracy: TopKCategoricalAccuracy,
                      sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
                      mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError}

# Which accuracy a loss implies ('accuracy' in compile), by the loss's name or class name.
_ACCURACY_FOR_LOSS = {
    "sparse_categorical_crossentropy": SparseCategoricalAccuracy,
    "categorical_crossentropy": CategoricalAccuracy, "categorical_focal_crossentropy": CategoricalAccuracy,
    "categorical_hinge": CategoricalAccuracy,
    "binary_crossentropy": BinaryAccuracy, "bce": BinaryAccuracy, "binary_focal_crossentropy": BinaryAccuracy,
    "hinge": BinaryAccuracy, "squared_hinge": BinaryAccuracy,
}


class _ShapeResolvedAccuracy(MeanMetricWrapper):
    """'accuracy' when the loss does not say which one: chosen from the shapes of the first batch.

    Like Keras 3's compile: a single output column means binary accuracy, labels with one dimension
    less than the predictions (or a trailing 1) mean sparse categorical accuracy, otherwise categorical.
    """

    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(self._resolve_and_call, name=name, dtype=dtype)
        self._resolved = None

    def _resolve_and_call(self, y_true, y_pred):
        if self._resolved is None:
            true_shape, pred_shape = np.shape(y_true), np.shape(y_pred)
            if len(pred_shape) <= 1 or pred_shape[-1] == 1:
                self._resolved = binary_accuracy
            elif len(true_shape) == len(pred_shape) - 1 or (len(true_shape) == len(pred_shape)
                                                              and true_shape[-1] == 1):
                self._resolved = sparse_categorical_accuracy
            else:
                self._resolved = categorical_accuracy
        return self._resolved(y_true, y_pred)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _loss_names(loss):
    """Candidate names of a loss: the string itself, its `.name`, its class name, its function name."""
    if loss is None:
        return []
    if isinstance(loss, str):
        return [loss, loss.lower()]
    names = []
    for candidate in (getattr(loss, "name", None), snake_case(type(loss).__name__),
                      getattr(loss, "__name__", None)):
        if isinstance(candidate, str):
            names.append(candidate)
    return names


def _accuracy_for(identifier, loss):
    for name in _loss_names(loss):
        if name in _ACCURACY_FOR_LOSS:
            return _ACCURACY_FOR_LOSS[name](name=identifier)
    return _ShapeResolvedAccuracy(name=identifier)


def valid_names():
    """The metric names `get` accepts."""
    return sorted(set(_NAMED) | {"accuracy", "acc"})


def get(identifier, loss=None):
    """Resolve a `compile(metrics=[...])` entry to a Metric object.

    Args:
        identifier: a name ('accuracy'/'acc', 'mse', 'mae', 'precision', 'recall', 'auc',
            'top_k_categorical_accuracy', a class name...), a Metric class or instance, a function
            `(y_true, y_pred) -> per-sample values` (wrapped in a MeanMetricWrapper), or a
            `serialize()` dict. A name given as a string becomes the metric's log name.
        loss: the compiled loss (a name, a loss object or None). 'accuracy'/'acc' become the accuracy
            that loss implies: sparse_categorical_crossentropy -> SparseCategoricalAccuracy,
            categorical_crossentropy -> CategoricalAccuracy, binary_crossentropy -> BinaryAccuracy;
            otherwise the kind is chosen from the shapes of the first batch, as Keras does.

    Returns:
        A Metric instance (the same object when given an instance); None for None.

    Raises:
        ValueError: an unknown name (the message lists the valid ones) or an unusable identifier.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return _accuracy_for(identifier, loss)
        return find_class(identifier, _NAMED, "metric", valid_names(), fold_case=True)(name=identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        if identifier is accuracy and loss is not None:
            return _accuracy_for("accuracy", loss)
        if identifier in _CLASS_OF_FUNCTION:
            return _CLASS_OF_FUNCTION[identifier](name=identifier.__name__)
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret metric identifier {identifier!r}: expected a name, a Metric "
                     f"class or instance, or a function (y_true, y_pred) -> values. Valid names: {valid_names()}")


def serialize(metric):
    """`{"class_name": ..., "config": ...}` for a Metric (plain JSON)."""
    return _serialize(metric, Metric, "metrics.serialize")


def deserialize(config):
    """Rebuild a metric from `serialize()` output."""
    name, kwargs = split_config(config, "metrics.deserialize", names=False)
    table = {**_CLASSES, "_ShapeResolvedAccuracy": _ShapeResolvedAccuracy}
    return find_class(name, table, "metric class", sorted(_CLASSES)).from_config(kwargs)


__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError", "MeanMetricWrapper",
    "MeanSquaredError", "Metric", "Precision", "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "classification_report", "confusion_matrix", "deserialize", "get", "mae",
    "mean_absolute_error", "mean_squared_error", "mse", "serialize", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy", "valid_names",
]
