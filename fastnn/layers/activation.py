"""Activation layers: Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax, Maxout.

Each runs on fastnn's native elementwise kernels (fastnn.activations) where one exists; backward
returns a new input-gradient array and, for PReLU, adds the slope gradient into ``alpha.grad``.
"""
import numpy as np

from fastnn import activations
from fastnn._checks import check_number
from fastnn.engine.layer import Layer
from fastnn._checks import check_int


class _ElementwiseActivation(Layer):
    """Shape-preserving layer applying an ``activations.Activation`` object ``self._act``."""

    _act = None

    def forward(self, inputs, training=False):
        return self._act.forward(inputs, inplace=False)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        dx = self._act.backward(ctx, grad_outputs)
        return dx.copy() if dx is grad_outputs else dx


class Activation(_ElementwiseActivation):
    """Applies an activation function: ``y = activation(x)``.

    Args:
        activation: a name ('relu', 'gelu', ...), a callable from fastnn.activations, an Activation
            object or a serialized dict.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._act = self.activation

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class ReLU(_ElementwiseActivation):
    """Rectified linear unit with Keras's options.

    f(x) = max_value for x >= max_value; x for threshold <= x < max_value;
    negative_slope * (x - threshold) otherwise.

    Args:
        max_value: upper clip (None: unbounded); must be >= 0.
        negative_slope: slope below the threshold; must be >= 0.
        threshold: where the function switches from the slope to the identity.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.max_value = check_number(max_value, "max_value", name, low=0, allow_none=True)
        self.negative_slope = check_number(negative_slope, "negative_slope", name, low=0)
        self.threshold = check_number(threshold, "threshold", name)
        self._act = activations._make_relu(self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_ElementwiseActivation):
    """Leaky ReLU: x for x > 0, negative_slope * x otherwise.

    Args:
        negative_slope: slope for x < 0 (Keras 3 layer default 0.3); >= 0. The legacy name ``alpha``
            is accepted.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = check_number(negative_slope, "negative_slope", type(self).__name__, low=0)
        self._act = activations._make_leaky_relu(self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ElementwiseActivation):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise.

    Args:
        alpha: scale of the negative part.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = check_number(alpha, "alpha", type(self).__name__)
        self._act = activations._make_elu(self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax along ``axis``: exp(x - max) / sum(exp(x - max)).

    Args:
        axis: the normalized axis (default -1).

    Call arguments:
        mask: optional boolean array broadcastable to the input; masked-out positions (False) get
            about zero probability (Keras adds -1e9 to them before the softmax).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: argument `axis` must be an integer, received {axis!r}")
        self.axis = int(axis)
        self._act = activations.Softmax(self.axis)

    def check_input(self, x):
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"Layer '{self.name}': axis {self.axis} is out of range for an input of shape {x.shape}")

    def forward(self, inputs, training=False, mask=None):
        if mask is not None:
            mask = np.asarray(mask)
            inputs = inputs + (1.0 - mask.astype(inputs.dtype)) * inputs.dtype.type(-1e9)
        return self._act.forward(inputs, inplace=mask is not None)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return self._act.backward(ctx, grad_outputs) if need_input_grad else None

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """Parametric ReLU: x for x > 0, alpha * x otherwise, with a learned ``alpha``.

    Args:
        alpha_initializer: initializer of alpha (default zeros).
        alpha_regularizer: optional regularizer of alpha.
        alpha_constraint: optional constraint of alpha.
        shared_axes: axes (1-based over the input, batch excluded) along which alpha is shared, e.g.
            [1, 2] for one slope per channel of an image.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = alpha_regularizer
        self.alpha_constraint = alpha_constraint
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, (int, np.integer)) else list(shared_axes)
            if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) or a < 1 for a in axes):
                raise ValueError(f"{type(self).__name__}: argument `shared_axes` must be positive axis indices "
                                 f"(the batch axis 0 cannot be shared), received {shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for a in self.shared_axes or []:
            if a > len(shape):
                raise ValueError(f"Layer '{self.name}': shared axis {a} is out of range for inputs of shape "
                                 f"{tuple(input_shape)}")
            shape[a - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"Layer '{self.name}': alpha needs known dimensions; received input shape "
                             f"{tuple(input_shape)} (share the unknown axes with shared_axes)")
        self.alpha = self.add_weight("alpha", tuple(shape), initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self.built = True

    def check_input(self, x):
        want = self.alpha.shape
        got = x.shape[1:]
        if len(got) != len(want) or any(w != 1 and w != g for w, g in zip(want, got)):
            shared = self.shared_axes or []
            dims = ", ".join("*" if (i + 1) in shared else str(w) for i, w in enumerate(want))
            raise ValueError(f"Layer '{self.name}': expected inputs of shape (None, {dims}) (* = any size), "
                             f"received {x.shape}")

    def forward(self, inputs, training=False):
        alpha = self.alpha.value
        y = np.where(inputs > 0, inputs, alpha * inputs)
        return y, (inputs, alpha.copy())

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        x, alpha = ctx
        negative = x <= 0
        if self.trainable:
            contrib = grad_outputs * np.where(negative, x, 0)
            reduce_axes = tuple(i for i in range(x.ndim) if i == 0 or alpha.shape[i - 1] == 1 != x.shape[i])
            self.alpha.grad += contrib.sum(axis=reduce_axes, keepdims=True).reshape(alpha.shape)
        if not need_input_grad:
            return None
        return grad_outputs * np.where(negative, alpha, x.dtype.type(1))

    def get_config(self):
        from fastnn import initializers, regularizers

        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer)
                if not isinstance(self.alpha_initializer, str) else self.alpha_initializer,
                "alpha_regularizer": regularizers.serialize(regularizers.get(self.alpha_regularizer))
                if self.alpha_regularizer is not None else None,
                "alpha_constraint": None, "shared_axes": self.shared_axes}


class Maxout(Layer):
    """Maxout (TensorFlow Addons): the features of ``axis`` are split into ``num_units`` contiguous
    groups of ``k = features / num_units`` and each output is the max of its group.

    Args:
        num_units: number of outputs along ``axis``; the input size along ``axis`` must be a multiple.
        axis: the feature axis (default -1).
    """

    def __init__(self, num_units, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.num_units = check_int(type(self).__name__, "num_units", num_units)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: argument `axis` must be an integer, received {axis!r}")
        self.axis = int(axis)

    def _check_shape(self, shape):
        rank = len(shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"Layer '{self.name}': axis {self.axis} is not a feature axis of inputs of shape "
                             f"{tuple(shape)}")
        features = shape[self.axis]
        if features is not None and features % self.num_units:
            raise ValueError(f"Layer '{self.name}': the input size along axis {self.axis} ({features}) must be a "
                             f"multiple of num_units={self.num_units}; received input shape {tuple(shape)}")

    def build(self, input_shape):
        self._check_shape(input_shape)
        self.built = True

    def check_input(self, x):
        self._check_shape(x.shape)

    def compute_output_shape(self, input_shape):
        self._check_shape(input_shape)
        out = list(input_shape)
        out[self.axis] = self.num_units
        return tuple(out)

    def forward(self, inputs, training=False):
        x = np.moveaxis(inputs, self.axis, -1)
        groups = x.reshape(x.shape[:-1] + (self.num_units, x.shape[-1] // self.num_units))
        arg = np.argmax(groups, axis=-1)
        y = np.take_along_axis(groups, arg[..., None], axis=-1)[..., 0]
        return np.ascontiguousarray(np.moveaxis(y, -1, self.axis)), (arg, groups.shape)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        arg, gshape = ctx
        g = np.moveaxis(grad_outputs, self.axis, -1)
        dgroups = np.zeros(gshape, dtype=grad_outputs.dtype)
        np.put_along_axis(dgroups, arg[..., None], g[..., None], axis=-1)
        dx = dgroups.reshape(gshape[:-2] + (gshape[-2] * gshape[-1],))
        return np.ascontiguousarray(np.moveaxis(dx, -1, self.axis))

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units, "axis": self.axis}
