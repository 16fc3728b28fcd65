"""Layer (de)serialization by registered class name — never by importing arbitrary code.

``serialize_layer(layer) -> {"class_name": ..., "config": ...}``; ``deserialize_layer(item)`` looks the
class up in fastnn's registry (every public layer, model, and anything registered with
``fastnn.saving.register_fastnn_serializable`` / passed in ``custom_objects``).
"""

_REGISTRY = {}


def register(cls, name=None):
    """Make `cls` deserializable under `name` (default: its class name). Returns cls (usable as decorator)."""
    _REGISTRY[name or cls.__name__] = cls
    return cls


def _builtin_classes():
    import fastnn.layers as layers_module
    from fastnn.engine.layer import Layer
    from fastnn.engine.sequential import Sequential
    from fastnn.engine.training import Model

    from fastnn.layers import merge, reduce

    found = {"Sequential": Sequential, "Model": Model}
    for module in (merge, reduce, layers_module):
        for attr in dir(module):
            obj = getattr(module, attr)
            if isinstance(obj, type) and issubclass(obj, Layer) and not attr.startswith("_"):
                found[obj.__name__] = obj
    try:
        from fastnn.engine.functional import Functional

        found["Functional"] = Functional
    except ImportError:
        pass
    return found


def lookup(class_name, custom_objects=None):
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    if class_name in _REGISTRY:
        return _REGISTRY[class_name]
    builtins = _builtin_classes()
    if class_name in builtins:
        return builtins[class_name]
    raise ValueError(f"Unknown layer class {class_name!r}: it is not a fastnn layer. Pass it in "
                     f"custom_objects={{'{class_name}': {class_name}}} or register it with "
                     f"@fastnn.saving.register_fastnn_serializable()")


def serialize_layer(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(item, custom_objects=None):
    if not isinstance(item, dict) or "class_name" not in item or not isinstance(item.get("config", {}), dict):
        raise ValueError(f"A serialized layer must be a dict with 'class_name' and 'config', received {item!r:.200}")
    cls = lookup(item["class_name"], custom_objects)
    config = dict(item.get("config", {}))
    try:
        import inspect

        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(config, custom_objects=custom_objects)
    except (TypeError, ValueError):
        pass
    return cls.from_config(config)
