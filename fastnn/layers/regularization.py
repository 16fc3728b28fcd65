"""Noise layers active only in training: Dropout, GaussianNoise, GaussianDropout.

At inference (``training=False``) each returns its input unchanged. Random draws come from the
layer's own generator when ``seed`` is given (reproducible), else from fastnn's global one.
"""
import numpy as np

from fastnn import config
from fastnn._native import _eltwise
from fastnn.engine.layer import Layer
from fastnn.layers._validation import check_number

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
        self.rate = check_number(type(self).__name__, "rate", rate, low=0, high=1, high_inclusive=False)
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
        self.stddev = check_number(type(self).__name__, "stddev", stddev, low=0)
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
        self.rate = check_number(type(self).__name__, "rate", rate, low=0, high=1, high_inclusive=False)
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
