"""The Layer contract (Keras semantics) shared by every layer and model.

A layer:
  * validates and stores hyper-parameters in ``__init__`` (nothing else);
  * creates its weights in ``build(input_shape)`` with ``add_weight``;
  * computes ``forward(inputs, training) -> (outputs, ctx)``: ``ctx`` holds what backward needs and
    belongs to that call, so a layer called twice keeps both calls' state apart;
  * computes ``backward(ctx, grad_outputs, need_input_grad=True) -> grad_inputs``: weight gradients
    are ADDED into ``Variable.grad``; the input gradient is returned (a new array, or None when
    ``need_input_grad`` is False, which lets the first layer of a model skip that work).
``__call__`` builds on first use, converts inputs to the layer's dtype, runs ``forward`` and records
the call on the active Tape (see fastnn.engine.tape) so training can run backward.
"""
import re

import numpy as np

from fastnn import config
from fastnn.engine import tape_array
from fastnn.engine.tape import current_tape
from fastnn.engine.variable import Variable

_name_counts = {}


def _snake_case(name):
    # Keras's rule: Conv2D -> conv2d, SpatialDropout2D -> spatial_dropout2d, LSTM -> lstm.
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """Keras-style automatic names: dense, dense_1, dense_2, ..."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _shape_tuple(shape, what):
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a tuple of integers (or None), received {shape!r}") from None
    if any(d is not None and d < 0 for d in shape):
        raise ValueError(f"{what} must not have negative dimensions, received {shape!r}")
    return shape


class Layer:
    """Base class of every layer (and of models).

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; generated from the class name when omitted.
        dtype: 'float32' (default, from ``fastnn.config.floatx()``) or 'float64'.
        input_shape: shape of one sample (without the batch axis) for the first layer of a Sequential.
        input_dim: for 2-D inputs, the same as ``input_shape=(input_dim,)``.
        batch_size: optional fixed batch size paired with ``input_shape``.
        activity_regularizer: optional penalty on the layer's output added to the loss.
    """

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, activity_regularizer=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown argument(s) {sorted(kwargs)}")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string, received {name!r}")
        self.name = name or unique_name(_snake_case(type(self).__name__))
        self._dtype = None if dtype is None else config.standardize_dtype(dtype)
        self._trainable = bool(trainable)
        self.built = False
        self._weights = []
        self._sublayers = []
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = _shape_tuple(batch_input_shape, f"{self.name}: batch_input_shape")
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + _shape_tuple(input_shape, f"{self.name}: input_shape")
        else:
            self._batch_input_shape = None
        from fastnn import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.input_shape_built = None
        self._generator = None  # a seeded layer's own numpy Generator (see rng())

    # ---- randomness ----
    def _seed(self, seed):
        """Give the layer its own generator when `seed` is an int (Keras's `seed=` argument)."""
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise ValueError(f"{type(self).__name__}: seed must be a non-negative integer or None, "
                                 f"received {seed!r}")
            self._generator = np.random.default_rng(int(seed))

    def rng(self):
        """The generator random layers draw from: their own when seeded, else fastnn's global one."""
        return self._generator if self._generator is not None else config.rng()

    # ---- dtype and trainability ----
    @property
    def dtype(self):
        """The layer's float dtype name ('float32' unless set); fixed when the layer is built."""
        return (self._dtype or config.standardize_dtype(None)).name

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers:
            layer.trainable = value

    # ---- weights ----
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None, trainable=True,
                   constraint=None, dtype=None):
        """Create, register and return a Variable.

        Args:
            name: name within the layer ('kernel', 'bias', ...).
            shape: tuple of ints.
            initializer: name, Initializer or callable ``(shape, dtype) -> array``.
            regularizer: name, Regularizer or callable penalty, or None.
            trainable: whether optimizers update it (BatchNorm's moving statistics are not).
            constraint: optional callable applied to the value after each update.
        """
        from fastnn import initializers, regularizers

        shape = _shape_tuple(shape, f"{self.name}: weight '{name}' shape")
        dt = config.standardize_dtype(dtype or self._dtype)
        value = np.asarray(initializers.get(initializer)(shape, dtype=dt), dtype=dt)
        var = Variable(value, name, trainable=trainable, regularizer=regularizers.get(regularizer),
                       constraint=constraint)
        var.path = f"{self.name}/{name}"
        self._weights.append(var)
        return var

    def _track_layer(self, layer):
        """Register a sub-layer (wrappers, models) so its weights belong to this layer too."""
        self._sublayers.append(layer)
        return layer

    @property
    def weights(self):
        """All Variables: own weights first (creation order), then sub-layers' — Keras's order."""
        out = list(self._weights)
        for layer in self._sublayers:
            out.extend(w for w in layer.weights if w not in out)
        return out

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        out = [w for w in self._weights if w.trainable]
        for layer in self._sublayers:
            out.extend(w for w in layer.trainable_weights if w not in out)
        return out

    @property
    def non_trainable_weights(self):
        trainable = self.trainable_weights
        return [w for w in self.weights if not any(w is t for t in trainable)]

    @property
    def variables(self):
        return self.weights

    def get_weights(self):
        """Copies of the weight values, in the order of ``weights`` (Keras's order)."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Set the weight values from a list of arrays in the order of ``weights``.

        The whole list is checked before anything is written, so a bad list changes nothing.
        """
        current = self.weights
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(f"Layer '{self.name}' expects {len(current)} weight arrays "
                             f"({[w.name for w in current]}), received {len(weights)}")
        arrays = []
        for var, value in zip(current, weights):
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(f"Layer '{self.name}': weight '{var.name}' has shape {var.shape}, "
                                 f"received an array of shape {value.shape}")
            if not np.issubdtype(value.dtype, np.number):
                raise ValueError(f"Layer '{self.name}': weight '{var.name}' needs numbers, received dtype {value.dtype}")
            arrays.append(value)
        for var, value in zip(current, arrays):
            var.assign(value)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet: call it on data or build it first, "
                             f"so its weights exist")
        return int(sum(w.size for w in self.weights))

    # ---- building ----
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (batch axis included, as None)."""
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            if self._dtype is None:
                self._dtype = config.standardize_dtype(None)
            self.build(input_shape)
            self.built = True
            self.input_shape_built = input_shape

    def compute_output_shape(self, input_shape):
        """Output shape for `input_shape` (batch axis included). Shape-preserving by default."""
        return input_shape

    # ---- calling ----
    def _convert_input(self, x):
        """Inputs as arrays of the layer's dtype (a copy only when the dtype differs)."""
        if isinstance(x, (list, tuple)):
            return type(x)(self._convert_input(v) for v in x)
        if isinstance(x, Variable):
            x = x.value
        # A TapeArray (a recorded layer output) stays the same object: the tape knows it by id.
        arr = x if isinstance(x, tape_array.TapeArray) else np.asarray(x)
        dt = self._dtype or config.standardize_dtype(None)
        if arr.dtype != dt:
            if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
                raise ValueError(f"Layer '{self.name}': expected numeric input, received dtype {arr.dtype}")
            arr = arr.astype(dt)
        return arr

    def check_input(self, x):
        """Validate an input against what the layer was built for; raise ValueError naming both."""

    def _never_makes_mask(self):
        """True when the layer's output never carries a mask unless its input does: no compute_mask,
        or one that only passes a mask on (recurrent layers, wrappers). A Sequential whose layers all
        say so runs inference without any mask bookkeeping."""
        return not hasattr(self, "compute_mask")

    def __call__(self, inputs, training=None, **kwargs):
        from fastnn.engine import symbolic

        if symbolic.is_symbolic(inputs):
            return symbolic.call_layer(self, inputs, training=training, **kwargs)
        x = self._convert_input(inputs)
        shape = [v.shape for v in x] if isinstance(x, (list, tuple)) else x.shape
        self._maybe_build(_batchless(shape))
        tape = current_tape()
        if tape is None:
            self.check_input(x)
        else:
            if x is not inputs:  # converted to the layer's dtype: keep the gradient path through the cast
                x = tape_array.record_casts(tape, inputs, x)
            if tape_array.in_user_code():
                tape_array.check_tracked(x, f"Layer '{self.name}'")
            self.check_input(tape_array.unwrap(x))
        return self._run(x, bool(training), tape, **kwargs)

    def _run(self, x, training, tape, **kwargs):
        """forward() on converted, checked inputs, recorded on `tape` (if any) for backward.

        Under a tape, forward() always receives plain ndarrays; when the caller is a subclassed
        model's call(), the outputs are returned as TapeArray views (see fastnn.engine.tape_array),
        so numpy operations the tape cannot differentiate raise instead of losing the gradient.
        """
        if tape is None:
            return self.forward(x, training=training, **kwargs)[0]
        context = tape_array._context
        user = bool(context) and context[-1]
        context.append(False)
        try:
            outputs, ctx = self.forward(tape_array.unwrap(x), training=training, **kwargs)
        finally:
            context.pop()
        if user:
            outputs = tape_array.wrap(outputs)
        tape.record(self, x, outputs, ctx)
        if training and self.activity_regularizer is not None:
            tape.add_activity_loss(self, outputs)
        return outputs

    def forward(self, inputs, training=False):
        """Return ``(outputs, ctx)`` for `inputs`; ctx is whatever backward needs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        """Add weight gradients into ``Variable.grad``; return the input gradient (or None)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward(); it cannot be trained "
                                  f"through the tape")

    # ---- configuration ----
    def get_config(self):
        """Plain-JSON hyper-parameters; ``type(self).from_config(config)`` rebuilds the layer."""
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            from fastnn import regularizers

            cfg["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


def _batchless(shape):
    """Replace the batch dimension by None: (32, 784) -> (None, 784); lists map element-wise."""
    if isinstance(shape, list):
        return [_batchless(s) for s in shape]
    return (None,) + tuple(shape[1:])
