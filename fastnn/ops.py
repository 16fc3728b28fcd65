"""Array operations on numpy arrays, running on fastnn's native kernels."""
import numpy as np

from fastnn.config import get_num_threads
from fastnn._native import _gemm

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _as_operand(x):
    """Return (array, leading_dim, transposed) describing x without copying when its layout allows.

    A row-major view (unit inner stride) is used as is; a column-major view is used as its
    transpose; anything else (negative, zero or gapped inner strides) is copied once.
    """
    ld = _gemm.layout(x)
    if ld > 0:
        return x, ld, False
    if ld < 0:
        return x.T, -ld, True
    x = np.ascontiguousarray(x)
    return x, max(x.shape[1], 1), False


def matmul(a, b, transpose_a=False, transpose_b=False, out=None, alpha=1.0, beta=0.0):
    """General matrix multiply on fastnn's GEMM: ``out = alpha * op(a) @ op(b) + beta * out``.

    Args:
        a: 2-D float32 or float64 array; op(a) is ``a.T`` when ``transpose_a`` else ``a``, shape (m, k).
        b: 2-D array of the same dtype; op(b) has shape (k, n).
        transpose_a, transpose_b: use the transpose of the operand (no copy is made).
        out: optional (m, n) array of the same dtype to write into; its old contents are scaled by
            ``beta`` and added (``beta=0`` ignores them, even NaN). Without ``out``, a new array is
            returned and ``beta`` has nothing to scale.
        alpha, beta: scalars of the formula above.

    Any strides are accepted (copied to contiguous only when the layout needs it); read-only inputs
    are fine. The GIL is released while the kernel runs; results are bit-identical for any thread count.

    Returns:
        The (m, n) result (``out`` when given).

    Raises:
        ValueError: operands that are not 2-D, dtypes that differ or are not float32/float64,
            inner dimensions that do not match, or an ``out`` of the wrong shape, dtype or writability.
    """
    # Common case (ndarrays usable in place, non-empty, plain out) checked in C; None means "not handled".
    res = _gemm.matmul_fast(a, b, transpose_a, transpose_b, out, alpha, beta, get_num_threads())
    if res is not None:
        return res
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul: expected 2-D operands, received a with shape {a.shape} and b with shape {b.shape}")
    if a.dtype != b.dtype or a.dtype not in _FLOAT_DTYPES:
        raise ValueError(f"matmul: operands must share a dtype among float32, float64; "
                         f"received a: {a.dtype}, b: {b.dtype}")
    op_a = a.T if transpose_a else a
    op_b = b.T if transpose_b else b
    m, k = op_a.shape
    k_b, n = op_b.shape
    if k != k_b:
        raise ValueError(f"matmul: inner dimensions differ: op(a) has shape {op_a.shape} and op(b) has shape "
                         f"{op_b.shape} (a: {a.shape}, transpose_a={bool(transpose_a)}; "
                         f"b: {b.shape}, transpose_b={bool(transpose_b)})")
    target = None
    if out is not None:
        if not isinstance(out, np.ndarray) or out.shape != (m, n) or out.dtype != a.dtype:
            got = (getattr(out, "shape", None), getattr(out, "dtype", type(out).__name__))
            raise ValueError(f"matmul: out must be a {a.dtype} array of shape {(m, n)}, received shape {got[0]}, "
                             f"dtype {got[1]}")
        if not out.flags.writeable:
            raise ValueError("matmul: out is read-only")
        target = out
        rows_ok = out.strides[1] == out.itemsize or n <= 1
        if not rows_ok or out.strides[0] < max(n, 1) * out.itemsize or _gemm.overlap(out, a) \
                or _gemm.overlap(out, b):
            out = np.array(out, order="C") if beta != 0 else np.empty((m, n), dtype=a.dtype)
    else:
        out = np.empty((m, n), dtype=a.dtype)
        beta = 0.0
    if m and n:
        pa, lda, flip_a = _as_operand(op_a)
        pb, ldb, flip_b = _as_operand(op_b)
        ldc = out.strides[0] // out.itemsize if m > 1 else max(n, 1)
        _gemm.gemm(flip_a, flip_b, m, n, k, float(alpha), pa, lda, pb, ldb, float(beta), out, ldc, None,
                   get_num_threads())
    if target is not None and out is not target:
        target[...] = out
        return target
    return out


# ---- differentiable tensor operations --------------------------------------------------------------
# Each runs a (weightless) layer, so inside a subclassed model's call() the active Tape records it and
# the gradient flows; on plain arrays outside a tape they simply compute. On fastnn.Input tensors they
# build Functional graph nodes (with unique layer names); otherwise the throw-away layers get fixed
# names, so eager calls consume no automatic layer names.

def _run_layer(cls, inputs, name, **kwargs):
    from fastnn.engine import symbolic

    if symbolic.is_symbolic(inputs):
        name = None  # a node of a Functional graph: a unique layer name (add, add_1, ...)
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    dtype = getattr(first, "dtype", None)
    dtype = str(dtype) if dtype is not None and str(dtype) in ("float32", "float64") else None
    return cls(name=name, dtype=dtype, **kwargs)(inputs)


def _list(inputs, what):
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"fastnn.ops.{what}: expected a list of tensors, received {type(inputs).__name__}")
    return list(inputs)


def add(x1, x2):
    """Element-wise ``x1 + x2`` (broadcasting size-1 non-batch axes), differentiable on the tape."""
    from fastnn.layers.merge import Add

    return _run_layer(Add, [x1, x2], "ops_add")


def subtract(x1, x2):
    """Element-wise ``x1 - x2``, differentiable on the tape."""
    from fastnn.layers.merge import Subtract

    return _run_layer(Subtract, [x1, x2], "ops_subtract")


def multiply(x1, x2):
    """Element-wise ``x1 * x2``, differentiable on the tape."""
    from fastnn.layers.merge import Multiply

    return _run_layer(Multiply, [x1, x2], "ops_multiply")


def maximum(x1, x2):
    """Element-wise maximum; the gradient goes to the larger input (ties: x1)."""
    from fastnn.layers.merge import Maximum

    return _run_layer(Maximum, [x1, x2], "ops_maximum")


def minimum(x1, x2):
    """Element-wise minimum; the gradient goes to the smaller input (ties: x1)."""
    from fastnn.layers.merge import Minimum

    return _run_layer(Minimum, [x1, x2], "ops_minimum")


def average(inputs):
    """Element-wise mean of a list of tensors, differentiable on the tape."""
    from fastnn.layers.merge import Average

    return _run_layer(Average, _list(inputs, "average"), "ops_average")


def concatenate(inputs, axis=-1):
    """Joins a list of tensors along `axis` (default -1), differentiable on the tape."""
    from fastnn.layers.merge import Concatenate

    return _run_layer(Concatenate, _list(inputs, "concatenate"), "ops_concatenate", axis=axis)


def sum(x, axis=None, keepdims=False):  # noqa: A001  (Keras's name)
    """Sum over `axis` (an int, tuple, or None for all non-batch axes); the batch axis is kept.

    Differentiable on the tape: d sum / dx = 1 broadcast back over the reduced axes.
    """
    from fastnn.layers.reduce import Reduce

    return _run_layer(Reduce, x, "ops_sum", op="sum", axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (an int, tuple, or None for all non-batch axes); the batch axis is kept.

    Differentiable on the tape: d mean / dx = 1/n broadcast back over the reduced axes.
    """
    from fastnn.layers.reduce import Reduce

    return _run_layer(Reduce, x, "ops_mean", op="mean", axis=axis, keepdims=keepdims)


def scale(x, factor):
    """``x * factor`` for a Python scalar `factor`, differentiable on the tape."""
    from fastnn.layers.reduce import Scale

    return _run_layer(Scale, x, "ops_scale", factor=factor)
