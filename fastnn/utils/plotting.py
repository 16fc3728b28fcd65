"""Plotting training curves from a `fit` history (matplotlib, imported only when used)."""


def _history_dict(history):
    if isinstance(history, dict):
        return history
    inner = getattr(history, "history", None)
    if isinstance(inner, dict):
        return inner
    raise ValueError("plot_history: expected a History (the value returned by fit) or its `.history` "
                     f"dict, received {type(history).__name__}")


def plot_history(history, metrics=None, path=None):
    """Plot training (and validation) curves per metric, one panel each.

    Args:
        history: the History returned by `model.fit` or its `.history` dict (name -> list per epoch).
        metrics: names to plot (without the 'val_' prefix); all logged ones when None.
        path: when given, the figure is written to this file (format from the extension) instead of
            being left open for display.

    Returns:
        The matplotlib Figure.

    Raises:
        ImportError: matplotlib is not installed (`pip install matplotlib`).
        ValueError: an unknown metric name or an empty history.
    """
    logs = _history_dict(history)
    available = [name for name in logs if not name.startswith("val_")]
    available += [name[4:] for name in logs if name.startswith("val_") and name[4:] not in available]
    if metrics is None:
        metrics = available
    elif isinstance(metrics, str):
        metrics = [metrics]
    if not metrics:
        raise ValueError("plot_history: the history is empty; nothing to plot")
    for name in metrics:
        if name not in available:
            raise ValueError(f"plot_history: no metric named {name!r} in the history; available: {available}")
    try:
        if path is None:
            import matplotlib.pyplot as plt
        else:
            from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plot_history needs matplotlib, which is not installed: "
                          "pip install matplotlib") from error
    size = (5 * len(metrics), 3.5)
    if path is None:
        figure, axes = plt.subplots(1, len(metrics), figsize=size, squeeze=False)
    else:
        # A bare Figure needs no GUI backend and leaves pyplot's global state alone.
        figure = Figure(figsize=size)
        axes = figure.subplots(1, len(metrics), squeeze=False)
    for axis, name in zip(axes[0], metrics):
        for key, label in ((name, "train"), ("val_" + name, "validation")):
            if key in logs:
                values = list(logs[key])
                axis.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.legend()
        axis.grid(True, alpha=0.3)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path)
    return figure
