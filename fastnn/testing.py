"""Public gradient checker: a layer's (or model's) backward against central differences.

    from fastnn.testing import check_gradients
    check_gradients(MyLayer(3, dtype="float64"), np.random.rand(4, 5))

The loss is a random projection ``L = sum(R * layer(x))``; the analytic gradients (tape backward) of
L with respect to every input and every trainable weight are compared with
``(L(w + h) - L(w - h)) / 2h`` on a sample of coordinates, plus one random-direction check
``<dL/dw, v> ~ (L(w + h v) - L(w - h v)) / 2h`` per tensor.
"""
import numpy as np

from fastnn import config
from fastnn.engine.tape import Tape, _flatten


class GradientCheckError(AssertionError):
    """Raised when an analytic gradient disagrees with central differences."""


def _all_layers(layer):
    out = [layer]
    for sub in getattr(layer, "_sublayers", []):
        out.extend(_all_layers(sub))
    for sub in getattr(layer, "layers", []) or []:
        if sub not in out:
            out.extend(_all_layers(sub))
    return out


class _RngSnapshot:
    """Restores every generator a forward pass may draw from, so each evaluation sees the same masks."""

    def __init__(self, layer):
        self.global_state = config.rng().bit_generator.state
        self.layers = [(l, l._generator.bit_generator.state) for l in _all_layers(layer)
                       if getattr(l, "_generator", None) is not None]

    def restore(self):
        config.rng().bit_generator.state = self.global_state
        for l, state in self.layers:
            l._generator.bit_generator.state = state


def check_gradients(layer, x, training=False, h=1e-6, rtol=1e-5, atol=1e-7, max_coords=48, seed=0,
                    check_inputs=True, call_kwargs=None):
    """Compare ``layer``'s analytic gradients with central differences; raise on disagreement.

    Args:
        layer: a Layer or Model. Use dtype='float64' (a float32 check is too coarse to trust).
        x: input array, or a list of arrays for multi-input layers. Integer inputs (e.g. Embedding
            indices) are passed through and not differentiated.
        training: the training flag of every call (stochastic layers are evaluated with the same mask
            each time: every generator they draw from is restored before each call).
        h: finite-difference step.
        rtol, atol: the check passes where ``|analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|, 1)``.
        max_coords: coordinates sampled per tensor (all of them when the tensor is smaller).
        seed: seeds the projection, the sampled coordinates and the random directions.
        check_inputs: also check the gradient with respect to the float inputs.
        call_kwargs: extra keyword arguments for each call (e.g. ``{"mask": m}``).

    Returns:
        dict mapping each checked tensor's name to its largest scaled error.

    Raises:
        GradientCheckError: naming the tensor, the coordinate and both values.
    """
    call_kwargs = dict(call_kwargs or {})
    rng = np.random.default_rng(seed)
    multi = isinstance(x, (list, tuple))
    xs = [np.array(v, copy=True) for v in (x if multi else [x])]
    is_float = [np.issubdtype(v.dtype, np.floating) for v in xs]

    def structured():
        return list(xs) if multi else xs[0]

    snapshot = None

    def evaluate():
        snapshot.restore()
        out = layer(structured(), training=training, **call_kwargs)
        return sum(float(np.sum(o.astype(np.float64) * r)) for o, r in zip(_flatten(out), projections))

    # First call builds the layer, and fixes the projection to the output shapes.
    config_state = config.rng().bit_generator.state
    first = layer(structured(), training=training, **call_kwargs)
    config.rng().bit_generator.state = config_state
    projections = [rng.standard_normal(np.shape(o)) for o in _flatten(first)]
    snapshot = _RngSnapshot(layer)

    weights = layer.trainable_weights
    for w in weights:
        w.grad[...] = 0
    snapshot.restore()
    with Tape() as tape:
        for v, f in zip(xs, is_float):
            if f:
                tape.watch(v)
        out = layer(structured(), training=training, **call_kwargs)
    flat_out = _flatten(out)
    grads_out = [r.astype(o.dtype) for o, r in zip(flat_out, projections)]
    input_grads = tape.backward(flat_out if len(flat_out) > 1 else flat_out[0],
                                grads_out if len(flat_out) > 1 else grads_out[0],
                                sources=[v for v, f in zip(xs, is_float) if f])

    tensors = []
    if check_inputs:
        gi = iter(input_grads)
        for i, (v, f) in enumerate(zip(xs, is_float)):
            if f:
                g = next(gi)
                tensors.append((f"input[{i}]", v, np.zeros_like(v) if g is None else g))
    for w in weights:
        tensors.append((w.path, w.value, w.grad.copy()))

    report = {}
    for name, arr, analytic in tensors:
        if analytic.shape != arr.shape:
            raise GradientCheckError(f"{name}: gradient has shape {analytic.shape}, the tensor has {arr.shape}")
        flat = arr.reshape(-1)
        gflat = analytic.reshape(-1)
        coords = np.arange(flat.size) if flat.size <= max_coords else rng.choice(flat.size, max_coords, replace=False)
        worst = 0.0
        for c in coords:
            orig = flat[c]
            flat[c] = orig + h
            plus = evaluate()
            flat[c] = orig - h
            minus = evaluate()
            flat[c] = orig
            numeric = (plus - minus) / (2 * h)
            err = abs(gflat[c] - numeric)
            scale = max(abs(gflat[c]), abs(numeric), 1.0)
            worst = max(worst, err / scale)
            if err > atol + rtol * scale:
                raise GradientCheckError(f"{getattr(layer, 'name', layer)}: gradient of {name} at flat index {c} "
                                         f"(shape {arr.shape}): analytic {gflat[c]:.10g}, numeric {numeric:.10g}")
        if flat.size:
            direction = rng.standard_normal(flat.size)
            orig = flat.copy()
            flat += h * direction
            plus = evaluate()
            flat[:] = orig - h * direction
            minus = evaluate()
            flat[:] = orig
            numeric = (plus - minus) / (2 * h)
            analytic_dir = float(np.dot(gflat.astype(np.float64), direction))
            scale = max(abs(analytic_dir), abs(numeric), 1.0)
            if abs(analytic_dir - numeric) > atol * np.sqrt(flat.size) + rtol * scale * 10:
                raise GradientCheckError(f"{getattr(layer, 'name', layer)}: directional derivative of {name} "
                                         f"(shape {arr.shape}): analytic {analytic_dir:.10g}, numeric {numeric:.10g}")
            worst = max(worst, abs(analytic_dir - numeric) / scale)
        report[name] = worst
    return report
