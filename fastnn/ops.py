"""Array operations on numpy arrays, running on fastnn's native kernels."""
import numpy as np

from fastnn._config import get_num_threads
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
