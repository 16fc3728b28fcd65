"""Core layers: InputLayer, Dense, Flatten, Reshape, Permute, RepeatVector, Identity."""
import numpy as np

from fastnn import activations, config, constraints, initializers, regularizers
from fastnn._native import _eltwise, _gemm
from fastnn.engine.layer import Layer
from fastnn._checks import check_int


class InputLayer(Layer):
    """Declares the shape of one sample; the first entry of a Sequential (Keras's InputLayer).

    Args:
        shape: shape of one sample, without the batch axis, e.g. ``(784,)`` or ``(28, 28, 1)``.
        batch_size: optional fixed batch size.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None,
                 batch_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if batch_shape is not None:
            kwargs["batch_input_shape"] = batch_shape
        elif shape is None:
            raise ValueError("InputLayer: give the shape of one sample, e.g. InputLayer(shape=(784,))")
        else:
            kwargs["input_shape"] = shape
            kwargs["batch_size"] = batch_size
        super().__init__(name=name, dtype=dtype, **kwargs)

    @property
    def batch_shape(self):
        return self._batch_input_shape

    def forward(self, inputs, training=False):
        return inputs, None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("trainable", None)
        cfg["batch_shape"] = cfg.pop("batch_input_shape")
        return cfg


class Dense(Layer):
    """Densely connected layer: ``y = activation(x @ kernel + bias)`` on the last axis of x.

    Args:
        units: output features.
        activation: name or callable (see fastnn.activations); None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (defaults 'glorot_uniform', 'zeros').
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional callables applied after each update.

    Shapes: input (batch, ..., d), kernel (d, units), bias (units,), output (batch, ..., units).
    Gradients: dkernel += x^T dz, dbias += sum_rows dz, dx = dz kernel^T with dz = dy * activation'.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = check_int(f"Dense '{self.name}'", "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense '{self.name}': expected input of shape (batch, ..., features) with a known "
                             f"last dimension, received {input_shape}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = (self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer,
                                     constraint=self.bias_constraint) if self.use_bias else None)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def check_input(self, x):
        d = self.kernel.value.shape[0]
        if x.ndim < 2 or x.shape[-1] != d:
            raise ValueError(f"Dense '{self.name}': expected input of shape (batch, ..., {d}) "
                             f"(built for {self.input_shape_built}), received shape {x.shape}")

    def forward(self, inputs, training=False):
        x2 = inputs if inputs.ndim == 2 else inputs.reshape(-1, inputs.shape[-1])
        if not x2.flags.c_contiguous:
            x2 = np.ascontiguousarray(x2)
        m, k = x2.shape
        z = np.empty((m, self.units), dtype=x2.dtype)
        _gemm.gemm(False, False, m, self.units, k, 1.0, x2, k, self.kernel.value, self.units, 0.0, z,
                   self.units, self.bias.value if self.bias is not None else None, config.get_num_threads())
        y, act_ctx = self.activation.forward_owned(z)
        if inputs.ndim != 2:
            y = y.reshape(inputs.shape[:-1] + (self.units,))
        return y, (x2, act_ctx, inputs.shape)

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        x2, act_ctx, in_shape = ctx
        dz = self.activation.backward(act_ctx, grad_outputs.reshape(-1, self.units))
        if not dz.flags.c_contiguous:
            dz = np.ascontiguousarray(dz)
        m, k = x2.shape
        n_threads = config.get_num_threads()
        if self.trainable:
            # Weight gradients accumulate (beta=1): a layer called twice in a step sums both calls.
            _gemm.gemm(True, False, k, self.units, m, 1.0, x2, k, dz, self.units, 1.0, self.kernel.grad,
                       self.units, None, n_threads)
            if self.bias is not None:
                _eltwise.column_sum_accumulate(dz, self.bias.grad, n_threads)
        if not need_input_grad:
            return None
        dx = np.empty((m, k), dtype=dz.dtype)
        _gemm.gemm(False, True, m, k, self.units, 1.0, dz, self.units, self.kernel.value, self.units, 0.0, dx, k,
                   None, n_threads)
        return dx.reshape(in_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, activation=activations.serialize(self.activation), use_bias=self.use_bias,
                   kernel_initializer=initializers.serialize(self.kernel_initializer),
                   bias_initializer=initializers.serialize(self.bias_initializer),
                   kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                   bias_regularizer=regularizers.serialize(self.bias_regularizer),
                   kernel_constraint=constraints.serialize(self.kernel_constraint),
                   bias_constraint=constraints.serialize(self.bias_constraint))
        return cfg


class Flatten(Layer):
    """Flattens every axis but the batch axis: (batch, d1, d2, ...) -> (batch, d1*d2*...)."""

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(np.prod(rest, dtype=np.int64))
        return (input_shape[0], size)

    def forward(self, inputs, training=False):
        return inputs.reshape(inputs.shape[0], -1), inputs.shape

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs.reshape(ctx) if need_input_grad else None


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1).

    Args:
        target_shape: tuple of ints, the shape of one sample (without the batch axis).
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            self.target_shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise ValueError(f"Reshape '{self.name}': target_shape must be a tuple of ints, "
                             f"received {target_shape!r}") from None
        if sum(d == -1 for d in self.target_shape) > 1 or any(d < -1 or d == 0 for d in self.target_shape):
            raise ValueError(f"Reshape '{self.name}': target_shape needs positive sizes and at most one -1, "
                             f"received {self.target_shape}")

    def _resolve(self, input_shape):
        size = int(np.prod([d for d in input_shape[1:]], dtype=np.int64))
        known = int(np.prod([d for d in self.target_shape if d != -1], dtype=np.int64))
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape samples of shape {tuple(input_shape[1:])} "
                                 f"into {self.target_shape}")
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(f"Reshape '{self.name}': cannot reshape samples of shape {tuple(input_shape[1:])} "
                             f"({size} values) into {self.target_shape} ({known} values)")
        return self.target_shape

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + self.target_shape
        return (input_shape[0],) + self._resolve(input_shape)

    def forward(self, inputs, training=False):
        return inputs.reshape((inputs.shape[0],) + self._resolve(inputs.shape)), inputs.shape

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs.reshape(ctx) if need_input_grad else None

    def get_config(self):
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg


class Permute(Layer):
    """Permutes the non-batch axes; `dims` counts from 1 (Keras): Permute((2, 1)) swaps them."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute '{self.name}': dims must be a permutation of 1..{len(dims)}, received {dims}")
        self.dims = dims

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def check_input(self, x):
        if x.ndim != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}': expected inputs of rank {len(self.dims) + 1}, "
                             f"received shape {x.shape}")

    def forward(self, inputs, training=False):
        return np.ascontiguousarray(inputs.transpose((0,) + self.dims)), None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        inverse = np.argsort((0,) + self.dims)
        return np.ascontiguousarray(grad_outputs.transpose(inverse))

    def get_config(self):
        cfg = super().get_config()
        cfg["dims"] = list(self.dims)
        return cfg


class RepeatVector(Layer):
    """Repeats a (batch, features) input n times: output (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = check_int(f"RepeatVector '{self.name}'", "n", n)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def check_input(self, x):
        if x.ndim != 2:
            raise ValueError(f"RepeatVector '{self.name}': expected (batch, features), received shape {x.shape}")

    def forward(self, inputs, training=False):
        return np.repeat(inputs[:, None, :], self.n, axis=1), None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs.sum(axis=1) if need_input_grad else None

    def get_config(self):
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg


class Identity(Layer):
    """Returns its input unchanged."""

    def forward(self, inputs, training=False):
        return inputs, None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs if need_input_grad else None
