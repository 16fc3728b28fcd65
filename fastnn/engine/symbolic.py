"""Symbolic tensors of the Functional API: ``Input(shape)`` and layers called on them.

A KerasTensor records which layer call produced it; ``Model(inputs, outputs)`` walks those links
back from the outputs to build the graph (see fastnn.engine.functional).
"""


class KerasTensor:
    """A placeholder for the data a Functional model will receive.

    Attributes:
        shape: tuple with None for the batch axis (and any unknown size).
        dtype: 'float32' or 'float64'.
        node: the (layer, inputs, kwargs) call that produced it; None for an Input.
    """

    def __init__(self, shape, dtype="float32", node=None, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape} dtype={self.dtype} name={self.name!r}>"

    # ---- operators: graph nodes of the matching layers, as Keras 3 allows (x + y in a Functional model) ----
    def _binary(self, other, op, reverse=False):
        from fastnn import ops

        if isinstance(other, KerasTensor):
            a, b = (other, self) if reverse else (self, other)
            return getattr(ops, op)(a, b)
        if op == "multiply" and isinstance(other, (int, float)) and not isinstance(other, bool):
            return ops.scale(self, other)
        raise TypeError(f"KerasTensor {op} with {type(other).__name__} is not supported in a Functional graph; "
                        f"combine tensors with fastnn.layers (Add, Multiply, ...) or fastnn.ops")

    def __add__(self, other):
        return self._binary(other, "add")

    def __radd__(self, other):
        return self._binary(other, "add", reverse=True)

    def __sub__(self, other):
        return self._binary(other, "subtract")

    def __rsub__(self, other):
        return self._binary(other, "subtract", reverse=True)

    def __mul__(self, other):
        return self._binary(other, "multiply")

    def __rmul__(self, other):
        return self._binary(other, "multiply", reverse=True)

    def __truediv__(self, other):
        from fastnn import ops

        if isinstance(other, (int, float)) and not isinstance(other, bool) and other != 0:
            return ops.scale(self, 1.0 / other)
        raise TypeError("KerasTensor / is only supported by a non-zero Python number in a Functional graph")

    def __neg__(self):
        from fastnn import ops

        return ops.scale(self, -1.0)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self!r} is symbolic (a placeholder in a Functional graph) and has no values: numpy "
                        f"functions cannot run on it. Use fastnn.layers (Add, Concatenate, ...) or fastnn.ops "
                        f"functions, which add nodes to the graph.")

    __array_ufunc__ = None  # numpy ufuncs (np.add(x, y), x + ndarray) raise TypeError instead of making objects


def is_symbolic(x):
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)) and x:
        return any(is_symbolic(v) for v in x)
    return False


class Node:
    """One call of a layer on symbolic inputs: the edge list of the Functional graph."""

    __slots__ = ("layer", "inputs", "outputs", "kwargs")

    def __init__(self, layer, inputs, outputs, kwargs):
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.kwargs = kwargs


def call_layer(layer, inputs, training=None, **kwargs):
    """Call `layer` on symbolic `inputs`: build it, infer the output shape, return new KerasTensor(s)."""
    if isinstance(inputs, (list, tuple)):
        if not all(isinstance(v, KerasTensor) for v in inputs):
            raise ValueError(f"Layer '{layer.name}': a list of inputs must be all symbolic (from fastnn.Input) "
                             f"or all arrays, received a mix")
        in_shape = [v.shape for v in inputs]
    else:
        in_shape = inputs.shape
    if not layer.built:
        if layer._dtype is None:
            from fastnn import config

            layer._dtype = config.standardize_dtype(None)
        layer.build(in_shape)
        layer.built = True
        layer.input_shape_built = in_shape
    out_shape = layer.compute_output_shape(in_shape)
    node = Node(layer, inputs, None, kwargs)
    if isinstance(out_shape, list):
        outputs = [KerasTensor(s, layer.dtype, node) for s in out_shape]
    else:
        outputs = KerasTensor(out_shape, layer.dtype, node)
    node.outputs = outputs
    return outputs
