"""Image augmentation layers (channels-last, (N, H, W, C) or one (H, W, C) image), active only with
training=True and the identity otherwise (RandomCrop included: Keras 3 returns its input unchanged at
inference too).

Each draws its random transformation from the layer's generator (``seed=``) or fastnn's global one, so a
seeded layer is reproducible. Given the drawn transformation every layer is linear (RandomContrast:
piecewise linear through its clipping), and its backward pass is the exact adjoint of what forward did,
so gradients flow through them like through any other layer.
"""
import math

import numpy as np

from fastnn.engine.layer import Layer
from fastnn.layers import _conv_utils as cu
from fastnn._checks import check_int

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _factor_range(factor, who, arg, bound=None):
    """Keras factor forms: f -> (-f, f); (lower, upper) as given; checked against |value| <= bound."""
    if isinstance(factor, (int, float, np.integer, np.floating)) and not isinstance(factor, bool):
        lower, upper = -abs(float(factor)), abs(float(factor))
    else:
        try:
            lower, upper = (float(v) for v in factor)
        except (TypeError, ValueError):
            raise ValueError(f"{who}: {arg} must be a float or a (lower, upper) pair, received {factor!r}") from None
    if lower > upper:
        raise ValueError(f"{who}: {arg} needs lower <= upper, received {factor!r}")
    if bound is not None and (lower < -bound or upper > bound):
        raise ValueError(f"{who}: {arg} must lie in [-{bound}, {bound}], received {factor!r}")
    return lower, upper


class _Augmentation(Layer):
    """Shared plumbing: 3-D/4-D inputs, identity outside training, seeded generator."""

    keras_name = "augmentation"

    def __init__(self, seed=None, **kwargs):
        super().__init__(**cu.default_name(kwargs, self.keras_name))
        self.seed = seed
        self._seed(seed)

    def _who(self):
        return f"{type(self).__name__} '{self.name}'"

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expects images of rank 4 (batch, height, "
                             f"width, channels) or 3 (height, width, channels), received shape {tuple(input_shape)}")
        return input_shape

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def check_input(self, x):
        self.compute_output_shape(x.shape)

    def forward(self, inputs, training=False):
        single = inputs.ndim == 3
        x = inputs[None] if single else inputs
        y, ctx = self._augment(np.ascontiguousarray(x)) if training else self._inference(x)
        return (y[0] if single else y), (single, ctx)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        single, inner = ctx
        dy = grad_outputs[None] if single else grad_outputs
        dx = dy.copy() if inner is None else self._adjoint(inner, np.ascontiguousarray(dy))
        return dx[0] if single else dx

    def _inference(self, x):
        return x, None

    def get_config(self):
        cfg = super().get_config()
        cfg["seed"] = self.seed
        return cfg


class RandomFlip(_Augmentation):
    """Flip each image left-right and/or up-down with probability 1/2 (per image, per direction).

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical' (default).
        seed: optional int.
    """

    keras_name = "random_flip"
    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if mode not in self.MODES:
            raise ValueError(f"{self._who()}: mode must be one of {list(self.MODES)}, received {mode!r}")
        self.mode = mode

    def _augment(self, x):
        n = x.shape[0]
        rng = self.rng()
        flip_w = rng.random(n) < 0.5 if self.mode != "vertical" else np.zeros(n, bool)
        flip_h = rng.random(n) < 0.5 if self.mode != "horizontal" else np.zeros(n, bool)
        return self._apply(x, (flip_h, flip_w)), (flip_h, flip_w)

    @staticmethod
    def _apply(x, flips):
        flip_h, flip_w = flips
        y = x.copy()
        y[flip_w] = y[flip_w][:, :, ::-1]
        y[flip_h] = y[flip_h][:, ::-1]
        return y

    def _adjoint(self, flips, dy):
        return self._apply(dy, flips)  # a flip is its own inverse and its own transpose

    def get_config(self):
        cfg = super().get_config()
        cfg["mode"] = self.mode
        return cfg


class RandomCrop(_Augmentation):
    """Crop a (height, width) window at a random offset (one per batch) in training; at inference the
    input passes unchanged, as Keras 3 does.

    Args:
        height, width: output size; the input must be at least that large (Keras would resize a smaller
            input; fastnn raises a ValueError instead).
        seed: optional int.
    """

    keras_name = "random_crop"

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height = check_int(self._who(), "height", height)
        self.width = check_int(self._who(), "width", width)

    def compute_output_shape(self, input_shape):
        super().compute_output_shape(input_shape)
        h, w = input_shape[-3], input_shape[-2]
        if (h is not None and h < self.height) or (w is not None and w < self.width):
            raise ValueError(f"Layer '{self.name}' (RandomCrop) crops ({self.height}, {self.width}) and needs "
                             f"images at least that large, received shape {tuple(input_shape)}")
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])

    def _crop(self, x, top, left):
        return np.ascontiguousarray(x[:, top:top + self.height, left:left + self.width])

    def _augment(self, x):
        top = int(self.rng().integers(0, x.shape[1] - self.height + 1))
        left = int(self.rng().integers(0, x.shape[2] - self.width + 1))
        return self._crop(x, top, left), (x.shape, top, left)

    def _adjoint(self, ctx, dy):
        shape, top, left = ctx
        dx = np.zeros(shape, dtype=dy.dtype)
        dx[:, top:top + self.height, left:left + self.width] = dy
        return dx

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width})
        return cfg


class RandomContrast(_Augmentation):
    """Scale each image's deviation from its per-channel mean by a random factor, then clip.

    ``y = clip((x - mean_hw(x)) * f + mean_hw(x), *value_range)`` with ``f ~ U[1 - lower, 1 + upper]`` per image.

    Args:
        factor: float f (range [1 - f, 1 + f]) or (lower, upper), non-negative; lower <= 1.
        value_range: (min, max) the output is clipped to; default (0, 255) as in Keras.
        seed: optional int.
    """

    keras_name = "random_contrast"

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(factor, (int, float, np.integer, np.floating)) and not isinstance(factor, bool):
            lower = upper = float(factor)
        else:
            try:
                lower, upper = (float(v) for v in factor)
            except (TypeError, ValueError):
                raise ValueError(f"{self._who()}: factor must be a float or a (lower, upper) pair, "
                                 f"received {factor!r}") from None
        if lower < 0 or upper < 0 or lower > 1:
            raise ValueError(f"{self._who()}: factor values must be non-negative with lower <= 1, "
                             f"received {factor!r}")
        self.factor = factor if isinstance(factor, (int, float)) else [lower, upper]
        self._range = (1.0 - lower, 1.0 + upper)
        lo, hi = (float(v) for v in value_range)
        if lo >= hi:
            raise ValueError(f"{self._who()}: value_range needs min < max, received {value_range!r}")
        self.value_range = (lo, hi)

    def _augment(self, x):
        f = self.rng().uniform(self._range[0], self._range[1], (x.shape[0], 1, 1, 1)).astype(x.dtype)
        mean = x.mean(axis=(1, 2), keepdims=True)
        z = (x - mean) * f + mean
        inside = (z >= self.value_range[0]) & (z <= self.value_range[1])
        return np.clip(z, *self.value_range).astype(x.dtype), (f, inside)

    def _adjoint(self, ctx, dy):
        f, inside = ctx
        g = dy * inside
        return g * f + (1 - f) * g.mean(axis=(1, 2), keepdims=True)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": list(self.value_range)})
        return cfg


# ---- affine warps: RandomTranslation, RandomRotation, RandomZoom ----

def _fill_index(i, size, mode):
    """Map integer coordinates outside [0, size) by the fill mode; returns (index, valid)."""
    if mode == "reflect":  # (d c b a | a b c d | d c b a)
        p = np.mod(i, 2 * size)
        return np.where(p >= size, 2 * size - 1 - p, p), np.ones(i.shape, bool)
    if mode == "wrap":
        return np.mod(i, size), np.ones(i.shape, bool)
    if mode == "nearest":
        return np.clip(i, 0, size - 1), np.ones(i.shape, bool)
    valid = (i >= 0) & (i < size)
    return np.clip(i, 0, size - 1), valid


def _sampling_plan(h, w, transforms, fill_mode, interpolation):
    """Per output pixel of each image: source pixel indices (k, n, h*w), weights, and the fill weight.

    ``transforms`` (n, 6) maps output (x, y) to input (a0 x + a1 y + a2, b0 x + b1 y + b2), Keras's convention.
    """
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    t = transforms[:, :, None, None]
    x_in = t[:, 0] * xs + t[:, 1] * ys + t[:, 2]
    y_in = t[:, 3] * xs + t[:, 4] * ys + t[:, 5]
    if interpolation == "nearest":
        corners = [(np.floor(y_in + 0.5), np.floor(x_in + 0.5), np.ones_like(x_in))]
    else:
        y0, x0 = np.floor(y_in), np.floor(x_in)
        wy, wx = y_in - y0, x_in - x0
        corners = [(y0, x0, (1 - wy) * (1 - wx)), (y0, x0 + 1, (1 - wy) * wx),
                   (y0 + 1, x0, wy * (1 - wx)), (y0 + 1, x0 + 1, wy * wx)]
    index, weight = [], []
    fill = np.zeros(x_in.shape)
    for yc, xc, wc in corners:
        yi, vy = _fill_index(yc.astype(np.int64), h, fill_mode)
        xi, vx = _fill_index(xc.astype(np.int64), w, fill_mode)
        valid = vy & vx
        index.append((yi * w + xi).reshape(len(transforms), -1))
        weight.append(np.where(valid, wc, 0.0).reshape(len(transforms), -1))
        fill += np.where(valid, 0.0, wc)
    return np.stack(index), np.stack(weight), fill.reshape(len(transforms), -1)


class _RandomAffine(_Augmentation):
    """Shared warp machinery; subclasses implement ``_transforms(n, h, w)`` -> (n, 6)."""

    def _warp_args(self, fill_mode, interpolation, fill_value):
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{self._who()}: fill_mode must be one of {list(FILL_MODES)}, received {fill_mode!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{self._who()}: interpolation must be one of {list(INTERPOLATIONS)}, "
                             f"received {interpolation!r}")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def _augment(self, x):
        n, h, w, c = x.shape
        index, weight, fill = _sampling_plan(h, w, self._transforms(n, h, w), self.fill_mode, self.interpolation)
        x3 = x.reshape(n, h * w, c)
        y = np.zeros_like(x3)
        for k in range(index.shape[0]):
            y += np.take_along_axis(x3, index[k][:, :, None], axis=1) * weight[k][:, :, None].astype(x.dtype)
        if self.fill_mode == "constant" and self.fill_value:
            y += (self.fill_value * fill[:, :, None]).astype(x.dtype)
        return y.reshape(x.shape), (x.shape, index, weight)

    def _adjoint(self, ctx, dy):
        shape, index, weight = ctx
        n, h, w, c = shape
        dx = np.zeros((n * h * w, c), dtype=dy.dtype)
        dy3 = dy.reshape(n, h * w, c)
        offset = (np.arange(n) * h * w)[:, None]
        for k in range(index.shape[0]):  # scatter in a fixed order: deterministic
            np.add.at(dx, (index[k] + offset).ravel(), (dy3 * weight[k][:, :, None]).reshape(-1, c))
        return dx.reshape(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation, "fill_value": self.fill_value})
        return cfg


class RandomTranslation(_RandomAffine):
    """Shift each image by a random fraction of its height and width (positive: down / right).

    Args:
        height_factor, width_factor: float f (range [-f, f]) or (lower, upper), fractions in [-1, 1].
        fill_mode: 'reflect' (default), 'wrap', 'constant' or 'nearest' for pixels from outside the image.
            Outputs equal Keras/TF's for every mode except 'wrap', which can differ near the borders.
        interpolation: 'bilinear' (default) or 'nearest'.
        seed: optional int.
        fill_value: value of 'constant' fill.
    """

    keras_name = "random_translation"

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._h_range = _factor_range(height_factor, self._who(), "height_factor", bound=1.0)
        self._w_range = _factor_range(width_factor, self._who(), "width_factor", bound=1.0)
        self.data_format = cu.normalize_data_format(data_format, self._who())
        self._warp_args(fill_mode, interpolation, fill_value)

    def _transforms(self, n, h, w):
        dy = self.rng().uniform(*self._h_range, n) * h
        dx = self.rng().uniform(*self._w_range, n) * w
        one, zero = np.ones(n), np.zeros(n)
        return np.stack([one, zero, -dx, zero, one, -dy], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                    "data_format": self.data_format})
        return cfg


class RandomRotation(_RandomAffine):
    """Rotate each image about its centre by a random angle ``factor * 2 pi`` (positive: counter-clockwise).

    Args:
        factor: float f (range [-f, f]) or (lower, upper), in fractions of a full turn.
        fill_mode, interpolation, seed, fill_value: as RandomTranslation.
    """

    keras_name = "random_rotation"

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self._range = _factor_range(factor, self._who(), "factor")
        self.value_range = tuple(value_range)
        self.data_format = cu.normalize_data_format(data_format, self._who())
        self._warp_args(fill_mode, interpolation, fill_value)

    def _transforms(self, n, h, w):
        angle = self.rng().uniform(*self._range, n) * 2 * math.pi
        cos, sin = np.cos(angle), np.sin(angle)
        x_off = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2
        y_off = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2
        return np.stack([cos, -sin, x_off, sin, cos, y_off], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": list(self.value_range), "data_format": self.data_format})
        return cfg


class RandomZoom(_RandomAffine):
    """Zoom each image about its centre by ``1 + U[lower, upper]`` (positive factor: zoom out).

    Args:
        height_factor: float f (range [-f, f]) or (lower, upper), each > -1.
        width_factor: the same for the width; None (default) zooms both axes alike (keeps the aspect ratio).
        fill_mode, interpolation, seed, fill_value: as RandomTranslation.
    """

    keras_name = "random_zoom"

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h_range = _factor_range(height_factor, self._who(), "height_factor")
        self._w_range = None if width_factor is None else _factor_range(width_factor, self._who(), "width_factor")
        for r in (self._h_range, self._w_range):
            if r is not None and r[0] <= -1:
                raise ValueError(f"{self._who()}: zoom factors must be > -1, received {r}")
        self.data_format = cu.normalize_data_format(data_format, self._who())
        self._warp_args(fill_mode, interpolation, fill_value)

    def _transforms(self, n, h, w):
        zy = 1 + self.rng().uniform(*self._h_range, n)
        zx = zy if self._w_range is None else 1 + self.rng().uniform(*self._w_range, n)
        zero = np.zeros(n)
        return np.stack([zx, zero, (w - 1) / 2 * (1 - zx), zero, zy, (h - 1) / 2 * (1 - zy)], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                    "data_format": self.data_format})
        return cfg
