"""Pooling layers on fastnn's kernels (csrc/pool.c): max / average pooling in 1-D and 2-D, global pooling.

Channels-last. 1-D pooling runs the 2-D kernels on (N, 1, L, C) views. 'same' padding follows Keras/TF:
output ceil(n / s), the odd padded row/column at the bottom/right; padded positions never win a max and
are not counted in an average.
"""
import numpy as np

from fastnn import config
from fastnn._native import _pool
from fastnn.engine.layer import Layer
from fastnn.layers import _conv_utils as cu


class BasePooling(Layer):
    """Shared machinery of the windowed pooling layers; subclasses set ``rank`` and ``mode``."""

    rank = 2
    mode = "max"
    keras_name = "pooling"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**cu.default_name(kwargs, self.keras_name))
        who = f"{type(self).__name__} '{self.name}'"
        self.pool_size = cu.normalize_tuple(pool_size, self.rank, who, "pool_size")
        self.strides = self.pool_size if strides is None else cu.normalize_tuple(strides, self.rank, who, "strides")
        self.padding = cu.normalize_padding(padding, who)
        self.data_format = cu.normalize_data_format(data_format, who)

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, self.rank + 2, "(batch, spatial..., channels)")
        out = [cu.conv_output_length(n, k, s, 1, self.padding)
               for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides)]
        cu.check_positive_output(self, input_shape, out, f"pool_size {self.pool_size}")
        return (input_shape[0],) + tuple(out) + (input_shape[-1],)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def check_input(self, x):
        self.compute_output_shape(x.shape)

    def _geometry(self, x4_shape):
        pool = self.pool_size if self.rank == 2 else (1,) + self.pool_size
        strides = self.strides if self.rank == 2 else (1,) + self.strides
        return cu.pool_geometry(x4_shape, pool, strides, self.padding)

    def forward(self, inputs, training=False):
        x = np.ascontiguousarray(inputs)
        x4 = x if self.rank == 2 else x.reshape(x.shape[0], 1, x.shape[1], x.shape[2])
        geom = self._geometry(x4.shape)
        y = np.empty((geom[0], geom[4], geom[5], geom[3]), dtype=x.dtype)
        n_threads = config.get_num_threads()
        if self.mode == "max":
            argmax = np.empty(y.shape, dtype=np.int32)
            _pool.maxpool2d_forward(x4, y, argmax, geom, n_threads)
        else:
            argmax = None
            _pool.avgpool2d_forward(x4, y, geom, n_threads)
        out = y if self.rank == 2 else y.reshape(y.shape[0], y.shape[2], y.shape[3])
        return out, (geom, argmax, x.shape)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        geom, argmax, in_shape = ctx
        if not need_input_grad:
            return None
        dy = np.ascontiguousarray(grad_outputs).reshape(geom[0], geom[4], geom[5], geom[3])
        dx = np.empty((geom[0], geom[1], geom[2], geom[3]), dtype=dy.dtype)
        if self.mode == "max":
            _pool.maxpool2d_backward(dy, argmax, dx, geom, config.get_num_threads())
        else:
            _pool.avgpool2d_backward(dy, dx, geom, config.get_num_threads())
        return dx.reshape(in_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"pool_size": list(self.pool_size), "strides": list(self.strides), "padding": self.padding,
                    "data_format": self.data_format})
        return cfg


class MaxPooling2D(BasePooling):
    """Max over each pool_size window: ``y[n, i, j, c] = max_{a, b} x[n, i*s_h + a - p_t, j*s_w + b - p_l, c]``.

    Args:
        pool_size: int or (h, w), default 2.
        strides: int or (h, w); None (default) means pool_size.
        padding: 'valid' or 'same' (padded positions are ignored).
        data_format: only 'channels_last'.
    The gradient goes to the first maximum of each window in row-major order (ties), summed where
    windows overlap.
    """

    rank, mode, keras_name = 2, "max", "max_pooling2d"


class AveragePooling2D(BasePooling):
    """Mean over the valid positions of each window (padding is not counted, as in Keras/TF).

    Args: as MaxPooling2D.
    """

    rank, mode, keras_name = 2, "average", "average_pooling2d"


class MaxPooling1D(BasePooling):
    """Max pooling over steps of (batch, steps, channels). Args: pool_size (int, default 2), strides
    (None means pool_size), padding ('valid'/'same'), data_format."""

    rank, mode, keras_name = 1, "max", "max_pooling1d"


class AveragePooling1D(BasePooling):
    """Average pooling over steps of (batch, steps, channels). Args: as MaxPooling1D."""

    rank, mode, keras_name = 1, "average", "average_pooling1d"


class BaseGlobalPooling(Layer):
    """Mean or max over all spatial positions: (N, *spatial, C) -> (N, C), or (N, 1.., C) with keepdims."""

    rank = 2
    mode = "average"
    keras_name = "global_pooling"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**cu.default_name(kwargs, self.keras_name))
        self.data_format = cu.normalize_data_format(data_format, f"{type(self).__name__} '{self.name}'")
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, self.rank + 2, "(batch, spatial..., channels)")
        if self.keepdims:
            return (input_shape[0],) + (1,) * self.rank + (input_shape[-1],)
        return (input_shape[0], input_shape[-1])

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def check_input(self, x):
        self.compute_output_shape(x.shape)
        if any(d == 0 for d in x.shape[1:-1]):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) cannot pool an empty spatial extent, "
                             f"received an input of shape {x.shape}")

    def forward(self, inputs, training=False):
        x = np.ascontiguousarray(inputs)
        n, c = x.shape[0], x.shape[-1]
        x3 = x.reshape(n, -1, c)
        y = np.empty((n, c), dtype=x.dtype)
        if self.mode == "max":
            argmax = np.empty((n, c), dtype=np.int32)
            _pool.global_maxpool_forward(x3, y, argmax, config.get_num_threads())
        else:
            argmax = None
            _pool.global_avgpool_forward(x3, y, config.get_num_threads())
        out = y.reshape(self.compute_output_shape(x.shape))
        return out, (x.shape, argmax)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        in_shape, argmax = ctx
        if not need_input_grad:
            return None
        n, c = in_shape[0], in_shape[-1]
        dy = np.ascontiguousarray(grad_outputs).reshape(n, c)
        dx = np.empty((n, int(np.prod(in_shape[1:-1])), c), dtype=dy.dtype)
        if self.mode == "max":
            _pool.global_maxpool_backward(dy, argmax, dx, config.get_num_threads())
        else:
            _pool.global_avgpool_backward(dy, dx, config.get_num_threads())
        return dx.reshape(in_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class GlobalAveragePooling2D(BaseGlobalPooling):
    """``y[n, c] = mean_{i, j} x[n, i, j, c]``. Args: data_format, keepdims (keep (N, 1, 1, C))."""

    rank, mode, keras_name = 2, "average", "global_average_pooling2d"


class GlobalMaxPooling2D(BaseGlobalPooling):
    """``y[n, c] = max_{i, j} x[n, i, j, c]`` (gradient to the first maximum). Args: data_format, keepdims."""

    rank, mode, keras_name = 2, "max", "global_max_pooling2d"


class GlobalAveragePooling1D(BaseGlobalPooling):
    """``y[n, c] = mean_t x[n, t, c]``. Args: data_format, keepdims (keep (N, 1, C)).

    Keras's optional ``mask`` argument is not supported.
    """

    rank, mode, keras_name = 1, "average", "global_average_pooling1d"


class GlobalMaxPooling1D(BaseGlobalPooling):
    """``y[n, c] = max_t x[n, t, c]``. Args: data_format, keepdims."""

    rank, mode, keras_name = 1, "max", "global_max_pooling1d"
