"""Losses with Keras 3 names, semantics and reductions, each with its gradient.

Every loss object supports::

    value = loss(y_true, y_pred, sample_weight=None)                    # float (or array with 'none')
    value, grad = loss.forward_backward(y_true, y_pred, sample_weight)  # grad has y_pred's shape

Per-sample losses are reduced over the last axis (mean for elementwise losses, sum for
cross-entropies and KL divergence), exactly as Keras computes them; `sample_weight` multiplies the
per-sample losses; reduction 'sum_over_batch_size' (default) divides the weighted sum by the number
of per-sample losses, 'sum' does not divide, 'mean_with_sample_weight' divides by the sum of the
weights, None / 'none' returns the per-sample array.

The softmax cross-entropies run in one fused native pass (loss, gradient and weighted sum).
"""
import math

import numpy as np

from fastnn import config
from fastnn._registry import find_class, serialize as _serialize, split_config
from fastnn._native import _loss as _native_loss

EPSILON = 1e-7  # Keras's backend.epsilon(): the clip of probabilities
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ---------------------------------------------------------------- input checks

def _as_pred(y_pred, name):
    arr = np.asarray(y_pred)
    if arr.dtype not in _FLOATS:
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise ValueError(f"{name}: y_pred must be numeric, received dtype {arr.dtype}")
        arr = arr.astype(config.floatx())
    if arr.ndim == 0:
        raise ValueError(f"{name}: y_pred must have at least one dimension, received a scalar")
    return np.ascontiguousarray(arr)


def _as_target(y_true, y_pred, name):
    """y_true as y_pred's dtype and shape (Keras squeezes/expands a trailing axis of size 1)."""
    arr = np.asarray(y_true)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise ValueError(f"{name}: y_true must be numeric, received dtype {arr.dtype}")
    if arr.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        arr = arr[..., None]
    elif arr.ndim == y_pred.ndim + 1 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.shape != y_pred.shape:
        raise ValueError(f"{name}: y_true and y_pred must have the same shape, received y_true {np.shape(y_true)} "
                         f"and y_pred {y_pred.shape}")
    arr = np.ascontiguousarray(arr, dtype=y_pred.dtype)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: y_true contains NaN or Inf")
    return arr


def _sparse_labels(y_true, y_pred, name):
    """Integer labels of shape y_pred.shape[:-1] as a flat int64 array (values checked by the kernel)."""
    arr = np.asarray(y_true)
    want = y_pred.shape[:-1]
    if arr.shape != want:
        if arr.shape == want + (1,):
            arr = arr.reshape(want)
        else:
            raise ValueError(f"{name}: expected integer labels of shape {want} (or {want + (1,)}) for y_pred of "
                             f"shape {y_pred.shape}, received y_true of shape {arr.shape}")
    if arr.dtype == np.int64:
        return np.ascontiguousarray(arr).reshape(-1)
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        return arr.astype(np.int64).reshape(-1)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"{name}: labels must be integers, received dtype {arr.dtype}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: labels contain NaN or Inf")
    labels = arr.astype(np.int64)
    if not np.array_equal(labels, arr):
        bad = np.flatnonzero(labels.reshape(-1) != arr.reshape(-1))[0]
        raise ValueError(f"{name}: labels must be integer-valued, received {arr.reshape(-1)[bad]!r} at "
                         f"position {bad}")
    return labels.reshape(-1)


def _weights(sample_weight, loss_shape, dtype, name):
    """sample_weight broadcast to the per-sample loss shape, flat and C-contiguous (or None)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=dtype)
    if w.ndim == len(loss_shape) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    while w.ndim < len(loss_shape):
        w = w[..., None]
    try:
        w = np.broadcast_to(w, loss_shape)
    except ValueError:
        raise ValueError(f"{name}: sample_weight of shape {np.shape(sample_weight)} does not match the per-sample "
                         f"losses of shape {loss_shape}") from None
    if not np.isfinite(w).all():
        raise ValueError(f"{name}: sample_weight contains NaN or Inf")
    return np.ascontiguousarray(w).reshape(-1)


# ---------------------------------------------------------------- base class

class Loss:
    """Base class: subclasses implement ``_compute(y_true, y_pred) -> (per_sample, dper_sample_dpred)``.

    Args:
        name: name of the loss (defaults to the snake-case Keras name).
        reduction: 'sum_over_batch_size' (default, also 'mean'), 'sum', 'mean_with_sample_weight' or
            None / 'none'.
        dtype: accepted for Keras compatibility (computations follow y_pred's dtype).
    """

    default_name = "loss"

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: invalid reduction {reduction!r}; expected one of "
                             f"{[r for r in _REDUCTIONS]}")
        self.name = name or self.default_name
        self.reduction = reduction
        self.dtype = dtype

    # Subclasses: per-sample losses (shape y_pred.shape[:-1]) and d(per-sample)/d(y_pred) (y_pred's
    # shape), or None for the gradient when want_grad is False.
    def _compute(self, y_true, y_pred, want_grad):
        raise NotImplementedError

    def _divisor(self, count, weights):
        if self.reduction == "sum":
            return 1.0
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            return float(np.sum(weights, dtype=np.float64))
        return float(count)

    def _reduce(self, losses, grad, weights):
        """(value, grad scaled so it is d value / d y_pred)."""
        flat = losses.reshape(-1)
        if weights is not None:
            total = float(np.dot(flat.astype(np.float64), weights.astype(np.float64)))
        else:
            total = float(np.sum(flat, dtype=np.float64))
        div = self._divisor(flat.size, weights)
        value = total / div if div != 0 else 0.0
        if grad is not None:
            scale = (1.0 / div) if div != 0 else 0.0
            if weights is not None:
                grad *= (weights.reshape(losses.shape + (1,) * (grad.ndim - losses.ndim)) * scale).astype(grad.dtype)
            elif scale != 1.0:
                grad *= grad.dtype.type(scale)
        return value, grad

    def call(self, y_true, y_pred):
        """Per-sample losses (Keras's ``Loss.call``)."""
        y_pred = _as_pred(y_pred, self.name)
        return self._compute(y_true, y_pred, False)[0]

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss (a float), or the weighted per-sample losses with reduction None/'none'."""
        if self.reduction in (None, "none"):
            y_pred = _as_pred(y_pred, self.name)
            losses = self._compute(y_true, y_pred, False)[0]
            w = _weights(sample_weight, losses.shape, losses.dtype, self.name)
            return losses if w is None else losses * w.reshape(losses.shape)
        return self.forward_backward(y_true, y_pred, sample_weight, want_grad=False)[0]

    def forward_backward(self, y_true, y_pred, sample_weight=None, want_grad=True):
        """Return ``(value, grad)``: the reduced loss and d value / d y_pred (an array like y_pred).

        With reduction None/'none' the value and gradient are those of 'sum_over_batch_size'.
        """
        y_pred = _as_pred(y_pred, self.name)
        losses, grad = self._compute(y_true, y_pred, want_grad)
        weights = _weights(sample_weight, losses.shape, y_pred.dtype, self.name)
        return self._reduce(losses, grad, weights)

    #: The activation ('softmax' / 'sigmoid') whose output a probability cross-entropy can take as
    #: logits instead (see forward_backward_logits), or None.
    fusable_activation = None

    def forward_backward_logits(self, y_true, logits, sample_weight=None):
        """``(value, d value / d logits)`` when y_pred = fusable_activation(logits): one fused,
        numerically stable pass instead of the loss on probabilities followed by the activation's
        backward (Keras's TensorFlow backend makes the same substitution). Only for losses whose
        ``fusable_activation`` is set."""
        if self.fusable_activation is None:
            raise ValueError(f"Loss '{self.name}' has no fused logits form (fusable_activation is None)")
        twin = getattr(self, "_logits_twin", None)
        if twin is None:
            cfg = self.get_config()
            cfg["from_logits"] = True
            twin = self._logits_twin = type(self).from_config(cfg)
        return twin.forward_backward(y_true, logits, sample_weight)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def _mean_last(values):
    return np.mean(values, axis=-1)


# ---------------------------------------------------------------- regression losses

class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2) over the last axis."""

    default_name = "mean_squared_error"

    def _compute(self, y_true, y_pred, want_grad):
        diff = y_pred - _as_target(y_true, y_pred, self.name)
        losses = _mean_last(diff * diff)
        grad = diff * diff.dtype.type(2.0 / diff.shape[-1]) if want_grad else None
        return losses, grad


class MeanAbsoluteError(Loss):
    """mean(|y_pred - y_true|) over the last axis."""

    default_name = "mean_absolute_error"

    def _compute(self, y_true, y_pred, want_grad):
        diff = y_pred - _as_target(y_true, y_pred, self.name)
        losses = _mean_last(np.abs(diff))
        grad = np.sign(diff) * diff.dtype.type(1.0 / diff.shape[-1]) if want_grad else None
        return losses, grad


class MeanAbsolutePercentageError(Loss):
    """100 * mean(|y_true - y_pred| / max(|y_true|, eps)) over the last axis."""

    default_name = "mean_absolute_percentage_error"

    def _compute(self, y_true, y_pred, want_grad):
        t = _as_target(y_true, y_pred, self.name)
        denom = np.maximum(np.abs(t), EPSILON)
        diff = y_pred - t
        losses = 100.0 * _mean_last(np.abs(diff) / denom)
        grad = (100.0 / diff.shape[-1]) * np.sign(diff) / denom if want_grad else None
        return losses.astype(y_pred.dtype), None if grad is None else grad.astype(y_pred.dtype)


class MeanSquaredLogarithmicError(Loss):
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2) over the last axis."""

    default_name = "mean_squared_logarithmic_error"

    def _compute(self, y_true, y_pred, want_grad):
        t = _as_target(y_true, y_pred, self.name)
        p = np.maximum(y_pred, EPSILON)
        diff = np.log1p(p) - np.log1p(np.maximum(t, EPSILON))
        losses = _mean_last(diff * diff)
        grad = None
        if want_grad:
            grad = (2.0 / diff.shape[-1]) * diff / (1 + p) * (y_pred > EPSILON)
        return losses.astype(y_pred.dtype), None if grad is None else grad.astype(y_pred.dtype)


class Huber(Loss):
    """mean over the last axis of 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) elsewhere; e = y_pred - y_true.

    Args:
        delta: where the loss changes from quadratic to linear (> 0).
    """

    default_name = "huber_loss"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not delta > 0:
            raise ValueError(f"Huber: delta must be positive, received {delta!r}")
        self.delta = float(delta)

    def _compute(self, y_true, y_pred, want_grad):
        err = y_pred - _as_target(y_true, y_pred, self.name)
        dt = err.dtype.type
        abs_err = np.abs(err)
        quad = abs_err <= self.delta
        losses = _mean_last(np.where(quad, dt(0.5) * err * err, dt(self.delta) * abs_err - dt(0.5 * self.delta ** 2)))
        grad = None
        if want_grad:
            grad = np.where(quad, err, dt(self.delta) * np.sign(err)) * dt(1.0 / err.shape[-1])
        return losses, grad

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


class LogCosh(Loss):
    """mean(log(cosh(y_pred - y_true))) over the last axis (computed stably)."""

    default_name = "log_cosh"

    def _compute(self, y_true, y_pred, want_grad):
        x = y_pred - _as_target(y_true, y_pred, self.name)
        ax = np.abs(x)
        losses = _mean_last(ax + np.log1p(np.exp(-2 * ax)) - np.log(2.0).astype(x.dtype))
        grad = np.tanh(x) * x.dtype.type(1.0 / x.shape[-1]) if want_grad else None
        return losses, grad


# ---------------------------------------------------------------- probabilistic losses

class BinaryCrossentropy(Loss):
    """Binary cross-entropy, mean over the last axis.

    From probabilities (Keras): p clipped to [eps, 1 - eps], -(t log p + (1 - t) log(1 - p)).
    From logits: max(z, 0) - z t + log(1 + exp(-|z|)).

    Args:
        from_logits: y_pred holds logits rather than probabilities.
        label_smoothing: in [0, 1]; targets become t (1 - ls) + 0.5 ls.
    """

    default_name = "binary_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        _check_smoothing(type(self).__name__, label_smoothing)
        if axis != -1:
            raise ValueError(f"BinaryCrossentropy: only axis=-1 is supported, received {axis!r}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    @property
    def fusable_activation(self):
        return None if self.from_logits else "sigmoid"

    def _compute(self, y_true, y_pred, want_grad):
        t = _as_target(y_true, y_pred, self.name)
        dt = y_pred.dtype.type
        if self.label_smoothing:
            t = t * dt(1.0 - self.label_smoothing) + dt(0.5 * self.label_smoothing)
        inv_n = dt(1.0 / y_pred.shape[-1])
        if self.from_logits:
            z = y_pred
            losses = _mean_last(np.maximum(z, dt(0)) - z * t + np.log1p(np.exp(-np.abs(z))))
            grad = None
            if want_grad:
                grad = (dt(1) / (dt(1) + np.exp(-z)) - t) * inv_n
            return losses, grad
        p = np.clip(y_pred, dt(EPSILON), dt(1.0 - EPSILON))
        losses = _mean_last(-(t * np.log(p) + (dt(1) - t) * np.log(dt(1) - p)))
        grad = None
        if want_grad:
            inside = (y_pred >= dt(EPSILON)) & (y_pred <= dt(1.0 - EPSILON))
            grad = np.where(inside, (p - t) / (p * (dt(1) - p)), dt(0)) * inv_n
        return losses, grad

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


def _check_smoothing(cls_name, label_smoothing):
    if not (isinstance(label_smoothing, (int, float, np.floating)) and 0 <= label_smoothing <= 1):
        raise ValueError(f"{cls_name}: label_smoothing must be a number in [0, 1], received {label_smoothing!r}")


class CategoricalCrossentropy(Loss):
    """Cross-entropy against one-hot / probability targets: -sum_j t_j log q_j over `axis`.

    From logits: q = softmax(y_pred) (fused native kernel, stable). From probabilities (Keras):
    q = y_pred / sum(y_pred), clipped to [eps, 1 - eps].

    Args:
        from_logits: y_pred holds logits.
        label_smoothing: in [0, 1]; targets become t (1 - ls) + ls / num_classes.
        axis: the class axis (default -1).
    """

    default_name = "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        _check_smoothing(type(self).__name__, label_smoothing)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"CategoricalCrossentropy: axis must be an integer, received {axis!r}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = int(axis)

    @property
    def fusable_activation(self):
        return None if self.from_logits else "softmax"

    def forward_backward(self, y_true, y_pred, sample_weight=None, want_grad=True):
        y_pred = _as_pred(y_pred, self.name)
        if self.axis in (-1, y_pred.ndim - 1):
            return super().forward_backward(y_true, y_pred, sample_weight, want_grad)
        if not -y_pred.ndim <= self.axis < y_pred.ndim:
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for y_pred of shape {y_pred.shape}")
        t = np.moveaxis(_as_target(y_true, y_pred, self.name), self.axis, -1)
        value, grad = super().forward_backward(t, np.moveaxis(y_pred, self.axis, -1), sample_weight, want_grad)
        return value, None if grad is None else np.ascontiguousarray(np.moveaxis(grad, -1, self.axis))

    def call(self, y_true, y_pred):
        y_pred = _as_pred(y_pred, self.name)
        if self.axis in (-1, y_pred.ndim - 1):
            return super().call(y_true, y_pred)
        t = np.moveaxis(_as_target(y_true, y_pred, self.name), self.axis, -1)
        return super().call(t, np.moveaxis(y_pred, self.axis, -1))

    def _compute(self, y_true, y_pred, want_grad):
        # Weights and scaling are folded in by _reduce; the kernel sees weight 1 and scale 1.
        t = _as_target(y_true, y_pred, self.name)
        losses = np.empty(y_pred.shape[:-1], dtype=y_pred.dtype)
        grad = np.empty_like(y_pred) if want_grad else None
        if self.from_logits:
            _native_loss.softmax_xent(y_pred, None, t, self.label_smoothing, None, 1.0, losses, grad,
                                      config.get_num_threads())
        else:
            _native_loss.prob_xent(y_pred, None, t, self.label_smoothing, EPSILON, None, 1.0, losses, grad,
                                   config.get_num_threads())
        return losses, grad

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                "axis": self.axis}


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy against integer class labels: -log q[label] per sample.

    From logits: q = softmax(y_pred) (fused native kernel). From probabilities (Keras): q = y_pred /
    sum(y_pred), clipped to [eps, 1 - eps].

    Args:
        from_logits: y_pred holds logits.
        ignore_class: optional label value whose samples contribute no loss and no gradient;
            'sum_over_batch_size' then divides by the number of other samples (as Keras's mask does).

    Labels must be integer-valued in [0, num_classes) (float labels such as 3.0 are accepted).
    """

    default_name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", name=None,
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if ignore_class is not None and (isinstance(ignore_class, bool) or
                                         not isinstance(ignore_class, (int, np.integer))):
            raise ValueError(f"SparseCategoricalCrossentropy: ignore_class must be an integer or None, "
                             f"received {ignore_class!r}")
        self.from_logits = bool(from_logits)
        self.ignore_class = None if ignore_class is None else int(ignore_class)

    @property
    def fusable_activation(self):
        return None if self.from_logits else "softmax"

    def _run(self, y_true, y_pred, weights, scale, losses, grad):
        labels = _sparse_labels(y_true, y_pred, self.name)
        ignore = _native_loss.NO_IGNORE if self.ignore_class is None else self.ignore_class
        try:
            if self.from_logits:
                return labels, _native_loss.softmax_xent(y_pred, labels, None, 0.0, weights, scale, losses, grad,
                                                         config.get_num_threads(), ignore)
            return labels, _native_loss.prob_xent(y_pred, labels, None, 0.0, EPSILON, weights, scale, losses,
                                                  grad, config.get_num_threads(), ignore)
        except ValueError as err:
            raise ValueError(f"{self.name}: {err} (y_pred has {y_pred.shape[-1]} classes)") from None

    def forward_backward(self, y_true, y_pred, sample_weight=None, want_grad=True):
        y_pred = _as_pred(y_pred, self.name)
        loss_shape = y_pred.shape[:-1]
        weights = _weights(sample_weight, loss_shape, y_pred.dtype, self.name)
        if self.reduction == "mean_with_sample_weight" or self.ignore_class is not None:
            # Divisors that need the labels or the weights: compute, then scale.
            losses, grad = self._compute(y_true, y_pred, want_grad)
            if self.ignore_class is None:
                return self._reduce(losses, grad, weights)
            valid = _sparse_labels(y_true, y_pred, self.name) != self.ignore_class
            count = int(np.count_nonzero(valid)) if self.reduction != "sum" else 1
            w = valid.astype(y_pred.dtype) if weights is None else weights * valid
            if self.reduction == "mean_with_sample_weight":
                count = float(np.sum(w, dtype=np.float64))
            total = float(np.dot(losses.reshape(-1).astype(np.float64), w.astype(np.float64)))
            value = total / count if count else 0.0
            if grad is not None:
                grad *= (w * (1.0 / count if count else 0.0)).astype(grad.dtype).reshape(loss_shape + (1,))
            return value, grad
        # The hot path: one fused kernel call computes the weighted total and the scaled gradient.
        n = math.prod(loss_shape)
        scale = 1.0 if self.reduction == "sum" else (1.0 / n if n else 0.0)
        grad = np.empty_like(y_pred) if want_grad else None
        _, total = self._run(y_true, y_pred, weights, scale, None, grad)
        return total * scale, grad

    def _compute(self, y_true, y_pred, want_grad):
        losses = np.empty(y_pred.shape[:-1], dtype=y_pred.dtype)
        grad = np.empty_like(y_pred) if want_grad else None
        self._run(y_true, y_pred, None, 1.0, losses, grad)
        return losses, grad

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "ignore_class": self.ignore_class}


class KLDivergence(Loss):
    """sum over the last axis of t log(t / p), with t and p clipped to [eps, 1]."""

    default_name = "kl_divergence"

    def _compute(self, y_true, y_pred, want_grad):
        dt = y_pred.dtype.type
        t = np.clip(_as_target(y_true, y_pred, self.name), dt(EPSILON), dt(1))
        p = np.clip(y_pred, dt(EPSILON), dt(1))
        losses = np.sum(t * np.log(t / p), axis=-1)
        grad = None
        if want_grad:
            grad = np.where((y_pred >= dt(EPSILON)) & (y_pred <= dt(1)), -t / p, dt(0))
        return losses, grad


class Poisson(Loss):
    """mean(y_pred - y_true log(y_pred + eps)) over the last axis."""

    default_name = "poisson"

    def _compute(self, y_true, y_pred, want_grad):
        t = _as_target(y_true, y_pred, self.name)
        dt = y_pred.dtype.type
        losses = _mean_last(y_pred - t * np.log(y_pred + dt(EPSILON)))
        grad = (dt(1) - t / (y_pred + dt(EPSILON))) * dt(1.0 / y_pred.shape[-1]) if want_grad else None
        return losses, grad


class CosineSimilarity(Loss):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred)) over the last axis (-1 for aligned vectors).

    l2_normalize(x) = x / sqrt(max(sum(x^2), 1e-12)), as Keras computes it.
    """

    default_name = "cosine_similarity"

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if axis != -1:
            raise ValueError(f"CosineSimilarity: only axis=-1 is supported, received {axis!r}")
        self.axis = axis

    def _compute(self, y_true, y_pred, want_grad):
        t = _as_target(y_true, y_pred, self.name)
        t_hat = t / np.sqrt(np.maximum(np.sum(t * t, -1, keepdims=True), 1e-12))
        sq = np.sum(y_pred * y_pred, -1, keepdims=True)
        norm = np.sqrt(np.maximum(sq, 1e-12))
        p_hat = y_pred / norm
        cos = np.sum(t_hat * p_hat, -1, keepdims=True)
        losses = -cos[..., 0]
        grad = None
        if want_grad:
            # d(-t_hat . p / |p|)/dp = -(t_hat - cos * p_hat) / |p| where |p|^2 > 1e-12, else -t_hat / 1e-6
            grad = np.where(sq > 1e-12, -(t_hat - cos * p_hat) / norm, -t_hat / norm)
        return losses.astype(y_pred.dtype), None if grad is None else grad.astype(y_pred.dtype)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


# ---------------------------------------------------------------- hinge losses

def _hinge_targets(t):
    """Keras converts 0/1 labels to -1/1 when every label is 0 or 1."""
    if np.all((t == 0) | (t == 1)):
        return 2 * t - 1
    return t


class Hinge(Loss):
    """mean(max(1 - t y_pred, 0)) over the last axis; 0/1 targets become -1/1."""

    default_name = "hinge"

    def _compute(self, y_true, y_pred, want_grad):
        t = _hinge_targets(_as_target(y_true, y_pred, self.name))
        margin = y_pred.dtype.type(1) - t * y_pred
        losses = _mean_last(np.maximum(margin, 0))
        grad = np.where(margin > 0, -t, 0).astype(y_pred.dtype) * y_pred.dtype.type(1.0 / y_pred.shape[-1]) \
            if want_grad else None
        return losses, grad


class SquaredHinge(Loss):
    """mean(max(1 - t y_pred, 0)^2) over the last axis; 0/1 targets become -1/1."""

    default_name = "squared_hinge"

    def _compute(self, y_true, y_pred, want_grad):
        t = _hinge_targets(_as_target(y_true, y_pred, self.name))
        margin = np.maximum(y_pred.dtype.type(1) - t * y_pred, 0)
        losses = _mean_last(margin * margin)
        grad = (-2 * t * margin) * y_pred.dtype.type(1.0 / y_pred.shape[-1]) if want_grad else None
        return losses, grad


class CategoricalHinge(Loss):
    """max(neg - pos + 1, 0) with pos = sum(t p), neg = max((1 - t) p) over the last axis."""

    default_name = "categorical_hinge"

    def _compute(self, y_true, y_pred, want_grad):
        t = _as_target(y_true, y_pred, self.name)
        pos = np.sum(t * y_pred, axis=-1)
        other = (1 - t) * y_pred
        neg = np.max(other, axis=-1)
        margin = neg - pos + 1
        losses = np.maximum(margin, 0).astype(y_pred.dtype)
        grad = None
        if want_grad:
            arg = np.argmax(other, axis=-1)
            d_neg = np.zeros_like(y_pred)
            np.put_along_axis(d_neg, arg[..., None], np.take_along_axis(1 - t, arg[..., None], -1), -1)
            grad = ((d_neg - t) * (margin > 0)[..., None]).astype(y_pred.dtype)
        return losses, grad


# ---------------------------------------------------------------- functional forms and lookup

def _functional(cls, doc):
    def fn(y_true, y_pred, **kwargs):
        return cls(**kwargs).call(y_true, y_pred)

    fn.__doc__ = f"Per-sample {doc} (shape y_pred.shape[:-1]), as ``keras.losses`` computes it."
    return fn


mean_squared_error = _functional(MeanSquaredError, "mean squared error")
mean_absolute_error = _functional(MeanAbsoluteError, "mean absolute error")
mean_absolute_percentage_error = _functional(MeanAbsolutePercentageError, "mean absolute percentage error")
mean_squared_logarithmic_error = _functional(MeanSquaredLogarithmicError, "mean squared logarithmic error")
huber = _functional(Huber, "Huber loss")
log_cosh = _functional(LogCosh, "log-cosh loss")
binary_crossentropy = _functional(BinaryCrossentropy, "binary cross-entropy")
categorical_crossentropy = _functional(CategoricalCrossentropy, "categorical cross-entropy")
sparse_categorical_crossentropy = _functional(SparseCategoricalCrossentropy, "sparse categorical cross-entropy")
kl_divergence = _functional(KLDivergence, "Kullback-Leibler divergence")
poisson = _functional(Poisson, "Poisson loss")
hinge = _functional(Hinge, "hinge loss")
squared_hinge = _functional(SquaredHinge, "squared hinge loss")
categorical_hinge = _functional(CategoricalHinge, "categorical hinge loss")
cosine_similarity = _functional(CosineSimilarity, "negative cosine similarity")
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

_CLASSES = {c.__name__: c for c in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber,
    LogCosh, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
    Poisson, Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity)}
_NAMES = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
    "huber": Huber, "huber_loss": Huber, "log_cosh": LogCosh, "logcosh": LogCosh,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "KLD": KLDivergence,
    "kullback_leibler_divergence": KLDivergence, "poisson": Poisson,
    "hinge": Hinge, "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
    "cosine_similarity": CosineSimilarity,
}
_FUNCTIONS = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
              mean_absolute_percentage_error: MeanAbsolutePercentageError,
              mean_squared_logarithmic_error: MeanSquaredLogarithmicError, huber: Huber, log_cosh: LogCosh,
              binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
              sparse_categorical_crossentropy: SparseCategoricalCrossentropy, kl_divergence: KLDivergence,
              poisson: Poisson, hinge: Hinge, squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge,
              cosine_similarity: CosineSimilarity}


def _valid_names():
    return sorted(_NAMES) + sorted(_CLASSES)


class LossFunctionWrapper(Loss):
    """A user function ``fn(y_true, y_pred) -> per-sample losses`` as a Loss (values only: a plain
    function has no gradient, so training with it raises an error saying what to do instead)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "custom_loss"), reduction=reduction)
        self.fn = fn
        self.fn_kwargs = kwargs

    def _compute(self, y_true, y_pred, want_grad):
        if want_grad:
            raise ValueError(f"Loss '{self.name}' is a plain function with no gradient, so a model cannot be "
                             f"trained with it. Use a built-in loss ({', '.join(sorted(_NAMES))}) or subclass "
                             f"fastnn.losses.Loss and implement _compute(y_true, y_pred, want_grad) returning "
                             f"(per-sample losses, their gradient with respect to y_pred).")
        return np.asarray(self.fn(y_true, y_pred, **self.fn_kwargs)), None


def get(identifier):
    """Return a Loss object for `identifier`.

    Args:
        identifier: a name or alias ('mse', 'sparse_categorical_crossentropy', ...), a class name
            ('MeanSquaredError'), a Loss instance, a Loss subclass, one of this module's functions, a
            serialized dict ``{"class_name": ..., "config": {...}}`` or a user function
            ``fn(y_true, y_pred)`` (values only).

    Raises:
        ValueError: unknown names (the message lists the valid ones) or unsupported identifiers.
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]()
        return LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier {identifier!r}: expected a name, a Loss, a callable or "
                     f"a config dict")


def serialize(loss):
    """``{"class_name": ..., "config": {...}}`` for a built-in Loss."""
    loss = get(loss)
    if isinstance(loss, LossFunctionWrapper):
        raise ValueError(f"Loss '{loss.name}' wraps a plain function and cannot be serialized")
    return _serialize(loss, Loss, "losses.serialize")


def deserialize(config, custom_objects=None):
    """A Loss from a name or alias ('mse'), a class name, or a ``{"class_name": ..., "config": {...}}``
    dict (inverse of :func:`serialize`)."""
    name, kwargs = split_config(config, "losses.deserialize")
    return find_class(name, {**_CLASSES, **_NAMES}, "loss", _valid_names(), custom_objects).from_config(kwargs)
