"""Small weightless layers behind fastnn.ops.sum / mean / scale (usable directly as layers too)."""
import numpy as np

from fastnn.engine.layer import Layer


class Reduce(Layer):
    """Sum or mean over non-batch axes of each sample.

    Args:
        op: 'sum' or 'mean'.
        axis: int or tuple of ints (counting the batch axis as 0, negatives allowed), or None for every
            non-batch axis. The batch axis cannot be reduced (samples stay independent).
        keepdims: keep the reduced axes with size 1.

    Gradient: dx = broadcast(dy) (sum) or broadcast(dy) / n (mean, n = number of reduced entries).
    """

    def __init__(self, op="sum", axis=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if op not in ("sum", "mean"):
            raise ValueError(f"Reduce '{self.name}': op must be one of ['sum', 'mean'], received {op!r}")
        self.op = op
        if axis is not None:
            items = (axis,) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else axis
            try:
                axis = tuple(int(a) for a in items)
            except (TypeError, ValueError):
                raise ValueError(f"Reduce '{self.name}': axis must be an int, a tuple of ints or None, "
                                 f"received {axis!r}") from None
        self.axis = axis
        self.keepdims = bool(keepdims)

    def _axes(self, rank):
        if self.axis is None:
            return tuple(range(1, rank))
        axes = tuple(sorted({a + rank if a < 0 else a for a in self.axis}))
        if any(not 1 <= a < rank for a in axes):
            raise ValueError(f"Reduce '{self.name}': axis={self.axis} must name non-batch axes of inputs of rank "
                             f"{rank} (the batch axis 0 cannot be reduced)")
        return axes

    def compute_output_shape(self, input_shape):
        axes = self._axes(len(input_shape))
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def check_input(self, x):
        self._axes(x.ndim)

    def forward(self, inputs, training=False):
        axes = self._axes(inputs.ndim)
        fn = np.sum if self.op == "sum" else np.mean
        out = fn(inputs, axis=axes, keepdims=self.keepdims)
        return np.ascontiguousarray(out, dtype=inputs.dtype), (inputs.shape, axes)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        shape, axes = ctx
        g = grad_outputs if self.keepdims else np.expand_dims(grad_outputs, axes)
        if self.op == "mean":
            n = int(np.prod([shape[a] for a in axes], dtype=np.int64)) or 1
            g = g * g.dtype.type(1.0 / n)
        return np.ascontiguousarray(np.broadcast_to(g, shape))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(op=self.op, axis=None if self.axis is None else list(self.axis), keepdims=self.keepdims)
        return cfg


class Scale(Layer):
    """Multiplies by a constant: ``y = factor * x``; dx = factor * dy.

    Args:
        factor: a real number.
    """

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        try:
            self.factor = float(factor)
        except (TypeError, ValueError):
            raise ValueError(f"Scale '{self.name}': factor must be a real number, received {factor!r}") from None

    def forward(self, inputs, training=False):
        return inputs * inputs.dtype.type(self.factor), None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs * grad_outputs.dtype.type(self.factor) if need_input_grad else None

    def get_config(self):
        cfg = super().get_config()
        cfg["factor"] = self.factor
        return cfg
