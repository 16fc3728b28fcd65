"""Merge layers (Keras 3): Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

Each takes a list of tensors (``Add()([a, b])``) and has a lowercase functional form
(``fastnn.layers.add([a, b])``). The element-wise merges follow numpy broadcasting on the non-batch
axes (a size-1 axis broadcasts), as Keras does; the batch sizes must agree. Gradients of broadcast
inputs are summed back over the broadcast axes.
"""
import numpy as np

from fastnn.engine.layer import Layer


def _fmt(shapes):
    return "[" + ", ".join(str(tuple(s)) for s in shapes) + "]"


def _unbroadcast(g, shape):
    """Sum `g` down to `shape` (the inverse of numpy broadcasting)."""
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, (n, m) in enumerate(zip(shape, g.shape)) if n == 1 and m != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def _own(g, shared):
    """`g`, copied when it is the array `shared` (each input gradient must be a new array)."""
    return g.copy() if g is shared else g


class _Merge(Layer):
    """Base of the merge layers: list inputs, shape checks, broadcasting and config."""

    _min_inputs = 1
    _exact_inputs = None

    def _check_list(self, shapes):
        kind = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or not shapes or not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"{kind} '{self.name}': a merge layer must be called on a list of tensors, "
                             f"received input shape {shapes!r}")
        if self._exact_inputs is not None and len(shapes) != self._exact_inputs:
            raise ValueError(f"{kind} '{self.name}': expected exactly {self._exact_inputs} inputs, "
                             f"received {len(shapes)} with shapes {_fmt(shapes)}")
        if len(shapes) < self._min_inputs:
            raise ValueError(f"{kind} '{self.name}': expected at least {self._min_inputs} inputs, "
                             f"received {len(shapes)}")

    def _broadcast_shape(self, shapes):
        """Output shape of an element-wise merge (None = unknown size), or a ValueError naming the shapes."""
        self._check_list(shapes)
        rank = max(len(s) for s in shapes)
        out = []
        for axis in range(rank):
            dims = [s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0]
            known = {d for d in dims if d is not None and d != 1}
            if len(known) > 1 or (axis == 0 and any(len(s) != rank for s in shapes)):
                raise ValueError(f"{type(self).__name__} '{self.name}': inputs must have the same shape "
                                 f"(or sizes of 1 that broadcast), received shapes {_fmt(shapes)}")
            if known:
                out.append(known.pop())
            elif any(d is None for d in dims):
                out.append(None)
            else:
                out.append(1)
        return tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return self._broadcast_shape([tuple(s) for s in input_shape] if isinstance(input_shape, (list, tuple))
                                     and input_shape and isinstance(input_shape[0], (list, tuple)) else input_shape)

    def check_input(self, x):
        if not isinstance(x, (list, tuple)):
            raise ValueError(f"{type(self).__name__} '{self.name}': a merge layer must be called on a list of "
                             f"tensors, received a single array of shape {np.shape(x)}")
        self.compute_output_shape([v.shape for v in x])


class Add(_Merge):
    """Element-wise sum of a list of tensors: ``y = x_1 + x_2 + ... + x_n``; dy/dx_i = 1."""

    def forward(self, inputs, training=False):
        out = inputs[0] + inputs[1] if len(inputs) > 1 else inputs[0].copy()
        for x in inputs[2:]:
            out = out + x
        return out, [x.shape for x in inputs]

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        return [_own(_unbroadcast(grad_outputs, s), grad_outputs) for s in ctx]


class Subtract(_Merge):
    """Difference of exactly two tensors: ``y = x_1 - x_2``; dy/dx_1 = 1, dy/dx_2 = -1."""

    _exact_inputs = 2

    def forward(self, inputs, training=False):
        return inputs[0] - inputs[1], (inputs[0].shape, inputs[1].shape)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        return [_own(_unbroadcast(grad_outputs, ctx[0]), grad_outputs), -_unbroadcast(grad_outputs, ctx[1])]


class Multiply(_Merge):
    """Element-wise product: ``y = x_1 * x_2 * ... * x_n``; dy/dx_i = prod_{j != i} x_j."""

    def forward(self, inputs, training=False):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        if len(inputs) == 1:
            out = out.copy()
        return out, list(inputs)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        grads = []
        for i, x in enumerate(ctx):
            g = grad_outputs
            for j, other in enumerate(ctx):
                if j != i:
                    g = g * other
            grads.append(_own(_unbroadcast(g, x.shape), grad_outputs))
        return grads


class Average(_Merge):
    """Element-wise mean: ``y = (x_1 + ... + x_n) / n``; dy/dx_i = 1/n."""

    def forward(self, inputs, training=False):
        out = inputs[0] + inputs[1] if len(inputs) > 1 else inputs[0].copy()
        for x in inputs[2:]:
            out = out + x
        out *= out.dtype.type(1.0 / len(inputs))
        return out, [x.shape for x in inputs]

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        scaled = grad_outputs * grad_outputs.dtype.type(1.0 / len(ctx))
        return [_unbroadcast(scaled, s) if i == 0 else _own(_unbroadcast(scaled, s), scaled)
                for i, s in enumerate(ctx)]


class _Extremum(_Merge):
    _reduce = None

    def forward(self, inputs, training=False):
        shape = np.broadcast_shapes(*[x.shape for x in inputs])
        stacked = np.stack([np.broadcast_to(x, shape) for x in inputs])
        # The gradient goes to the first input reaching the extremum (ties: the earliest, like Keras/TF).
        winner = self._arg(stacked)
        out = np.take_along_axis(stacked, winner[None], axis=0)[0]
        return out, (winner, [x.shape for x in inputs])

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        winner, shapes = ctx
        return [_unbroadcast(np.where(winner == i, grad_outputs, 0).astype(grad_outputs.dtype, copy=False), s)
                for i, s in enumerate(shapes)]


class Maximum(_Extremum):
    """Element-wise maximum; the gradient flows to the (first) input holding the maximum."""

    @staticmethod
    def _arg(stacked):
        return np.argmax(stacked, axis=0)


class Minimum(_Extremum):
    """Element-wise minimum; the gradient flows to the (first) input holding the minimum."""

    @staticmethod
    def _arg(stacked):
        return np.argmin(stacked, axis=0)


class Concatenate(_Merge):
    """Joins a list of tensors along `axis`; all other axes must agree.

    Args:
        axis: axis to concatenate along (default -1, the features).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Concatenate '{self.name}': axis must be an integer, received {axis!r}")
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape] if isinstance(input_shape, (list, tuple)) and input_shape \
            and isinstance(input_shape[0], (list, tuple)) else input_shape
        self._check_list(shapes)
        rank = len(shapes[0])
        axis = self.axis + rank if self.axis < 0 else self.axis
        if any(len(s) != rank for s in shapes) or not 0 <= axis < rank:
            raise ValueError(f"Concatenate '{self.name}': inputs must have the same rank and axis={self.axis} must "
                             f"be one of their axes, received shapes {_fmt(shapes)}")
        out = []
        for i in range(rank):
            dims = [s[i] for s in shapes]
            if i == axis:
                out.append(None if any(d is None for d in dims) else int(sum(dims)))
                continue
            known = {d for d in dims if d is not None}
            if len(known) > 1:
                raise ValueError(f"Concatenate '{self.name}': inputs must match on every axis except the "
                                 f"concatenation axis {self.axis}, received shapes {_fmt(shapes)}")
            out.append(known.pop() if known else None)
        return tuple(out)

    def forward(self, inputs, training=False):
        axis = self.axis % inputs[0].ndim
        return np.concatenate(inputs, axis=axis), (axis, [x.shape[axis] for x in inputs])

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        axis, sizes = ctx
        bounds = np.cumsum(sizes)[:-1]
        return [np.ascontiguousarray(g) for g in np.split(grad_outputs, bounds, axis=axis)]

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


def _l2_normalize(x, axis):
    r = np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), x.dtype.type(1e-12)))
    return x / r, r


def _l2_normalize_backward(dn, n, r, axis):
    # n = x / r with r = sqrt(max(sum x^2, eps)): dx = (dn - n <dn, n>) / r where sum x^2 > eps, else dn / r.
    active = (r * r > 1e-12).astype(dn.dtype)
    return (dn - active * n * np.sum(dn * n, axis=axis, keepdims=True)) / r


class Dot(_Merge):
    """Dot product of two tensors along `axes`, per sample (Keras's batch dot).

    Args:
        axes: int, or a pair (axis of x, axis of y); axes count the batch axis as 0 and may be negative.
        normalize: L2-normalize both inputs along the dot axes first (the output is then the cosine
            similarity).

    For x of shape (batch, *a, d) and y of shape (batch, d, *b) (after moving the dot axes), the output
    has shape (batch, *a, *b), or (batch, 1) when both have no other axes:
    ``y[n, i, j] = sum_k x[n, i, k] * y[n, k, j]``.
    """

    _exact_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool) else axes
        try:
            pair = tuple(int(a) for a in pair)
            assert len(pair) == 2 and not isinstance(axes, bool)
        except (TypeError, ValueError, AssertionError):
            raise ValueError(f"Dot '{self.name}': axes must be an int or a pair of ints, received {axes!r}") from None
        self.axes = pair if not isinstance(axes, (int, np.integer)) else int(axes)
        self._pair = pair
        self.normalize = bool(normalize)

    def _resolve(self, shapes):
        self._check_list(shapes)
        a, b = shapes
        axes = []
        for ax, s in zip(self._pair, (a, b)):
            ax = ax + len(s) if ax < 0 else ax
            if len(s) < 2 or not 1 <= ax < len(s):
                raise ValueError(f"Dot '{self.name}': axes={self.axes} do not fit input shapes {_fmt(shapes)} "
                                 f"(inputs need rank >= 2; the batch axis 0 cannot be contracted)")
            axes.append(ax)
        da, db = a[axes[0]], b[axes[1]]
        if da is not None and db is not None and da != db:
            raise ValueError(f"Dot '{self.name}': the dot axes must have the same size, received shapes "
                             f"{_fmt(shapes)} with axes={self.axes} ({da} != {db})")
        if a[0] is not None and b[0] is not None and a[0] != b[0]:
            raise ValueError(f"Dot '{self.name}': batch sizes differ, received shapes {_fmt(shapes)}")
        return axes

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        ax, ay = self._resolve(shapes)
        a, b = shapes
        rest = [d for i, d in enumerate(a[1:], 1) if i != ax] + [d for i, d in enumerate(b[1:], 1) if i != ay]
        return (a[0],) + (tuple(rest) if rest else (1,))

    def check_input(self, x):
        if not isinstance(x, (list, tuple)):
            raise ValueError(f"Dot '{self.name}': call it on a list of two tensors, received one array of "
                             f"shape {np.shape(x)}")
        self._resolve([v.shape for v in x])

    def forward(self, inputs, training=False):
        x, y = inputs
        ax, ay = self._resolve([x.shape, y.shape])
        nx = ny = rx = ry = None
        if self.normalize:
            nx, rx = _l2_normalize(x, ax)
            ny, ry = _l2_normalize(y, ay)
            x, y = nx, ny
        xm = np.moveaxis(x, ax, -1)
        ym = np.moveaxis(y, ay, 1)
        batch, d = xm.shape[0], xm.shape[-1]
        xr, yr = xm.shape[1:-1], ym.shape[2:]
        x3 = np.ascontiguousarray(xm).reshape(batch, -1, d)
        y3 = np.ascontiguousarray(ym).reshape(batch, d, -1)
        out = np.matmul(x3, y3)
        shape = (batch,) + tuple(xr) + tuple(yr)
        if len(shape) == 1:
            shape = (batch, 1)
        return out.reshape(shape), (x3, y3, xm.shape, ym.shape, ax, ay, nx, rx, ny, ry)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        x3, y3, xm_shape, ym_shape, ax, ay, nx, rx, ny, ry = ctx
        g3 = grad_outputs.reshape(x3.shape[0], x3.shape[1], y3.shape[2])
        dx = np.moveaxis(np.matmul(g3, np.swapaxes(y3, 1, 2)).reshape(xm_shape), -1, ax)
        dy = np.moveaxis(np.matmul(np.swapaxes(x3, 1, 2), g3).reshape(ym_shape), 1, ay)
        if self.normalize:
            dx = _l2_normalize_backward(dx, nx, rx, ax)
            dy = _l2_normalize_backward(dy, ny, ry, ay)
        return [np.ascontiguousarray(dx), np.ascontiguousarray(dy)]

    def get_config(self):
        cfg = super().get_config()
        cfg.update(axes=list(self.axes) if isinstance(self.axes, tuple) else self.axes, normalize=self.normalize)
        return cfg


def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``add([a, b])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`: ``subtract([a, b])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`: ``multiply([a, b])``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`: ``average([a, b])``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`: ``maximum([a, b])``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`: ``minimum([a, b])``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`: ``concatenate([a, b], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of :class:`Dot`: ``dot([a, b], axes=1)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
