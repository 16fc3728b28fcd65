/* Convolution by im2col + GEMM over cache-sized panels of output rows, and its exact adjoint col2im.
 * The float32 and float64 kernels share one body (conv_body.h). See the conv section of fastnn.h. */
#include "fastnn.h"
#include <stddef.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* 1x1 kernel, stride 1, no padding: the input already is the im2col matrix (M x in_c). */
static inline int conv_is_pointwise(const fnn_conv_geom *g)
{
    return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
           g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
}

/* Fixed lane count of the filter gradient (see conv_body.h). */
#define CONV_FILTER_LANES 4

int64_t fnn_conv2d_scratch_rows(const fnn_conv_geom *g, int64_t elem_size, int64_t budget_bytes)
{
    const int64_t M = g->batch * g->out_h * g->out_w, K = g->k_h * g->k_w * g->in_c;
    if (conv_is_pointwise(g) || M <= 0) return 0;
    if (budget_bytes <= 0) budget_bytes = (int64_t)4 << 20;
    int64_t rows = budget_bytes / (K * elem_size > 0 ? K * elem_size : 1);
    /* aim for at least 8 panels (of 1024 rows or more) so that 2-4 threads can each take whole panels in
     * one parallel region; fewer, larger regions also suffer less when another process takes a core */
    const int64_t cap = (M + 7) / 8 > 1024 ? (M + 7) / 8 : 1024;
    rows = rows > cap ? cap : rows;
    rows = rows < 64 ? 64 : rows;
    return rows > M ? M : rows;
}

#define T float
#define SFX f32
#define GEMM fnn_gemm_f32
#include "conv_body.h"
#undef T
#undef SFX
#undef GEMM

#define T double
#define SFX f64
#define GEMM fnn_gemm_f64
#include "conv_body.h"
#undef T
#undef SFX
#undef GEMM
