"""The Metric base class and the reducing metrics (Mean, Sum, MeanMetricWrapper), Keras 3 semantics.

A metric accumulates state over batches (`update_state`), reports it (`result`) and starts over
(`reset_state`). State is kept in float64 numpy scalars/arrays whatever the metric's dtype, so long
evaluations do not lose precision.
"""
import numpy as np

from fastnn import config
from fastnn._registry import snake_case


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make two arrays whose ranks differ by one agree, on a trailing axis of size 1 (Keras rules).

    The higher-rank array loses its trailing 1 — unless the other one is 1-D and `expand_rank_1`,
    in which case the 1-D array gains a trailing axis instead.
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2[:, None]
        else:
            x1 = x1[..., 0]
    elif x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1[:, None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def as_float_array(values, who, what):
    """Convert to a float64 array, with an error naming the metric for non-numeric data."""
    try:
        array = np.asarray(values)
        if array.dtype == object:
            raise TypeError
        return array.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: {what} must be numeric, received {type(values).__name__}") from None


def check_same_samples(y_true, y_pred, who):
    """Raise a clear ValueError when y_true and y_pred disagree on the number of samples."""
    if y_true.ndim and y_pred.ndim and y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(f"{who}: y_true and y_pred must have the same number of samples, received "
                         f"shapes {y_true.shape} and {y_pred.shape}")


def reduce_to_samplewise_values(values, sample_weight, who):
    """Weight values per sample and reduce them to one value per sample (Keras's reduction rules).

    Returns (values, sample_weight): values of shape (n,) (or a scalar) already multiplied by the
    weights, and the weights reduced to the same shape (None when no weights were given).
    """
    if sample_weight is not None:
        sample_weight = as_float_array(sample_weight, who, "sample_weight")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if sample_weight.ndim > values.ndim:
            raise ValueError(f"{who}: sample_weight of shape {sample_weight.shape} has more dimensions "
                             f"than the values of shape {values.shape}")
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = values.mean(axis=tuple(range(weight_ndim, values.ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(f"{who}: sample_weight of shape {sample_weight.shape} does not match the "
                             f"values of shape {values.shape}") from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = sample_weight.mean(axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Metric:
    """Base class of metrics: stateful accumulators of a quality measure over batches.

    Subclasses implement `update_state(y_true, y_pred, sample_weight=None)`, `result()` and
    `reset_state()`. Calling the metric updates it with one batch and returns the result so far.

    Args:
        name: the name shown in logs; the snake_case class name when None.
        dtype: 'float32' or 'float64' (kept for Keras compatibility; state is accumulated in float64).
    """

    # 'up' when larger is better (accuracy, AUC), 'down' when smaller is better (errors); callbacks
    # use it to pick mode='auto'.
    _direction = None

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{type(self).__name__}: name must be a string, received {name!r}")
        self.name = name or snake_case(type(self).__name__)
        self._dtype = config.standardize_dtype(dtype).name

    @property
    def dtype(self):
        return self._dtype

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self):
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state()")

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the result accumulated so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Sum(Metric):
    """The weighted sum of the values seen: `sum(values * sample_weight)`."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = as_float_array(values, self.name, "values")
        values, _ = reduce_to_samplewise_values(values, sample_weight, self.name)
        self.total += float(np.sum(values))

    def result(self):
        return float(self.total)


class Mean(Metric):
    """The weighted mean of the values seen: `sum(values * w) / sum(w)` (0 before any update).

    Values with more dimensions than the weights are first averaged over the extra trailing axes.

    Args:
        name: the log name ('mean').
        dtype: see Metric.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = as_float_array(values, self.name, "values")
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, self.name)
        self.total += float(np.sum(values))
        if sample_weight is not None:
            self.count += float(np.sum(sample_weight))
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        return float(self.total / self.count) if self.count != 0 else 0.0


class MeanMetricWrapper(Mean):
    """The weighted mean of `fn(y_true, y_pred, **kwargs)`, a function returning per-sample values.

    Args:
        fn: callable `(y_true, y_pred, **kwargs) -> array` of per-sample (or per-element) values.
        name: the log name; `fn.__name__` when None.
        dtype: see Metric.
        **kwargs: keyword arguments passed to `fn`.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper: fn must be callable, received {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", None)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is MeanMetricWrapper:
            from fastnn.metrics import _FUNCTIONS

            fn_name = config.pop("fn", None)
            if fn_name not in _FUNCTIONS:
                raise ValueError(f"MeanMetricWrapper.from_config: cannot rebuild the function {fn_name!r}; "
                                 f"known functions: {sorted(_FUNCTIONS)}")
            return cls(_FUNCTIONS[fn_name], **config)
        return cls(**config)
