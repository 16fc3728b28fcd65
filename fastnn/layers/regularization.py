"""Noise layers active only in training: Dropout, SpatialDropout1D/2D/3D, AlphaDropout, GaussianNoise,
GaussianDropout.

At inference (``training=False``) each returns its input unchanged. Random draws come from the
layer's own generator when ``seed`` is given (reproducible), else from fastnn's global one.
"""
import numpy as np

from fastnn import config
from fastnn._checks import check_number
from fastnn._native import _eltwise
from fastnn.engine.layer import Layer

_SEED_LIMIT = 2 ** 63 - 1


class Dropout(Layer):
    """Randomly zeroes inputs with probability ``rate`` during training, scaling the kept ones by
    1 / (1 - rate) so the expected sum is unchanged: ``y = x * mask / (1 - rate)``.

    The mask comes from a counter-based generator keyed by one integer drawn from the layer's
    generator per call, so it is identical for any thread count.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: optional shape of the mask, broadcast over the input (e.g. (batch, 1, features)
            to drop the same features at every timestep); None entries take the input's size.
        seed: optional integer making the masks reproducible.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_number(rate, "rate", type(self).__name__, low=0, high=1, high_open=True)
        if noise_shape is not None:
            try:
                noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
            except (TypeError, ValueError):
                raise ValueError(f"{type(self).__name__}: argument `noise_shape` must be a tuple of integers or "
                                 f"None, received {noise_shape!r}") from None
        self.noise_shape = noise_shape
        self.seed = seed
        self._seed(seed)

    def _mask_shape(self, shape):
        if self.noise_shape is None:
            return None
        if len(self.noise_shape) != len(shape):
            raise ValueError(f"Layer '{self.name}': noise_shape {self.noise_shape} must have the input's rank; "
                             f"received input shape {shape}")
        out = tuple(s if n is None else n for n, s in zip(self.noise_shape, shape))
        if any(n != 1 and n != s for n, s in zip(out, shape)):
            raise ValueError(f"Layer '{self.name}': noise_shape {self.noise_shape} does not broadcast to the input "
                             f"shape {shape} (each entry must be 1, None or the input's size)")
        return out

    def check_input(self, x):
        self._mask_shape(x.shape)

    def forward(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs, None
        seed = int(self.rng().integers(0, _SEED_LIMIT))
        scale = 1.0 / (1.0 - self.rate)
        mask_shape = self._mask_shape(inputs.shape)
        x = np.ascontiguousarray(inputs)
        if mask_shape is None or mask_shape == x.shape:
            y, keep = _eltwise.dropout_forward(x, seed, self.rate, scale, config.get_num_threads())
            return y, ("full", keep, scale)
        keep = _eltwise.dropout_mask(mask_shape, seed, self.rate, config.get_num_threads())
        factor = keep.astype(x.dtype) * x.dtype.type(scale)
        return x * factor, ("broadcast", factor, scale)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        if ctx is None:
            return grad_outputs.copy()
        kind, mask, scale = ctx
        if kind == "full":
            return _eltwise.dropout_backward(mask, scale, np.ascontiguousarray(grad_outputs), config.get_num_threads())
        return grad_outputs * mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape), "seed": self.seed}


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise in training: ``y = x + N(0, stddev^2)``.

    Args:
        stddev: standard deviation of the noise (>= 0).
        seed: optional integer making the noise reproducible.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = check_number(stddev, "stddev", type(self).__name__, low=0)
        self.seed = seed
        self._seed(seed)

    def forward(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs, None
        noise = self.rng().normal(0.0, self.stddev, size=inputs.shape).astype(inputs.dtype)
        return inputs + noise, None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs.copy() if need_input_grad else None

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies by Gaussian noise of mean 1 in training: ``y = x * N(1, rate / (1 - rate))``.

    Args:
        rate: drop probability of the equivalent Dropout, in [0, 1).
        seed: optional integer making the noise reproducible.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_number(rate, "rate", type(self).__name__, low=0, high=1, high_open=True)
        self.seed = seed
        self._seed(seed)

    def forward(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs, None
        stddev = np.sqrt(self.rate / (1.0 - self.rate))
        noise = self.rng().normal(1.0, stddev, size=inputs.shape).astype(inputs.dtype)
        return inputs * noise, noise

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        return grad_outputs.copy() if ctx is None else grad_outputs * ctx

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one mask entry per (sample, channel), shared over the spatial axes."""

    _rank = None  # input rank (batch included)

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: argument `data_format` must be 'channels_last' or "
                             f"'channels_first', received {data_format!r}")
        self.data_format = data_format or "channels_last"

    def _mask_shape(self, shape):
        if len(shape) != self._rank:
            raise ValueError(f"Layer '{self.name}': expected inputs of rank {self._rank} (batch included), "
                             f"received shape {tuple(shape)}")
        ones = (1,) * (self._rank - 2)
        if self.data_format == "channels_last":
            return (shape[0],) + ones + (shape[-1],)
        return (shape[0], shape[1]) + ones

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("noise_shape")
        if self._rank != 3:
            cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) inputs in training (Keras SpatialDropout1D).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        seed: optional integer making the masks reproducible.
    """

    _rank = 3

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of 4-D inputs in training (Keras SpatialDropout2D).

    Args:
        rate: fraction of the feature maps to drop, in [0, 1).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: optional integer making the masks reproducible.
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of 5-D inputs in training (Keras SpatialDropout3D).

    Args:
        rate: fraction of the feature volumes to drop, in [0, 1).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: optional integer making the masks reproducible.
    """

    _rank = 5


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of SELU activations (Keras AlphaDropout).

    Dropped inputs are set to alpha' = -scale * alpha of SELU, then ``y = a * x' + b`` with
    ``a = ((1 - rate) (1 + rate alpha'^2))^-1/2`` and ``b = -a alpha' rate``.

    Args:
        rate: drop probability, in [0, 1).
        noise_shape: optional mask shape broadcast over the input (None entries take the input's size).
        seed: optional integer making the masks reproducible.
    """

    _ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_number(rate, "rate", type(self).__name__, low=0, high=1, high_open=True)
        self._shape_helper = Dropout(0.0, noise_shape=noise_shape, name=f"{self.name}_noise_shape")
        self.noise_shape = self._shape_helper.noise_shape
        self.seed = seed
        self._seed(seed)

    def check_input(self, x):
        self._shape_helper.name = self.name
        self._shape_helper._mask_shape(x.shape)

    def forward(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs, None
        seed = int(self.rng().integers(0, _SEED_LIMIT))
        shape = self._shape_helper._mask_shape(inputs.shape) or inputs.shape
        keep = _eltwise.dropout_mask(shape, seed, self.rate, config.get_num_threads()).astype(inputs.dtype)
        rate, alpha_p = self.rate, self._ALPHA_P
        a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        dt = inputs.dtype.type
        y = dt(a) * (inputs * keep + dt(alpha_p) * (dt(1) - keep)) + dt(b)
        return y.astype(inputs.dtype), keep * dt(a)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        return grad_outputs.copy() if ctx is None else grad_outputs * ctx

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape), "seed": self.seed}
