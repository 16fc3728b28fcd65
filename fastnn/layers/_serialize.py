"""Resolving and serializing the identifiers layers accept (initializers, regularizers, constraints,
activations), tolerant of which optional modules exist."""
import importlib


def _module(name):
    try:
        return importlib.import_module(f"fastnn.{name}")
    except ImportError:
        return None


def serialize(kind, identifier):
    """Plain-JSON form of an initializer/regularizer/constraint/activation identifier (None, names, numbers
    and config dicts are already plain JSON and are returned as they are)."""
    if identifier is None or isinstance(identifier, (str, int, float, bool, dict)):
        return identifier
    module = _module(kind)
    if module is not None and hasattr(module, "serialize"):
        return module.serialize(identifier)
    if hasattr(identifier, "get_config"):
        return {"class_name": type(identifier).__name__, "config": identifier.get_config()}
    return getattr(identifier, "name", None) or getattr(identifier, "__name__", None)


def get_activation(identifier):
    from fastnn import activations

    return activations.get(identifier)


def activation_name(act):
    from fastnn import activations

    if hasattr(activations, "serialize"):
        return activations.serialize(act)
    return act.name


def get_constraint(identifier, layer, arg):
    """None, a callable, or a name resolved by fastnn.constraints when that module exists."""
    if identifier is None or callable(identifier):
        return identifier
    module = _module("constraints")
    if module is not None:
        return module.get(identifier)
    raise ValueError(f"{layer}: {arg} must be None or a callable constraint, received {identifier!r}")
