/* One register-blocked GEMM micro-kernel, instantiated once per (ISA, dtype) by gemm.c.
 *
 * Before including, define:
 *   GK_T    float or double, and GK_T_F32 1 for float, 0 for double
 *   GK_ISA  0 generic (GCC vector extensions, SSE2 baseline), 1 AVX2+FMA, 2 AVX-512
 *   GK_NAME the function name to define
 * and afterwards GK_MR / GK_NR tell the driver the register block. Everything is #undef'd by the next
 * inclusion, so the header can be included any number of times.
 *
 * The kernel computes a MR x NR tile of C (mr <= MR rows and nr <= NR columns are stored):
 *   acc[i][j] = sum_{p < kc} a(i, p) * b[p*NR + j]       (one FMA chain per element, p ascending)
 *   C[i][j]   = alpha * acc  (+ beta * C when beta != 0; C is not read when beta == 0)  (+ bias[j])
 * a(i, p) = a[i*rs_a + p*cs_a]: packed A (rs 1, cs MR), row-major A (rs lda, cs 1) or transposed A
 * (rs 1, cs lda), so the skinny/small paths broadcast straight from the caller's matrix.
 * b is a packed, 64-byte aligned, zero-padded kc x NR micro-panel (k-major).
 * The arithmetic for an element never depends on mr, nr or the tile it sits in: full and masked edge
 * tiles run the same FMA chain and the same epilogue, which is what makes every thread partition give
 * bit-identical results.
 */

#undef GK_MR
#undef GK_NV
#undef GK_VL
#undef GK_NR
#undef GK_VEC
#undef GK_MASK
#undef GK_TARGET
#undef V_ZERO
#undef V_SET1
#undef V_LOADA
#undef V_LOADU
#undef V_STOREU
#undef V_FMA
#undef V_MUL
#undef V_ADD
#undef M_FIRST
#undef V_MLOAD
#undef V_MSTORE

#if GK_ISA == 2
/* AVX-512: 6 rows x 4 zmm = 24 accumulators, 4 B loads + 6 broadcasts per k step. */
#define GK_MR 6
#define GK_NV 4
#define GK_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#if GK_T_F32
#define GK_VL 16
#define GK_VEC __m512
#define GK_MASK __mmask16
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(x) _mm512_set1_ps(x)
#define V_LOADA(p) _mm512_load_ps(p)
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define M_FIRST(n) ((__mmask16)((1u << (n)) - 1u))
#define V_MLOAD(p, m) _mm512_maskz_loadu_ps((m), (p))
#define V_MSTORE(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#else
#define GK_VL 8
#define GK_VEC __m512d
#define GK_MASK __mmask8
#define V_ZERO() _mm512_setzero_pd()
#define V_SET1(x) _mm512_set1_pd(x)
#define V_LOADA(p) _mm512_load_pd(p)
#define V_LOADU(p) _mm512_loadu_pd(p)
#define V_STOREU(p, v) _mm512_storeu_pd((p), (v))
#define V_FMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define V_MUL(a, b) _mm512_mul_pd((a), (b))
#define V_ADD(a, b) _mm512_add_pd((a), (b))
#define M_FIRST(n) ((__mmask8)((1u << (n)) - 1u))
#define V_MLOAD(p, m) _mm512_maskz_loadu_pd((m), (p))
#define V_MSTORE(p, m, v) _mm512_mask_storeu_pd((p), (m), (v))
#endif

#elif GK_ISA == 1
/* AVX2+FMA: 6 rows x 2 ymm = 12 accumulators (16 ymm registers in all). */
#define GK_MR 6
#define GK_NV 2
#define GK_TARGET __attribute__((target("avx2,fma")))
#define GK_MASK __m256i
#if GK_T_F32
#define GK_VL 8
#define GK_VEC __m256
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(x) _mm256_set1_ps(x)
#define V_LOADA(p) _mm256_load_ps(p)
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define M_FIRST(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_MLOAD(p, m) _mm256_maskload_ps((p), (m))
#define V_MSTORE(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#else
#define GK_VL 4
#define GK_VEC __m256d
#define V_ZERO() _mm256_setzero_pd()
#define V_SET1(x) _mm256_set1_pd(x)
#define V_LOADA(p) _mm256_load_pd(p)
#define V_LOADU(p) _mm256_loadu_pd(p)
#define V_STOREU(p, v) _mm256_storeu_pd((p), (v))
#define V_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define V_MUL(a, b) _mm256_mul_pd((a), (b))
#define V_ADD(a, b) _mm256_add_pd((a), (b))
#define M_FIRST(n) _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3))
#define V_MLOAD(p, m) _mm256_maskload_pd((p), (m))
#define V_MSTORE(p, m, v) _mm256_maskstore_pd((p), (m), (v))
#endif

#else
/* Generic: 16-byte GCC vectors (SSE2 on x86-64, NEON elsewhere), 4 rows x 2 vectors; no FMA, so
 * a*b + c is a multiply and an add (-ffp-contract cannot fuse without an FMA instruction). */
#define GK_MR 4
#define GK_NV 2
#define GK_TARGET
#define GK_VL (16 / (int)sizeof(GK_T))
#define GK_MASK int
#if GK_T_F32
#define GK_VEC fnn_gv4f
#define V_SET1(x) ((fnn_gv4f){(x), (x), (x), (x)})
#else
#define GK_VEC fnn_gv2d
#define V_SET1(x) ((fnn_gv2d){(x), (x)})
#endif
#define V_ZERO() V_SET1((GK_T)0)
#define V_LOADA(p) (*(const GK_VEC *)(p))
#define V_LOADU(p) GK_CAT(fnn_gv_loadu_, GK_VEC)(p)
#define V_STOREU(p, v) GK_CAT(fnn_gv_storeu_, GK_VEC)((p), (v))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_MUL(a, b) ((a) * (b))
#define V_ADD(a, b) ((a) + (b))
#define M_FIRST(n) (n)
#define V_MLOAD(p, m) GK_CAT(fnn_gv_mload_, GK_VEC)((p), (m))
#define V_MSTORE(p, m, v) GK_CAT(fnn_gv_mstore_, GK_VEC)((p), (m), (v))
#endif

#define GK_NR (GK_NV * GK_VL)

#define GK_CAT_(a, b) a##b
#define GK_CAT(a, b) GK_CAT_(a, b)
#define GK_BODY GK_CAT(GK_NAME, _body)
#define GK_EPI GK_CAT(GK_NAME, _epilogue)
#define GK_ROWS_BODY GK_CAT(GK_NAME, _rows_body)

/* The k loop. rs/cs are compile-time constants in the common cases (the caller passes literals), so
 * the 6 broadcasts become fixed displacements from one or six pointers; `clamp` re-points rows past
 * mr at row mr-1 so edge tiles of an unpacked A never read outside it. */
static inline __attribute__((always_inline)) GK_TARGET void
GK_BODY(int64_t kc, const GK_T *a, int64_t rs, int64_t cs, const GK_T *restrict b, GK_VEC acc[GK_MR][GK_NV],
        int mr, int clamp, const int nv)
{
    const GK_T *ar[GK_MR];
    _Pragma("GCC unroll 8") for (int i = 0; i < GK_MR; ++i)
        ar[i] = a + (int64_t)(clamp && i >= mr ? mr - 1 : i) * rs;
    _Pragma("GCC unroll 8") for (int i = 0; i < GK_MR; ++i)
        _Pragma("GCC unroll 8") for (int v = 0; v < GK_NV; ++v) acc[i][v] = V_ZERO();
    for (int64_t p = 0; p < kc; ++p) {
        GK_VEC bv[GK_NV];
        _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v) bv[v] = V_LOADA(b + v * GK_VL);
        _Pragma("GCC unroll 8") for (int i = 0; i < GK_MR; ++i) {
            GK_VEC ai = V_SET1(ar[i][p * cs]);
            _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v) acc[i][v] = V_FMA(ai, bv[v], acc[i][v]);
        }
        b += GK_NR;
    }
}

/* Epilogue, identical for full and edge tiles and for both kernels: out = alpha*acc (+ beta*C) (+ bias). */
static inline __attribute__((always_inline)) GK_TARGET void
GK_EPI(GK_VEC acc[GK_MR][GK_NV], GK_T *c, int64_t ldc, int mr, int nr, GK_T alpha, GK_T beta, const GK_T *bias)
{
    const GK_VEC va = V_SET1(alpha), vbeta = V_SET1(beta);
    if (nr == GK_NR) {
        GK_VEC vbias[GK_NV] = {0};
        if (bias)
            _Pragma("GCC unroll 8") for (int v = 0; v < GK_NV; ++v) vbias[v] = V_LOADU(bias + v * GK_VL);
        _Pragma("GCC unroll 8") for (int i = 0; i < GK_MR; ++i) {
            if (i >= mr) break;
            GK_T *ci = c + i * ldc;
            _Pragma("GCC unroll 8") for (int v = 0; v < GK_NV; ++v) {
                GK_VEC out = V_MUL(acc[i][v], va);
                if (beta != 0) out = V_FMA(vbeta, V_LOADU(ci + v * GK_VL), out);
                if (bias) out = V_ADD(out, vbias[v]);
                V_STOREU(ci + v * GK_VL, out);
            }
        }
    } else {
        GK_MASK mk[GK_NV];
        GK_VEC vbias[GK_NV] = {0};
        _Pragma("GCC unroll 8") for (int v = 0; v < GK_NV; ++v) {
            int left = nr - v * GK_VL;
            mk[v] = M_FIRST(left <= 0 ? 0 : left >= GK_VL ? GK_VL : left);
            if (bias) vbias[v] = V_MLOAD(bias + v * GK_VL, mk[v]);
        }
        _Pragma("GCC unroll 8") for (int i = 0; i < GK_MR; ++i) {
            if (i >= mr) break;
            GK_T *ci = c + i * ldc;
            _Pragma("GCC unroll 8") for (int v = 0; v < GK_NV; ++v) {
                if (v * GK_VL >= nr) break;
                GK_VEC out = V_MUL(acc[i][v], va);
                if (beta != 0) out = V_FMA(vbeta, V_MLOAD(ci + v * GK_VL, mk[v]), out);
                if (bias) out = V_ADD(out, vbias[v]);
                V_MSTORE(ci + v * GK_VL, mk[v], out);
            }
        }
    }
}

GK_TARGET static void GK_NAME(int64_t kc, const GK_T *a, int64_t rs_a, int64_t cs_a, const GK_T *restrict b,
                              GK_T *c, int64_t ldc, int mr, int nr, GK_T alpha, GK_T beta, const GK_T *bias)
{
    GK_VEC acc[GK_MR][GK_NV];
#if GK_ISA > 0
    /* Start fetching the C tile now; the epilogue reads (beta != 0, later k blocks) or writes it after
     * kc k steps, long enough for the lines to arrive. */
    _Pragma("GCC unroll 8") for (int i = 0; i < GK_MR; ++i) {
        if (i >= mr) break;
        _Pragma("GCC unroll 8") for (int l = 0; l < GK_NR * (int)sizeof(GK_T); l += 64)
            _mm_prefetch((const char *)(c + i * ldc) + l, _MM_HINT_T0);
    }
#endif
    /* Right-edge tiles compute only the vectors that hold stored columns (same per-element chain). */
    const int nv = (nr + GK_VL - 1) / GK_VL;
#define GK_BY_A(NVC)                                                                            \
    do {                                                                                        \
        if (mr == GK_MR && rs_a == 1 && cs_a == GK_MR)                                          \
            GK_BODY(kc, a, 1, GK_MR, b, acc, mr, 0, NVC);  /* packed A */                        \
        else if (mr == GK_MR && cs_a == 1)                                                      \
            GK_BODY(kc, a, rs_a, 1, b, acc, mr, 0, NVC);   /* row-major A, 6 row pointers */     \
        else if (mr == GK_MR && rs_a == 1)                                                      \
            GK_BODY(kc, a, 1, cs_a, b, acc, mr, 0, NVC);   /* transposed A: adjacent per k */    \
        else                                                                                    \
            GK_BODY(kc, a, rs_a, cs_a, b, acc, mr, 1, NVC); /* bottom edge: rows clamped */     \
    } while (0)
    if (nv >= GK_NV) GK_BY_A(GK_NV);
#if GK_NV > 3
    else if (nv == 3) GK_BY_A(3);
#endif
#if GK_NV > 2
    else if (nv == 2) GK_BY_A(2);
#endif
    else GK_BY_A(1);
#undef GK_BY_A

    GK_EPI(acc, c, ldc, mr, nr, alpha, beta, bias);
}

/* Few-row kernel without packing, for m <= MR with op(B) = B (batch-1 inference, small batches):
 * rows i < mr of a k block, b pointing at op(B)(p0, j0) read in place with row stride ldb, nr <= NR columns.
 *   acc[i][j] = sum_{p < kc} a(i, p) * b[p*ldb + j]   (one FMA chain per element, p ascending)
 * and the same epilogue as the micro-kernel, so an element gets exactly the bits the packed path gives.
 * Edge columns use masked loads (nothing past column nr is read). */
static inline __attribute__((always_inline)) GK_TARGET void
GK_ROWS_BODY(int64_t kc, const GK_T *a, int64_t rs, int64_t cs, const GK_T *b, int64_t ldb, GK_VEC acc[GK_MR][GK_NV],
             const int rows, const int nv, int nr)
{
    GK_MASK mk[GK_NV];
    _Pragma("GCC unroll 8") for (int v = 0; v < GK_NV; ++v) {
        int left = nr - v * GK_VL;
        mk[v] = M_FIRST(left <= 0 ? 0 : left >= GK_VL ? GK_VL : left);
    }
    _Pragma("GCC unroll 8") for (int i = 0; i < GK_MR; ++i)
        _Pragma("GCC unroll 8") for (int v = 0; v < GK_NV; ++v) acc[i][v] = V_ZERO();
    const int full = nr == GK_NR;
    for (int64_t p = 0; p < kc; ++p) {
        GK_VEC bv[GK_NV];
        _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v)
            bv[v] = full ? V_LOADU(b + v * GK_VL) : V_MLOAD(b + v * GK_VL, mk[v]);
        _Pragma("GCC unroll 8") for (int i = 0; i < rows; ++i) {
            GK_VEC ai = V_SET1(a[i * rs + p * cs]);
            _Pragma("GCC unroll 8") for (int v = 0; v < nv; ++v) acc[i][v] = V_FMA(ai, bv[v], acc[i][v]);
        }
        b += ldb;
    }
}

GK_TARGET static void GK_CAT(GK_NAME, _rows)(int64_t kc, const GK_T *a, int64_t rs_a, int64_t cs_a, const GK_T *b,
                                             int64_t ldb, GK_T *c, int64_t ldc, int mr, int nr, GK_T alpha,
                                             GK_T beta, const GK_T *bias)
{
    GK_VEC acc[GK_MR][GK_NV];
    const int nv = (nr + GK_VL - 1) / GK_VL;
    /* Constant row counts let GCC keep every accumulator in a register. */
#define GK_ROWS_BY_NV(R)                                                                     \
    do {                                                                                     \
        if (nv >= GK_NV) GK_ROWS_BODY(kc, a, rs_a, cs_a, b, ldb, acc, R, GK_NV, nr);          \
        else GK_ROWS_BODY(kc, a, rs_a, cs_a, b, ldb, acc, R, nv, nr);                         \
    } while (0)
    switch (mr) {
    case 1: GK_ROWS_BY_NV(1); break;
    case 2: GK_ROWS_BY_NV(2); break;
    case 3: GK_ROWS_BY_NV(3); break;
    default: GK_ROWS_BY_NV(4); break;
    }
#undef GK_ROWS_BY_NV
    GK_EPI(acc, c, ldc, mr, nr, alpha, beta, bias);
}

#undef GK_BODY
#undef GK_EPI
#undef GK_ROWS_BODY

#if GK_ISA == 2
/* Transposing B pack for AVX-512 (op(B) = B^T, the dx = dy @ W^T case): fills one kc x NR micro-panel,
 *   d[p*NR + j] = s[j*ldb + p]  for j < w,   0 for w <= j < NR     (d 64-byte aligned, overwritten)
 * in VL x VL register blocks: VL masked row loads, an in-register transpose (unpack lo/hi within 128-bit
 * lanes, then a 4x4 transpose of the lanes), VL aligned stores. Several times faster than GCC's scalar copy. */
#define GK_PACKBT GK_CAT(GK_NAME, _packbt)
#if GK_T_F32
static inline __attribute__((always_inline)) GK_TARGET void GK_CAT(GK_NAME, _tr)(__m512 r[16])
{
    __m512 a[16], b[16];
    for (int i = 0; i < 8; ++i) {
        a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* b[4i+s], 128-bit lane L: p = 4L+s, j = 4i..4i+3 */
    for (int i = 0; i < 4; ++i) {
        __m512d x0 = _mm512_castps_pd(a[4 * i]), x1 = _mm512_castps_pd(a[4 * i + 1]);
        __m512d x2 = _mm512_castps_pd(a[4 * i + 2]), x3 = _mm512_castps_pd(a[4 * i + 3]);
        b[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(x0, x2));
        b[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(x0, x2));
        b[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(x1, x3));
        b[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(x1, x3));
    }
    /* out[4L+s] lane i = b[4i+s] lane L: a 4x4 transpose of 128-bit lanes per s */
    for (int s = 0; s < 4; ++s) {
        __m512 c0 = _mm512_shuffle_f32x4(b[s], b[4 + s], 0x44), c1 = _mm512_shuffle_f32x4(b[s], b[4 + s], 0xEE);
        __m512 c2 = _mm512_shuffle_f32x4(b[8 + s], b[12 + s], 0x44);
        __m512 c3 = _mm512_shuffle_f32x4(b[8 + s], b[12 + s], 0xEE);
        r[s] = _mm512_shuffle_f32x4(c0, c2, 0x88);
        r[4 + s] = _mm512_shuffle_f32x4(c0, c2, 0xDD);
        r[8 + s] = _mm512_shuffle_f32x4(c1, c3, 0x88);
        r[12 + s] = _mm512_shuffle_f32x4(c1, c3, 0xDD);
    }
}
#define V_STOREA(p, v) _mm512_store_ps((p), (v))
#else
static inline __attribute__((always_inline)) GK_TARGET void GK_CAT(GK_NAME, _tr)(__m512d r[8])
{
    __m512d b[8];
    /* b[2i+s], 128-bit lane L: p = 2L+s, j = 2i, 2i+1 */
    for (int i = 0; i < 4; ++i) {
        b[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
        b[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    }
    for (int s = 0; s < 2; ++s) {
        __m512d c0 = _mm512_shuffle_f64x2(b[s], b[2 + s], 0x44), c1 = _mm512_shuffle_f64x2(b[s], b[2 + s], 0xEE);
        __m512d c2 = _mm512_shuffle_f64x2(b[4 + s], b[6 + s], 0x44);
        __m512d c3 = _mm512_shuffle_f64x2(b[4 + s], b[6 + s], 0xEE);
        r[s] = _mm512_shuffle_f64x2(c0, c2, 0x88);
        r[2 + s] = _mm512_shuffle_f64x2(c0, c2, 0xDD);
        r[4 + s] = _mm512_shuffle_f64x2(c1, c3, 0x88);
        r[6 + s] = _mm512_shuffle_f64x2(c1, c3, 0xDD);
    }
}
#define V_STOREA(p, v) _mm512_store_pd((p), (v))
#endif

GK_TARGET static void GK_PACKBT(int64_t kc, int64_t w, const GK_T *s, int64_t ldb, GK_T *restrict d)
{
    for (int64_t p0 = 0; p0 < kc; p0 += GK_VL) {
        const int pl = kc - p0 < GK_VL ? (int)(kc - p0) : GK_VL;
        const GK_MASK mk = M_FIRST(pl);
        for (int gj = 0; gj < GK_NV; ++gj) {
            GK_VEC r[GK_VL];
            if (gj * GK_VL >= w) {
                for (int q = 0; q < pl; ++q) V_STOREA(d + (p0 + q) * GK_NR + gj * GK_VL, V_ZERO());
                continue;
            }
            _Pragma("GCC unroll 16") for (int j = 0; j < GK_VL; ++j) {
                int64_t jj = gj * GK_VL + j;
                r[j] = jj < w ? V_MLOAD(s + jj * ldb + p0, mk) : V_ZERO();
            }
            GK_CAT(GK_NAME, _tr)(r);
            for (int q = 0; q < pl; ++q) V_STOREA(d + (p0 + q) * GK_NR + gj * GK_VL, r[q]);
        }
    }
}
#undef V_STOREA
#undef GK_PACKBT
#endif
