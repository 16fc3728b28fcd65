"""Weight penalties with Keras 3's names, arguments and defaults.

A regularizer is a callable ``r(x) -> float`` (the penalty the training step adds to the loss) with
``r.gradient(x) -> ndarray`` (d penalty / dx, same shape and dtype as x, which the training step adds
to the weight's gradient).
"""
import math

import numpy as np

from fastnn._registry import find_class, resolve, serialize as _serialize, split_config

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "get", "serialize", "deserialize"]


def _check_penalty(value, name, who):
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)) or value < 0:
        raise ValueError(f"{who}: invalid value for argument `{name}`: expected a non-negative float, "
                         f"received {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: subclasses implement ``__call__(x) -> float``, ``gradient(x)`` and ``get_config()``."""

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x)")

    def gradient(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(x)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """Penalty ``l1 * sum(|x|) + l2 * sum(x**2)``; gradient ``l1 * sign(x) + 2 * l2 * x`` (sign(0) = 0).

    Args:
        l1: non-negative L1 factor (default 0.0).
        l2: non-negative L2 factor (default 0.0).
    """

    def __init__(self, l1=0.0, l2=0.0):
        who = type(self).__name__
        self.l1 = _check_penalty(l1, "l1", who)
        self.l2 = _check_penalty(l2, "l2", who)

    def __call__(self, x):
        x = np.asarray(x)
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.sum(np.abs(x), dtype=np.float64))
        if self.l2:
            penalty += self.l2 * float(np.sum(np.square(x, dtype=np.float64)))
        return penalty

    def gradient(self, x):
        x = np.asarray(x)
        dt = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        grad = np.zeros(x.shape, dtype=dt)
        if self.l1:
            grad += dt.type(self.l1) * np.sign(x).astype(dt)
        if self.l2:
            grad += dt.type(2.0 * self.l2) * x.astype(dt, copy=False)
        return grad

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """Penalty ``l1 * sum(|x|)``; gradient ``l1 * sign(x)`` (0 at 0).

    Args:
        l1: non-negative factor (default 0.01).
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=l1, l2=0.0)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """Penalty ``l2 * sum(x**2)``; gradient ``2 * l2 * x``.

    Args:
        l2: non-negative factor (default 0.01).
    """

    def __init__(self, l2=0.01):
        super().__init__(l1=0.0, l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards mutual orthogonality.

    With N the weight's rows (mode='rows') or columns (mode='columns') scaled to unit L2 norm
    (norms floored at 1e-6) and P = N N^T (size x size):
    ``penalty = factor * 0.5 * sum_{i != j} |P_ij| / (size * (size - 1) / 2)``; 0 when size < 2.

    Args:
        factor: non-negative strength (default 0.01).
        mode: 'rows' (default) or 'columns'.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_penalty(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: argument `mode` must be one of ['rows', 'columns'], "
                             f"received {mode!r}")
        self.mode = mode

    def _vectors(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer: the weight must be 2-dimensional, received shape {x.shape}")
        return x if self.mode == "rows" else x.T

    @staticmethod
    def _normalize(v):
        sq = np.sum(v * v, axis=1, keepdims=True)
        scale = np.sqrt(np.maximum(sq, 1e-12))
        return v / scale, scale, sq > 1e-12

    def __call__(self, x):
        v = self._vectors(x)
        size = v.shape[0]
        if size < 2:
            return 0.0
        n, _, _ = self._normalize(v)
        product = n @ n.T
        np.fill_diagonal(product, 0.0)
        return self.factor * 0.5 * float(np.sum(np.abs(product))) / (size * (size - 1) / 2.0)

    def gradient(self, x):
        x_arr = np.asarray(x)
        v = self._vectors(x_arr)
        size = v.shape[0]
        dt = x_arr.dtype if x_arr.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        if size < 2:
            return np.zeros(x_arr.shape, dtype=dt)
        n, scale, normalized = self._normalize(v)
        coef = self.factor * 0.5 / (size * (size - 1) / 2.0)
        g = coef * np.sign(n @ n.T)
        np.fill_diagonal(g, 0.0)
        dn = 2.0 * (g @ n)  # P = N N^T with symmetric dL/dP
        # d(v / |v|) projects out the radial part; where the norm was floored the scale is a constant.
        radial = np.sum(n * dn, axis=1, keepdims=True)
        dv = np.where(normalized, (dn - n * radial) / scale, dn / scale)
        return (dv if self.mode == "rows" else dv.T).astype(dt)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_BY_NAME = {
    "L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
}
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def serialize(regularizer):
    """Return ``{"class_name": ..., "config": ...}`` (None for None)."""
    if regularizer is None:
        return None
    return _serialize(regularizer, Regularizer, "regularizers.serialize", functions=True)


def deserialize(config, custom_objects=None):
    """Build a regularizer from a name or a ``{"class_name", "config"}`` dict."""
    name, kwargs = split_config(config, "regularizers.deserialize")
    cls = find_class(name, _BY_NAME, "regularizer", sorted(_BY_NAME), custom_objects)
    if isinstance(cls, type) and issubclass(cls, Regularizer):
        return cls.from_config(kwargs)
    return cls(**kwargs) if kwargs else cls


def get(identifier):
    """Resolve a regularizer.

    Args:
        identifier: None (-> None), a name ('l1', 'l2', 'l1_l2', 'L2', ...), a config dict, a Regularizer
            class or instance, or a callable penalty.

    Returns:
        None or a regularizer; unknown names raise ValueError listing the valid ones.
    """
    if identifier is None:
        return None
    return resolve(identifier, Regularizer, deserialize, "regularizer", sorted(_BY_NAME))
