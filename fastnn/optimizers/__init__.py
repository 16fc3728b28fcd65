"""Optimizers with Keras 3's names, arguments and formulas, updating on fused native kernels.

``fastnn.optimizers.get('adam')`` / ``Adam(learning_rate=1e-3)``; schedules live in
``fastnn.optimizers.schedules``. See ``fastnn.optimizers.base`` for the training-loop contract
(``apply(variables)``, ``apply_gradients``, ``get_state``/``set_state``).
"""
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
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizers.serialize: expected an Optimizer, received {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """Build an optimizer from a name or a ``{"class_name": ..., "config": ...}`` dict."""
    lookup = dict(_BY_NAME)
    if custom_objects:
        lookup.update(custom_objects)
    if isinstance(config, str):
        name, kwargs = config, {}
    elif isinstance(config, dict) and "class_name" in config:
        name, kwargs = config["class_name"], dict(config.get("config") or {})
    else:
        raise ValueError(f"optimizers.deserialize: expected a name or a dict with 'class_name' and 'config', "
                         f"received {config!r}")
    cls = lookup.get(name) or lookup.get(name.lower() if isinstance(name, str) else name)
    if cls is None:
        raise ValueError(f"Unknown optimizer: {name!r}. Valid names are {_valid_names()}")
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
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Valid names are {_valid_names()}")
