"""Convolution kernels (csrc/conv.c): im2col / col2im and conv2d forward / backward on raw buffers.

Geometry is passed as a tuple ``(batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h,
stride_w, dil_h, dil_w, pad_top, pad_left)`` (see fastnn.layers._conv_utils.conv_geometry). Arrays must
be C-contiguous and share one float dtype; shapes are checked here, with the GIL, before the C call.
The scratch (one panel of a few MB per thread) is allocated here and handed to the kernel.
"""
cimport numpy as cnp
from libc.stdint cimport int64_t
from libc.stdlib cimport malloc, free

import numpy as np
include "isa_hook.pxi"
include "buffers.pxi"

cnp.import_array()

cdef extern from "fastnn.h" nogil:
    ctypedef struct fnn_conv_geom:
        int64_t batch, in_h, in_w, in_c
        int64_t out_h, out_w, out_c
        int64_t k_h, k_w, stride_h, stride_w, dil_h, dil_w
        int64_t pad_top, pad_left
    int64_t fnn_conv2d_scratch_rows(const fnn_conv_geom *g, int64_t elem_size, int64_t budget_bytes)
    void fnn_im2col_f32(const fnn_conv_geom *g, const float *x, int64_t row0, int64_t rows, float *col, int n_threads)
    void fnn_im2col_f64(const fnn_conv_geom *g, const double *x, int64_t row0, int64_t rows, double *col, int n_threads)
    void fnn_im2col_ref_f32(const fnn_conv_geom *g, const float *x, int64_t row0, int64_t rows, float *col)
    void fnn_im2col_ref_f64(const fnn_conv_geom *g, const double *x, int64_t row0, int64_t rows, double *col)
    void fnn_col2im_f32(const fnn_conv_geom *g, const float *col, int64_t row0, int64_t rows, float *dx, int n_threads)
    void fnn_col2im_f64(const fnn_conv_geom *g, const double *col, int64_t row0, int64_t rows, double *dx, int n_threads)
    void fnn_col2im_ref_f32(const fnn_conv_geom *g, const float *col, int64_t row0, int64_t rows, float *dx)
    void fnn_col2im_ref_f64(const fnn_conv_geom *g, const double *col, int64_t row0, int64_t rows, double *dx)
    void fnn_conv2d_forward_f32(const fnn_conv_geom *g, const float *x, const float *w, const float *bias, float *y,
                                float *scratch, int64_t scratch_rows, int n_threads)
    void fnn_conv2d_forward_f64(const fnn_conv_geom *g, const double *x, const double *w, const double *bias,
                                double *y, double *scratch, int64_t scratch_rows, int n_threads)
    void fnn_conv2d_backward_data_f32(const fnn_conv_geom *g, const float *dy, const float *w, float *dx,
                                      float *scratch, int64_t scratch_rows, int n_threads)
    void fnn_conv2d_backward_data_f64(const fnn_conv_geom *g, const double *dy, const double *w, double *dx,
                                      double *scratch, int64_t scratch_rows, int n_threads)
    void fnn_conv2d_backward_filter_f32(const fnn_conv_geom *g, const float *x, const float *dy, float *dw,
                                        float *db, float *scratch, int64_t scratch_rows, int n_threads)
    void fnn_conv2d_backward_filter_f64(const fnn_conv_geom *g, const double *x, const double *dy, double *dw,
                                        double *db, double *scratch, int64_t scratch_rows, int n_threads)
    void fnn_conv2d_forward_ref_f32(const fnn_conv_geom *g, const float *x, const float *w, const float *bias,
                                    float *y)
    void fnn_conv2d_forward_ref_f64(const fnn_conv_geom *g, const double *x, const double *w, const double *bias,
                                    double *y)
    void fnn_conv2d_backward_data_ref_f32(const fnn_conv_geom *g, const float *dy, const float *w, float *dx)
    void fnn_conv2d_backward_data_ref_f64(const fnn_conv_geom *g, const double *dy, const double *w, double *dx)
    void fnn_conv2d_backward_filter_ref_f32(const fnn_conv_geom *g, const float *x, const float *dy, float *dw,
                                            float *db)
    void fnn_conv2d_backward_filter_ref_f64(const fnn_conv_geom *g, const double *x, const double *dy,
                                            double *dw, double *db)


cdef fnn_conv_geom _geom(tuple t) except *:
    cdef fnn_conv_geom g
    if len(t) != 15:
        raise ValueError(f"conv geometry needs 15 integers, received {len(t)}")
    (g.batch, g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c, g.k_h, g.k_w,
     g.stride_h, g.stride_w, g.dil_h, g.dil_w, g.pad_top, g.pad_left) = t
    if min(t) < 0 or min(g.k_h, g.k_w, g.stride_h, g.stride_w, g.dil_h, g.dil_w) < 1:
        raise ValueError(f"conv geometry: invalid values {t}")
    return g


cdef class _Scratch:
    """A malloc'ed panel buffer freed when the object dies."""
    cdef void *ptr
    cdef int64_t rows

    def __cinit__(self, int64_t rows, int64_t row_elems, int64_t itemsize):
        self.rows = rows
        self.ptr = NULL
        if rows > 0:
            self.ptr = malloc(rows * max(row_elems, 1) * itemsize)
            if self.ptr == NULL:
                raise MemoryError("conv scratch panel")

    def __dealloc__(self):
        free(self.ptr)


def scratch_rows(tuple geom, int itemsize, int64_t budget_bytes=0):
    """Rows per im2col panel the kernels use for this geometry (0: the 1x1 path, no scratch)."""
    cdef fnn_conv_geom g = _geom(geom)
    return fnn_conv2d_scratch_rows(&g, itemsize, budget_bytes)


def im2col(x, tuple geom, int64_t row0, int64_t rows, col, int n_threads=1, bint reference=False):
    """col[rows, k_h*k_w*in_c] = im2col rows row0 .. row0+rows-1 of x (overwritten)."""
    cdef fnn_conv_geom g = _geom(geom)
    cdef int64_t K = g.k_h * g.k_w * g.in_c
    if row0 < 0 or rows < 0 or row0 + rows > g.batch * g.out_h * g.out_w:
        raise ValueError(f"im2col: rows {row0}..{row0 + rows} outside 0..{g.batch * g.out_h * g.out_w}")
    dt = np.asarray(x).dtype
    cdef bint f32 = _is_f32(dt, "conv")
    cdef void *px = _buf(x, "im2col x", (g.batch, g.in_h, g.in_w, g.in_c), dt)
    cdef void *pc = _buf(col, "im2col col", (rows, K), dt, True)
    with nogil:
        if f32:
            if reference:
                fnn_im2col_ref_f32(&g, <const float *>px, row0, rows, <float *>pc)
            else:
                fnn_im2col_f32(&g, <const float *>px, row0, rows, <float *>pc, n_threads)
        else:
            if reference:
                fnn_im2col_ref_f64(&g, <const double *>px, row0, rows, <double *>pc)
            else:
                fnn_im2col_f64(&g, <const double *>px, row0, rows, <double *>pc, n_threads)


def col2im(col, tuple geom, int64_t row0, int64_t rows, dx, int n_threads=1, bint reference=False):
    """dx += col2im(col[rows, K]) for im2col rows row0 .. row0+rows-1 (accumulated)."""
    cdef fnn_conv_geom g = _geom(geom)
    cdef int64_t K = g.k_h * g.k_w * g.in_c
    if row0 < 0 or rows < 0 or row0 + rows > g.batch * g.out_h * g.out_w:
        raise ValueError(f"col2im: rows {row0}..{row0 + rows} outside 0..{g.batch * g.out_h * g.out_w}")
    dt = np.asarray(col).dtype
    cdef bint f32 = _is_f32(dt, "conv")
    cdef void *pc = _buf(col, "col2im col", (rows, K), dt)
    cdef void *pd = _buf(dx, "col2im dx", (g.batch, g.in_h, g.in_w, g.in_c), dt, True)
    with nogil:
        if f32:
            if reference:
                fnn_col2im_ref_f32(&g, <const float *>pc, row0, rows, <float *>pd)
            else:
                fnn_col2im_f32(&g, <const float *>pc, row0, rows, <float *>pd, n_threads)
        else:
            if reference:
                fnn_col2im_ref_f64(&g, <const double *>pc, row0, rows, <double *>pd)
            else:
                fnn_col2im_f64(&g, <const double *>pc, row0, rows, <double *>pd, n_threads)


def conv2d_forward(x, w, bias, y, tuple geom, int n_threads=1, bint reference=False, int64_t budget_bytes=0):
    """y = conv2d(x, w) + bias (overwritten); bias may be None."""
    cdef fnn_conv_geom g = _geom(geom)
    dt = np.asarray(x).dtype
    cdef bint f32 = _is_f32(dt, "conv")
    cdef void *px = _buf(x, "conv2d x", (g.batch, g.in_h, g.in_w, g.in_c), dt)
    cdef void *pw = _buf(w, "conv2d kernel", (g.k_h, g.k_w, g.in_c, g.out_c), dt)
    cdef void *pb = NULL
    if bias is not None:
        pb = _buf(bias, "conv2d bias", (g.out_c,), dt)
    cdef void *py = _buf(y, "conv2d y", (g.batch, g.out_h, g.out_w, g.out_c), dt, True)
    cdef int64_t rows = 0 if reference else fnn_conv2d_scratch_rows(&g, dt.itemsize, budget_bytes)
    cdef _Scratch s = _Scratch(rows * max(n_threads, 1), g.k_h * g.k_w * g.in_c, dt.itemsize)
    with nogil:
        if f32:
            if reference:
                fnn_conv2d_forward_ref_f32(&g, <const float *>px, <const float *>pw, <const float *>pb, <float *>py)
            else:
                fnn_conv2d_forward_f32(&g, <const float *>px, <const float *>pw, <const float *>pb, <float *>py,
                                       <float *>s.ptr, rows, n_threads)
        else:
            if reference:
                fnn_conv2d_forward_ref_f64(&g, <const double *>px, <const double *>pw, <const double *>pb,
                                           <double *>py)
            else:
                fnn_conv2d_forward_f64(&g, <const double *>px, <const double *>pw, <const double *>pb,
                                       <double *>py, <double *>s.ptr, rows, n_threads)


def conv2d_backward_data(dy, w, dx, tuple geom, int n_threads=1, bint reference=False, int64_t budget_bytes=0):
    """dx = d(conv2d)/dx applied to dy (overwritten)."""
    cdef fnn_conv_geom g = _geom(geom)
    dt = np.asarray(dy).dtype
    cdef bint f32 = _is_f32(dt, "conv")
    cdef void *pdy = _buf(dy, "conv2d dy", (g.batch, g.out_h, g.out_w, g.out_c), dt)
    cdef void *pw = _buf(w, "conv2d kernel", (g.k_h, g.k_w, g.in_c, g.out_c), dt)
    cdef void *pdx = _buf(dx, "conv2d dx", (g.batch, g.in_h, g.in_w, g.in_c), dt, True)
    cdef int64_t rows = 0 if reference else fnn_conv2d_scratch_rows(&g, dt.itemsize, budget_bytes)
    cdef _Scratch s = _Scratch(rows * max(n_threads, 1), g.k_h * g.k_w * g.in_c, dt.itemsize)
    with nogil:
        if f32:
            if reference:
                fnn_conv2d_backward_data_ref_f32(&g, <const float *>pdy, <const float *>pw, <float *>pdx)
            else:
                fnn_conv2d_backward_data_f32(&g, <const float *>pdy, <const float *>pw, <float *>pdx,
                                             <float *>s.ptr, rows, n_threads)
        else:
            if reference:
                fnn_conv2d_backward_data_ref_f64(&g, <const double *>pdy, <const double *>pw, <double *>pdx)
            else:
                fnn_conv2d_backward_data_f64(&g, <const double *>pdy, <const double *>pw, <double *>pdx,
                                             <double *>s.ptr, rows, n_threads)


def conv2d_backward_filter(x, dy, dw, db, tuple geom, int n_threads=1, bint reference=False,
                           int64_t budget_bytes=0):
    """dw += im2col(x)^T @ dy and db += column sums of dy (db may be None): both accumulated."""
    cdef fnn_conv_geom g = _geom(geom)
    dt = np.asarray(x).dtype
    cdef bint f32 = _is_f32(dt, "conv")
    cdef void *px = _buf(x, "conv2d x", (g.batch, g.in_h, g.in_w, g.in_c), dt)
    cdef void *pdy = _buf(dy, "conv2d dy", (g.batch, g.out_h, g.out_w, g.out_c), dt)
    cdef void *pdw = _buf(dw, "conv2d kernel grad", (g.k_h, g.k_w, g.in_c, g.out_c), dt, True)
    cdef void *pdb = NULL
    if db is not None:
        pdb = _buf(db, "conv2d bias grad", (g.out_c,), dt, True)
    cdef int64_t rows = 0 if reference else fnn_conv2d_scratch_rows(&g, dt.itemsize, budget_bytes)
    cdef _Scratch s = _Scratch(rows * max(n_threads, 1), g.k_h * g.k_w * g.in_c, dt.itemsize)
    with nogil:
        if f32:
            if reference:
                fnn_conv2d_backward_filter_ref_f32(&g, <const float *>px, <const float *>pdy, <float *>pdw,
                                                   <float *>pdb)
            else:
                fnn_conv2d_backward_filter_f32(&g, <const float *>px, <const float *>pdy, <float *>pdw,
                                               <float *>pdb, <float *>s.ptr, rows, n_threads)
        else:
            if reference:
                fnn_conv2d_backward_filter_ref_f64(&g, <const double *>px, <const double *>pdy, <double *>pdw,
                                                   <double *>pdb)
            else:
                fnn_conv2d_backward_filter_f64(&g, <const double *>px, <const double *>pdy, <double *>pdw,
                                               <double *>pdb, <double *>s.ptr, rows, n_threads)
