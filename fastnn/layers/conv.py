"""Convolution layers on fastnn's im2col + GEMM kernels (csrc/conv.c): Conv1D, Conv2D, Conv2DTranspose.

Channels-last throughout. Conv1D runs the 2-D kernels on (N, 1, L, C) views.
"""
import numpy as np

from fastnn import config
from fastnn._native import _conv
from fastnn.engine.layer import Layer
from fastnn.layers import _conv_utils as cu
from fastnn._checks import check_int
from fastnn.layers._serialize import activation_name, get_activation, get_constraint, serialize


class BaseConv(Layer):
    """Shared machinery of Conv1D/Conv2D: arguments, weights, geometry and the native calls.

    Subclasses set ``rank`` (1 or 2) and may override the padding choices.
    """

    rank = 2
    paddings = cu.PADDINGS
    keras_name = "conv"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **cu.default_name(kwargs, self.keras_name))
        who = f"{type(self).__name__} '{self.name}'"
        self.filters = check_int(who, "filters", filters)
        self.kernel_size = cu.normalize_tuple(kernel_size, self.rank, who, "kernel_size")
        self.strides = cu.normalize_tuple(strides, self.rank, who, "strides")
        self.dilation_rate = cu.normalize_tuple(dilation_rate, self.rank, who, "dilation_rate")
        self.padding = cu.normalize_padding(padding, who, self.paddings)
        self.data_format = cu.normalize_data_format(data_format, who)
        if groups != 1:
            raise ValueError(f"{who}: only groups=1 is supported, received groups={groups!r}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 cannot be combined with dilation_rate > 1 (as in Keras), "
                             f"received strides={self.strides}, dilation_rate={self.dilation_rate}")
        self.groups = 1
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = get_constraint(kernel_constraint, who, "kernel_constraint")
        self.bias_constraint = get_constraint(bias_constraint, who, "bias_constraint")
        self.kernel = None
        self.bias = None

    # ---- shapes ----
    def _input_channels(self, input_shape):
        cu.check_rank(self, input_shape, self.rank + 2, "(batch, spatial..., channels)")
        c = input_shape[-1]
        if c is None or c < 1:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs a known, positive channel count, "
                             f"received input shape {tuple(input_shape)}")
        return c

    def _kernel_shape(self, in_c):
        return self.kernel_size + (in_c, self.filters)

    def build(self, input_shape):
        in_c = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # rejects a kernel that does not fit a 'valid' input
        self.kernel = self.add_weight("kernel", self._kernel_shape(in_c), self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def _spatial_args(self):
        """(kernel, strides, dilation) as 2-D tuples."""
        if self.rank == 1:
            return (1,) + self.kernel_size, (1,) + self.strides, (1,) + self.dilation_rate
        return self.kernel_size, self.strides, self.dilation_rate

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        spatial = tuple(input_shape[1:-1])
        pad = "valid" if self.padding == "causal" else self.padding
        out = []
        for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            if self.padding == "causal" and n is not None:
                n = n + (k - 1) * d
            out.append(cu.conv_output_length(n, k, s, d, pad))
        cu.check_positive_output(self, input_shape, out, f"kernel_size {self.kernel_size} "
                                 f"(dilation_rate {self.dilation_rate})")
        return (input_shape[0],) + tuple(out) + (self.filters,)

    def check_input(self, x):
        self._input_channels(x.shape)
        in_c = self.kernel.shape[-2]
        if x.shape[-1] != in_c:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) was built for {in_c} input channels "
                             f"(kernel shape {self.kernel.shape}), received an input of shape {x.shape}")
        self.compute_output_shape(x.shape)

    def _as_4d(self, x):
        """(N, H, W, C) view of the input (Conv1D: (N, 1, L, C))."""
        x = np.ascontiguousarray(x)
        return x if self.rank == 2 else x.reshape(x.shape[0], 1, x.shape[1], x.shape[2])

    def _geometry(self, x4_shape):
        kernel, strides, dilation = self._spatial_args()
        if self.padding == "causal":
            n, h, w, c = x4_shape
            pl = (kernel[1] - 1) * dilation[1]
            ow = (w + pl - (kernel[1] - 1) * dilation[1] - 1) // strides[1] + 1
            return (n, h, w, c, h, ow, self.filters, 1, kernel[1], 1, strides[1], 1, dilation[1], 0, pl)
        return cu.conv_geometry(x4_shape, kernel, strides, dilation, self.padding, self.filters)

    def _kernel_4d(self, arr):
        return arr if self.rank == 2 else arr.reshape((1,) + arr.shape)

    # ---- compute ----
    def forward(self, inputs, training=False):
        """y = activation(conv(x, kernel) + bias)."""
        x4 = self._as_4d(inputs)
        geom = self._geometry(x4.shape)
        y = np.empty((geom[0], geom[4], geom[5], self.filters), dtype=x4.dtype)
        _conv.conv2d_forward(x4, self._kernel_4d(self.kernel.value), self.bias.value if self.use_bias else None,
                             y, geom, config.get_num_threads())
        y, act_ctx = self.activation.forward(y, inplace=True)
        out = y if self.rank == 2 else y.reshape(y.shape[0], y.shape[2], y.shape[3])
        return out, (x4, geom, act_ctx, inputs.shape)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        x4, geom, act_ctx, in_shape = ctx
        dy = self.activation.backward(act_ctx, grad_outputs)
        dy4 = np.ascontiguousarray(dy).reshape(geom[0], geom[4], geom[5], self.filters)
        n_threads = config.get_num_threads()
        kernel = self._kernel_4d(self.kernel.value)
        if self.trainable:
            _conv.conv2d_backward_filter(x4, dy4, self._kernel_4d(self.kernel.grad),
                                         self.bias.grad if self.use_bias else None, geom, n_threads)
        if not need_input_grad:
            return None
        dx = np.empty(x4.shape, dtype=x4.dtype)
        _conv.conv2d_backward_data(dy4, kernel, dx, geom, n_threads)
        return dx.reshape(in_shape)

    # ---- config ----
    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": activation_name(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize("initializers", self.kernel_initializer),
            "bias_initializer": serialize("initializers", self.bias_initializer),
            "kernel_regularizer": serialize("regularizers", self.kernel_regularizer),
            "bias_regularizer": serialize("regularizers", self.bias_regularizer),
            "kernel_constraint": serialize("constraints", self.kernel_constraint),
            "bias_constraint": serialize("constraints", self.bias_constraint),
        })
        return cfg


class Conv2D(BaseConv):
    """2-D convolution: ``y[n, i, j, f] = act(sum_{a, b, c} x[n, i*s_h - p_t + a*d_h, j*s_w - p_l + b*d_w, c]
    * kernel[a, b, c, f] + bias[f])`` (cross-correlation, as in Keras).

    Args:
        filters: number of output channels.
        kernel_size: int or (k_h, k_w).
        strides: int or (s_h, s_w), default 1.
        padding: 'valid' (no padding) or 'same' (output ceil(n / s); the odd padding row/column goes to the
            bottom/right, as in Keras/TF).
        data_format: only 'channels_last' (N, H, W, C).
        dilation_rate: int or (d_h, d_w); cannot exceed 1 together with strides > 1.
        groups: only 1.
        activation: fused activation name or object (default linear).
        use_bias: add a bias vector (default True).
        kernel_initializer, bias_initializer: default 'glorot_uniform' / 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional projections applied after each update.

    Weights: kernel (k_h, k_w, in_channels, filters), bias (filters,).
    """

    rank = 2
    keras_name = "conv2d"


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels): Conv2D on a height-1 image.

    Args: as Conv2D with ints (or 1-tuples) for kernel_size, strides and dilation_rate; padding may also
    be 'causal' (left padding of (kernel_size - 1) * dilation_rate: output step t sees inputs <= t).
    Weights: kernel (kernel_size, in_channels, filters), bias (filters,).
    """

    rank = 1
    paddings = ("valid", "same", "causal")
    keras_name = "conv1d"


class Conv2DTranspose(BaseConv):
    """Transposed 2-D convolution (the adjoint of Conv2D, a.k.a. deconvolution) for decoders and generators.

    ``y = conv2d_input_gradient(x, kernel) + bias``: the output is the shape a Conv2D with the same
    kernel_size/strides/padding/dilation maps onto the input. Output length per axis (Keras rule):
    'valid': ``n * s + max(k_eff - s, 0)``; 'same': ``n * s`` where ``k_eff = (k - 1) * d + 1``.

    Args: as Conv2D, plus output_padding (only None is supported).
    Weights: kernel (k_h, k_w, filters, in_channels) — Keras's layout — and bias (filters,).
    """

    rank = 2
    keras_name = "conv2d_transpose"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)
        if output_padding is not None:
            raise ValueError(f"Conv2DTranspose '{self.name}': only output_padding=None is supported, "
                             f"received {output_padding!r}")
        self.output_padding = None

    def _kernel_shape(self, in_c):
        return self.kernel_size + (self.filters, in_c)

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        out = []
        for n, k, s, d in zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate):
            k_eff = (k - 1) * d + 1
            out.append(None if n is None else (n * s + max(k_eff - s, 0) if self.padding == "valid" else n * s))
        return (input_shape[0],) + tuple(out) + (self.filters,)

    def check_input(self, x):
        self._input_channels(x.shape)
        in_c = self.kernel.shape[-1]
        if x.shape[-1] != in_c:
            raise ValueError(f"Layer '{self.name}' (Conv2DTranspose) was built for {in_c} input channels "
                             f"(kernel shape {self.kernel.shape}), received an input of shape {x.shape}")

    def _geometry(self, x_shape):
        """Geometry of the forward conv this layer is the adjoint of: (N, out_h, out_w, filters) -> x."""
        n, h, w, c = x_shape
        _, oh, ow, _ = self.compute_output_shape(x_shape)
        pads = [cu.same_padding(o, k, s, d)[0] if self.padding == "same" else 0
                for o, k, s, d in zip((oh, ow), self.kernel_size, self.strides, self.dilation_rate)]
        return (n, oh, ow, self.filters, h, w, c, self.kernel_size[0], self.kernel_size[1],
                self.strides[0], self.strides[1], self.dilation_rate[0], self.dilation_rate[1], pads[0], pads[1])

    def forward(self, inputs, training=False):
        x = np.ascontiguousarray(inputs)
        geom = self._geometry(x.shape)
        y = np.empty((geom[0], geom[1], geom[2], self.filters), dtype=x.dtype)
        _conv.conv2d_backward_data(x, self.kernel.value, y, geom, config.get_num_threads())
        if self.use_bias:
            y += self.bias.value
        y, act_ctx = self.activation.forward(y, inplace=True)
        return y, (x, geom, act_ctx)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        x, geom, act_ctx = ctx
        dy = np.ascontiguousarray(self.activation.backward(act_ctx, grad_outputs))
        n_threads = config.get_num_threads()
        if self.trainable:
            # the forward conv's filter gradient, with this layer's output gradient as the conv input
            _conv.conv2d_backward_filter(dy, x, self.kernel.grad, None, geom, n_threads)
            if self.use_bias:
                self.bias.grad += dy.reshape(-1, self.filters).sum(axis=0)
        if not need_input_grad:
            return None
        dx = np.empty(x.shape, dtype=x.dtype)
        _conv.conv2d_forward(dy, self.kernel.value, None, dx, geom, n_threads)
        return dx

    def get_config(self):
        cfg = super().get_config()
        cfg["output_padding"] = None
        return cfg
