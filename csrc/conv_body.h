/* Convolution kernels, one body for both precisions: conv.c includes this file once per type with
 * T (element type), SFX (name suffix f32/f64), GEMM and COLSUM (the matching fnn_gemm_* and
 * fnn_column_sum_add_*) defined.
 * Layouts and contracts: the conv section of fastnn.h. */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SFX)

/* Copy n contiguous elements (a loop GCC vectorizes; n is often tiny, e.g. one channel). */
static inline void FN(copy_)(T *restrict dst, const T *restrict src, int64_t n)
{
    for (int64_t e = 0; e < n; ++e) dst[e] = src[e];
}

static inline void FN(zero_)(T *restrict dst, int64_t n)
{
    for (int64_t e = 0; e < n; ++e) dst[e] = 0;
}

/* One im2col row: the receptive field of output pixel (oh, ow) of image xn, ordered (i, j, c). */
static inline void FN(im2col_row_)(const fnn_conv_geom *g, const T *restrict xn, int64_t oh, int64_t ow,
                                   T *restrict dst)
{
    const int64_t C = g->in_c, KW = g->k_w, W = g->in_w;
    const int64_t ih0 = oh * g->stride_h - g->pad_top, iw0 = ow * g->stride_w - g->pad_left;
    for (int64_t i = 0; i < g->k_h; ++i) {
        const int64_t ih = ih0 + i * g->dil_h;
        T *d = dst + i * KW * C;
        if (ih < 0 || ih >= g->in_h) {
            FN(zero_)(d, KW * C);
            continue;
        }
        const T *xr = xn + ih * W * C;
        if (g->dil_w == 1 && iw0 >= 0 && iw0 + KW <= W) {
            /* channels-last: the whole kernel row is one contiguous run of the input */
            FN(copy_)(d, xr + iw0 * C, KW * C);
            continue;
        }
        for (int64_t j = 0; j < KW; ++j) {
            const int64_t iw = iw0 + j * g->dil_w;
            if (iw < 0 || iw >= W) FN(zero_)(d + j * C, C);
            else FN(copy_)(d + j * C, xr + iw * C, C);
        }
    }
}

void FN(fnn_im2col_)(const fnn_conv_geom *g, const T *restrict x, int64_t row0, int64_t rows, T *restrict col,
                     int n_threads)
{
    enum { CHUNK = 256 };
    const int64_t K = g->k_h * g->k_w * g->in_c, ohw = g->out_h * g->out_w;
    const int64_t img = g->in_h * g->in_w * g->in_c;
    const int64_t n_chunks = (rows + CHUNK - 1) / CHUNK;
    /* a pure copy: any split of the rows gives the same bytes. Rows go in chunks so that the (n, oh, ow)
     * of a row comes from one division per chunk and increments after that (divisions cost more than a
     * small row's copy). */
    const int threads = rows * K < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t ch = 0; ch < n_chunks; ++ch) {
        const int64_t r_end = (ch + 1) * CHUNK < rows ? (ch + 1) * CHUNK : rows;
        const int64_t q = row0 + ch * CHUNK;
        int64_t n = q / ohw, oh = (q % ohw) / g->out_w, ow = q % g->out_w;
        for (int64_t r = ch * CHUNK; r < r_end; ++r) {
            FN(im2col_row_)(g, x + n * img, oh, ow, col + r * K);
            if (++ow == g->out_w) {
                ow = 0;
                if (++oh == g->out_h) {
                    oh = 0;
                    ++n;
                }
            }
        }
    }
}

void FN(fnn_im2col_ref_)(const fnn_conv_geom *g, const T *x, int64_t row0, int64_t rows, T *col)
{
    const int64_t C = g->in_c, K = g->k_h * g->k_w * C;
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t q = row0 + r;
        const int64_t n = q / (g->out_h * g->out_w), oh = (q / g->out_w) % g->out_h, ow = q % g->out_w;
        for (int64_t i = 0; i < g->k_h; ++i)
            for (int64_t j = 0; j < g->k_w; ++j)
                for (int64_t c = 0; c < C; ++c) {
                    const int64_t ih = oh * g->stride_h - g->pad_top + i * g->dil_h;
                    const int64_t iw = ow * g->stride_w - g->pad_left + j * g->dil_w;
                    T v = 0;
                    if (ih >= 0 && ih < g->in_h && iw >= 0 && iw < g->in_w)
                        v = x[((n * g->in_h + ih) * g->in_w + iw) * C + c];
                    col[r * K + (i * g->k_w + j) * C + c] = v;
                }
    }
}

/* col2im as a gather: each input pixel sums, in ascending (i, j) order, the col entries that read it.
 * Threads own disjoint input rows, so the result is the same for any thread count. */
void FN(fnn_col2im_)(const fnn_conv_geom *g, const T *restrict col, int64_t row0, int64_t rows, T *restrict dx,
                     int n_threads)
{
    if (rows <= 0) return;
    const int64_t C = g->in_c, K = g->k_h * g->k_w * C, ohw = g->out_h * g->out_w;
    const int64_t H = g->in_h, W = g->in_w;
    const int64_t n_first = row0 / ohw, n_last = (row0 + rows - 1) / ohw;
    const int64_t n_imgs = n_last - n_first + 1;
    const int threads = rows * K < 65536 ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t t = 0; t < n_imgs * H; ++t) {
        const int64_t n = n_first + t / H, ih = t % H;
        /* output rows of this image that lie in the panel: oh in [oh_lo, oh_hi] */
        const int64_t q_lo = (row0 > n * ohw ? row0 : n * ohw) - n * ohw;
        const int64_t q_hi = (row0 + rows < (n + 1) * ohw ? row0 + rows : (n + 1) * ohw) - n * ohw - 1;
        const int64_t oh_lo = q_lo / g->out_w, oh_hi = q_hi / g->out_w;
        if (ih < oh_lo * g->stride_h - g->pad_top || ih > oh_hi * g->stride_h - g->pad_top + (g->k_h - 1) * g->dil_h)
            continue;
        T *dxr = dx + (n * H + ih) * W * C;
        for (int64_t i = 0; i < g->k_h; ++i) {
            const int64_t th = ih + g->pad_top - i * g->dil_h;
            if (th < 0) break;
            /* integer division is slow: stride 1 (the common case) needs none */
            if (g->stride_h != 1 && th % g->stride_h) continue;
            const int64_t oh = g->stride_h == 1 ? th : th / g->stride_h;
            if (oh < oh_lo || oh > oh_hi) continue;
            for (int64_t iw = 0; iw < W; ++iw) {
                T *restrict d = dxr + iw * C;
                for (int64_t j = 0; j < g->k_w; ++j) {
                    const int64_t tw = iw + g->pad_left - j * g->dil_w;
                    if (tw < 0) break;
                    if (g->stride_w != 1 && tw % g->stride_w) continue;
                    const int64_t ow = g->stride_w == 1 ? tw : tw / g->stride_w;
                    if (ow >= g->out_w) continue;
                    const int64_t q = n * ohw + oh * g->out_w + ow;
                    if (q < row0 || q >= row0 + rows) continue;
                    const T *restrict s = col + (q - row0) * K + (i * g->k_w + j) * C;
                    for (int64_t c = 0; c < C; ++c) d[c] += s[c];
                }
            }
        }
    }
}

void FN(fnn_col2im_ref_)(const fnn_conv_geom *g, const T *col, int64_t row0, int64_t rows, T *dx)
{
    const int64_t C = g->in_c, K = g->k_h * g->k_w * C;
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t q = row0 + r;
        const int64_t n = q / (g->out_h * g->out_w), oh = (q / g->out_w) % g->out_h, ow = q % g->out_w;
        for (int64_t i = 0; i < g->k_h; ++i)
            for (int64_t j = 0; j < g->k_w; ++j)
                for (int64_t c = 0; c < C; ++c) {
                    const int64_t ih = oh * g->stride_h - g->pad_top + i * g->dil_h;
                    const int64_t iw = ow * g->stride_w - g->pad_left + j * g->dil_w;
                    if (ih >= 0 && ih < g->in_h && iw >= 0 && iw < g->in_w)
                        dx[((n * g->in_h + ih) * g->in_w + iw) * C + c] += col[r * K + (i * g->k_w + j) * C + c];
                }
    }
}

/* Parallel fill with zeros (dx can be tens of MB). */
static void FN(fill_zero_)(T *restrict a, int64_t n, int n_threads)
{
    const int64_t chunk = 1 << 16;
    const int threads = n < 4 * chunk ? 1 : n_threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t s = 0; s < n; s += chunk) FN(zero_)(a + s, (n - s < chunk ? n - s : chunk));
}

/* Panels hold whole images when one image fits the scratch panel (then panels never share an input
 * pixel, and the backward-data panels can run in parallel), else fixed runs of scratch_rows rows. The
 * panel sizes depend only on the geometry and scratch_rows, never on n_threads. */
static inline int64_t FN(panel_rows_)(const fnn_conv_geom *g, int64_t scratch_rows)
{
    const int64_t ohw = g->out_h * g->out_w;
    return ohw <= scratch_rows ? (scratch_rows / ohw) * ohw : scratch_rows;
}

/* Threads take whole panels (with single-threaded im2col and GEMM on a scratch panel of their own) when
 * there are enough of them — and, for the backward-data pass (whole_images), when panels hold whole
 * images, so that their col2im writes disjoint images; otherwise panels run one after the other with
 * the threads inside im2col and the GEMM. The GEMM's result does not depend on its thread count, so both
 * schedules give the same bits. */
static inline int FN(panel_parallel_)(const fnn_conv_geom *g, int64_t scratch_rows, int64_t M, int n_threads,
                                      int whole_images)
{
    const int64_t rows = FN(panel_rows_)(g, scratch_rows);
    if (whole_images && g->out_h * g->out_w > scratch_rows) return 0;
    return n_threads > 1 && (M + rows - 1) / rows >= 2 * n_threads;
}

/* One panel, rows [r0, r0 + rows), with `col` as its scratch and `threads` inside the steps: forward
 * (data = 0) col = im2col(x), y = col @ w + bias; backward-data (data = 1) col = dy @ w^T, dx += col2im(col). */
static inline void FN(conv_panel_)(const fnn_conv_geom *g, int data, const T *restrict in, const T *restrict w,
                                   const T *restrict bias, T *restrict out, int64_t r0, int64_t rows,
                                   T *restrict col, int threads)
{
    const int64_t K = g->k_h * g->k_w * g->in_c, F = g->out_c;
    if (!data) {
        FN(fnn_im2col_)(g, in, r0, rows, col, threads);
        GEMM(0, 0, rows, F, K, 1, col, K, w, F, 0, out + r0 * F, F, bias, threads);
    } else {
        GEMM(0, 1, rows, K, F, 1, in + r0 * F, F, w, F, 0, col, K, NULL, threads);
        FN(fnn_col2im_)(g, col, r0, rows, out, threads);
    }
}

/* Every panel of the forward or backward-data pass, scheduled as panel_parallel_ decides (backward-data
 * needs whole-image panels to run them side by side: their col2im writes disjoint images). */
static void FN(conv_panels_)(const fnn_conv_geom *g, int data, const T *restrict in, const T *restrict w,
                             const T *restrict bias, T *restrict out, T *restrict scratch, int64_t scratch_rows,
                             int n_threads)
{
    const int64_t M = g->batch * g->out_h * g->out_w, K = g->k_h * g->k_w * g->in_c;
    const int64_t P = FN(panel_rows_)(g, scratch_rows), n_panels = (M + P - 1) / P;
    if (FN(panel_parallel_)(g, scratch_rows, M, n_threads, data)) {
#pragma omp parallel num_threads(n_threads)
        {
#ifdef _OPENMP
            T *mine = scratch + (int64_t)omp_get_thread_num() * scratch_rows * K;
#else
            T *mine = scratch;
#endif
#pragma omp for schedule(static)
            for (int64_t p = 0; p < n_panels; ++p) {
                const int64_t r0 = p * P, rows = M - r0 < P ? M - r0 : P;
                FN(conv_panel_)(g, data, in, w, bias, out, r0, rows, mine, 1);
            }
        }
        return;
    }
    for (int64_t r0 = 0; r0 < M; r0 += P)
        FN(conv_panel_)(g, data, in, w, bias, out, r0, M - r0 < P ? M - r0 : P, scratch, n_threads);
}

void FN(fnn_conv2d_forward_)(const fnn_conv_geom *g, const T *restrict x, const T *restrict w,
                             const T *restrict bias, T *restrict y, T *restrict scratch, int64_t scratch_rows,
                             int n_threads)
{
    const int64_t M = g->batch * g->out_h * g->out_w, K = g->k_h * g->k_w * g->in_c, F = g->out_c;
    if (M <= 0 || F <= 0) return;
    if (conv_is_pointwise(g)) {
        GEMM(0, 0, M, F, K, 1, x, K, w, F, 0, y, F, bias, n_threads);
        return;
    }
    FN(conv_panels_)(g, 0, x, w, bias, y, scratch, scratch_rows, n_threads);
}

void FN(fnn_conv2d_backward_data_)(const fnn_conv_geom *g, const T *restrict dy, const T *restrict w,
                                   T *restrict dx, T *restrict scratch, int64_t scratch_rows, int n_threads)
{
    const int64_t M = g->batch * g->out_h * g->out_w, K = g->k_h * g->k_w * g->in_c, F = g->out_c;
    const int64_t n_dx = g->batch * g->in_h * g->in_w * g->in_c;
    if (conv_is_pointwise(g) && M > 0) {
        /* dx = dy @ w^T, overwritten (beta = 0) */
        GEMM(0, 1, M, K, F, 1, dy, F, w, F, 0, dx, K, NULL, n_threads);
        return;
    }
    FN(fill_zero_)(dx, n_dx, n_threads);
    if (M <= 0) return;
    FN(conv_panels_)(g, 1, dy, w, NULL, dx, scratch, scratch_rows, n_threads);
}

/* The filter gradient of many panels is split into CONV_FILTER_LANES fixed lanes of consecutive panels: lane 0
 * accumulates straight into dw, lanes 1.. into zeroed partials that are then added to dw in lane order.
 * The lane count depends only on the geometry (never on n_threads), so threads can each run whole lanes
 * (single-threaded im2col and GEMM, few synchronisations) and the bits stay the same for any n_threads. */
static int FN(filter_lanes_)(int64_t n_panels, int64_t K, int64_t F)
{
    const int64_t partial_bytes = (CONV_FILTER_LANES - 1) * K * F * (int64_t)sizeof(T);
    return n_panels >= CONV_FILTER_LANES && partial_bytes <= ((int64_t)64 << 20) ? CONV_FILTER_LANES : 1;
}

void FN(fnn_conv2d_backward_filter_)(const fnn_conv_geom *g, const T *restrict x, const T *restrict dy,
                                     T *restrict dw, T *restrict db, T *restrict scratch, int64_t scratch_rows,
                                     int n_threads)
{
    const int64_t M = g->batch * g->out_h * g->out_w, K = g->k_h * g->k_w * g->in_c, F = g->out_c;
    if (M <= 0 || F <= 0) return;
    if (db) COLSUM(M, F, dy, db, n_threads);
    if (conv_is_pointwise(g)) {
        GEMM(1, 0, K, F, M, 1, x, K, dy, F, 1, dw, F, NULL, n_threads);
        return;
    }
    const int64_t P = FN(panel_rows_)(g, scratch_rows), n_panels = (M + P - 1) / P;
    const int lanes = FN(filter_lanes_)(n_panels, K, F);
    T *partial = lanes > 1 ? malloc(sizeof(T) * (size_t)((lanes - 1) * K * F)) : NULL;
    if (partial) {
        const int nt = n_threads < lanes ? (n_threads > 0 ? n_threads : 1) : lanes;
#pragma omp parallel num_threads(nt) if (nt > 1)
        {
            /* Stride by the team actually running (a serial build, or a runtime granting fewer threads
             * than asked, gives fewer than nt), so every lane is computed exactly once. */
#ifdef _OPENMP
            const int tid = omp_get_thread_num(), team = omp_get_num_threads();
#else
            const int tid = 0, team = 1;
#endif
            T *mine = scratch + (int64_t)tid * scratch_rows * K;
            for (int l = tid; l < lanes; l += team) {
                T *acc = l == 0 ? dw : partial + (int64_t)(l - 1) * K * F;
                const int64_t p_lo = l * n_panels / lanes, p_hi = (l + 1) * n_panels / lanes;
                for (int64_t p = p_lo; p < p_hi; ++p) {
                    const int64_t r0 = p * P, rows = M - r0 < P ? M - r0 : P;
                    FN(fnn_im2col_)(g, x, r0, rows, mine, 1);
                    /* lane 0 adds onto dw's old contents; the other lanes start from zero (beta = 0) */
                    const T beta = (l == 0 || p > p_lo) ? 1 : 0;
                    GEMM(1, 0, K, F, rows, 1, mine, K, dy + r0 * F, F, beta, acc, F, NULL, 1);
                }
            }
        }
        for (int l = 1; l < lanes; ++l) {
            const T *restrict src = partial + (int64_t)(l - 1) * K * F;
            for (int64_t i = 0; i < K * F; ++i) dw[i] += src[i];
        }
        free(partial);
        return;
    }
    /* few panels (or no memory for the partials): panels in order, threads inside im2col and the GEMM */
    for (int64_t r0 = 0; r0 < M; r0 += P) {
        const int64_t rows = M - r0 < P ? M - r0 : P;
        FN(fnn_im2col_)(g, x, r0, rows, scratch, n_threads);
        /* dw += col^T @ dy_panel (beta = 1: panels accumulate in ascending order) */
        GEMM(1, 0, K, F, rows, 1, scratch, K, dy + r0 * F, F, 1, dw, F, NULL, n_threads);
    }
}

/* ---- direct references ---- */

#define REF_LOOP_BEGIN                                                                           \
    for (int64_t n = 0; n < g->batch; ++n)                                                       \
        for (int64_t oh = 0; oh < g->out_h; ++oh)                                                \
            for (int64_t ow = 0; ow < g->out_w; ++ow)                                            \
                for (int64_t i = 0; i < g->k_h; ++i)                                             \
                    for (int64_t j = 0; j < g->k_w; ++j) {                                       \
                        const int64_t ih = oh * g->stride_h - g->pad_top + i * g->dil_h;         \
                        const int64_t iw = ow * g->stride_w - g->pad_left + j * g->dil_w;        \
                        if (ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w) continue;        \
                        const int64_t xo = ((n * g->in_h + ih) * g->in_w + iw) * g->in_c;        \
                        const int64_t yo = ((n * g->out_h + oh) * g->out_w + ow) * g->out_c;     \
                        const int64_t wo = (i * g->k_w + j) * g->in_c * g->out_c;                \
                        for (int64_t c = 0; c < g->in_c; ++c)                                    \
                            for (int64_t f = 0; f < g->out_c; ++f)

void FN(fnn_conv2d_forward_ref_)(const fnn_conv_geom *g, const T *x, const T *w, const T *bias, T *y)
{
    const int64_t M = g->batch * g->out_h * g->out_w, F = g->out_c;
    for (int64_t r = 0; r < M; ++r)
        for (int64_t f = 0; f < F; ++f) y[r * F + f] = bias ? bias[f] : 0;
    REF_LOOP_BEGIN y[yo + f] += x[xo + c] * w[wo + c * F + f];
    }
}

void FN(fnn_conv2d_backward_data_ref_)(const fnn_conv_geom *g, const T *dy, const T *w, T *dx)
{
    const int64_t F = g->out_c, n_dx = g->batch * g->in_h * g->in_w * g->in_c;
    for (int64_t e = 0; e < n_dx; ++e) dx[e] = 0;
    REF_LOOP_BEGIN dx[xo + c] += dy[yo + f] * w[wo + c * F + f];
    }
}

void FN(fnn_conv2d_backward_filter_ref_)(const fnn_conv_geom *g, const T *x, const T *dy, T *dw, T *db)
{
    const int64_t M = g->batch * g->out_h * g->out_w, F = g->out_c;
    if (db)
        for (int64_t r = 0; r < M; ++r)
            for (int64_t f = 0; f < F; ++f) db[f] += dy[r * F + f];
    REF_LOOP_BEGIN dw[wo + c * F + f] += x[xo + c] * dy[yo + f];
    }
}

#undef REF_LOOP_BEGIN
#undef FN
