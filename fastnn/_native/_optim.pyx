"""Fused optimizer updates (csrc/optim.c): checks with the GIL, then one C pass per parameter array.

Each function updates `w` and its state arrays in place from the read-only gradient `g`. All arrays
must be C-contiguous numpy arrays of one float dtype (float32 or float64) and the same size; `w` and the
state arrays must be writable. A state argument given as None switches that feature off (e.g. SGD
without momentum). `reference=True` runs the plain single-threaded `_ref` twin (for tests).
Common arguments: grad_scale (gradient multiplier: clipnorm factor), clip_value (<= 0: no clipping),
decay (decoupled weight decay factor weight_decay * lr; 0: none), n_threads.
"""
cimport numpy as cnp
from libc.stdint cimport int64_t
include "isa_hook.pxi"

cnp.import_array()

cdef extern from "fastnn.h" nogil:
    enum: FNN_OPTIM_CHUNK
    int64_t fnn_optim_num_chunks(int64_t n)
    void fnn_sgd_f32(int64_t n, float *w, const float *g, float *velocity, double lr, double momentum, int nesterov,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_sgd_ref_f32(int64_t n, float *w, const float *g, float *velocity, double lr, double momentum, int nesterov,
            double grad_scale, double clip_value, double decay)
    void fnn_sgd_f64(int64_t n, double *w, const double *g, double *velocity, double lr, double momentum, int nesterov,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_sgd_ref_f64(int64_t n, double *w, const double *g, double *velocity, double lr, double momentum, int nesterov,
            double grad_scale, double clip_value, double decay)
    void fnn_adagrad_f32(int64_t n, float *w, const float *g, float *accumulator, double lr, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_adagrad_ref_f32(int64_t n, float *w, const float *g, float *accumulator, double lr, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_adagrad_f64(int64_t n, double *w, const double *g, double *accumulator, double lr, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_adagrad_ref_f64(int64_t n, double *w, const double *g, double *accumulator, double lr, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_adadelta_f32(int64_t n, float *w, const float *g, float *acc_grad, float *acc_delta, double lr, double rho, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_adadelta_ref_f32(int64_t n, float *w, const float *g, float *acc_grad, float *acc_delta, double lr, double rho, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_adadelta_f64(int64_t n, double *w, const double *g, double *acc_grad, double *acc_delta, double lr, double rho, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_adadelta_ref_f64(int64_t n, double *w, const double *g, double *acc_grad, double *acc_delta, double lr, double rho, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_rmsprop_f32(int64_t n, float *w, const float *g, float *velocity, float *momentum_buf, float *avg_grad, double lr, double rho, double momentum, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_rmsprop_ref_f32(int64_t n, float *w, const float *g, float *velocity, float *momentum_buf, float *avg_grad, double lr, double rho, double momentum, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_rmsprop_f64(int64_t n, double *w, const double *g, double *velocity, double *momentum_buf, double *avg_grad, double lr, double rho, double momentum, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_rmsprop_ref_f64(int64_t n, double *w, const double *g, double *velocity, double *momentum_buf, double *avg_grad, double lr, double rho, double momentum, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_adam_f32(int64_t n, float *w, const float *g, float *m, float *v, float *v_hat, double alpha, double beta_1, double beta_2, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_adam_ref_f32(int64_t n, float *w, const float *g, float *m, float *v, float *v_hat, double alpha, double beta_1, double beta_2, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_adam_f64(int64_t n, double *w, const double *g, double *m, double *v, double *v_hat, double alpha, double beta_1, double beta_2, double epsilon,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_adam_ref_f64(int64_t n, double *w, const double *g, double *m, double *v, double *v_hat, double alpha, double beta_1, double beta_2, double epsilon,
            double grad_scale, double clip_value, double decay)
    void fnn_nadam_f32(int64_t n, float *w, const float *g, float *m, float *v, double lr, double beta_1, double beta_2, double epsilon, double u_t, double u_next, double u_prod, double u_prod_next, double beta_2_power,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_nadam_ref_f32(int64_t n, float *w, const float *g, float *m, float *v, double lr, double beta_1, double beta_2, double epsilon, double u_t, double u_next, double u_prod, double u_prod_next, double beta_2_power,
            double grad_scale, double clip_value, double decay)
    void fnn_nadam_f64(int64_t n, double *w, const double *g, double *m, double *v, double lr, double beta_1, double beta_2, double epsilon, double u_t, double u_next, double u_prod, double u_prod_next, double beta_2_power,
            double grad_scale, double clip_value, double decay, int n_threads)
    void fnn_nadam_ref_f64(int64_t n, double *w, const double *g, double *m, double *v, double lr, double beta_1, double beta_2, double epsilon, double u_t, double u_next, double u_prod, double u_prod_next, double beta_2_power,
            double grad_scale, double clip_value, double decay)
    void fnn_sumsq_chunks_f32(int64_t n, const float *x, double *partials, int n_threads)
    double fnn_sumsq_ref_f32(int64_t n, const float *x)
    void fnn_sumsq_chunks_f64(int64_t n, const double *x, double *partials, int n_threads)
    double fnn_sumsq_ref_f64(int64_t n, const double *x)


CHUNK = FNN_OPTIM_CHUNK


cdef inline void *_p(object arr):
    return NULL if arr is None else cnp.PyArray_DATA(<cnp.ndarray>arr)


cdef int _check(str who, object w, object g, tuple states) except -1:
    """Validate dtypes, sizes, contiguity and writability; return 1 for float32, 0 for float64."""
    if not isinstance(w, cnp.ndarray) or not isinstance(g, cnp.ndarray):
        raise ValueError(f"{who}: w and g must be numpy arrays")
    if w.dtype.num not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64):
        raise ValueError(f"{who}: w must be float32 or float64, received {w.dtype}")
    if not w.flags.writeable:
        raise ValueError(f"{who}: w must be writable")
    for label, arr in (("g", g),) + tuple((f"state {i}", s) for i, s in enumerate(states)):
        if arr is None:
            continue
        if not isinstance(arr, cnp.ndarray) or arr.dtype != w.dtype:
            raise ValueError(f"{who}: {label} must be a numpy array of dtype {w.dtype}, received "
                             f"{getattr(arr, 'dtype', type(arr).__name__)}")
        if arr.size != w.size:
            raise ValueError(f"{who}: {label} has {arr.size} elements, w has {w.size}")
        if not arr.flags.c_contiguous:
            raise ValueError(f"{who}: {label} must be C-contiguous")
        if label != "g" and not arr.flags.writeable:
            raise ValueError(f"{who}: {label} must be writable")
    if not w.flags.c_contiguous:
        raise ValueError(f"{who}: w must be C-contiguous")
    return 1 if w.dtype.num == cnp.NPY_FLOAT32 else 0


def sgd(w, g, velocity, double lr, double momentum, bint nesterov, double grad_scale=1.0,
        double clip_value=0.0, double decay=0.0, int n_threads=1, bint reference=False):
    """SGD step; velocity None means momentum 0 (w -= lr * g)."""
    cdef int f32 = _check("sgd", w, g, (velocity,))
    cdef int64_t n = w.size
    cdef void *pw = _p(w)
    cdef void *pg = _p(g)
    cdef void *pv = _p(velocity)
    with nogil:
        if f32 and reference:
            fnn_sgd_ref_f32(n, <float *>pw, <const float *>pg, <float *>pv, lr, momentum, nesterov,
                            grad_scale, clip_value, decay)
        elif f32:
            fnn_sgd_f32(n, <float *>pw, <const float *>pg, <float *>pv, lr, momentum, nesterov,
                        grad_scale, clip_value, decay, n_threads)
        elif reference:
            fnn_sgd_ref_f64(n, <double *>pw, <const double *>pg, <double *>pv, lr, momentum, nesterov,
                            grad_scale, clip_value, decay)
        else:
            fnn_sgd_f64(n, <double *>pw, <const double *>pg, <double *>pv, lr, momentum, nesterov,
                        grad_scale, clip_value, decay, n_threads)


def adagrad(w, g, accumulator, double lr, double epsilon, double grad_scale=1.0, double clip_value=0.0,
            double decay=0.0, int n_threads=1, bint reference=False):
    """Adagrad step."""
    if accumulator is None:
        raise ValueError("adagrad: the accumulator is required")
    cdef int f32 = _check("adagrad", w, g, (accumulator,))
    cdef int64_t n = w.size
    cdef void *pw = _p(w)
    cdef void *pg = _p(g)
    cdef void *pa = _p(accumulator)
    with nogil:
        if f32 and reference:
            fnn_adagrad_ref_f32(n, <float *>pw, <const float *>pg, <float *>pa, lr, epsilon,
                                grad_scale, clip_value, decay)
        elif f32:
            fnn_adagrad_f32(n, <float *>pw, <const float *>pg, <float *>pa, lr, epsilon,
                            grad_scale, clip_value, decay, n_threads)
        elif reference:
            fnn_adagrad_ref_f64(n, <double *>pw, <const double *>pg, <double *>pa, lr, epsilon,
                                grad_scale, clip_value, decay)
        else:
            fnn_adagrad_f64(n, <double *>pw, <const double *>pg, <double *>pa, lr, epsilon,
                            grad_scale, clip_value, decay, n_threads)


def adadelta(w, g, acc_grad, acc_delta, double lr, double rho, double epsilon, double grad_scale=1.0,
             double clip_value=0.0, double decay=0.0, int n_threads=1, bint reference=False):
    """Adadelta step."""
    if acc_grad is None or acc_delta is None:
        raise ValueError("adadelta: both accumulators are required")
    cdef int f32 = _check("adadelta", w, g, (acc_grad, acc_delta))
    cdef int64_t n = w.size
    cdef void *pw = _p(w)
    cdef void *pg = _p(g)
    cdef void *pa = _p(acc_grad)
    cdef void *pd = _p(acc_delta)
    with nogil:
        if f32 and reference:
            fnn_adadelta_ref_f32(n, <float *>pw, <const float *>pg, <float *>pa, <float *>pd, lr, rho, epsilon,
                                 grad_scale, clip_value, decay)
        elif f32:
            fnn_adadelta_f32(n, <float *>pw, <const float *>pg, <float *>pa, <float *>pd, lr, rho, epsilon,
                             grad_scale, clip_value, decay, n_threads)
        elif reference:
            fnn_adadelta_ref_f64(n, <double *>pw, <const double *>pg, <double *>pa, <double *>pd, lr, rho,
                                 epsilon, grad_scale, clip_value, decay)
        else:
            fnn_adadelta_f64(n, <double *>pw, <const double *>pg, <double *>pa, <double *>pd, lr, rho,
                             epsilon, grad_scale, clip_value, decay, n_threads)


def rmsprop(w, g, velocity, momentum_buf, avg_grad, double lr, double rho, double momentum, double epsilon,
            double grad_scale=1.0, double clip_value=0.0, double decay=0.0, int n_threads=1,
            bint reference=False):
    """RMSprop step; momentum_buf None: no momentum; avg_grad None: not centered."""
    if velocity is None:
        raise ValueError("rmsprop: the velocity is required")
    cdef int f32 = _check("rmsprop", w, g, (velocity, momentum_buf, avg_grad))
    cdef int64_t n = w.size
    cdef void *pw = _p(w)
    cdef void *pg = _p(g)
    cdef void *pv = _p(velocity)
    cdef void *pm = _p(momentum_buf)
    cdef void *pa = _p(avg_grad)
    with nogil:
        if f32 and reference:
            fnn_rmsprop_ref_f32(n, <float *>pw, <const float *>pg, <float *>pv, <float *>pm, <float *>pa, lr,
                                rho, momentum, epsilon, grad_scale, clip_value, decay)
        elif f32:
            fnn_rmsprop_f32(n, <float *>pw, <const float *>pg, <float *>pv, <float *>pm, <float *>pa, lr,
                            rho, momentum, epsilon, grad_scale, clip_value, decay, n_threads)
        elif reference:
            fnn_rmsprop_ref_f64(n, <double *>pw, <const double *>pg, <double *>pv, <double *>pm, <double *>pa,
                                lr, rho, momentum, epsilon, grad_scale, clip_value, decay)
        else:
            fnn_rmsprop_f64(n, <double *>pw, <const double *>pg, <double *>pv, <double *>pm, <double *>pa,
                            lr, rho, momentum, epsilon, grad_scale, clip_value, decay, n_threads)


def adam(w, g, m, v, v_hat, double alpha, double beta_1, double beta_2, double epsilon,
         double grad_scale=1.0, double clip_value=0.0, double decay=0.0, int n_threads=1,
         bint reference=False):
    """Adam step with alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t); v_hat None: no amsgrad."""
    if m is None or v is None:
        raise ValueError("adam: m and v are required")
    cdef int f32 = _check("adam", w, g, (m, v, v_hat))
    cdef int64_t n = w.size
    cdef void *pw = _p(w)
    cdef void *pg = _p(g)
    cdef void *pm = _p(m)
    cdef void *pv = _p(v)
    cdef void *ph = _p(v_hat)
    with nogil:
        if f32 and reference:
            fnn_adam_ref_f32(n, <float *>pw, <const float *>pg, <float *>pm, <float *>pv, <float *>ph, alpha,
                             beta_1, beta_2, epsilon, grad_scale, clip_value, decay)
        elif f32:
            fnn_adam_f32(n, <float *>pw, <const float *>pg, <float *>pm, <float *>pv, <float *>ph, alpha,
                         beta_1, beta_2, epsilon, grad_scale, clip_value, decay, n_threads)
        elif reference:
            fnn_adam_ref_f64(n, <double *>pw, <const double *>pg, <double *>pm, <double *>pv, <double *>ph,
                             alpha, beta_1, beta_2, epsilon, grad_scale, clip_value, decay)
        else:
            fnn_adam_f64(n, <double *>pw, <const double *>pg, <double *>pm, <double *>pv, <double *>ph,
                         alpha, beta_1, beta_2, epsilon, grad_scale, clip_value, decay, n_threads)


def nadam(w, g, m, v, double lr, double beta_1, double beta_2, double epsilon, double u_t, double u_next,
          double u_prod, double u_prod_next, double beta_2_power, double grad_scale=1.0,
          double clip_value=0.0, double decay=0.0, int n_threads=1, bint reference=False):
    """Nadam step given the momentum-schedule scalars of this iteration."""
    if m is None or v is None:
        raise ValueError("nadam: m and v are required")
    cdef int f32 = _check("nadam", w, g, (m, v))
    cdef int64_t n = w.size
    cdef void *pw = _p(w)
    cdef void *pg = _p(g)
    cdef void *pm = _p(m)
    cdef void *pv = _p(v)
    with nogil:
        if f32 and reference:
            fnn_nadam_ref_f32(n, <float *>pw, <const float *>pg, <float *>pm, <float *>pv, lr, beta_1, beta_2,
                              epsilon, u_t, u_next, u_prod, u_prod_next, beta_2_power, grad_scale, clip_value,
                              decay)
        elif f32:
            fnn_nadam_f32(n, <float *>pw, <const float *>pg, <float *>pm, <float *>pv, lr, beta_1, beta_2,
                          epsilon, u_t, u_next, u_prod, u_prod_next, beta_2_power, grad_scale, clip_value,
                          decay, n_threads)
        elif reference:
            fnn_nadam_ref_f64(n, <double *>pw, <const double *>pg, <double *>pm, <double *>pv, lr, beta_1,
                              beta_2, epsilon, u_t, u_next, u_prod, u_prod_next, beta_2_power, grad_scale,
                              clip_value, decay)
        else:
            fnn_nadam_f64(n, <double *>pw, <const double *>pg, <double *>pm, <double *>pv, lr, beta_1,
                          beta_2, epsilon, u_t, u_next, u_prod, u_prod_next, beta_2_power, grad_scale,
                          clip_value, decay, n_threads)


def sum_of_squares(x, int n_threads=1, bint reference=False):
    """Sum of x**2 in double: fixed-chunk partials added in order (bit-identical for any n_threads)."""
    if not isinstance(x, cnp.ndarray) or x.dtype.num not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64) \
            or not x.flags.c_contiguous:
        raise ValueError("sum_of_squares: x must be a C-contiguous float32 or float64 numpy array")
    cdef int64_t n = x.size
    cdef int f32 = x.dtype.num == cnp.NPY_FLOAT32
    cdef void *px = _p(x)
    cdef double total = 0.0
    cdef cnp.ndarray partials
    cdef double *pp
    cdef int64_t c, n_chunks
    if reference:
        with nogil:
            total = fnn_sumsq_ref_f32(n, <const float *>px) if f32 else fnn_sumsq_ref_f64(n, <const double *>px)
        return total
    n_chunks = fnn_optim_num_chunks(n)
    partials = cnp.PyArray_EMPTY(1, [n_chunks if n_chunks > 0 else 1], cnp.NPY_FLOAT64, 0)
    pp = <double *>cnp.PyArray_DATA(partials)
    with nogil:
        if f32:
            fnn_sumsq_chunks_f32(n, <const float *>px, pp, n_threads)
        else:
            fnn_sumsq_chunks_f64(n, <const double *>px, pp, n_threads)
        for c in range(n_chunks):
            total += pp[c]
    return total
