"""GEMM wrappers: checked in Python (fastnn.ops.matmul), raw pointers and strides here, GIL released."""
cimport numpy as cnp
import numpy as np
from libc.stdint cimport int64_t
from fastnn._native.cfastnn cimport (fnn_gemm_f32, fnn_gemm_f64, fnn_gemm_ref_f32, fnn_gemm_ref_f64,
                                     fnn_gemm_test_fail_alloc, fnn_gemm_packed_b_len_f32,
                                     fnn_gemm_packed_b_len_f64, fnn_gemm_pack_b_f32, fnn_gemm_pack_b_f64,
                                     fnn_gemm_packed_f32, fnn_gemm_packed_f64, fnn_act_forward_f32,
                                     fnn_act_forward_f64)
include "isa_hook.pxi"

cnp.import_array()


cdef inline void *_data(object arr):
    return cnp.PyArray_DATA(<cnp.ndarray>arr)


cdef inline Py_ssize_t _extent_bytes(cnp.ndarray arr):
    """Bytes from the data pointer to the end of the last element (0 for an empty array)."""
    cdef Py_ssize_t d, end = cnp.PyArray_ITEMSIZE(arr)
    if cnp.PyArray_SIZE(arr) == 0:
        return 0
    for d in range(cnp.PyArray_NDIM(arr)):
        if arr.strides[d] < 0:
            return -1  # negative strides never reach the kernels (fastnn.ops.matmul copies them)
        end += (arr.shape[d] - 1) * arr.strides[d]
    return end


cdef int _check_operand(cnp.ndarray arr, int type_num, int64_t rows, int64_t cols, int64_t ld,
                        str name) except -1:
    """Refuse a buffer the kernel would misread: wrong dtype, or rows x cols at stride ld not inside it."""
    if cnp.PyArray_TYPE(arr) != type_num:
        raise ValueError(f"gemm: {name} has dtype {arr.dtype}, expected {np.dtype('float32' if type_num == cnp.NPY_FLOAT32 else 'float64')}")
    if rows <= 0 or cols <= 0:
        return 0
    if ld < cols and rows > 1:
        raise ValueError(f"gemm: {name} leading dimension {ld} is smaller than its {cols} columns")
    if ((rows - 1) * ld + cols) * cnp.PyArray_ITEMSIZE(arr) > _extent_bytes(arr):
        raise ValueError(f"gemm: {name} of shape {(<object>arr).shape} cannot hold {rows} x {cols} elements at "
                         f"leading dimension {ld}")
    return 0


def gemm(bint trans_a, bint trans_b, int64_t m, int64_t n, int64_t k, double alpha,
         cnp.ndarray a not None, int64_t lda, cnp.ndarray b not None, int64_t ldb, double beta,
         cnp.ndarray c not None, int64_t ldc, cnp.ndarray bias, int n_threads, bint reference=False,
         bint packed_b=False):
    """C = alpha * op(A) @ op(B) + beta * C (+ bias) on raw buffers.

    packed_b=True packs op(B) once with fnn_gemm_pack_b and runs fnn_gemm_packed (the path the
    recurrent layers use for their per-step products; tests compare its bits with the plain call).

    The internal entry point of layers; fastnn.ops.matmul is the public, fully checked one. This checks
    only what keeps the kernel inside its buffers (one float dtype for all, extents for the given sizes
    and leading dimensions, C writable) — a few integer operations per call.
    """
    cdef int type_num = cnp.PyArray_TYPE(c)
    if type_num != cnp.NPY_FLOAT32 and type_num != cnp.NPY_FLOAT64:
        raise ValueError(f"gemm: expected float32 or float64 arrays, received C of dtype {c.dtype}")
    if m < 0 or n < 0 or k < 0:
        raise ValueError(f"gemm: sizes must be non-negative, received m={m}, n={n}, k={k}")
    if not cnp.PyArray_ISWRITEABLE(c):
        raise ValueError("gemm: C is read-only")
    _check_operand(a, type_num, k if trans_a else m, m if trans_a else k, lda, "A")
    _check_operand(b, type_num, n if trans_b else k, k if trans_b else n, ldb, "B")
    _check_operand(c, type_num, m, n, ldc, "C")
    if bias is not None:
        _check_operand(bias, type_num, 1, n, n, "bias")
    cdef void *pa = cnp.PyArray_DATA(a)
    cdef void *pb = cnp.PyArray_DATA(b)
    cdef void *pc = cnp.PyArray_DATA(c)
    cdef void *pbias = NULL if bias is None else cnp.PyArray_DATA(bias)
    cdef int is_f32 = type_num == cnp.NPY_FLOAT32
    if packed_b and not reference:
        _gemm_packed_b(trans_a, trans_b, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, pbias, is_f32, n_threads)
        return
    with nogil:
        if is_f32:
            if reference:
                fnn_gemm_ref_f32(trans_a, trans_b, m, n, k, <float>alpha, <const float *>pa, lda,
                                 <const float *>pb, ldb, <float>beta, <float *>pc, ldc, <const float *>pbias)
            else:
                fnn_gemm_f32(trans_a, trans_b, m, n, k, <float>alpha, <const float *>pa, lda,
                             <const float *>pb, ldb, <float>beta, <float *>pc, ldc, <const float *>pbias, n_threads)
        else:
            if reference:
                fnn_gemm_ref_f64(trans_a, trans_b, m, n, k, alpha, <const double *>pa, lda,
                                 <const double *>pb, ldb, beta, <double *>pc, ldc, <const double *>pbias)
            else:
                fnn_gemm_f64(trans_a, trans_b, m, n, k, alpha, <const double *>pa, lda,
                             <const double *>pb, ldb, beta, <double *>pc, ldc, <const double *>pbias, n_threads)


cdef void _gemm_packed_b(bint trans_a, bint trans_b, int64_t m, int64_t n, int64_t k, double alpha, void *pa,
                         int64_t lda, void *pb, int64_t ldb, double beta, void *pc, int64_t ldc, void *pbias,
                         int is_f32, int n_threads):
    cdef int64_t length = fnn_gemm_packed_b_len_f32(n, k) if is_f32 else fnn_gemm_packed_b_len_f64(n, k)
    # the micro-kernels load packed panels with aligned loads: 64-byte align the buffer
    raw = np.empty(length * (4 if is_f32 else 8) + 64, np.uint8)
    cdef size_t addr = <size_t>cnp.PyArray_DATA(raw)
    cdef void *bp = <void *>(addr + (64 - addr % 64) % 64)
    with nogil:
        if is_f32:
            fnn_gemm_pack_b_f32(trans_b, n, k, <const float *>pb, ldb, <float *>bp)
            fnn_gemm_packed_f32(trans_a, m, n, k, <float>alpha, <const float *>pa, lda, <const float *>bp,
                                <float>beta, <float *>pc, ldc, <const float *>pbias, n_threads)
        else:
            fnn_gemm_pack_b_f64(trans_b, n, k, <const double *>pb, ldb, <double *>bp)
            fnn_gemm_packed_f64(trans_a, m, n, k, alpha, <const double *>pa, lda, <const double *>bp, beta,
                                <double *>pc, ldc, <const double *>pbias, n_threads)


def dense_chain(cnp.ndarray x, layers, int n_threads):
    """Inference through consecutive Dense layers in one call: per layer ``z = x @ kernel + bias`` (the
    GEMM's bias epilogue), then its elementwise activation in place - the kernels Dense.forward runs,
    so the same bits, without a Python frame per layer (batch-1 latency). Each layer must be a built
    Dense whose activation is a plain fastnn Activation (`kind`, `param`); x a C-contiguous 2-D float
    array of the layers' dtype. Returns the last layer's output (a new array)."""
    cdef int type_num = cnp.PyArray_TYPE(x)
    if (type_num != cnp.NPY_FLOAT32 and type_num != cnp.NPY_FLOAT64) or cnp.PyArray_NDIM(x) != 2 \
            or not cnp.PyArray_IS_C_CONTIGUOUS(x):
        raise ValueError(f"dense_chain: expected a C-contiguous 2-D float32/float64 input, received "
                         f"{x.dtype} of shape {(<object>x).shape}")
    cdef int64_t m = x.shape[0], k, n
    cdef int kind
    cdef double param
    cdef cnp.npy_intp dims[2]
    cdef cnp.ndarray out = x, w, z, b
    cdef void *pb
    for layer in layers:
        w = layer.kernel.value
        k, n = w.shape[0], w.shape[1]
        if cnp.PyArray_TYPE(w) != type_num or not cnp.PyArray_IS_C_CONTIGUOUS(w) or out.shape[1] != k:
            raise ValueError(f"dense_chain: layer '{layer.name}' has a kernel of shape {(<object>w).shape} and "
                             f"dtype {w.dtype}, received an input of shape {(<object>out).shape} and dtype {x.dtype}")
        pb = NULL
        if layer.bias is not None:
            b = layer.bias.value
            if cnp.PyArray_TYPE(b) != type_num or cnp.PyArray_SIZE(b) != n or not cnp.PyArray_IS_C_CONTIGUOUS(b):
                raise ValueError(f"dense_chain: layer '{layer.name}' has a bias of shape {(<object>b).shape}, "
                                 f"dtype {b.dtype}")
            pb = cnp.PyArray_DATA(b)
        act = layer.activation
        kind, param = act.kind, act.param
        dims[0], dims[1] = m, n
        z = cnp.PyArray_EMPTY(2, dims, type_num, 0)
        with nogil:
            if type_num == cnp.NPY_FLOAT32:
                fnn_gemm_f32(0, 0, m, n, k, 1.0, <const float *>cnp.PyArray_DATA(out), k,
                             <const float *>cnp.PyArray_DATA(w), n, 0.0, <float *>cnp.PyArray_DATA(z), n,
                             <const float *>pb, n_threads)
                if kind != 0:  # FNN_ACT_LINEAR
                    fnn_act_forward_f32(kind, m * n, <const float *>cnp.PyArray_DATA(z),
                                        <float *>cnp.PyArray_DATA(z), <float>param, n_threads)
            else:
                fnn_gemm_f64(0, 0, m, n, k, 1.0, <const double *>cnp.PyArray_DATA(out), k,
                             <const double *>cnp.PyArray_DATA(w), n, 0.0, <double *>cnp.PyArray_DATA(z), n,
                             <const double *>pb, n_threads)
                if kind != 0:
                    fnn_act_forward_f64(kind, m * n, <const double *>cnp.PyArray_DATA(z),
                                        <double *>cnp.PyArray_DATA(z), param, n_threads)
        out = z
    return out


def layout(x):
    """How GEMM can read the 2-D array x in place (a cheap replacement for Python stride arithmetic).

    Returns ld > 0 when x is row-major usable (unit column stride, row stride ld elements >= its column
    count), -ld when its transpose is (unit row stride, column stride ld >= its row count), 0 when x has to
    be copied (negative, zero or gapped inner strides).
    """
    cdef cnp.ndarray arr = <cnp.ndarray>x
    cdef Py_ssize_t item = cnp.PyArray_ITEMSIZE(arr)
    cdef Py_ssize_t rows = arr.shape[0], cols = arr.shape[1]
    cdef Py_ssize_t s0 = arr.strides[0], s1 = arr.strides[1]
    if (s1 == item or cols <= 1) and s0 > 0 and s0 % item == 0 and s0 // item >= max(cols, 1):
        return s0 // item
    if (s0 == item or rows <= 1) and s1 > 0 and s1 % item == 0 and s1 // item >= max(rows, 1):
        return -(s1 // item)
    return 0


cdef void _extent(cnp.ndarray arr, char **lo, char **hi):
    """Byte range [lo, hi) the array's elements occupy (any strides, including negative)."""
    cdef char *base = <char *>cnp.PyArray_DATA(arr)
    cdef Py_ssize_t d, first = 0, last = 0
    for d in range(arr.ndim):
        if arr.shape[d] == 0:
            lo[0] = base
            hi[0] = base
            return
        if arr.strides[d] < 0:
            first += arr.strides[d] * (arr.shape[d] - 1)
        else:
            last += arr.strides[d] * (arr.shape[d] - 1)
    lo[0] = base + first
    hi[0] = base + last + cnp.PyArray_ITEMSIZE(arr)


def overlap(x, y):
    """True when the memory extents of ndarrays x and y intersect (conservative, like np.may_share_memory)."""
    cdef char *xl
    cdef char *xh
    cdef char *yl
    cdef char *yh
    _extent(<cnp.ndarray>x, &xl, &xh)
    _extent(<cnp.ndarray>y, &yl, &yh)
    return xl < yh and yl < xh and xl < xh and yl < yh


def _test_fail_alloc(bint on):
    """Tests only: make every GEMM pack-buffer allocation fail (True) or behave normally (False)."""
    return bool(fnn_gemm_test_fail_alloc(on))


cdef int _operand_ld(cnp.ndarray x, bint want_t, int64_t *ld, bint *flip):
    """Leading dimension and transpose flag to read op(x) (op = x.T when want_t) in place; 0 if impossible."""
    cdef Py_ssize_t item = cnp.PyArray_ITEMSIZE(x)
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1]
    cdef Py_ssize_t s0 = x.strides[0], s1 = x.strides[1]
    if s1 == item and s0 > 0 and s0 % item == 0 and s0 // item >= cols:
        ld[0] = s0 // item
        flip[0] = want_t
        return 1
    if s0 == item and s1 > 0 and s1 % item == 0 and s1 // item >= rows:
        ld[0] = s1 // item
        flip[0] = not want_t
        return 1
    return 0


def matmul_fast(a, b, bint ta, bint tb, out, double alpha, double beta, int n_threads):
    """fastnn.ops.matmul's fast path, all checks in C: returns the result, or None when the general Python
    path has to handle the call (copies, non-empty errors, empty sizes) - it then raises the clear errors.

    Taken only when a and b are 2-D ndarrays of one float dtype readable in place, sizes are non-zero,
    and out is None or a writable (m, n) array of that dtype with unit column stride not overlapping a, b.
    """
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        return None
    cdef cnp.ndarray A = <cnp.ndarray>a
    cdef cnp.ndarray B = <cnp.ndarray>b
    if cnp.PyArray_NDIM(A) != 2 or cnp.PyArray_NDIM(B) != 2:
        return None
    cdef int tnum = cnp.PyArray_TYPE(A)
    if tnum != cnp.PyArray_TYPE(B) or (tnum != cnp.NPY_FLOAT32 and tnum != cnp.NPY_FLOAT64):
        return None
    cdef int64_t m = A.shape[1] if ta else A.shape[0]
    cdef int64_t k = A.shape[0] if ta else A.shape[1]
    cdef int64_t kb = B.shape[1] if tb else B.shape[0]
    cdef int64_t n = B.shape[0] if tb else B.shape[1]
    if k != kb or m == 0 or n == 0 or k == 0:
        return None
    cdef int64_t lda, ldb, ldc
    cdef bint fa, fb
    if not _operand_ld(A, ta, &lda, &fa) or not _operand_ld(B, tb, &ldb, &fb):
        return None
    cdef cnp.ndarray C
    cdef Py_ssize_t item = cnp.PyArray_ITEMSIZE(A)
    if out is None:
        C = np.empty((m, n), dtype=A.dtype)
        beta = 0.0
    else:
        if type(out) is not np.ndarray:
            return None
        C = <cnp.ndarray>out
        if (cnp.PyArray_NDIM(C) != 2 or C.shape[0] != m or C.shape[1] != n or cnp.PyArray_TYPE(C) != tnum
                or not cnp.PyArray_ISWRITEABLE(C)):
            return None
        if not (C.strides[1] == item or n == 1) or (m > 1 and (C.strides[0] <= 0 or C.strides[0] % item != 0
                                                               or C.strides[0] // item < n)):
            return None
        if overlap(C, A) or overlap(C, B):
            return None
    ldc = C.strides[0] // item if m > 1 else n
    cdef void *pa = cnp.PyArray_DATA(A)
    cdef void *pb = cnp.PyArray_DATA(B)
    cdef void *pc = cnp.PyArray_DATA(C)
    with nogil:
        if tnum == cnp.NPY_FLOAT32:
            fnn_gemm_f32(fa, fb, m, n, k, <float>alpha, <const float *>pa, lda, <const float *>pb, ldb,
                         <float>beta, <float *>pc, ldc, NULL, n_threads)
        else:
            fnn_gemm_f64(fa, fb, m, n, k, alpha, <const double *>pa, lda, <const double *>pb, ldb,
                         beta, <double *>pc, ldc, NULL, n_threads)
    return C
