"""Weight constraints (Keras names): projections applied to a weight after each optimizer update."""
import numpy as np

from fastnn._registry import find_class, resolve, serialize as _serialize, split_config


class Constraint:
    """Base class: ``__call__(w) -> w'`` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Scales each slice along `axis` down to norm at most `max_value`: ``w * clip(n, 0, max)/(eps + n)``."""

    def __init__(self, max_value=2.0, axis=0):
        self.max_value = float(max_value)
        self.axis = axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        desired = np.clip(norms, 0, self.max_value)
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return w * (w >= 0)


class UnitNorm(Constraint):
    """Scales each slice along `axis` to unit norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (1e-7 + np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keeps each slice's norm in [min_value, max_value], moving a fraction `rate` of the way there."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = float(min_value), float(max_value), float(rate), axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def deserialize(config, custom_objects=None):
    """Build a constraint from a name or a ``{"class_name": ..., "config": ...}`` dict."""
    name, kwargs = split_config(config, "constraints.deserialize")
    cls = find_class(name, {**_BY_NAME, **_CLASSES}, "constraint", sorted(_BY_NAME), custom_objects)
    return cls.from_config(kwargs)


def get(identifier):
    """A constraint from None (-> None), a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm' or the
    class name), a config dict, a Constraint class or instance, or a callable ``w -> w'``."""
    if identifier is None:
        return None
    return resolve(identifier, Constraint, deserialize, "constraint", sorted(_BY_NAME))


def serialize(constraint):
    """``{"class_name": ..., "config": ...}`` for a built-in constraint (None for None)."""
    if constraint is None:
        return None
    if type(constraint).__name__ in _CLASSES:
        return _serialize(constraint, Constraint, "constraints.serialize")
    raise ValueError(f"Constraint {constraint!r} is a plain callable and cannot be serialized; "
                     f"subclass fastnn.constraints.Constraint and implement get_config")
