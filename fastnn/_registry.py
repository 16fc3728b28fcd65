"""The Keras identifier protocol shared by initializers, regularizers, constraints, optimizers, schedules,
losses, metrics and activations.

An identifier is an instance, a class, a registered name, or a serialized dict
``{"class_name": name, "config": {...}}``; each module keeps a name -> class table and resolves names and
dicts through the helpers below, so every module parses configs, reports unknown names and serializes
objects the same way. What is particular to a module (how a found class is built, what None means,
whether plain functions are accepted) stays in that module.
"""
import re


def snake_case(name):
    """'SparseCategoricalAccuracy' -> 'sparse_categorical_accuracy'; 'AUC' -> 'auc'."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def split_config(config, who, names=True):
    """Return ``(name, kwargs)`` of a serialized identifier.

    Args:
        config: a name (when `names`) or a dict ``{"class_name": name, "config": {...}}`` (a missing or
            None "config" means no arguments).
        who: the function named in the error message, e.g. 'initializers.deserialize'.
        names: whether a bare name is accepted.

    Raises:
        ValueError: `config` is neither.
    """
    if names and isinstance(config, str):
        return config, {}
    if isinstance(config, dict) and "class_name" in config:
        return config["class_name"], dict(config.get("config") or {})
    expected = "a name or a dict" if names else "a dict"
    raise ValueError(f"{who}: expected {expected} with 'class_name' and 'config', received {config!r}")


def find_class(name, table, kind, valid_names, custom_objects=None, fold_case=False):
    """Return ``table[name]``, with `custom_objects` taking precedence over `table`.

    Args:
        name: the registered name (or class name) to look up.
        table: the module's name -> class (or factory) dict.
        kind: what is looked up, for the message ('initializer', 'loss', ...).
        valid_names: the names listed in the message when `name` is unknown.
        custom_objects: optional extra name -> class dict from the caller.
        fold_case: also try ``name.lower()`` when `name` itself is not registered.

    Raises:
        ValueError: ``Unknown <kind> <name>. Valid names: [...]``.
    """
    lookup = {**table, **custom_objects} if custom_objects else table
    found = lookup.get(name)
    if found is None and fold_case and isinstance(name, str):
        found = lookup.get(name.lower())
    if found is not None:
        return found
    raise ValueError(f"Unknown {kind} {name!r}. Valid names: {list(valid_names)}")


def serialize(obj, base, who, functions=False):
    """``{"class_name": type(obj).__name__, "config": obj.get_config()}`` for an instance of `base`.

    Args:
        obj: the object to serialize.
        base: the module's base class.
        who: the function named in the error message, e.g. 'optimizers.serialize'.
        functions: also accept a named plain function, serialized as its ``__name__``.

    Raises:
        ValueError: `obj` is not serializable (the message says what was expected and received).
    """
    if isinstance(obj, base):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if functions and callable(obj) and getattr(obj, "__name__", None):
        return obj.__name__
    article = "an" if base.__name__[0] in "AEIOU" else "a"
    expected = f"{article} {base.__name__}" + (" or a named function" if functions else "")
    raise ValueError(f"{who}: expected {expected}, received {obj!r}")


def resolve(identifier, base, deserialize, kind, valid_names, functions=True):
    """The common tail of a module's ``get(identifier)`` (None is handled by the module first).

    An instance of `base` is returned as is, a name or dict goes through `deserialize`, a subclass of
    `base` is instantiated with its defaults, and (when `functions`) any other callable is returned as
    is.

    Raises:
        ValueError: ``Could not interpret <kind> identifier: ... Valid names: [...]``.
    """
    if isinstance(identifier, base):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if functions and callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Valid names: {list(valid_names)}")
