"""Pooling kernels (csrc/pool.c) on raw buffers: max / average 2-D pooling and global pooling.

Geometry is a tuple ``(batch, in_h, in_w, channels, out_h, out_w, pool_h, pool_w, stride_h, stride_w,
pad_top, pad_left)``. Arrays must be C-contiguous, one float dtype; argmax arrays are int32.
"""
cimport numpy as cnp
from libc.stdint cimport int64_t, int32_t

import numpy as np
include "isa_hook.pxi"
include "buffers.pxi"

cnp.import_array()

cdef extern from "fastnn.h" nogil:
    ctypedef struct fnn_pool_geom:
        int64_t batch, in_h, in_w, channels
        int64_t out_h, out_w
        int64_t pool_h, pool_w, stride_h, stride_w
        int64_t pad_top, pad_left
    void fnn_maxpool2d_forward_f32(const fnn_pool_geom *g, const float *x, float *y, int32_t *argmax, int n_threads)
    void fnn_maxpool2d_forward_f64(const fnn_pool_geom *g, const double *x, double *y, int32_t *argmax, int n_threads)
    void fnn_maxpool2d_forward_ref_f32(const fnn_pool_geom *g, const float *x, float *y, int32_t *argmax)
    void fnn_maxpool2d_forward_ref_f64(const fnn_pool_geom *g, const double *x, double *y, int32_t *argmax)
    void fnn_maxpool2d_backward_f32(const fnn_pool_geom *g, const float *dy, const int32_t *argmax, float *dx,
                                    int n_threads)
    void fnn_maxpool2d_backward_f64(const fnn_pool_geom *g, const double *dy, const int32_t *argmax, double *dx,
                                    int n_threads)
    void fnn_maxpool2d_backward_ref_f32(const fnn_pool_geom *g, const float *dy, const int32_t *argmax, float *dx)
    void fnn_maxpool2d_backward_ref_f64(const fnn_pool_geom *g, const double *dy, const int32_t *argmax, double *dx)
    void fnn_avgpool2d_forward_f32(const fnn_pool_geom *g, const float *x, float *y, int n_threads)
    void fnn_avgpool2d_forward_f64(const fnn_pool_geom *g, const double *x, double *y, int n_threads)
    void fnn_avgpool2d_forward_ref_f32(const fnn_pool_geom *g, const float *x, float *y)
    void fnn_avgpool2d_forward_ref_f64(const fnn_pool_geom *g, const double *x, double *y)
    void fnn_avgpool2d_backward_f32(const fnn_pool_geom *g, const float *dy, float *dx, int n_threads)
    void fnn_avgpool2d_backward_f64(const fnn_pool_geom *g, const double *dy, double *dx, int n_threads)
    void fnn_avgpool2d_backward_ref_f32(const fnn_pool_geom *g, const float *dy, float *dx)
    void fnn_avgpool2d_backward_ref_f64(const fnn_pool_geom *g, const double *dy, double *dx)
    void fnn_global_avgpool_forward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                                        int n_threads)
    void fnn_global_avgpool_forward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *x,
                                        double *y, int n_threads)
    void fnn_global_avgpool_backward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *dy,
                                         float *dx, int n_threads)
    void fnn_global_avgpool_backward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *dy,
                                         double *dx, int n_threads)
    void fnn_global_maxpool_forward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                                        int32_t *argmax, int n_threads)
    void fnn_global_maxpool_forward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *x,
                                        double *y, int32_t *argmax, int n_threads)
    void fnn_global_maxpool_backward_f32(int64_t batch, int64_t spatial, int64_t channels, const float *dy,
                                         const int32_t *argmax, float *dx, int n_threads)
    void fnn_global_maxpool_backward_f64(int64_t batch, int64_t spatial, int64_t channels, const double *dy,
                                         const int32_t *argmax, double *dx, int n_threads)


cdef fnn_pool_geom _geom(tuple t) except *:
    cdef fnn_pool_geom g
    if len(t) != 12:
        raise ValueError(f"pool geometry needs 12 integers, received {len(t)}")
    (g.batch, g.in_h, g.in_w, g.channels, g.out_h, g.out_w, g.pool_h, g.pool_w,
     g.stride_h, g.stride_w, g.pad_top, g.pad_left) = t
    if min(t) < 0 or min(g.pool_h, g.pool_w, g.stride_h, g.stride_w) < 1:
        raise ValueError(f"pool geometry: invalid values {t}")
    if g.in_h * g.in_w >= 2 ** 31:
        raise ValueError(f"pooling: an image of {g.in_h}x{g.in_w} positions exceeds the int32 argmax range")
    return g


_I32 = np.dtype(np.int32)


def maxpool2d_forward(x, y, argmax, tuple geom, int n_threads=1, bint reference=False):
    """y = max over each window, argmax = ih*in_w + iw of its first maximum (both overwritten)."""
    cdef fnn_pool_geom g = _geom(geom)
    dt = np.asarray(x).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    out_shape = (g.batch, g.out_h, g.out_w, g.channels)
    cdef void *px = _buf(x, "max pooling x", (g.batch, g.in_h, g.in_w, g.channels), dt)
    cdef void *py = _buf(y, "max pooling y", out_shape, dt, True)
    cdef int32_t *pa = <int32_t *>_buf(argmax, "max pooling argmax", out_shape, _I32, True)
    with nogil:
        if f32:
            if reference:
                fnn_maxpool2d_forward_ref_f32(&g, <const float *>px, <float *>py, pa)
            else:
                fnn_maxpool2d_forward_f32(&g, <const float *>px, <float *>py, pa, n_threads)
        else:
            if reference:
                fnn_maxpool2d_forward_ref_f64(&g, <const double *>px, <double *>py, pa)
            else:
                fnn_maxpool2d_forward_f64(&g, <const double *>px, <double *>py, pa, n_threads)


def maxpool2d_backward(dy, argmax, dx, tuple geom, int n_threads=1, bint reference=False):
    """dx (overwritten) = dy routed to the argmax positions, summed where windows overlap."""
    cdef fnn_pool_geom g = _geom(geom)
    dt = np.asarray(dy).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    out_shape = (g.batch, g.out_h, g.out_w, g.channels)
    cdef void *pdy = _buf(dy, "max pooling dy", out_shape, dt)
    cdef const int32_t *pa = <const int32_t *>_buf(argmax, "max pooling argmax", out_shape, _I32)
    cdef void *pdx = _buf(dx, "max pooling dx", (g.batch, g.in_h, g.in_w, g.channels), dt, True)
    with nogil:
        if f32:
            if reference:
                fnn_maxpool2d_backward_ref_f32(&g, <const float *>pdy, pa, <float *>pdx)
            else:
                fnn_maxpool2d_backward_f32(&g, <const float *>pdy, pa, <float *>pdx, n_threads)
        else:
            if reference:
                fnn_maxpool2d_backward_ref_f64(&g, <const double *>pdy, pa, <double *>pdx)
            else:
                fnn_maxpool2d_backward_f64(&g, <const double *>pdy, pa, <double *>pdx, n_threads)


def avgpool2d_forward(x, y, tuple geom, int n_threads=1, bint reference=False):
    """y = mean over the valid positions of each window (overwritten)."""
    cdef fnn_pool_geom g = _geom(geom)
    dt = np.asarray(x).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    cdef void *px = _buf(x, "average pooling x", (g.batch, g.in_h, g.in_w, g.channels), dt)
    cdef void *py = _buf(y, "average pooling y", (g.batch, g.out_h, g.out_w, g.channels), dt, True)
    with nogil:
        if f32:
            if reference:
                fnn_avgpool2d_forward_ref_f32(&g, <const float *>px, <float *>py)
            else:
                fnn_avgpool2d_forward_f32(&g, <const float *>px, <float *>py, n_threads)
        else:
            if reference:
                fnn_avgpool2d_forward_ref_f64(&g, <const double *>px, <double *>py)
            else:
                fnn_avgpool2d_forward_f64(&g, <const double *>px, <double *>py, n_threads)


def avgpool2d_backward(dy, dx, tuple geom, int n_threads=1, bint reference=False):
    """dx (overwritten) = dy / count spread over each window."""
    cdef fnn_pool_geom g = _geom(geom)
    dt = np.asarray(dy).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    cdef void *pdy = _buf(dy, "average pooling dy", (g.batch, g.out_h, g.out_w, g.channels), dt)
    cdef void *pdx = _buf(dx, "average pooling dx", (g.batch, g.in_h, g.in_w, g.channels), dt, True)
    with nogil:
        if f32:
            if reference:
                fnn_avgpool2d_backward_ref_f32(&g, <const float *>pdy, <float *>pdx)
            else:
                fnn_avgpool2d_backward_f32(&g, <const float *>pdy, <float *>pdx, n_threads)
        else:
            if reference:
                fnn_avgpool2d_backward_ref_f64(&g, <const double *>pdy, <double *>pdx)
            else:
                fnn_avgpool2d_backward_f64(&g, <const double *>pdy, <double *>pdx, n_threads)


def global_avgpool_forward(x, y, int n_threads=1):
    """y[n, c] = mean over p of x[n, p, c] (x is (batch, spatial, channels); y overwritten)."""
    dt = np.asarray(x).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    cdef int64_t b = x.shape[0], s = x.shape[1], c = x.shape[2]
    cdef void *px = _buf(x, "global average pooling x", (b, s, c), dt)
    cdef void *py = _buf(y, "global average pooling y", (b, c), dt, True)
    with nogil:
        if f32:
            fnn_global_avgpool_forward_f32(b, s, c, <const float *>px, <float *>py, n_threads)
        else:
            fnn_global_avgpool_forward_f64(b, s, c, <const double *>px, <double *>py, n_threads)


def global_avgpool_backward(dy, dx, int n_threads=1):
    """dx[n, p, c] = dy[n, c] / spatial (overwritten)."""
    dt = np.asarray(dy).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    cdef int64_t b = dx.shape[0], s = dx.shape[1], c = dx.shape[2]
    cdef void *pdy = _buf(dy, "global average pooling dy", (b, c), dt)
    cdef void *pdx = _buf(dx, "global average pooling dx", (b, s, c), dt, True)
    with nogil:
        if f32:
            fnn_global_avgpool_backward_f32(b, s, c, <const float *>pdy, <float *>pdx, n_threads)
        else:
            fnn_global_avgpool_backward_f64(b, s, c, <const double *>pdy, <double *>pdx, n_threads)


def global_maxpool_forward(x, y, argmax, int n_threads=1):
    """y[n, c] = max over p of x[n, p, c]; argmax[n, c] = its first position (both overwritten)."""
    dt = np.asarray(x).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    cdef int64_t b = x.shape[0], s = x.shape[1], c = x.shape[2]
    if s >= 2 ** 31:
        raise ValueError("global max pooling: too many positions for an int32 argmax")
    cdef void *px = _buf(x, "global max pooling x", (b, s, c), dt)
    cdef void *py = _buf(y, "global max pooling y", (b, c), dt, True)
    cdef int32_t *pa = <int32_t *>_buf(argmax, "global max pooling argmax", (b, c), _I32, True)
    with nogil:
        if f32:
            fnn_global_maxpool_forward_f32(b, s, c, <const float *>px, <float *>py, pa, n_threads)
        else:
            fnn_global_maxpool_forward_f64(b, s, c, <const double *>px, <double *>py, pa, n_threads)


def global_maxpool_backward(dy, argmax, dx, int n_threads=1):
    """dx (overwritten) = dy at each channel's argmax position, zero elsewhere."""
    dt = np.asarray(dy).dtype
    cdef bint f32 = _is_f32(dt, "pooling")
    cdef int64_t b = dx.shape[0], s = dx.shape[1], c = dx.shape[2]
    cdef void *pdy = _buf(dy, "global max pooling dy", (b, c), dt)
    cdef const int32_t *pa = <const int32_t *>_buf(argmax, "global max pooling argmax", (b, c), _I32)
    cdef void *pdx = _buf(dx, "global max pooling dx", (b, s, c), dt, True)
    with nogil:
        if f32:
            fnn_global_maxpool_backward_f32(b, s, c, <const float *>pdy, pa, <float *>pdx, n_threads)
        else:
            fnn_global_maxpool_backward_f64(b, s, c, <const double *>pdy, pa, <double *>pdx, n_threads)
