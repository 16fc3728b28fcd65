"""GEMM wrappers: checked in Python (fastnn.ops.matmul), raw pointers and strides here, GIL released."""
cimport numpy as cnp
from libc.stdint cimport int64_t
from fastnn._native.cfastnn cimport fnn_gemm_f32, fnn_gemm_f64, fnn_gemm_ref_f32, fnn_gemm_ref_f64

cnp.import_array()


cdef inline void *_data(object arr):
    return cnp.PyArray_DATA(<cnp.ndarray>arr)


def gemm(bint trans_a, bint trans_b, int64_t m, int64_t n, int64_t k, double alpha,
         a, int64_t lda, b, int64_t ldb, double beta, c, int64_t ldc, bias, int n_threads, bint reference=False):
    """C = alpha * op(A) @ op(B) + beta * C (+ bias) on raw buffers.

    The caller guarantees: a, b, c (and bias) share one float dtype, the leading dimensions are in
    elements and fit their arrays, c is writable. Sizes and strides are validated by fastnn.ops.matmul.
    """
    cdef void *pa = _data(a)
    cdef void *pb = _data(b)
    cdef void *pc = _data(c)
    cdef void *pbias = NULL if bias is None else _data(bias)
    cdef int is_f32 = (<cnp.ndarray>c).dtype.num == cnp.NPY_FLOAT32
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
