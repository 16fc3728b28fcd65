"""Activation functions with Keras 3 names, on fastnn's native elementwise kernels.

Functions work on numpy arrays (``fastnn.activations.relu(x)``) and return new arrays. Layers use the
object form returned by :func:`get`::

    act = fastnn.activations.get("relu")
    y, ctx = act.forward(x, inplace=True)   # y may overwrite x when the backward needs only y
    dx = act.backward(ctx, dy)              # dx = dy * f'(x), a new array (dy is not modified)

Names: linear, relu, relu6, leaky_relu, elu, selu, softplus, softsign, silu (alias swish), gelu,
tanh, sigmoid, exponential, hard_sigmoid, hard_silu (alias hard_swish), mish, softmax, log_softmax.
"""
import numpy as np

from fastnn import config
from fastnn._registry import find_class
from fastnn._native import _eltwise

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _as_float(x):
    """x as a C-contiguous float32/float64 array (other numeric types become floatx())."""
    arr = np.asarray(x)
    if arr.dtype not in _FLOATS:
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise ValueError(f"activations: expected a numeric array, received dtype {arr.dtype}")
        arr = arr.astype(config.floatx())
    return np.ascontiguousarray(arr)


class Activation:
    """An elementwise activation with its derivative (the object form layers use).

    Attributes:
        name: the Keras name ('relu', 'gelu', ...).
        uses_output: True when ``backward`` needs only the output y, so ``forward`` may write y over x.
    """

    def __init__(self, name, kind, param=0.0, config_=None):
        self.name = name
        self.kind = kind
        self.param = float(param)
        self._config = dict(config_ or {})
        self.uses_output = _eltwise.uses_output(kind, self.param)

    def forward(self, x, inplace=False):
        """Return ``(y, ctx)`` with ``y = f(x)``.

        Args:
            x: float32/float64 array (other numeric dtypes are converted to floatx()).
            inplace: allow y to overwrite x when the backward pass does not need x (and x is a
                writable C-contiguous float array); otherwise y is a new array.
        """
        arr = _as_float(x)
        if self.kind == _eltwise.LINEAR:
            return arr, None
        write_over = inplace and self.uses_output and arr.flags.writeable
        y = arr if write_over else np.empty_like(arr)
        _eltwise.act_forward(self.kind, arr, y, self.param, config.get_num_threads())
        return y, (y if self.uses_output else arr)

    def forward_owned(self, z):
        """``forward(z, inplace=True)`` for a C-contiguous float array the caller has just created and
        owns (a layer's GEMM output): the same result without re-checking the array (latency path).
        Subclasses whose forward is not the elementwise kernel fall back to ``forward``."""
        if type(self) is not Activation:
            return self.forward(z, inplace=True)
        if self.kind == _eltwise.LINEAR:
            return z, None
        y = z if self.uses_output else np.empty_like(z)
        _eltwise.act_forward(self.kind, z, y, self.param, config.get_num_threads())
        return y, (y if self.uses_output else z)

    def backward(self, ctx, dy):
        """``dx = dy * f'(x)`` from the ``ctx`` of forward; a new array (linear returns dy itself)."""
        if self.kind == _eltwise.LINEAR:
            return dy
        dy = np.ascontiguousarray(dy, dtype=ctx.dtype)
        dx = np.empty_like(dy)
        return _eltwise.act_backward(self.kind, ctx, dy, dx, self.param, config.get_num_threads())

    def __call__(self, x):
        return self.forward(x)[0]

    def get_config(self):
        return dict(self._config)

    def __eq__(self, other):
        return isinstance(other, Activation) and type(other) is type(self) and \
            (self.name, self.get_config()) == (other.name, other.get_config())

    def __hash__(self):
        return hash((type(self).__name__, self.name))

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.get_config().items())
        return f"<Activation {self.name}{extra}>"


class Softmax(Activation):
    """Softmax (or log-softmax) along ``axis`` (default the last): exp(x - max) / sum exp(x - max)."""

    def __init__(self, axis=-1, log=False):
        name = "log_softmax" if log else "softmax"
        super().__init__(name, _eltwise.LINEAR, 0.0, {"axis": axis} if axis != -1 else {})
        self.kind = None
        self.axis = axis
        self.log = bool(log)
        self.uses_output = True

    def _to_last(self, arr):
        if self.axis in (-1, arr.ndim - 1) or arr.ndim == 0:
            return arr, False
        return np.moveaxis(arr, self.axis, -1).copy(order="C"), True  # a copy we own (safe to overwrite)

    def _from_last(self, arr, moved):
        return np.moveaxis(arr, -1, self.axis) if moved else arr

    def forward(self, x, inplace=False):
        arr = _as_float(x)
        if arr.ndim and not -arr.ndim <= self.axis < arr.ndim:
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for an input of shape {arr.shape}")
        last, moved = self._to_last(arr)
        y = last if (inplace or moved) and last.flags.writeable else np.empty_like(last)
        _eltwise.softmax(last, y, self.log, config.get_num_threads())
        return np.ascontiguousarray(self._from_last(y, moved)), (y, moved)

    def backward(self, ctx, dy):
        y, moved = ctx
        dy = np.asarray(dy, dtype=y.dtype)
        dy_last = np.ascontiguousarray(np.moveaxis(dy, self.axis, -1) if moved else dy)
        dx = np.empty_like(y)
        _eltwise.softmax_backward(y, dy_last, dx, self.log, config.get_num_threads())
        return np.ascontiguousarray(self._from_last(dx, moved))


class GeneralReLU(Activation):
    """Keras's full ``relu(x, negative_slope, max_value, threshold)``.

    f(x) = min(x, max_value) for x > threshold (clipped at 0 below when max_value is set),
    negative_slope * (x - threshold) for x < threshold. Plain relu/relu6/leaky_relu use the native
    kernels; this covers the other combinations with numpy.
    """

    def __init__(self, negative_slope=0.0, max_value=None, threshold=0.0):
        cfg = {"negative_slope": float(negative_slope), "max_value": None if max_value is None else float(max_value),
               "threshold": float(threshold)}
        super().__init__("relu", _eltwise.LINEAR, 0.0, cfg)
        self.kind = None
        self.negative_slope, self.max_value, self.threshold = cfg["negative_slope"], cfg["max_value"], cfg["threshold"]
        self.uses_output = False

    def forward(self, x, inplace=False):
        x = _as_float(x)
        thr, slope, top = self.threshold, self.negative_slope, self.max_value
        dt = x.dtype.type
        pos = x * (x > thr) if thr != 0 else np.maximum(x, dt(0))
        if top is not None:
            pos = np.clip(pos, dt(0), dt(top))
        if slope != 0:
            pos = pos - dt(slope) * np.maximum(dt(thr) - x, dt(0))
        return np.ascontiguousarray(pos, dtype=x.dtype), x

    def backward(self, ctx, dy):
        x = ctx
        thr, slope, top = self.threshold, self.negative_slope, self.max_value
        pre = x * (x > thr) if thr != 0 else np.maximum(x, 0)
        d = (x > thr) if thr != 0 else (x > 0)
        if top is not None:
            d = d & (pre >= 0) & (pre <= top)
        grad = d.astype(x.dtype)
        if slope != 0:
            grad += x.dtype.type(slope) * (x < thr)
        return np.asarray(dy, dtype=x.dtype) * grad


class CallableActivation(Activation):
    """Wraps a user function ``f(x) -> array``: usable forward; it has no derivative, so training
    through it raises an error saying how to provide one."""

    def __init__(self, fn):
        name = getattr(fn, "__name__", type(fn).__name__)
        super().__init__(name, _eltwise.LINEAR, 0.0)
        self.kind = None
        self.fn = fn
        self.uses_output = False

    def forward(self, x, inplace=False):
        return np.asarray(self.fn(x)), None

    def backward(self, ctx, dy):
        raise ValueError(f"Activation '{self.name}' is a plain function with no derivative, so it cannot be "
                         f"trained through. Use a built-in name ({', '.join(sorted(_REGISTRY))}) or subclass "
                         f"fastnn.activations.Activation and implement forward(x, inplace) and backward(ctx, dy).")


# ---- the registry: Keras names -> factories taking the function's keyword arguments ----

def _simple(name, kind):
    return lambda: Activation(name, kind)


def _make_relu(negative_slope=0.0, max_value=None, threshold=0.0):
    if threshold == 0 and max_value is None:
        if negative_slope == 0:
            return Activation("relu", _eltwise.RELU)
        return _make_leaky_relu(negative_slope)
    if threshold == 0 and negative_slope == 0 and max_value == 6:
        return Activation("relu6", _eltwise.RELU6)
    return GeneralReLU(negative_slope, max_value, threshold)


def _make_leaky_relu(negative_slope=0.2):
    cfg = {"negative_slope": float(negative_slope)} if negative_slope != 0.2 else {}
    return Activation("leaky_relu", _eltwise.LEAKY_RELU, negative_slope, cfg)


def _make_elu(alpha=1.0):
    return Activation("elu", _eltwise.ELU, alpha, {"alpha": float(alpha)} if alpha != 1.0 else {})


def _make_gelu(approximate=False):
    if approximate:
        return Activation("gelu", _eltwise.GELU_TANH, 0.0, {"approximate": True})
    return Activation("gelu", _eltwise.GELU)


_REGISTRY = {
    "linear": _simple("linear", _eltwise.LINEAR),
    "relu": _make_relu,
    "relu6": _simple("relu6", _eltwise.RELU6),
    "leaky_relu": _make_leaky_relu,
    "elu": _make_elu,
    "selu": _simple("selu", _eltwise.SELU),
    "softplus": _simple("softplus", _eltwise.SOFTPLUS),
    "softsign": _simple("softsign", _eltwise.SOFTSIGN),
    "silu": _simple("silu", _eltwise.SWISH),
    "gelu": _make_gelu,
    "tanh": _simple("tanh", _eltwise.TANH),
    "sigmoid": _simple("sigmoid", _eltwise.SIGMOID),
    "exponential": _simple("exponential", _eltwise.EXPONENTIAL),
    "hard_sigmoid": _simple("hard_sigmoid", _eltwise.HARD_SIGMOID),
    "hard_silu": _simple("hard_silu", _eltwise.HARD_SWISH),
    "mish": _simple("mish", _eltwise.MISH),
    "softmax": lambda axis=-1: Softmax(axis),
    "log_softmax": lambda axis=-1: Softmax(axis, log=True),
}
_ALIASES = {"swish": "silu", "hard_swish": "hard_silu", None: "linear"}


def _valid_names():
    return sorted(set(_REGISTRY) | {a for a in _ALIASES if a})


def _lookup(name, kwargs=None):
    factory = find_class(_ALIASES.get(name, name), _REGISTRY, "activation", _valid_names())
    try:
        return factory(**(kwargs or {}))
    except TypeError as err:
        raise ValueError(f"activation {name!r}: invalid arguments {kwargs!r} ({err})") from None


# ---- functional forms: fastnn.activations.relu(x), ... ----

def linear(x):
    """Identity: f(x) = x."""
    return np.asarray(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: max(x, 0); with Keras's options, min(x, max_value) above `threshold`
    and negative_slope * (x - threshold) below it."""
    return _make_relu(negative_slope, max_value, threshold)(x)


def relu6(x):
    """min(max(x, 0), 6)."""
    return _lookup("relu6")(x)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    return _make_leaky_relu(negative_slope)(x)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _make_elu(alpha)(x)


def selu(x):
    """scale * elu(x, alpha) with scale = 1.05070098, alpha = 1.67326324 (self-normalising)."""
    return _lookup("selu")(x)


def softplus(x):
    """log(1 + exp(x)), computed stably as max(x, 0) + log1p(exp(-|x|))."""
    return _lookup("softplus")(x)


def softsign(x):
    """x / (1 + |x|)."""
    return _lookup("softsign")(x)


def silu(x):
    """Swish / SiLU: x * sigmoid(x)."""
    return _lookup("silu")(x)


swish = silu


def gelu(x, approximate=False):
    """Gaussian error linear unit: 0.5 x (1 + erf(x / sqrt(2))); with approximate=True,
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return _make_gelu(approximate)(x)


def tanh(x):
    """Hyperbolic tangent."""
    return _lookup("tanh")(x)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return _lookup("sigmoid")(x)


def exponential(x):
    """exp(x)."""
    return _lookup("exponential")(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: relu6(x + 3) / 6."""
    return _lookup("hard_sigmoid")(x)


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    return _lookup("hard_silu")(x)


hard_swish = hard_silu


def mish(x):
    """x * tanh(softplus(x))."""
    return _lookup("mish")(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (max-shifted for stability)."""
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`."""
    return Softmax(axis, log=True)(x)


_FUNCTIONS = {linear: "linear", relu: "relu", relu6: "relu6", leaky_relu: "leaky_relu", elu: "elu",
              selu: "selu", softplus: "softplus", softsign: "softsign", silu: "silu", gelu: "gelu",
              tanh: "tanh", sigmoid: "sigmoid", exponential: "exponential", hard_sigmoid: "hard_sigmoid",
              hard_silu: "hard_silu", mish: "mish", softmax: "softmax", log_softmax: "log_softmax"}


def get(identifier):
    """Return the Activation object for `identifier`.

    Args:
        identifier: None (linear), a name or alias ('relu', 'silu'/'swish', ...), an Activation, one of
            this module's functions, a serialized dict ``{"class_name": name, "config": {...}}``, or any
            other callable (forward only; it cannot be trained through).

    Raises:
        ValueError: an unknown name (the message lists the valid ones) or an unsupported identifier.
    """
    if identifier is None:
        return _lookup("linear")
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)
    if isinstance(identifier, dict):
        name = identifier.get("class_name", identifier.get("name"))
        cfg = identifier.get("config") or {}
        if isinstance(cfg, str):  # Keras's {"class_name": "function", "config": "relu"}
            name, cfg = cfg, {}
        if not isinstance(name, str) or not isinstance(cfg, dict):
            raise ValueError(f"Could not interpret activation config {identifier!r}: expected "
                             f"{{'class_name': name, 'config': {{...}}}}")
        return _lookup(name, cfg)
    if callable(identifier):
        if identifier in _FUNCTIONS:
            return _lookup(_FUNCTIONS[identifier])
        return CallableActivation(identifier)
    raise ValueError(f"Could not interpret activation identifier {identifier!r}: expected None, a name "
                     f"({', '.join(_valid_names())}), a callable or a config dict")


def serialize(activation):
    """The JSON form of an activation: its name, or ``{"class_name": name, "config": {...}}`` when it
    has non-default arguments."""
    act = get(activation)
    if isinstance(act, CallableActivation):
        raise ValueError(f"Activation '{act.name}' is a plain function and cannot be serialized; use a "
                         f"built-in name")
    cfg = act.get_config()
    return {"class_name": act.name, "config": cfg} if cfg else act.name


def deserialize(config):
    """Inverse of :func:`serialize`."""
    return get(config)
