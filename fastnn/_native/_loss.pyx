"""Fused loss kernels (csrc/loss.c): softmax cross-entropy from logits, cross-entropy of probabilities.

Each call computes per-row losses, the scaled gradient and the weighted total in one pass. Inputs are
C-contiguous float32/float64 arrays viewed as [rows, classes]; labels are int64 [rows]. fastnn.losses
validates shapes and label values; the range check here is the kernel's own (it raises before writing).
"""
cimport numpy as cnp
import numpy as np
from libc.stdint cimport int64_t
include "isa_hook.pxi"

cnp.import_array()

cdef extern from "fastnn.h" nogil:
    double fnn_softmax_xent_sparse_f32(int64_t rows, int64_t cols, const float *z, const int64_t *labels,
                                       int64_t ignore_class, const float *weight, double scale, float *loss,
                                       float *grad, int n_threads)
    double fnn_softmax_xent_sparse_f64(int64_t rows, int64_t cols, const double *z, const int64_t *labels,
                                       int64_t ignore_class, const double *weight, double scale, double *loss,
                                       double *grad, int n_threads)
    double fnn_softmax_xent_dense_f32(int64_t rows, int64_t cols, const float *z, const float *t, double ls,
                                      const float *weight, double scale, float *loss, float *grad, int n_threads)
    double fnn_softmax_xent_dense_f64(int64_t rows, int64_t cols, const double *z, const double *t, double ls,
                                      const double *weight, double scale, double *loss, double *grad,
                                      int n_threads)
    double fnn_prob_xent_f32(int64_t rows, int64_t cols, const float *p, const int64_t *labels,
                             int64_t ignore_class, const float *t, double ls, double eps, const float *weight,
                             double scale, float *loss, float *grad, int n_threads)
    double fnn_prob_xent_f64(int64_t rows, int64_t cols, const double *p, const int64_t *labels,
                             int64_t ignore_class, const double *t, double ls, double eps, const double *weight,
                             double scale, double *loss, double *grad, int n_threads)
    double fnn_softmax_xent_sparse_ref_f64(int64_t rows, int64_t cols, const double *z, const int64_t *labels,
                                           int64_t ignore_class, const double *weight, double scale,
                                           double *loss, double *grad)
    double fnn_softmax_xent_sparse_ref_f32(int64_t rows, int64_t cols, const float *z, const int64_t *labels,
                                           int64_t ignore_class, const float *weight, double scale, float *loss,
                                           float *grad)
    double fnn_softmax_xent_dense_ref_f64(int64_t rows, int64_t cols, const double *z, const double *t,
                                          double ls, const double *weight, double scale, double *loss,
                                          double *grad)
    double fnn_softmax_xent_dense_ref_f32(int64_t rows, int64_t cols, const float *z, const float *t, double ls,
                                          const float *weight, double scale, float *loss, float *grad)

# No class id is ever this value: "no ignore_class".
NO_IGNORE = -(2 ** 62)


cdef inline int _check(cnp.ndarray z, str what) except -1:
    cdef int num = cnp.PyArray_TYPE(z)
    if num != cnp.NPY_FLOAT32 and num != cnp.NPY_FLOAT64:
        raise ValueError(f"{what}: expected float32 or float64 predictions, received {z.dtype}")
    if not cnp.PyArray_IS_C_CONTIGUOUS(z):
        raise ValueError(f"{what}: expected C-contiguous predictions")
    return num == cnp.NPY_FLOAT32


cdef inline void *_like(object a, cnp.ndarray z, int64_t size, str what) except? NULL:
    if a is None:
        return NULL
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != cnp.PyArray_TYPE(z) or not cnp.PyArray_IS_C_CONTIGUOUS(arr) \
            or cnp.PyArray_SIZE(arr) != size:
        raise ValueError(f"{what}: expected a C-contiguous {z.dtype} array of {size} elements")
    return cnp.PyArray_DATA(arr)


cdef inline const int64_t *_labels(object labels, int64_t rows) except? NULL:
    if labels is None:
        return NULL
    cdef cnp.ndarray arr = <cnp.ndarray>labels
    if cnp.PyArray_TYPE(arr) != cnp.NPY_INT64 or not cnp.PyArray_IS_C_CONTIGUOUS(arr) \
            or cnp.PyArray_SIZE(arr) != rows:
        raise ValueError(f"labels: expected {rows} C-contiguous int64 labels")
    return <const int64_t *>cnp.PyArray_DATA(arr)


cdef inline object _result(double total, object labels, int64_t ignore_class, int64_t cols):
    cdef int64_t bad
    if total < 0 and labels is not None:
        bad = <int64_t>(-total) - 1
        if 0 <= bad < len(labels):
            value = int(labels[bad])
            if (value < 0 or value >= cols) and value != ignore_class:
                raise ValueError(f"labels must be integers in [0, {cols}), received {value} at position {bad}")
    return total


def softmax_xent(cnp.ndarray z, labels, targets, double label_smoothing, weight, double scale, loss, grad,
                 int n_threads, int64_t ignore_class=NO_IGNORE, bint reference=False):
    """Softmax cross-entropy of logits z [rows, cols] against int64 `labels` [rows] or dense `targets`.

    Writes per-row `loss` [rows] and `grad` [rows, cols] (either may be None) =
    d(sum_r weight[r] * loss[r] * scale)/dz; returns sum_r weight[r] * loss[r] (weight None -> 1).
    """
    cdef int f32 = _check(z, "softmax cross-entropy")
    cdef int64_t cols = z.shape[z.ndim - 1] if z.ndim else 1
    cdef int64_t rows = cnp.PyArray_SIZE(z) // cols if cols > 0 else 0
    cdef const int64_t *pl = _labels(labels, rows)
    cdef void *pt = _like(targets, z, rows * cols, "targets")
    cdef void *pw = _like(weight, z, rows, "sample weights")
    cdef void *ploss = _like(loss, z, rows, "loss output")
    cdef void *pg = _like(grad, z, rows * cols, "gradient output")
    cdef void *pz = cnp.PyArray_DATA(z)
    cdef double total
    if (pl == NULL) == (pt == NULL):
        raise ValueError("softmax_xent: pass exactly one of labels and targets")
    with nogil:
        if pl != NULL:
            if f32:
                if reference:
                    total = fnn_softmax_xent_sparse_ref_f32(rows, cols, <const float *>pz, pl, ignore_class,
                                                            <const float *>pw, scale, <float *>ploss, <float *>pg)
                else:
                    total = fnn_softmax_xent_sparse_f32(rows, cols, <const float *>pz, pl, ignore_class,
                                                        <const float *>pw, scale, <float *>ploss, <float *>pg,
                                                        n_threads)
            else:
                if reference:
                    total = fnn_softmax_xent_sparse_ref_f64(rows, cols, <const double *>pz, pl, ignore_class,
                                                            <const double *>pw, scale, <double *>ploss,
                                                            <double *>pg)
                else:
                    total = fnn_softmax_xent_sparse_f64(rows, cols, <const double *>pz, pl, ignore_class,
                                                        <const double *>pw, scale, <double *>ploss,
                                                        <double *>pg, n_threads)
        else:
            if f32:
                if reference:
                    total = fnn_softmax_xent_dense_ref_f32(rows, cols, <const float *>pz, <const float *>pt,
                                                           label_smoothing, <const float *>pw, scale,
                                                           <float *>ploss, <float *>pg)
                else:
                    total = fnn_softmax_xent_dense_f32(rows, cols, <const float *>pz, <const float *>pt,
                                                       label_smoothing, <const float *>pw, scale,
                                                       <float *>ploss, <float *>pg, n_threads)
            else:
                if reference:
                    total = fnn_softmax_xent_dense_ref_f64(rows, cols, <const double *>pz, <const double *>pt,
                                                           label_smoothing, <const double *>pw, scale,
                                                           <double *>ploss, <double *>pg)
                else:
                    total = fnn_softmax_xent_dense_f64(rows, cols, <const double *>pz, <const double *>pt,
                                                       label_smoothing, <const double *>pw, scale,
                                                       <double *>ploss, <double *>pg, n_threads)
    return _result(total, labels, ignore_class, cols)


def prob_xent(cnp.ndarray p, labels, targets, double label_smoothing, double epsilon, weight, double scale,
              loss, grad, int n_threads, int64_t ignore_class=NO_IGNORE):
    """Cross-entropy of probabilities p [rows, cols] (Keras: p / sum(p) clipped to [eps, 1 - eps]).

    Same outputs as softmax_xent; `grad` is with respect to p.
    """
    cdef int f32 = _check(p, "cross-entropy")
    cdef int64_t cols = p.shape[p.ndim - 1] if p.ndim else 1
    cdef int64_t rows = cnp.PyArray_SIZE(p) // cols if cols > 0 else 0
    cdef const int64_t *pl = _labels(labels, rows)
    cdef void *pt = _like(targets, p, rows * cols, "targets")
    cdef void *pw = _like(weight, p, rows, "sample weights")
    cdef void *ploss = _like(loss, p, rows, "loss output")
    cdef void *pg = _like(grad, p, rows * cols, "gradient output")
    cdef void *pp = cnp.PyArray_DATA(p)
    cdef double total
    if (pl == NULL) == (pt == NULL):
        raise ValueError("prob_xent: pass exactly one of labels and targets")
    with nogil:
        if f32:
            total = fnn_prob_xent_f32(rows, cols, <const float *>pp, pl, ignore_class, <const float *>pt,
                                      label_smoothing, epsilon, <const float *>pw, scale, <float *>ploss,
                                      <float *>pg, n_threads)
        else:
            total = fnn_prob_xent_f64(rows, cols, <const double *>pp, pl, ignore_class, <const double *>pt,
                                      label_smoothing, epsilon, <const double *>pw, scale, <double *>ploss,
                                      <double *>pg, n_threads)
    return _result(total, labels, ignore_class, cols)
