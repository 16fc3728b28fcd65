"""Depthwise and depthwise-separable 2-D convolutions (channels-last).

Depthwise: every input channel c is convolved with its own depth_multiplier filters:
``y[n, i, j, c*dm + m] = sum_{a, b} x[n, i*s_h - p_t + a*d_h, j*s_w - p_l + b*d_w, c] * kernel[a, b, c, m]``.
Computed on im2col panels (the conv kernels of csrc/conv.c) with one fused multiply-add per kernel tap;
the input gradient goes back through col2im. Separable = depthwise, then a 1x1 convolution (GEMM).
"""
import numpy as np

from fastnn import config
from fastnn._native import _conv
from fastnn.engine.layer import Layer
from fastnn.layers import _conv_utils as cu
from fastnn._checks import check_int
from fastnn.layers._serialize import activation_name, get_activation, get_constraint, serialize

_PANEL_BYTES = 4 << 20


def _panels(geom, itemsize):
    """(row0, rows) panels of the im2col matrix, the same split for any thread count."""
    m = geom[0] * geom[4] * geom[5]
    k = geom[7] * geom[8] * geom[3]
    rows = max(1, min(m, _PANEL_BYTES // max(k * itemsize, 1)))
    return [(r0, min(rows, m - r0)) for r0 in range(0, m, rows)], rows


def depthwise_forward(x, kernel, geom, n_threads):
    """(N, OH, OW, C*dm) depthwise convolution of x (N, H, W, C) with kernel (kh, kw, C, dm), no bias."""
    kh, kw, c, dm = kernel.shape
    taps = kh * kw
    panels, rows = _panels(geom, x.itemsize)
    y = np.empty((geom[0] * geom[4] * geom[5], c, dm), dtype=x.dtype)
    col = np.empty((rows, taps * c), dtype=x.dtype)
    w = kernel.reshape(taps, c, dm)
    for r0, n in panels:
        _conv.im2col(x, geom, r0, n, col[:n], n_threads)
        col3 = col[:n].reshape(n, taps, c)
        out = y[r0:r0 + n]
        np.multiply(col3[:, 0, :, None], w[0], out=out)
        for t in range(1, taps):
            out += col3[:, t, :, None] * w[t]
    return y.reshape(geom[0], geom[4], geom[5], c * dm)


def depthwise_backward(x, kernel, dy, geom, n_threads, kernel_grad=None, need_input_grad=True):
    """Add the kernel gradient into kernel_grad (when given); return dx (or None)."""
    kh, kw, c, dm = kernel.shape
    taps = kh * kw
    panels, rows = _panels(geom, x.itemsize)
    dy3 = np.ascontiguousarray(dy).reshape(-1, c, dm)
    w = kernel.reshape(taps, c, dm)
    col = np.empty((rows, taps * c), dtype=x.dtype)
    dx = np.zeros(x.shape, dtype=x.dtype) if need_input_grad else None
    dw = None if kernel_grad is None else kernel_grad.reshape(taps, c, dm)
    for r0, n in panels:
        d = dy3[r0:r0 + n]
        if dw is not None:
            _conv.im2col(x, geom, r0, n, col[:n], n_threads)
            col3 = col[:n].reshape(n, taps, c)
            for t in range(taps):
                dw[t] += np.einsum("rc,rcm->cm", col3[:, t, :], d)
        if need_input_grad:
            dcol = col[:n].reshape(n, taps, c)
            for t in range(taps):
                np.einsum("rcm,cm->rc", d, w[t], out=dcol[:, t, :])
            _conv.col2im(col[:n], geom, r0, n, dx, n_threads)
    return dx


def _pointwise_geometry(shape, filters):
    n, h, w, c = shape
    return (n, h, w, c, h, w, filters, 1, 1, 1, 1, 1, 1, 0, 0)


class _DepthwiseBase(Layer):
    """Arguments, shapes and checks shared by DepthwiseConv2D and SeparableConv2D."""

    keras_name = "depthwise"

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier, activation,
                 use_bias, **kwargs):
        super().__init__(**cu.default_name(kwargs, self.keras_name))
        who = f"{type(self).__name__} '{self.name}'"
        (self.kernel_size, self.strides, self.padding, self.data_format,
         self.dilation_rate) = cu.conv_window_args(who, 2, kernel_size, strides, padding, data_format, dilation_rate)
        self.depth_multiplier = check_int(who, "depth_multiplier", depth_multiplier)
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self._in_channels = None

    def _channels(self, shape):
        cu.check_rank(self, shape, 4, "(batch, height, width, channels)")
        if shape[-1] is None or shape[-1] < 1:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs a known, positive channel count, "
                             f"received input shape {tuple(shape)}")
        return shape[-1]

    def _out_spatial(self, shape):
        out = [cu.conv_output_length(n, k, s, d, self.padding)
               for n, k, s, d in zip(shape[1:3], self.kernel_size, self.strides, self.dilation_rate)]
        cu.check_positive_output(self, shape, out, f"kernel_size {self.kernel_size} "
                                 f"(dilation_rate {self.dilation_rate})")
        return tuple(out)

    def check_input(self, x):
        c = self._channels(x.shape)
        if c != self._in_channels:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) was built for {self._in_channels} input "
                             f"channels, received an input of shape {x.shape}")
        self._out_spatial(x.shape)

    def _geometry(self, shape):
        return cu.conv_geometry(shape, self.kernel_size, self.strides, self.dilation_rate, self.padding,
                                shape[-1] * self.depth_multiplier)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"kernel_size": list(self.kernel_size), "strides": list(self.strides), "padding": self.padding,
                    "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
                    "depth_multiplier": self.depth_multiplier, "activation": activation_name(self.activation),
                    "use_bias": self.use_bias})
        return cfg


class DepthwiseConv2D(_DepthwiseBase):
    """Depthwise 2-D convolution: each input channel gets depth_multiplier filters of its own.

    Args:
        kernel_size: int or (k_h, k_w).
        strides, padding ('valid'/'same'), data_format ('channels_last'), dilation_rate: as Conv2D.
        depth_multiplier: filters per input channel (output channels = in_channels * depth_multiplier).
        activation, use_bias: as Conv2D.
        depthwise_initializer, bias_initializer: default 'glorot_uniform' / 'zeros'.
        depthwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint.

    Weights: kernel (k_h, k_w, in_channels, depth_multiplier), bias (in_channels * depth_multiplier,).
    Output channel c * depth_multiplier + m comes from input channel c and filter m.
    """

    keras_name = "depthwise_conv2d"

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier, activation,
                         use_bias, activity_regularizer=activity_regularizer, **kwargs)
        who = f"DepthwiseConv2D '{self.name}'"
        self.depthwise_initializer = depthwise_initializer
        self.bias_initializer = bias_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.bias_regularizer = bias_regularizer
        self.depthwise_constraint = get_constraint(depthwise_constraint, who, "depthwise_constraint")
        self.bias_constraint = get_constraint(bias_constraint, who, "bias_constraint")
        self.kernel = self.bias = None

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._out_spatial(input_shape)
        self._in_channels = c
        self.kernel = self.add_weight("kernel", self.kernel_size + (c, self.depth_multiplier),
                                      self.depthwise_initializer, self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (c * self.depth_multiplier,), self.bias_initializer,
                                        self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def compute_output_shape(self, input_shape):
        c = self._channels(input_shape)
        return (input_shape[0],) + self._out_spatial(input_shape) + (c * self.depth_multiplier,)

    def forward(self, inputs, training=False):
        """y = activation(depthwise(x, kernel) + bias)."""
        x = np.ascontiguousarray(inputs)
        geom = self._geometry(x.shape)
        y = depthwise_forward(x, self.kernel.value, geom, config.get_num_threads())
        if self.use_bias:
            y += self.bias.value
        y, act_ctx = self.activation.forward(y, inplace=True)
        return y, (x, geom, act_ctx)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        x, geom, act_ctx = ctx
        dy = np.ascontiguousarray(self.activation.backward(act_ctx, grad_outputs))
        if self.trainable and self.use_bias:
            self.bias.grad += dy.reshape(-1, dy.shape[-1]).sum(axis=0)
        return depthwise_backward(x, self.kernel.value, dy, geom, config.get_num_threads(),
                                  self.kernel.grad if self.trainable else None, need_input_grad)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({k: serialize(kind, getattr(self, k)) for k, kind in [
            ("depthwise_initializer", "initializers"), ("bias_initializer", "initializers"),
            ("depthwise_regularizer", "regularizers"), ("bias_regularizer", "regularizers"),
            ("depthwise_constraint", "constraints"), ("bias_constraint", "constraints")]})
        return cfg


class SeparableConv2D(_DepthwiseBase):
    """Depthwise-separable 2-D convolution: a depthwise convolution, then a 1x1 convolution to `filters`.

    ``y = activation(pointwise(depthwise(x, depthwise_kernel), pointwise_kernel) + bias)``

    Args:
        filters: output channels.
        kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier: of the depthwise step.
        activation, use_bias: as Conv2D.
        depthwise_initializer, pointwise_initializer, bias_initializer: default glorot_uniform,
            glorot_uniform, zeros.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
        depthwise_constraint, pointwise_constraint, bias_constraint.

    Weights: depthwise_kernel (k_h, k_w, in_channels, depth_multiplier),
    pointwise_kernel (1, 1, in_channels * depth_multiplier, filters), bias (filters,).
    """

    keras_name = "separable_conv2d"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier, activation,
                         use_bias, activity_regularizer=activity_regularizer, **kwargs)
        who = f"SeparableConv2D '{self.name}'"
        self.filters = check_int(who, "filters", filters)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.bias_initializer = bias_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.bias_regularizer = bias_regularizer
        self.depthwise_constraint = get_constraint(depthwise_constraint, who, "depthwise_constraint")
        self.pointwise_constraint = get_constraint(pointwise_constraint, who, "pointwise_constraint")
        self.bias_constraint = get_constraint(bias_constraint, who, "bias_constraint")
        self.depthwise_kernel = self.pointwise_kernel = self.bias = None

    def build(self, input_shape):
        c = self._channels(input_shape)
        self._out_spatial(input_shape)
        self._in_channels = c
        dm = self.depth_multiplier
        self.depthwise_kernel = self.add_weight("depthwise_kernel", self.kernel_size + (c, dm),
                                                self.depthwise_initializer, self.depthwise_regularizer,
                                                constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight("pointwise_kernel", (1, 1, c * dm, self.filters),
                                                self.pointwise_initializer, self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        return (input_shape[0],) + self._out_spatial(input_shape) + (self.filters,)

    def forward(self, inputs, training=False):
        x = np.ascontiguousarray(inputs)
        geom = self._geometry(x.shape)
        n_threads = config.get_num_threads()
        z = depthwise_forward(x, self.depthwise_kernel.value, geom, n_threads)
        pgeom = _pointwise_geometry(z.shape, self.filters)
        y = np.empty(z.shape[:3] + (self.filters,), dtype=x.dtype)
        _conv.conv2d_forward(z, self.pointwise_kernel.value, self.bias.value if self.use_bias else None, y, pgeom,
                             n_threads)
        y, act_ctx = self.activation.forward(y, inplace=True)
        return y, (x, z, geom, pgeom, act_ctx)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        x, z, geom, pgeom, act_ctx = ctx
        n_threads = config.get_num_threads()
        dy = np.ascontiguousarray(self.activation.backward(act_ctx, grad_outputs))
        if self.trainable:
            _conv.conv2d_backward_filter(z, dy, self.pointwise_kernel.grad, self.bias.grad if self.use_bias else None,
                                         pgeom, n_threads)
        if not need_input_grad and not self.trainable:
            return None
        dz = np.empty(z.shape, dtype=z.dtype)
        _conv.conv2d_backward_data(dy, self.pointwise_kernel.value, dz, pgeom, n_threads)
        return depthwise_backward(x, self.depthwise_kernel.value, dz, geom, n_threads,
                                  self.depthwise_kernel.grad if self.trainable else None, need_input_grad)

    def get_config(self):
        cfg = super().get_config()
        cfg["filters"] = self.filters
        cfg.update({k: serialize(kind, getattr(self, k)) for k, kind in [
            ("depthwise_initializer", "initializers"), ("pointwise_initializer", "initializers"),
            ("bias_initializer", "initializers"), ("depthwise_regularizer", "regularizers"),
            ("pointwise_regularizer", "regularizers"), ("bias_regularizer", "regularizers"),
            ("depthwise_constraint", "constraints"), ("pointwise_constraint", "constraints"),
            ("bias_constraint", "constraints")]})
        return cfg
