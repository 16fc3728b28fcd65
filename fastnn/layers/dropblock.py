"""DropBlock2D: structured dropout of contiguous regions of feature maps (training only).

SpatialDropout1D/2D/3D live in fastnn/layers/regularization.py.

The masks are drawn from the layer's generator (``seed=``) or fastnn's global one; outside training
the layers are the identity. Backward multiplies by the same mask and scale the forward pass used.
"""
import numpy as np

from fastnn._checks import check_number
from fastnn.engine.layer import Layer
from fastnn.layers import _conv_utils as cu
from fastnn._checks import check_int


class _MaskedDropout(Layer):
    """forward: y = x * multiplier (training), multiplier from ``_multiplier(shape)``; backward alike."""

    rank = 2
    keras_name = "dropout"

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**cu.default_name(kwargs, self.keras_name))
        self.rate = check_number(rate, "rate", f"{type(self).__name__} '{self.name}'", 0.0, 1.0, high_open=True)
        self.seed = seed
        self._seed(seed)

    def compute_output_shape(self, input_shape):
        cu.check_rank(self, input_shape, self.rank + 2, "(batch, spatial..., channels)")
        return input_shape

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def check_input(self, x):
        self.compute_output_shape(x.shape)

    def forward(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs, None
        mult = self._multiplier(inputs.shape).astype(inputs.dtype)
        return inputs * mult, mult

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        return grad_outputs.copy() if ctx is None else grad_outputs * ctx

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg


class DropBlock2D(_MaskedDropout):
    """DropBlock (Ghiasi, Lin and Le, 2018): drop contiguous block_size x block_size regions of each feature
    map in training; the identity at inference.

    Block seeds are Bernoulli(gamma) over the positions where a whole block fits, with
    ``gamma = rate / b**2 * (H * W) / ((H - b + 1) * (W - b + 1))`` so that about `rate` of the units are
    dropped; each seed zeroes the b x b block below/right of it. Masks are drawn per sample and channel, and
    the kept units are scaled by ``count(mask) / count_ones(mask)`` over the batch.

    Args:
        rate: drop probability (1 - keep_prob) in [0, 1).
        block_size: side of the dropped squares (clipped to the feature-map size).
        data_format: only 'channels_last'.
        seed: optional int for a reproducible layer-owned generator.
    """

    keras_name = "drop_block2d"

    def __init__(self, rate, block_size=7, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        self.block_size = check_int(who, "block_size", block_size)
        self.data_format = cu.normalize_data_format(data_format, who)

    def _multiplier(self, shape):
        n, h, w, c = shape
        b = min(self.block_size, h, w)
        sh, sw = h - b + 1, w - b + 1
        gamma = self.rate / (b * b) * (h * w) / (sh * sw)
        seeds = self.rng().random((n, sh, sw, c)) < gamma
        dropped = np.zeros(shape, dtype=bool)
        for i in range(b):
            for j in range(b):
                dropped[:, i:i + sh, j:j + sw, :] |= seeds
        keep = ~dropped
        kept = int(keep.sum())
        return keep * (keep.size / kept) if kept else keep.astype(np.float64)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"block_size": self.block_size, "data_format": self.data_format})
        return cfg
