"""Variable: a weight array and the gradient the backward pass accumulates into it."""
import numpy as np


class Variable:
    """A named weight owned by a layer.

    Attributes:
        value: the weight (numpy array, C-contiguous, the layer's dtype). Updated in place by optimizers.
        grad: an array of the same shape and dtype; backward passes add (+=) into it, the training
            step zeroes it first. Only trainable variables receive gradients.
        trainable: whether optimizers update it.
        regularizer: optional callable penalty (see fastnn.regularizers), added to the loss.
        constraint: optional callable projecting the value after each update.
    """

    __slots__ = ("name", "value", "grad", "trainable", "regularizer", "constraint", "path")

    def __init__(self, value, name, trainable=True, regularizer=None, constraint=None):
        self.value = np.ascontiguousarray(value)
        self.grad = np.zeros_like(self.value)
        self.name = name
        self.path = name
        self.trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def size(self):
        return self.value.size

    def numpy(self):
        """A copy of the current value."""
        return self.value.copy()

    def assign(self, value):
        """Overwrite the value in place (same shape; cast to the variable's dtype)."""
        value = np.asarray(value)
        if value.shape != self.value.shape:
            raise ValueError(f"Variable '{self.path}': expected a value of shape {self.value.shape}, "
                             f"received shape {value.shape}")
        np.copyto(self.value, value, casting="unsafe")

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)

    def __repr__(self):
        return f"<Variable '{self.path}' shape={self.value.shape} dtype={self.value.dtype.name}>"
