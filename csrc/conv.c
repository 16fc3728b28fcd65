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

/* Default panel budget: about one L2 (1 MiB per core here), so the panel im2col writes (or col2im reads)
 * is still in L2 when the GEMM reads (or wrote) it. Measured on the cnn workload's second layer
 * (128x26x26x32 -> 64 filters, 3x3, 2 threads): 4 MiB panels 56-63 ms for the three passes, 1-2 MiB
 * panels 46-53 ms. */
#define CONV_PANEL_BYTES ((int64_t)1 << 20)

int64_t fnn_conv2d_scratch_rows(const fnn_conv_geom *g, int64_t elem_size, int64_t budget_bytes)
{
    const int64_t M = g->batch * g->out_h * g->out_w, K = g->k_h * g->k_w * g->in_c;
    const int64_t ohw = g->out_h * g->out_w;
    if (conv_is_pointwise(g) || M <= 0) return 0;
    if (budget_bytes <= 0) budget_bytes = CONV_PANEL_BYTES;
    const int64_t row_bytes = K * elem_size > 0 ? K * elem_size : 1;
    int64_t rows = budget_bytes / row_bytes;
    /* Round up to one whole image when it costs at most 4x the budget: whole-image panels let the
     * backward-data pass give panels to threads (their col2im writes disjoint images). */
    if (rows < ohw && ohw * row_bytes <= 4 * budget_bytes) rows = ohw;
    /* aim for at least 8 panels (of 1024 rows or more) so that 2-4 threads can each take whole panels in
     * one parallel region; fewer, larger regions also suffer less when another process takes a core */
    const int64_t cap = (M + 7) / 8 > 1024 ? (M + 7) / 8 : 1024;
    rows = rows > cap && cap >= ohw ? cap : rows;
    rows = rows < 64 ? 64 : rows;
    return rows > M ? M : rows;
}

#define T float
#define SFX f32
#define GEMM fnn_gemm_f32
#define COLSUM fnn_column_sum_add_f32
#include "conv_body.h"
#undef T
#undef SFX
#undef GEMM
#undef COLSUM

#define T double
#define SFX f64
#define GEMM fnn_gemm_f64
#define COLSUM fnn_column_sum_add_f64
#include "conv_body.h"
#undef T
#undef SFX
#undef GEMM
#undef COLSUM
