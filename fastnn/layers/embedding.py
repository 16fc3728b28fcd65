"""Embedding (integer indices -> dense vectors, sparse gradient) and Masking, with Keras 3 semantics.

Masks: both layers expose ``compute_mask(inputs, mask=None)`` returning a bool array of the input's
leading shape (True = real step). A container (Sequential) passes it as ``mask=`` to the next layer
whose ``forward`` accepts a ``mask`` argument (the recurrent layers and wrappers do).
"""
import numpy as np

from fastnn import initializers, regularizers
from fastnn.engine.layer import Layer
from fastnn.engine.variable import Variable


def _constraints():
    from fastnn import constraints

    return constraints


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors: ``y[..., :] = embeddings[x[...]]``.

    Args:
        input_dim: vocabulary size (indices must lie in [0, input_dim)).
        output_dim: size of each vector.
        embeddings_initializer: default 'uniform' (RandomUniform(-0.05, 0.05)).
        embeddings_regularizer, embeddings_constraint: optional.
        mask_zero: index 0 is padding: ``compute_mask`` returns ``x != 0`` (input_dim must then count
            the padding index too, as in Keras).
        weights: optional initial value ``[embeddings]``.
        input_length: accepted for Keras 2 compatibility and ignored.

    Gradient: only the rows that were looked up receive gradient; repeated indices accumulate, in the
    order of the flattened input (np.add.at), so the result is deterministic. Indices are not
    differentiable: backward returns None.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, input_length=None, lora_rank=None,
                 **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Embedding: {arg} must be a positive integer, received {value!r}")
        if lora_rank is not None:
            raise ValueError("Embedding: lora_rank is not supported by fastnn (received "
                             f"{lora_rank!r}); use lora_rank=None")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = _constraints().get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` when mask_zero, else None."""
        if not self.mask_zero:
            return None
        return np.asarray(inputs) != 0

    def _convert_input(self, x):
        """Indices stay integers: integer arrays pass; floats must hold whole numbers."""
        if isinstance(x, Variable):
            x = x.value
        arr = np.asarray(x)
        if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"Embedding '{self.name}': expected integer indices, received dtype {arr.dtype}")
        if np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.complexfloating):
            if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr.real)):
                raise ValueError(f"Embedding '{self.name}': expected integer indices, received non-integer values "
                                 f"(dtype {arr.dtype})")
            arr = arr.real.astype(np.int64)
        return arr

    def check_input(self, x):
        if x.size == 0:
            return
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or hi >= self.input_dim:
            bad = lo if lo < 0 else hi
            raise ValueError(f"Embedding '{self.name}': index {bad} is out of range for input_dim={self.input_dim} "
                             f"(valid indices are 0..{self.input_dim - 1})")

    def forward(self, inputs, training=False):
        inputs = self._convert_input(inputs)  # a container may hand over float-typed indices
        self.check_input(inputs)
        idx = inputs.astype(np.intp, copy=False)
        return self.embeddings.value[idx], idx

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if self.trainable:
            g = np.asarray(grad_outputs, dtype=self.embeddings.grad.dtype).reshape(-1, self.output_dim)
            np.add.at(self.embeddings.grad, ctx.reshape(-1), g)
        return None

    def get_config(self):
        cfg = super().get_config()
        cons = _constraints()
        cfg.update(input_dim=self.input_dim, output_dim=self.output_dim,
                   embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                   embeddings_regularizer=(None if self.embeddings_regularizer is None
                                           else regularizers.serialize(self.embeddings_regularizer)),
                   embeddings_constraint=(None if self.embeddings_constraint is None
                                          else cons.serialize(self.embeddings_constraint)),
                   mask_zero=self.mask_zero)
        return cfg


class Masking(Layer):
    """Masks time steps whose features all equal `mask_value`: ``y = x * keep``, keep = any(x != mask_value).

    Args:
        mask_value: the padding value (default 0.0).

    ``compute_mask`` returns `keep` (bool, the input shape without its last axis) for the next layers.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        try:
            self.mask_value = float(mask_value)
        except (TypeError, ValueError):
            raise ValueError(f"Masking: mask_value must be a number, received {mask_value!r}") from None
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return np.any(np.asarray(inputs) != self.mask_value, axis=-1)

    def forward(self, inputs, training=False, mask=None):
        keep = np.any(inputs != inputs.dtype.type(self.mask_value), axis=-1)
        return inputs * keep[..., None].astype(inputs.dtype), keep

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        if not need_input_grad:
            return None
        return grad_outputs * ctx[..., None].astype(grad_outputs.dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg["mask_value"] = self.mask_value
        return cfg
