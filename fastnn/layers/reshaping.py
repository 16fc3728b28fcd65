"""Spatial reshaping layers (channels-last): UpSampling1D/2D, ZeroPadding1D/2D, Cropping1D/2D.

Each is linear, so its backward is its adjoint: upsampling sums the gradient over each repeated block,
padding crops it, cropping pads it with zeros.
"""
import numpy as np

from fastnn.engine.layer import Layer
from fastnn.layers import _conv_utils as cu


def _pairs(value, rank, who, arg):
    """int | (a, b..) | ((before, after), ...) -> ((before, after),) * rank, all >= 0 (Keras forms)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{who}: {arg} must be non-negative, received {value!r}")
        return ((int(value), int(value)),) * rank
    try:
        items = tuple(value)
    except TypeError:
        raise ValueError(f"{who}: {arg} must be an int, a tuple of {rank} ints or a tuple of {rank} "
                         f"(before, after) pairs, received {value!r}") from None
    if rank == 1 and len(items) == 2 and all(isinstance(v, (int, np.integer)) for v in items):
        items = (items,)  # Keras's 1-D form (before, after)
    if len(items) != rank:
        raise ValueError(f"{who}: {arg} must have {rank} entries, received {value!r}")
    out = []
    for item in items:
        pair = cu.normalize_tuple(item, 2, who, arg, allow_zero=True)
        out.append(pair)
    return tuple(out)


class _SpatialLayer(Layer):
    rank = 2
    keras_name = "spatial"

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**cu.default_name(kwargs, self.keras_name))
        self.data_format = cu.normalize_data_format(data_format, f"{type(self).__name__} '{self.name}'")

    def _check_rank(self, shape):
        cu.check_rank(self, shape, self.rank + 2, "(batch, spatial..., channels)")

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def check_input(self, x):
        self.compute_output_shape(x.shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class UpSampling2D(_SpatialLayer):
    """Nearest-neighbour upsampling: ``y[n, i, j, c] = x[n, i // s_h, j // s_w, c]``.

    Args:
        size: int or (s_h, s_w), default 2.
        data_format: only 'channels_last'.
        interpolation: only 'nearest'.
    """

    keras_name = "up_sampling2d"

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        self.size = cu.normalize_tuple(size, self.rank, who, "size")
        if interpolation != "nearest":
            raise ValueError(f"{who}: interpolation must be one of ['nearest'], received {interpolation!r}")
        self.interpolation = interpolation

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        spatial = tuple(None if n is None else n * s for n, s in zip(input_shape[1:-1], self.size))
        return (input_shape[0],) + spatial + (input_shape[-1],)

    def forward(self, inputs, training=False):
        y = inputs
        for axis, s in enumerate(self.size, start=1):
            y = np.repeat(y, s, axis=axis)
        return np.ascontiguousarray(y), inputs.shape

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        shape = ctx
        split = [shape[0]]
        for n, s in zip(shape[1:-1], self.size):
            split += [n, s]
        g = grad_outputs.reshape(split + [shape[-1]])
        return g.sum(axis=tuple(range(2, 2 * self.rank + 1, 2)))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"size": list(self.size), "interpolation": self.interpolation})
        return cfg


class UpSampling1D(UpSampling2D):
    """Repeat each step `size` times: (N, L, C) -> (N, L * size, C). Args: size (int, default 2)."""

    rank = 1
    keras_name = "up_sampling1d"

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg["size"] = self.size[0]
        del cfg["interpolation"], cfg["data_format"]
        return cfg


class ZeroPadding2D(_SpatialLayer):
    """Pad rows and columns with zeros.

    Args:
        padding: int (all sides), (sym_h, sym_w), or ((top, bottom), (left, right)); default (1, 1).
        data_format: only 'channels_last'.
    """

    keras_name = "zero_padding2d"

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, f"{type(self).__name__} '{self.name}'", "padding")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        spatial = tuple(None if n is None else n + a + b for n, (a, b) in zip(input_shape[1:-1], self.padding))
        return (input_shape[0],) + spatial + (input_shape[-1],)

    def forward(self, inputs, training=False):
        return np.pad(inputs, ((0, 0),) + self.padding + ((0, 0),)), inputs.shape

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        index = (slice(None),) + tuple(slice(a, a + n) for (a, _), n in zip(self.padding, ctx[1:-1]))
        return np.ascontiguousarray(grad_outputs[index])

    def get_config(self):
        cfg = super().get_config()
        cfg["padding"] = [list(p) for p in self.padding]
        return cfg


class ZeroPadding1D(ZeroPadding2D):
    """Pad steps with zeros. Args: padding: int or (before, after); default 1."""

    rank = 1
    keras_name = "zero_padding1d"

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding=padding, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg["padding"] = list(self.padding[0])
        del cfg["data_format"]
        return cfg


class Cropping2D(_SpatialLayer):
    """Remove rows and columns at the borders.

    Args:
        cropping: int (all sides), (sym_h, sym_w) or ((top, bottom), (left, right)); default ((0, 0), (0, 0)).
        data_format: only 'channels_last'.
    """

    keras_name = "cropping2d"

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, f"{type(self).__name__} '{self.name}'", "cropping")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        spatial = []
        for n, (a, b) in zip(input_shape[1:-1], self.cropping):
            if n is not None and a + b >= n:
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): cropping {self.cropping} leaves "
                                 f"nothing of an input of shape {tuple(input_shape)}")
            spatial.append(None if n is None else n - a - b)
        return (input_shape[0],) + tuple(spatial) + (input_shape[-1],)

    def forward(self, inputs, training=False):
        index = (slice(None),) + tuple(slice(a, n - b) for (a, b), n in zip(self.cropping, inputs.shape[1:-1]))
        return np.ascontiguousarray(inputs[index]), inputs.shape

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        return np.pad(grad_outputs, ((0, 0),) + self.cropping + ((0, 0),))

    def get_config(self):
        cfg = super().get_config()
        cfg["cropping"] = [list(p) for p in self.cropping]
        return cfg


class Cropping1D(Cropping2D):
    """Remove steps at both ends. Args: cropping: int or (before, after); default (1, 1)."""

    rank = 1
    keras_name = "cropping1d"

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping=cropping, **kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg["cropping"] = list(self.cropping[0])
        del cfg["data_format"]
        return cfg
