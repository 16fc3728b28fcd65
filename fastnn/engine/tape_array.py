"""TapeArray: layer outputs handed to user code inside a subclassed model's ``call()`` under a Tape.

fastnn's tape records layer calls, not numpy operations. Inside ``call()`` of a subclassed Model, an
expression such as ``x + y`` or ``np.concatenate([x, y])`` on layer outputs would produce a new array
the tape knows nothing about: the gradient would be silently lost. So while a Tape is recording and
user code (a subclassed model's ``call``) is running, ``Layer._run`` returns its outputs as TapeArray
views, and numpy operations on them raise a TypeError naming the operation and the differentiable
alternative (``fastnn.ops.add``, ``fastnn.layers.Add``, ...). Layers always receive plain ndarrays
(``Layer._run`` unwraps), library models (Sequential, Functional) run on plain arrays, and nothing is
wrapped outside a Tape, so inference pays nothing.

Outside user code (library code such as a Sequential holding a subclassed model, or the training loop
computing the loss) and after the Tape's ``with`` block has exited, TapeArrays behave like plain arrays
(operations return plain ndarrays). ``np.asarray(t)`` is the explicit way to
leave the tape (for values whose gradient is not wanted, e.g. a boolean mask).
"""
import numpy as np

from fastnn.engine.tape import current_tape

# True while user-written call() code runs under a tape; False inside library code (a layer's
# forward, Sequential/Functional call). Only touched while a Tape is active.
_context = []

# Differentiable alternatives offered in the error message, by numpy function/ufunc name.
_ALTERNATIVES = {
    "add": "fastnn.ops.add(a, b) or the layer fastnn.layers.Add()",
    "subtract": "fastnn.ops.subtract(a, b) or the layer fastnn.layers.Subtract()",
    "multiply": "fastnn.ops.multiply(a, b) or the layer fastnn.layers.Multiply()",
    "maximum": "fastnn.ops.maximum(a, b) or the layer fastnn.layers.Maximum()",
    "minimum": "fastnn.ops.minimum(a, b) or the layer fastnn.layers.Minimum()",
    "concatenate": "fastnn.ops.concatenate([a, b], axis=-1) or the layer fastnn.layers.Concatenate()",
    "mean": "fastnn.ops.mean(x, axis) or fastnn.ops.average([a, b]) / fastnn.layers.Average()",
    "average": "fastnn.ops.average([a, b]) or the layer fastnn.layers.Average()",
    "sum": "fastnn.ops.sum(x, axis)",
    "matmul": "a fastnn.layers.Dense layer, or fastnn.layers.Dot(axes) for a per-sample dot product",
    "dot": "fastnn.layers.Dot(axes)",
    "reshape": "the layer fastnn.layers.Reshape(target_shape) or fastnn.layers.Flatten()",
    "transpose": "the layer fastnn.layers.Permute(dims)",
}
_GENERIC = ("a fastnn layer or a fastnn.ops function (add, subtract, multiply, average, maximum, minimum, "
            "concatenate, sum, mean, scale), or a custom Layer with forward() and backward()")

# numpy functions that only read metadata or build arrays unrelated to the values' gradient.
_HARMLESS = {"shape", "ndim", "size", "result_type", "may_share_memory", "shares_memory", "zeros_like",
             "ones_like", "empty_like", "full_like", "iscomplexobj", "isrealobj", "copyto"}


def _unwrap_arg(x):
    if isinstance(x, TapeArray):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap_arg(v) for v in x)
    return x


def _untracked_error(op):
    name = op
    hint = _ALTERNATIVES.get(name.split(".")[-1], _GENERIC)
    return TypeError(f"np.{name} on a layer output inside call() cannot be differentiated by fastnn's tape "
                     f"(its gradient would be lost); use {hint}. If no gradient is wanted, convert first "
                     f"with np.asarray(x).")


class TapeArray(np.ndarray):
    """An ndarray view marking a layer output that flows through user code under a Tape."""

    _derived = True  # views made from a TapeArray (indexing, reshape, .T) keep this; wrap() clears it

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _context and _context[-1] and current_tape() is not None:
            op = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
            if method == "reduce" and ufunc.__name__ == "add":
                op = "sum"
            raise _untracked_error(op)
        inputs = _unwrap_arg(inputs)
        if "out" in kwargs:
            kwargs["out"] = _unwrap_arg(kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if _context and _context[-1] and current_tape() is not None and func.__name__ not in _HARMLESS:
            raise _untracked_error(func.__name__)
        return func(*_unwrap_arg(args), **{k: _unwrap_arg(v) for k, v in kwargs.items()})

    def __setitem__(self, key, value):
        if _context and _context[-1] and current_tape() is not None:
            raise TypeError("Assigning into a layer output inside call() cannot be differentiated by fastnn's "
                            "tape; build the new tensor with layers or fastnn.ops instead, or copy it first "
                            "with np.array(x) if no gradient is wanted.")
        self.view(np.ndarray)[key] = _unwrap_arg(value)

    def __repr__(self):
        return "TapeArray(" + repr(self.view(np.ndarray))[6:]

    def __str__(self):
        return str(self.view(np.ndarray))

    def __reduce__(self):
        return self.view(np.ndarray).__reduce__()


def wrap(outputs):
    """TapeArray views of `outputs` (an array or a list/tuple of arrays)."""
    if isinstance(outputs, np.ndarray):
        t = outputs.view(TapeArray)
        t._derived = False
        return t
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(wrap(o) for o in outputs)
    return outputs


def unwrap(x):
    """Plain ndarray views of any TapeArrays in `x` (an array or a list/tuple); others unchanged."""
    if type(x) is TapeArray:
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        if any(isinstance(v, (TapeArray, list, tuple)) for v in x):
            return type(x)(unwrap(v) for v in x)
    return x


def in_user_code():
    """Whether the code now running is a subclassed model's call() (under a Tape)."""
    return bool(_context) and _context[-1]


def check_tracked(x, who):
    """Raise if `x` holds a view (indexing / reshape / transpose) of a layer output made in call()."""
    if isinstance(x, TapeArray):
        if x._derived:
            raise TypeError(f"{who} received an indexed, reshaped or transposed view of a layer output made "
                            f"inside call(); fastnn's tape cannot differentiate through numpy indexing or "
                            f"views. Use the layers fastnn.layers.Reshape / Permute / Flatten, fastnn.ops, "
                            f"or a custom Layer with forward() and backward(); np.asarray(x) if no gradient "
                            f"is wanted.")
    elif isinstance(x, (list, tuple)):
        for v in x:
            check_tracked(v, who)


class _Alias:
    """A pseudo-layer recorded on the tape where one array is re-labelled as another (identity)."""

    name = "alias"
    trainable_weights = ()
    activity_regularizer = None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs if need_input_grad else None


ALIAS = _Alias()


def alias(tape, source, target):
    """Record on `tape` that `target` is `source` relabelled (gradients pass straight through)."""
    tape.record(ALIAS, source, target, None)
    return target


def to_library(tape, x):
    """Plain views of the TapeArrays in `x` for library code, each recorded as an alias on `tape`."""
    if isinstance(x, TapeArray):
        return alias(tape, x, x.view(np.ndarray))
    if isinstance(x, (list, tuple)):
        return type(x)(to_library(tape, v) for v in x)
    return x


def to_user(tape, out):
    """TapeArray views of library outputs returned to user code, each recorded as an alias on `tape`."""
    if isinstance(out, TapeArray):
        return out
    if isinstance(out, np.ndarray):
        return alias(tape, out, wrap(out))
    if isinstance(out, (list, tuple)):
        return type(out)(to_user(tape, o) for o in out)
    return out


def check_call_outputs(model, tape, inputs, outputs):
    """Raise when a subclassed model's call() returns an array the tape cannot connect to its layers."""
    from fastnn.engine.tape import _flatten

    input_ids = {id(v) for v in _flatten(inputs)}
    for o in _flatten(outputs):
        if isinstance(o, TapeArray):
            if o._derived:
                raise TypeError(f"Model '{model.name}': call() returned an indexed, reshaped or transposed view "
                                f"of a layer output; fastnn's tape cannot differentiate through numpy views. "
                                f"Use fastnn.layers.Reshape / Permute / Flatten or fastnn.ops instead.")
        elif isinstance(o, np.ndarray) and id(o) not in input_ids and not tape.needs_grad(o) \
                and model.trainable_weights:
            raise TypeError(f"Model '{model.name}': call() returned an array that no layer call produced (made "
                            f"with numpy after np.asarray()?); fastnn's tape cannot differentiate it and the "
                            f"weights would receive no gradient. Build outputs with layers or fastnn.ops.")


class _Cast:
    """A pseudo-layer recorded where a layer converted a recorded array to its own dtype."""

    name = "cast"
    trainable_weights = ()
    activity_regularizer = None

    def backward(self, ctx, grad_outputs, need_input_grad=True):
        return grad_outputs.astype(ctx) if need_input_grad else None


CAST = _Cast()


def record_casts(tape, originals, converted):
    """Connect arrays a layer cast to its dtype (float32 <-> float64) to the recorded originals.

    Returns `converted` with each cast element relabelled (a clean TapeArray in user code) so that the
    gradient flows back through the cast instead of being lost.
    """
    if isinstance(converted, (list, tuple)):
        if converted is originals:
            return converted
        return type(converted)(record_casts(tape, o, c) for o, c in zip(originals, converted))
    if converted is originals or not isinstance(originals, np.ndarray) or not tape.needs_grad(originals):
        return converted
    plain = converted.view(np.ndarray) if isinstance(converted, TapeArray) else converted
    target = wrap(plain) if isinstance(originals, TapeArray) else plain
    tape.record(CAST, originals, target, originals.dtype)
    return target
