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
    # Rows of graph models carry a fourth column, "Connected to" (the inbound layer[node][tensor]s).
    headers = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    ncols = 4 if rows and all(len(r) > 3 for r in rows) else 3
    headers = headers[:ncols]
    cells = [(str(r[0]), str(r[1]), f"{r[2]:,}") + ((str(r[3]),) if ncols == 4 else ()) for r in rows]
    widths = [max(len(headers[i]), *(len(c[i]) for c in cells)) if cells else len(headers[i])
              for i in range(ncols)]
    widths = [w + 2 for w in widths]
    total_width = sum(widths)
    print_fn(f'Model: "{model.name}"')
    print_fn("=" * total_width)
    print_fn("".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    print_fn("=" * total_width)
    for c in cells:
        print_fn("".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
    print_fn("=" * total_width)
    trainable_ids = {id(w) for w in model.trainable_weights}
    total = sum(w.size for w in model.weights)
    trainable = sum(w.size for w in model.weights if id(w) in trainable_ids)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
