"""Weight initializers with Keras 3's names, arguments and defaults.

Every initializer is a callable ``init(shape, dtype=None) -> numpy.ndarray`` (dtype defaults to
``fastnn.config.floatx()``). Random initializers take ``seed``:

- an integer seed makes the initializer deterministic: each call returns the same values, as a seeded
  Keras 3 initializer does (it draws from a fresh generator seeded with ``seed`` every call);
- ``seed=None`` draws from fastnn's global generator (``fastnn.config.rng()``), so
  ``fastnn.utils.set_random_seed`` makes a whole model's initialization reproducible while two weights
  built from the same unseeded initializer still get different values.

Fans follow Keras: a vector has fan_in = fan_out = its length; a dense kernel ``(n_in, n_out)`` has
fan_in = n_in, fan_out = n_out; a convolution kernel ``(*spatial, c_in, c_out)`` has
fan_in = prod(spatial) * c_in and fan_out = prod(spatial) * c_out.
"""
import math

import numpy as np

from fastnn import config
from fastnn._checks import check_number
from fastnn._registry import find_class, resolve, serialize as _serialize, snake_case, split_config

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it gives the truncated draw the
# requested variance (Keras's constant).
_TRUNCATED_STDDEV = 0.87962566103423978

__all__ = [
    "Initializer", "Constant", "Zeros", "Ones", "Identity", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
    "LecunUniform", "LecunNormal", "Orthogonal", "compute_fans", "get", "serialize", "deserialize",
]


def compute_fans(shape, input_axes=None, output_axes=None):
    """Return (fan_in, fan_out) of a weight of `shape`, as Keras computes them.

    Args:
        shape: tuple of ints. () -> (1, 1); (n,) -> (n, n); (n_in, n_out) -> (n_in, n_out);
            (*spatial, c_in, c_out) -> (prod(spatial) * c_in, prod(spatial) * c_out).
        input_axes, output_axes: optional lists of axes; when both are given the fans are the products
            of those dimensions (Keras 3.15's explicit-axes form, e.g. for EinsumDense kernels).
    """
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        fan_in = int(np.prod([shape[a] for a in input_axes], dtype=np.int64))
        fan_out = int(np.prod([shape[a] for a in output_axes], dtype=np.int64))
        return fan_in, fan_out
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = 1
    for dim in shape[:-2]:
        receptive_field *= dim
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _check_shape(shape, who):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{who}: shape must be a tuple of non-negative integers, received {shape!r}") from None
    if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
        raise ValueError(f"{who}: shape must be a tuple of non-negative integers, received {shape!r}")
    return tuple(int(d) for d in shape)


def _check_axes(axes, name, who):
    if axes is None:
        return None
    try:
        axes = [int(a) for a in axes]
    except (TypeError, ValueError):
        raise ValueError(f"{who}: argument `{name}` must be None or a list of integers, received {axes!r}") from None
    return axes


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config()``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Constant(Initializer):
    """Fill with a constant: ``w = value``.

    Args:
        value: the number every element takes (default 0.0).
    """

    def __init__(self, value=0.0):
        self.value = check_number(value, "value", "Constant")

    def __call__(self, shape, dtype=None):
        return np.full(_check_shape(shape, "Constant"), self.value, dtype=config.standardize_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    """Fill with zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(_check_shape(shape, "Zeros"), dtype=config.standardize_dtype(dtype))


class Ones(Initializer):
    """Fill with ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(_check_shape(shape, "Ones"), dtype=config.standardize_dtype(dtype))


class Identity(Initializer):
    """``gain * eye(rows, cols)`` for a 2-D weight.

    Args:
        gain: multiplier of the identity matrix (default 1.0).
    """

    def __init__(self, gain=1.0):
        self.gain = check_number(gain, "gain", "Identity")

    def __call__(self, shape, dtype=None):
        shape = _check_shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity: the weight must be 2-dimensional, received shape {shape}")
        return (self.gain * np.eye(*shape)).astype(config.standardize_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of the random initializers: resolves ``seed`` into a numpy generator per call."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"{type(self).__name__}: argument `seed` must be None or a non-negative integer, "
                             f"received {seed!r}")
        self.seed = None if seed is None else int(seed)

    def _generator(self):
        # A seeded initializer restarts its own stream on every call (Keras 3's stateless seeded draws);
        # an unseeded one advances the global generator.
        return config.rng() if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev):
    """Normal(mean, stddev) draws, redrawing every value farther than 2 stddev from the mean."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return mean + stddev * values


class RandomNormal(RandomInitializer):
    """Normal draws: ``w ~ N(mean, stddev**2)``.

    Args:
        mean: mean of the distribution (default 0.0).
        stddev: standard deviation (default 0.05).
        seed: None or a non-negative int (see module docstring).
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = check_number(mean, "mean", "RandomNormal")
        self.stddev = check_number(stddev, "stddev", "RandomNormal", low=0.0)

    def __call__(self, shape, dtype=None):
        shape, dt = _check_shape(shape, "RandomNormal"), config.standardize_dtype(dtype)
        return self._generator().normal(self.mean, self.stddev, shape).astype(dt)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    """Uniform draws: ``w ~ U[minval, maxval)``.

    Args:
        minval: lower bound (default -0.05).
        maxval: upper bound (default 0.05); must be >= minval.
        seed: None or a non-negative int.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = check_number(minval, "minval", "RandomUniform")
        self.maxval = check_number(maxval, "maxval", "RandomUniform")
        if self.maxval < self.minval:
            raise ValueError(f"RandomUniform: `maxval` must be >= `minval`, received minval={minval!r}, "
                             f"maxval={maxval!r}")

    def __call__(self, shape, dtype=None):
        shape, dt = _check_shape(shape, "RandomUniform"), config.standardize_dtype(dtype)
        return self._generator().uniform(self.minval, self.maxval, shape).astype(dt)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(RandomInitializer):
    """Normal draws truncated at two standard deviations (values beyond are redrawn).

    Args:
        mean: mean (default 0.0).
        stddev: standard deviation of the untruncated normal (default 0.05).
        seed: None or a non-negative int.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = check_number(mean, "mean", "TruncatedNormal")
        self.stddev = check_number(stddev, "stddev", "TruncatedNormal", low=0.0)

    def __call__(self, shape, dtype=None):
        shape, dt = _check_shape(shape, "TruncatedNormal"), config.standardize_dtype(dtype)
        return _truncated_normal(self._generator(), shape, self.mean, self.stddev).astype(dt)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(RandomInitializer):
    """Draws scaled to the weight's fans.

    With ``n`` = fan_in, fan_out or (fan_in + fan_out) / 2 (by `mode`, at least 1) and s = scale / n:
    - 'truncated_normal': N(0, sqrt(s) / 0.87962566103423978) truncated at 2 stddev (the truncation
      brings the variance back to s);
    - 'untruncated_normal': N(0, sqrt(s));
    - 'uniform': U[-sqrt(3 s), sqrt(3 s)].

    Args:
        scale: positive scaling factor (default 1.0).
        mode: 'fan_in' (default), 'fan_out' or 'fan_avg'.
        distribution: 'truncated_normal' (default), 'untruncated_normal' or 'uniform'
            ('normal' is accepted as 'truncated_normal').
        seed: None or a non-negative int.
        input_axes, output_axes: optional lists of axes giving the fans explicitly (see compute_fans).
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        super().__init__(seed)
        who = type(self).__name__
        self.input_axes = _check_axes(input_axes, "input_axes", who)
        self.output_axes = _check_axes(output_axes, "output_axes", who)
        self.scale = check_number(scale, "scale", who, low=0.0, low_open=True)
        if not isinstance(mode, str) or mode.lower() not in self._MODES:
            raise ValueError(f"{who}: argument `mode` must be one of {list(self._MODES)}, received {mode!r}")
        if not isinstance(distribution, str) or \
                distribution.lower() not in self._DISTRIBUTIONS + ("normal",):
            raise ValueError(f"{who}: argument `distribution` must be one of {list(self._DISTRIBUTIONS)}, "
                             f"received {distribution!r}")
        self.mode = mode.lower()
        distribution = distribution.lower()
        self.distribution = "truncated_normal" if distribution == "normal" else distribution

    def __call__(self, shape, dtype=None):
        shape, dt = _check_shape(shape, type(self).__name__), config.standardize_dtype(dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._generator()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dt)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """VarianceScaling with fixed (scale, mode, distribution); configs hold only the seed."""

    _FIXED = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._FIXED
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed, input_axes=input_axes,
                         output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: U[-limit, limit], limit = sqrt(6 / (fan_in + fan_out)). Args: seed."""

    _FIXED = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated N(0, sqrt(2 / (fan_in + fan_out))). Args: seed."""

    _FIXED = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: U[-limit, limit], limit = sqrt(6 / fan_in). Args: seed."""

    _FIXED = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated N(0, sqrt(2 / fan_in)). Args: seed."""

    _FIXED = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: U[-limit, limit], limit = sqrt(3 / fan_in). Args: seed."""

    _FIXED = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated N(0, sqrt(1 / fan_in)). Args: seed."""

    _FIXED = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`.

    The weight is viewed as a matrix (prod(shape[:-1]), shape[-1]); a normal matrix of the taller
    orientation is QR-factorised, Q's columns are sign-corrected by diag(R) (so the draw is uniform over
    orthogonal matrices), transposed back when needed and reshaped.

    Args:
        gain: multiplier (default 1.0).
        seed: None or a non-negative int.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = check_number(gain, "gain", "Orthogonal")

    def __call__(self, shape, dtype=None):
        shape, dt = _check_shape(shape, "Orthogonal"), config.standardize_dtype(dtype)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the weight must be at least 2-dimensional, received shape {shape}")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        a = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        d = np.sign(np.diag(r))
        d[d == 0] = 1.0
        q = q * d
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dt)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity


_CLASSES = (Constant, Zeros, Ones, Identity, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal)
_BY_NAME = {}
for _cls in _CLASSES:
    _BY_NAME[_cls.__name__] = _cls
    _BY_NAME[snake_case(_cls.__name__)] = _cls
_BY_NAME.update({
    "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
    "xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal,
    "normal": RandomNormal, "uniform": RandomUniform, "zero": Zeros, "one": Ones,
})

# Keras-style function aliases: `fastnn.initializers.glorot_uniform(seed=0)` is a GlorotUniform.
constant, zeros, ones, identity = Constant, Zeros, Ones, Identity
random_normal, random_uniform, truncated_normal, variance_scaling = (RandomNormal, RandomUniform,
                                                                    TruncatedNormal, VarianceScaling)
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, orthogonal = LecunUniform, LecunNormal, Orthogonal
xavier_uniform, xavier_normal = GlorotUniform, GlorotNormal


def _valid_names():
    return sorted(_BY_NAME)


def serialize(initializer):
    """Return ``{"class_name": ..., "config": ...}`` for an Initializer (a plain function: its name)."""
    if initializer is None:
        return None
    return _serialize(initializer, Initializer, "initializers.serialize", functions=True)


def deserialize(config, custom_objects=None):
    """Build an initializer from a name or a ``{"class_name", "config"}`` dict."""
    name, kwargs = split_config(config, "initializers.deserialize")
    cls = find_class(name, _BY_NAME, "initializer", _valid_names(), custom_objects)
    if isinstance(cls, type) and issubclass(cls, Initializer):
        return cls.from_config(kwargs)
    return cls(**kwargs) if kwargs else cls


def get(identifier):
    """Resolve an initializer.

    Args:
        identifier: a name ('glorot_uniform', 'he_normal', 'GlorotUniform', 'xavier_uniform', ...), a
            config dict ``{"class_name": ..., "config": ...}``, an Initializer class or instance, or any
            callable ``(shape, dtype=None) -> array``.

    Returns:
        A callable ``(shape, dtype=None) -> ndarray``. Raises ValueError for None or unknown names (the
        message lists the valid ones).
    """
    if identifier is None:
        raise ValueError(f"initializers.get: an initializer is required, received None. "
                         f"Valid names are {_valid_names()}")
    return resolve(identifier, Initializer, deserialize, "initializer", _valid_names())
