"""Optimizers with Keras 3's names, arguments and formulas, updating on fused native kernels.

``fastnn.optimizers.get('adam')`` / ``Adam(learning_rate=1e-3)``; schedules live in
``fastnn.optimizers.schedules``. See ``fastnn.optimizers.base`` for the training-loop contract
(``apply(variables)``, ``apply_gradients``, ``get_state``/``set_state``).
"""
from fastnn._registry import find_class, resolve, serialize as _serialize, split_config
from fastnn.optimizers import schedules
from fastnn.optimizers.adam import Adam, AdamW, Nadam
from fastnn.optimizers.adaptive import Adadelta, Adagrad, RMSprop
from fastnn.optimizers.base import Optimizer
from fastnn.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Nadam", "Adagrad", "Adadelta", "RMSprop", "schedules",
           "get", "serialize", "deserialize"]

_CLASSES = (SGD, Adam, AdamW, Nadam, Adagrad, Adadelta, RMSprop)
_BY_NAME = {cls.__name__.lower(): cls for cls in _CLASSES}
_BY_NAME.update({cls.__name__: cls for cls in _CLASSES})


def _valid_names():
    return sorted(cls.__name__.lower() for cls in _CLASSES)


def serialize(optimizer):
    """Return ``{"class_name": ..., "config": ...}`` for an optimizer."""
    return _serialize(optimizer, Optimizer, "optimizers.serialize")


def deserialize(config, custom_objects=None):
    """Build an optimizer from a name (any case) or a ``{"class_name": ..., "config": ...}`` dict."""
    name, kwargs = split_config(config, "optimizers.deserialize")
    cls = find_class(name, _BY_NAME, "optimizer", _valid_names(), custom_objects, fold_case=True)
    return cls.from_config(kwargs, custom_objects) if kwargs else cls()


def get(identifier):
    """Resolve an optimizer.

    Args:
        identifier: a name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'nadam'; any case),
            a config dict, an Optimizer class or instance.

    Returns:
        An Optimizer (instances are returned as is; names give a fresh one with Keras defaults).
        Unknown names raise ValueError listing the valid ones.
    """
    return resolve(identifier, Optimizer, deserialize, "optimizer", _valid_names(), functions=False)
