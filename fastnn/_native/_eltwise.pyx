"""Elementwise kernels (csrc/eltwise.c): activations, softmax, column sums, dropout, batch norm.

Thin wrappers on raw buffers: arrays must be C-contiguous and share one float dtype (float32 or
float64); outputs are allocated here unless passed in. The checks below raise ValueError; the C call
runs without the GIL. The Python modules (fastnn.activations, fastnn.layers...) call these.
"""
cimport numpy as cnp
import numpy as np
from libc.stdint cimport int64_t, uint64_t, uint8_t
from libc.stdlib cimport malloc, free
include "isa_hook.pxi"

cnp.import_array()

cdef extern from "fastnn.h" nogil:
    int fnn_act_backward_uses_output(int kind, double param)
    void fnn_act_forward_f32(int kind, int64_t n, const float *x, float *y, float param, int n_threads)
    void fnn_act_forward_f64(int kind, int64_t n, const double *x, double *y, double param, int n_threads)
    void fnn_act_backward_f32(int kind, int64_t n, const float *a, const float *dy, float *dx, float param,
                              int n_threads)
    void fnn_act_backward_f64(int kind, int64_t n, const double *a, const double *dy, double *dx, double param,
                              int n_threads)
    void fnn_softmax_f32(int64_t rows, int64_t cols, const float *x, float *y, int log, int n_threads)
    void fnn_softmax_f64(int64_t rows, int64_t cols, const double *x, double *y, int log, int n_threads)
    void fnn_softmax_backward_f32(int64_t rows, int64_t cols, const float *y, const float *dy, float *dx,
                                  int log, int n_threads)
    void fnn_softmax_backward_f64(int64_t rows, int64_t cols, const double *y, const double *dy, double *dx,
                                  int log, int n_threads)
    int64_t fnn_colsum_scratch_len(int64_t m, int64_t n)
    void fnn_column_sum_accumulate_f32(int64_t m, int64_t n, const float *dz, float *out, double *scratch,
                                       int n_threads)
    void fnn_column_sum_accumulate_f64(int64_t m, int64_t n, const double *dz, double *out, double *scratch,
                                       int n_threads)
    void fnn_column_sum_accumulate_ref_f32(int64_t m, int64_t n, const float *dz, float *out)
    void fnn_column_sum_accumulate_ref_f64(int64_t m, int64_t n, const double *dz, double *out)
    void fnn_dropout_mask(int64_t n, uint64_t seed, double rate, uint8_t *keep, int n_threads)
    void fnn_dropout_forward_f32(int64_t n, uint64_t seed, double rate, float scale, const float *x, float *y,
                                 uint8_t *keep, int n_threads)
    void fnn_dropout_forward_f64(int64_t n, uint64_t seed, double rate, double scale, const double *x,
                                 double *y, uint8_t *keep, int n_threads)
    void fnn_dropout_backward_f32(int64_t n, const uint8_t *keep, float scale, const float *dy, float *dx,
                                  int n_threads)
    void fnn_dropout_backward_f64(int64_t n, const uint8_t *keep, double scale, const double *dy, double *dx,
                                  int n_threads)
    void fnn_bn_stats_f32(int64_t m, int64_t c, const float *x, float *mean, float *var, double *scratch,
                          int n_threads)
    void fnn_bn_stats_f64(int64_t m, int64_t c, const double *x, double *mean, double *var, double *scratch,
                          int n_threads)
    void fnn_bn_stats_ref_f32(int64_t m, int64_t c, const float *x, float *mean, float *var)
    void fnn_bn_stats_ref_f64(int64_t m, int64_t c, const double *x, double *mean, double *var)
    void fnn_bn_forward_f32(int64_t m, int64_t c, const float *x, const float *mean, const float *inv_std,
                            const float *gamma, const float *beta, float *y, int n_threads)
    void fnn_bn_forward_f64(int64_t m, int64_t c, const double *x, const double *mean, const double *inv_std,
                            const double *gamma, const double *beta, double *y, int n_threads)
    void fnn_bn_backward_f32(int64_t m, int64_t c, const float *x, const float *mean, const float *inv_std,
                             const float *gamma, const float *dy, float *dgamma, float *dbeta, float *dx,
                             int batch_stats, double *scratch, int n_threads)
    void fnn_bn_backward_f64(int64_t m, int64_t c, const double *x, const double *mean, const double *inv_std,
                             const double *gamma, const double *dy, double *dgamma, double *dbeta, double *dx,
                             int batch_stats, double *scratch, int n_threads)
    void fnn_bn_backward_ref_f32(int64_t m, int64_t c, const float *x, const float *mean, const float *inv_std,
                                 const float *gamma, const float *dy, float *dgamma, float *dbeta, float *dx,
                                 int batch_stats)
    void fnn_bn_backward_ref_f64(int64_t m, int64_t c, const double *x, const double *mean,
                                 const double *inv_std, const double *gamma, const double *dy, double *dgamma,
                                 double *dbeta, double *dx, int batch_stats)

# Activation kinds: the values of enum fnn_activation in csrc/fastnn.h.
LINEAR, RELU, SIGMOID, TANH, LEAKY_RELU, ELU, SELU, SOFTPLUS, SOFTSIGN, SWISH = range(10)
GELU, GELU_TANH, HARD_SIGMOID, EXPONENTIAL, RELU6, HARD_SWISH, MISH = range(10, 17)


cdef inline int _is_f32(cnp.ndarray a, str what) except -1:
    """1 for float32, 0 for float64; ValueError for other dtypes or non-contiguous arrays."""
    cdef int num = cnp.PyArray_TYPE(a)
    if num != cnp.NPY_FLOAT32 and num != cnp.NPY_FLOAT64:
        raise ValueError(f"{what}: expected float32 or float64, received {a.dtype}")
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError(f"{what}: expected a C-contiguous array")
    return num == cnp.NPY_FLOAT32


cdef inline void _same(cnp.ndarray a, cnp.ndarray b, str what, bint writable=False) except *:
    if cnp.PyArray_TYPE(a) != cnp.PyArray_TYPE(b) or not cnp.PyArray_IS_C_CONTIGUOUS(b):
        raise ValueError(f"{what}: expected a C-contiguous {a.dtype} array, received {b.dtype}")
    if cnp.PyArray_SIZE(a) != cnp.PyArray_SIZE(b):
        raise ValueError(f"{what}: expected {cnp.PyArray_SIZE(a)} elements, received {cnp.PyArray_SIZE(b)}")
    if writable and not cnp.PyArray_ISWRITEABLE(b):
        raise ValueError(f"{what}: output array is read-only")


cdef inline void *_ptr(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


def uses_output(int kind, double param=0.0):
    """True when the backward of activation `kind` needs the forward output y (else the input x)."""
    return bool(fnn_act_backward_uses_output(kind, param))


def act_forward(int kind, cnp.ndarray x, cnp.ndarray y, double param, int n_threads):
    """y = f(x) elementwise (y may be x: in place). Returns y."""
    cdef int f32 = _is_f32(x, "activation input")
    _same(x, y, "activation output", True)
    cdef int64_t n = cnp.PyArray_SIZE(x)
    cdef void *px = _ptr(x)
    cdef void *py = _ptr(y)
    with nogil:
        if f32:
            fnn_act_forward_f32(kind, n, <const float *>px, <float *>py, <float>param, n_threads)
        else:
            fnn_act_forward_f64(kind, n, <const double *>px, <double *>py, param, n_threads)
    return y


def act_backward(int kind, cnp.ndarray a, cnp.ndarray dy, cnp.ndarray dx, double param, int n_threads):
    """dx = dy * f'(.) from `a` (y when uses_output(kind, param), else x). Returns dx."""
    cdef int f32 = _is_f32(a, "activation backward")
    _same(a, dy, "activation gradient")
    _same(a, dx, "activation input gradient", True)
    cdef int64_t n = cnp.PyArray_SIZE(a)
    cdef void *pa = _ptr(a)
    cdef void *pdy = _ptr(dy)
    cdef void *pdx = _ptr(dx)
    with nogil:
        if f32:
            fnn_act_backward_f32(kind, n, <const float *>pa, <const float *>pdy, <float *>pdx, <float>param,
                                 n_threads)
        else:
            fnn_act_backward_f64(kind, n, <const double *>pa, <const double *>pdy, <double *>pdx, param,
                                 n_threads)
    return dx


cdef inline int64_t _last_dim(cnp.ndarray x):
    return cnp.PyArray_DIM(x, cnp.PyArray_NDIM(x) - 1) if cnp.PyArray_NDIM(x) > 0 else 1


def softmax(cnp.ndarray x, cnp.ndarray y, bint log, int n_threads):
    """y = softmax(x) (log_softmax when `log`) over the last axis; y may be x. Returns y."""
    cdef int f32 = _is_f32(x, "softmax input")
    _same(x, y, "softmax output", True)
    cdef int64_t cols = _last_dim(x)
    cdef int64_t rows = cnp.PyArray_SIZE(x) // cols if cols > 0 else 0
    cdef void *px = _ptr(x)
    cdef void *py = _ptr(y)
    with nogil:
        if f32:
            fnn_softmax_f32(rows, cols, <const float *>px, <float *>py, log, n_threads)
        else:
            fnn_softmax_f64(rows, cols, <const double *>px, <double *>py, log, n_threads)
    return y


def softmax_backward(cnp.ndarray y, cnp.ndarray dy, cnp.ndarray dx, bint log, int n_threads):
    """dx from the softmax (or log_softmax) output y and dy, over the last axis. Returns dx."""
    cdef int f32 = _is_f32(y, "softmax backward")
    _same(y, dy, "softmax gradient")
    _same(y, dx, "softmax input gradient", True)
    cdef int64_t cols = _last_dim(y)
    cdef int64_t rows = cnp.PyArray_SIZE(y) // cols if cols > 0 else 0
    cdef void *p_y = _ptr(y)
    cdef void *pdy = _ptr(dy)
    cdef void *pdx = _ptr(dx)
    with nogil:
        if f32:
            fnn_softmax_backward_f32(rows, cols, <const float *>p_y, <const float *>pdy, <float *>pdx, log,
                                     n_threads)
        else:
            fnn_softmax_backward_f64(rows, cols, <const double *>p_y, <const double *>pdy, <double *>pdx, log,
                                     n_threads)
    return dx


cdef double *_scratch(int64_t m, int64_t n) except? NULL:
    cdef int64_t length = fnn_colsum_scratch_len(m, n)
    cdef double *buf = <double *>malloc(max(length, 1) * sizeof(double))
    if buf == NULL:
        raise MemoryError("fastnn: out of memory for reduction scratch")
    return buf


def column_sum_accumulate(cnp.ndarray dz, cnp.ndarray out, int n_threads, bint reference=False):
    """out[j] += sum over every row i of dz[i, j] (dz viewed as [-1, out.size]). Returns out."""
    cdef int f32 = _is_f32(dz, "column_sum_accumulate input")
    cdef int64_t n = cnp.PyArray_SIZE(out)
    if cnp.PyArray_TYPE(out) != cnp.PyArray_TYPE(dz) or not cnp.PyArray_IS_C_CONTIGUOUS(out) \
            or not cnp.PyArray_ISWRITEABLE(out):
        raise ValueError(f"column_sum_accumulate: out must be a writable C-contiguous {dz.dtype} array")
    if _last_dim(dz) != n or (n == 0 and cnp.PyArray_SIZE(dz) != 0):
        raise ValueError(f"column_sum_accumulate: input of shape {(<object>dz).shape} does not end in {n} columns")
    cdef int64_t m = cnp.PyArray_SIZE(dz) // n if n > 0 else 0
    cdef void *pz = _ptr(dz)
    cdef void *po = _ptr(out)
    cdef double *scratch = NULL
    if not reference:
        scratch = _scratch(m, n)
    with nogil:
        if reference:
            if f32:
                fnn_column_sum_accumulate_ref_f32(m, n, <const float *>pz, <float *>po)
            else:
                fnn_column_sum_accumulate_ref_f64(m, n, <const double *>pz, <double *>po)
        elif f32:
            fnn_column_sum_accumulate_f32(m, n, <const float *>pz, <float *>po, scratch, n_threads)
        else:
            fnn_column_sum_accumulate_f64(m, n, <const double *>pz, <double *>po, scratch, n_threads)
    free(scratch)
    return out


def dropout_mask(shape, uint64_t seed, double rate, int n_threads):
    """uint8 keep-mask of `shape`: element i kept (1) when the counter hash of (seed, i) >= rate."""
    cdef cnp.ndarray keep = np.empty(shape, dtype=np.uint8)
    cdef int64_t n = cnp.PyArray_SIZE(keep)
    cdef uint8_t *pk = <uint8_t *>cnp.PyArray_DATA(keep)
    with nogil:
        fnn_dropout_mask(n, seed, rate, pk, n_threads)
    return keep


def dropout_forward(cnp.ndarray x, uint64_t seed, double rate, double scale, int n_threads, out=None):
    """(y, keep): y = x * scale where kept, 0 where dropped; keep is the uint8 mask of x's shape.

    y is written into `out` when given (which may be x itself: in place)."""
    cdef int f32 = _is_f32(x, "dropout input")
    cdef cnp.ndarray y = np.empty_like(x) if out is None else <cnp.ndarray>out
    if out is not None:
        _same(x, y, "dropout output", True)
    cdef cnp.ndarray keep = np.empty((<object>x).shape, dtype=np.uint8)
    cdef int64_t n = cnp.PyArray_SIZE(x)
    cdef void *px = _ptr(x)
    cdef void *py = _ptr(y)
    cdef uint8_t *pk = <uint8_t *>cnp.PyArray_DATA(keep)
    with nogil:
        if f32:
            fnn_dropout_forward_f32(n, seed, rate, <float>scale, <const float *>px, <float *>py, pk, n_threads)
        else:
            fnn_dropout_forward_f64(n, seed, rate, scale, <const double *>px, <double *>py, pk, n_threads)
    return y, keep


def dropout_backward(cnp.ndarray keep, double scale, cnp.ndarray dy, int n_threads):
    """dx = dy * scale where kept, 0 where dropped (a new array)."""
    cdef int f32 = _is_f32(dy, "dropout gradient")
    if cnp.PyArray_TYPE(keep) != cnp.NPY_UINT8 or cnp.PyArray_SIZE(keep) != cnp.PyArray_SIZE(dy) \
            or not cnp.PyArray_IS_C_CONTIGUOUS(keep):
        raise ValueError("dropout_backward: keep must be a C-contiguous uint8 mask of the gradient's size")
    cdef cnp.ndarray dx = np.empty_like(dy)
    cdef int64_t n = cnp.PyArray_SIZE(dy)
    cdef const uint8_t *pk = <const uint8_t *>cnp.PyArray_DATA(keep)
    cdef void *pdy = _ptr(dy)
    cdef void *pdx = _ptr(dx)
    with nogil:
        if f32:
            fnn_dropout_backward_f32(n, pk, <float>scale, <const float *>pdy, <float *>pdx, n_threads)
        else:
            fnn_dropout_backward_f64(n, pk, scale, <const double *>pdy, <double *>pdx, n_threads)
    return dx


cdef inline void *_opt(object a, cnp.ndarray like, str what) except? NULL:
    if a is None:
        return NULL
    _same(like, <cnp.ndarray>a, what)
    return _ptr(<cnp.ndarray>a)


def bn_stats(cnp.ndarray x, int n_threads, bint reference=False):
    """(mean, var) per channel of x viewed as [rows, channels] (last axis); var is biased."""
    cdef int f32 = _is_f32(x, "batch-norm input")
    cdef int64_t c = _last_dim(x)
    cdef int64_t m = cnp.PyArray_SIZE(x) // c if c > 0 else 0
    cdef cnp.ndarray mean = np.empty(c, dtype=x.dtype)
    cdef cnp.ndarray var = np.empty(c, dtype=x.dtype)
    cdef void *px = _ptr(x)
    cdef void *pm = _ptr(mean)
    cdef void *pv = _ptr(var)
    cdef double *scratch = NULL
    if not reference:
        scratch = _scratch(m, c)
    with nogil:
        if reference:
            if f32:
                fnn_bn_stats_ref_f32(m, c, <const float *>px, <float *>pm, <float *>pv)
            else:
                fnn_bn_stats_ref_f64(m, c, <const double *>px, <double *>pm, <double *>pv)
        elif f32:
            fnn_bn_stats_f32(m, c, <const float *>px, <float *>pm, <float *>pv, scratch, n_threads)
        else:
            fnn_bn_stats_f64(m, c, <const double *>px, <double *>pm, <double *>pv, scratch, n_threads)
    free(scratch)
    return mean, var


def bn_forward(cnp.ndarray x, cnp.ndarray mean, cnp.ndarray inv_std, gamma, beta, int n_threads):
    """y = (x - mean) * inv_std * gamma + beta over the last axis (gamma/beta may be None)."""
    cdef int f32 = _is_f32(x, "batch-norm input")
    cdef int64_t c = _last_dim(x)
    cdef int64_t m = cnp.PyArray_SIZE(x) // c if c > 0 else 0
    _same(mean, inv_std, "batch-norm inv_std")
    if cnp.PyArray_SIZE(mean) != c or cnp.PyArray_TYPE(mean) != cnp.PyArray_TYPE(x):
        raise ValueError(f"bn_forward: statistics must have {c} {x.dtype} entries")
    cdef void *pg = _opt(gamma, mean, "batch-norm gamma")
    cdef void *pb = _opt(beta, mean, "batch-norm beta")
    cdef cnp.ndarray y = np.empty_like(x)
    cdef void *px = _ptr(x)
    cdef void *pm = _ptr(mean)
    cdef void *ps = _ptr(inv_std)
    cdef void *py = _ptr(y)
    with nogil:
        if f32:
            fnn_bn_forward_f32(m, c, <const float *>px, <const float *>pm, <const float *>ps,
                               <const float *>pg, <const float *>pb, <float *>py, n_threads)
        else:
            fnn_bn_forward_f64(m, c, <const double *>px, <const double *>pm, <const double *>ps,
                               <const double *>pg, <const double *>pb, <double *>py, n_threads)
    return y


def bn_backward(cnp.ndarray x, cnp.ndarray mean, cnp.ndarray inv_std, gamma, cnp.ndarray dy, dgamma, dbeta,
                bint need_dx, bint batch_stats, int n_threads, bint reference=False):
    """Batch-norm backward: dgamma/dbeta (or None) accumulated (+=); returns dx (new) or None."""
    cdef int f32 = _is_f32(x, "batch-norm input")
    cdef int64_t c = _last_dim(x)
    cdef int64_t m = cnp.PyArray_SIZE(x) // c if c > 0 else 0
    _same(x, dy, "batch-norm gradient")
    _same(mean, inv_std, "batch-norm inv_std")
    if cnp.PyArray_SIZE(mean) != c or cnp.PyArray_TYPE(mean) != cnp.PyArray_TYPE(x):
        raise ValueError(f"bn_backward: statistics must have {c} {x.dtype} entries")
    cdef void *pg = _opt(gamma, mean, "batch-norm gamma")
    cdef void *pdg = _opt(dgamma, mean, "batch-norm dgamma")
    cdef void *pdb = _opt(dbeta, mean, "batch-norm dbeta")
    cdef cnp.ndarray dx = np.empty_like(x) if need_dx else None
    cdef void *pdx = _ptr(dx) if need_dx else NULL
    cdef void *px = _ptr(x)
    cdef void *pm = _ptr(mean)
    cdef void *ps = _ptr(inv_std)
    cdef void *pdy = _ptr(dy)
    cdef double *scratch = NULL
    if not reference:
        scratch = _scratch(m, c)
    with nogil:
        if reference:
            if f32:
                fnn_bn_backward_ref_f32(m, c, <const float *>px, <const float *>pm, <const float *>ps,
                                        <const float *>pg, <const float *>pdy, <float *>pdg, <float *>pdb,
                                        <float *>pdx, batch_stats)
            else:
                fnn_bn_backward_ref_f64(m, c, <const double *>px, <const double *>pm, <const double *>ps,
                                        <const double *>pg, <const double *>pdy, <double *>pdg, <double *>pdb,
                                        <double *>pdx, batch_stats)
        elif f32:
            fnn_bn_backward_f32(m, c, <const float *>px, <const float *>pm, <const float *>ps,
                                <const float *>pg, <const float *>pdy, <float *>pdg, <float *>pdb,
                                <float *>pdx, batch_stats, scratch, n_threads)
        else:
            fnn_bn_backward_f64(m, c, <const double *>px, <const double *>pm, <const double *>ps,
                                <const double *>pg, <const double *>pdy, <double *>pdg, <double *>pdb,
                                <double *>pdx, batch_stats, scratch, n_threads)
    free(scratch)
    return dx
