"""model.summary(): a table of layers, output shapes and parameter counts."""


def _fmt_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _rows(model):
    """(layer label, output shape, params) for each layer; models may provide `_summary_rows`."""
    if hasattr(model, "_summary_rows"):
        return model._summary_rows()
    rows = []
    shape = getattr(model, "input_shape_built", None)
    for layer in model.layers:
        out = None
        if shape is not None:
            try:
                out = layer.compute_output_shape(shape)
            except Exception:
                out = None
        shape = out
        params = sum(w.size for w in layer.weights) if layer.built else 0
        rows.append((f"{layer.name} ({type(layer).__name__})", _fmt_shape(out), params))
    return rows


def print_summary(model, print_fn=None):
    print_fn = print_fn or print
    rows = _rows(model)
    headers = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(headers[i]), *(len(str(r[i])) for r in rows)) if rows else len(headers[i]) for i in range(3)]
    widths = [w + 2 for w in widths]
    total_width = sum(widths)
    print_fn(f'Model: "{model.name}"')
    print_fn("=" * total_width)
    print_fn("".join(h.ljust(w) for h, w in zip(headers, widths)))
    print_fn("=" * total_width)
    for r in rows:
        print_fn(str(r[0]).ljust(widths[0]) + str(r[1]).ljust(widths[1]) + f"{r[2]:,}".ljust(widths[2]))
    print_fn("=" * total_width)
    trainable_ids = {id(w) for w in model.trainable_weights}
    total = sum(w.size for w in model.weights)
    trainable = sum(w.size for w in model.weights if id(w) in trainable_ids)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
