"""Deciding whether a monitored quantity should go down ('min') or up ('max')."""
import warnings

_MODES = ("auto", "min", "max")
_UP_WORDS = ("acc", "auc", "precision", "recall", "f1", "fmeasure", "iou", "r2")
_DOWN_WORDS = ("loss", "error", "crossentropy", "mse", "mae", "mape", "msle", "rmse", "hinge", "divergence")


def check_mode(mode, who):
    """Unknown modes fall back to 'auto' with a warning, as in Keras."""
    if mode not in _MODES:
        warnings.warn(f"{who}: mode {mode!r} is unknown (expected one of {list(_MODES)}); using 'auto'",
                      stacklevel=3)
        return "auto"
    return mode


def resolve_direction(monitor, mode, model, who, strict):
    """'min' or 'max' for `monitor`.

    In 'auto' mode: losses go down; a compiled metric with that name tells its own direction
    (`_direction`); otherwise the name decides (accuracy/AUC/precision/recall up, errors down).
    When nothing decides: ValueError if `strict` (EarlyStopping, as Keras 3), else 'min'.
    """
    if mode in ("min", "max"):
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in getattr(model, "metrics", None) or ():
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    lowered = name.lower()
    if any(word in lowered for word in _DOWN_WORDS):
        return "min"
    if any(word in lowered for word in _UP_WORDS):
        return "max"
    if strict:
        raise ValueError(f"{who} received monitor={monitor!r} but cannot tell whether it should be "
                         "maximized or minimized. Pass mode='max' to keep the highest value, or "
                         "mode='min' to keep the lowest.")
    return "min"
