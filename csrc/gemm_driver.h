/* GEMM driver, instantiated once per dtype by gemm.c (GD_T float|double, GD_SFX f32|f64, and the three
 * micro-kernels GD_UKR_GENERIC / GD_UKR_AVX2 / GD_UKR_AVX512 with their MR/NR).
 *
 * Structure (BLIS-like, see docs/GEMM.md):
 *  - k is cut into nkb = ceil(k / KC) blocks of near-equal size (a function of k only). Block 0 computes
 *    C = alpha*acc + beta*C, later blocks C = alpha*acc + C, the last one adds bias. Every path and every
 *    thread partition below runs exactly this per-element sequence with the same micro-kernel, so C is
 *    bit-identical for any n_threads (and whichever engine the shape picks).
 *  - "packed" engine (m and n both large): a KC x NC block of B is packed once into shared k-major
 *    micro-panels by all threads (barrier), then each thread owns a contiguous range of MR-row groups,
 *    packs MC x KC blocks of A into its own buffer and sweeps the B panels.
 *  - "direct" engine (small m or small n: the network shapes): A is never packed, the kernel broadcasts
 *    straight from the caller's rows; each thread packs the B panels it uses into its own buffer, so
 *    threads split either n (small GEMMs, no duplicated packing) or m (skinny im2col GEMMs).
 * No buffer allocation failure is fatal: the packed engine falls back to the direct one, and the direct
 * one to a single KC x NR panel on the thread's stack.
 */
#define GD_CAT_(a, b) a##b
#define GD_CAT(a, b) GD_CAT_(a, b)
#define GD(name) GD_CAT(name, GD_CAT(_, GD_SFX))

typedef void (*GD(ukr_fn))(int64_t kc, const GD_T *a, int64_t rs_a, int64_t cs_a, const GD_T *restrict b,
                           GD_T *c, int64_t ldc, int mr, int nr, GD_T alpha, GD_T beta, const GD_T *bias);
typedef void (*GD(rows_fn))(int64_t kc, const GD_T *a, int64_t rs_a, int64_t cs_a, const GD_T *b, int64_t ldb,
                            GD_T *c, int64_t ldc, int mr, int nr, GD_T alpha, GD_T beta, const GD_T *bias);

/* Everything one call needs, shared read-only by the threads. */
typedef struct {
    GD(ukr_fn) ukr;
    GD(rows_fn) rows; /* few-row kernel reading op(B) = B in place (m <= FNN_ROWS_M_MAX) */
    /* optional vectorized transposing pack of one B micro-panel (see gemm_kernel.h), NULL: scalar */
    void (*packbt)(int64_t kc, int64_t w, const GD_T *s, int64_t ldb, GD_T *restrict d);
    int mr, nr;
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    GD_T alpha, beta;
    const GD_T *A, *B, *bias;
    GD_T *C;
    int64_t nkb; /* number of k blocks */
} GD(job);

/* Block b of the even k split: [start, start + len). */
static inline void GD(kblock)(const GD(job) *g, int64_t b, int64_t *start, int64_t *len)
{
    int64_t base = g->k / g->nkb, rem = g->k % g->nkb;
    *start = b * base + (b < rem ? b : rem);
    *len = base + (b < rem);
}

/* Pack panels [pan0, pan1) of the kc x nc block of op(B) starting at (pc, jc) into dst (k-major
 * kc x NR micro-panels, panel q at dst + q*kc*NR, columns past nc zero-filled). Overwrites dst. */
static void GD(pack_b)(const GD(job) *g, int64_t pc, int64_t kc, int64_t jc, int64_t nc, int64_t pan0,
                       int64_t pan1, GD_T *restrict dst)
{
    const int NR = g->nr;
    for (int64_t q = pan0; q < pan1; ++q) {
        int64_t j0 = q * NR, w = nc - j0 < NR ? nc - j0 : NR;
        GD_T *restrict d = dst + q * kc * NR;
        if (!g->tb) {
            /* op(B)(p, j) = B[p*ldb + j]: each k row of the panel is a contiguous copy. */
            const GD_T *s = g->B + pc * g->ldb + jc + j0;
            for (int64_t p = 0; p < kc; ++p) {
                memcpy(d + p * NR, s + p * g->ldb, sizeof(GD_T) * w);
                if (w < NR) memset(d + p * NR + w, 0, sizeof(GD_T) * (NR - w));
            }
        } else {
            /* op(B)(p, j) = B[j*ldb + p]: a transpose, done in 8-deep k strips so each source row
             * is read in cache-line runs while the destination strip stays in L1. */
            const GD_T *s = g->B + (jc + j0) * g->ldb + pc;
            if (g->packbt) {
                g->packbt(kc, w, s, g->ldb, d);
                continue;
            }
            for (int64_t p0 = 0; p0 < kc; p0 += 8) {
                int64_t pl = kc - p0 < 8 ? kc - p0 : 8;
                for (int64_t j = 0; j < w; ++j) {
                    const GD_T *sj = s + j * g->ldb + p0;
                    for (int64_t pp = 0; pp < pl; ++pp) d[(p0 + pp) * NR + j] = sj[pp];
                }
                if (w < NR)
                    for (int64_t pp = 0; pp < pl; ++pp)
                        memset(d + (p0 + pp) * NR + w, 0, sizeof(GD_T) * (NR - w));
            }
        }
    }
}

/* Pack rows [ic, ic+mc) x k block [pc, pc+kc) of op(A) into MR-row micro-panels (k-major, panel r at
 * dst + r*kc*MR, rows past mc zero-filled). Overwrites dst. MR is a literal at each call site. */
static inline __attribute__((always_inline)) void GD(pack_a_body)(const GD(job) *g, int64_t ic, int64_t mc,
                                                                 int64_t pc, int64_t kc, GD_T *restrict dst,
                                                                 const int MR)
{
    for (int64_t r0 = 0; r0 < mc; r0 += MR) {
        int64_t h = mc - r0 < MR ? mc - r0 : MR;
        GD_T *restrict d = dst + (r0 / MR) * kc * MR;
        if (g->ta) {
            /* op(A)(i, p) = A[p*lda + i]: MR adjacent elements per k step. */
            const GD_T *s = g->A + pc * g->lda + ic + r0;
            for (int64_t p = 0; p < kc; ++p)
                for (int i = 0; i < MR; ++i) d[p * MR + i] = i < h ? s[p * g->lda + i] : 0;
        } else if (h == MR) {
            const GD_T *rows[8];
            for (int i = 0; i < MR; ++i) rows[i] = g->A + (ic + r0 + i) * g->lda + pc;
            for (int64_t p = 0; p < kc; ++p)
                for (int i = 0; i < MR; ++i) d[p * MR + i] = rows[i][p];
        } else {
            for (int64_t p = 0; p < kc; ++p)
                for (int i = 0; i < MR; ++i) d[p * MR + i] = i < h ? g->A[(ic + r0 + i) * g->lda + pc + p] : 0;
        }
    }
}

static void GD(pack_a)(const GD(job) *g, int64_t ic, int64_t mc, int64_t pc, int64_t kc, GD_T *dst)
{
    if (g->mr == 6) GD(pack_a_body)(g, ic, mc, pc, kc, dst, 6);
    else GD(pack_a_body)(g, ic, mc, pc, kc, dst, 4);
}

/* The micro-kernel over rows [i0, i1) (in chunks of mcd rows) x columns [jc, jc + nc) of C for the k
 * block (pc, kc), A read in place, B's packed panels for those columns at bp (panel q at bp + q*kc*NR);
 * bias (or NULL) points at column jc. Shared by the direct engine and the pre-packed-B products. */
static void GD(sweep)(const GD(job) *g, int64_t i0, int64_t i1, int64_t mcd, int64_t jc, int64_t nc, int64_t pc,
                      int64_t kc, const GD_T *bp, GD_T beta, const GD_T *bias)
{
    const int MR = g->mr, NR = g->nr;
    const int64_t rs = g->ta ? 1 : g->lda, cs = g->ta ? g->lda : 1;
    for (int64_t ic = i0; ic < i1; ic += mcd) {
        int64_t ie = i1 - ic < mcd ? i1 : ic + mcd;
        for (int64_t jr = 0; jr < nc; jr += NR) {
            int nr = nc - jr < NR ? (int)(nc - jr) : NR;
            const GD_T *panel = bp + (jr / NR) * kc * NR;
            for (int64_t i = ic; i < ie; i += MR) {
                int mr = ie - i < MR ? (int)(ie - i) : MR;
                g->ukr(kc, g->A + i * rs + pc * cs, rs, cs, panel, g->C + i * g->ldc + jc + jr, g->ldc, mr, nr,
                       g->alpha, beta, bias ? bias + jr : NULL);
            }
        }
    }
}

/* Direct engine, one thread's share: rows [i0, i1) x columns [j0, j1) of C, A read in place.
 * buf holds kc_max x ncd packed B (ncd a multiple of NR). */
static void GD(direct_part)(const GD(job) *g, int64_t i0, int64_t i1, int64_t j0, int64_t j1, GD_T *buf,
                            int64_t ncd, int64_t mcd)
{
    const int NR = g->nr;
    for (int64_t jc = j0; jc < j1; jc += ncd) {
        int64_t nc = j1 - jc < ncd ? j1 - jc : ncd;
        for (int64_t b = 0; b < g->nkb; ++b) {
            int64_t pc, kc;
            GD(kblock)(g, b, &pc, &kc);
            GD(pack_b)(g, pc, kc, jc, nc, 0, (nc + NR - 1) / NR, buf);
            GD(sweep)(g, i0, i1, mcd, jc, nc, pc, kc, buf, b == 0 ? g->beta : (GD_T)1,
                      b == g->nkb - 1 && g->bias ? g->bias + jc : NULL);
        }
    }
}

/* Last resort when no heap buffer is available: one KC x NR panel on this thread's stack (96 KiB). */
static __attribute__((noinline)) void GD(direct_part_stack)(const GD(job) *g, int64_t i0, int64_t i1, int64_t j0,
                                                            int64_t j1, int64_t mcd)
{
    GD_T panel[FNN_KC * FNN_NR_MAX_BYTES / sizeof(GD_T)] __attribute__((aligned(64)));
    GD(direct_part)(g, i0, i1, j0, j1, panel, g->nr, mcd);
}

/* Split units [0, total) evenly: part t of nt. */
static inline void GD(split)(int64_t total, int t, int nt, int64_t *lo, int64_t *hi)
{
    *lo = total * t / nt;
    *hi = total * (t + 1) / nt;
}

/* Threads of the direct engine and of the pre-packed-B products take NR-column panels (n) or MR-row groups
 * (m), whichever leaves the smaller largest share, n on a tie (no duplicated B packing). Returns 1 for n;
 * *units is the number of units split, *nthreads is clipped to it. */
static int GD(choose_split)(int64_t gm, int64_t gn, int *nthreads, int64_t *units)
{
    const int64_t cost_n = (gn + *nthreads - 1) / *nthreads * gm, cost_m = (gm + *nthreads - 1) / *nthreads * gn;
    const int split_n = cost_n <= cost_m;
    *units = split_n ? gn : gm;
    if (*nthreads > *units) *nthreads = (int)*units;
    return split_n;
}

/* Thread t of nt under that split: its rows [*i0, *i1) and columns [*j0, *j1) of C. */
static void GD(thread_tiles)(const GD(job) *g, int split_n, int64_t units, int t, int nt, int64_t *i0, int64_t *i1,
                             int64_t *j0, int64_t *j1)
{
    int64_t lo, hi;
    GD(split)(units, t, nt, &lo, &hi);
    *i0 = 0, *i1 = g->m, *j0 = 0, *j1 = g->n;
    if (split_n) {
        *j0 = lo * g->nr;
        *j1 = hi * g->nr < g->n ? hi * g->nr : g->n;
    } else {
        *i0 = lo * g->mr;
        *i1 = hi * g->mr < g->m ? hi * g->mr : g->m;
    }
}

static void GD(run_direct)(const GD(job) *g, int nthreads, int64_t kc_max)
{
    const int MR = g->mr, NR = g->nr;
    const int64_t gm = (g->m + MR - 1) / MR, gn = (g->n + NR - 1) / NR;
    int64_t units;
    const int split_n = GD(choose_split)(gm, gn, &nthreads, &units);
    /* Packed B for one thread stays within ~512 KiB of L2 while every row chunk sweeps it. */
    int64_t ncd = (FNN_DIRECT_B_BYTES / ((int64_t)sizeof(GD_T) * kc_max)) / NR * NR;
    if (ncd < NR) ncd = NR;
    int64_t ncols = split_n ? (gn + nthreads - 1) / nthreads * NR : gn * NR;
    if (ncd > ncols) ncd = ncols;
    const int64_t mcd = (sizeof(GD_T) == 4 ? FNN_MC_F32 : FNN_MC_F64) / MR * MR;

    FNN_PARALLEL(nthreads, t, nt, {
        int64_t i0, i1, j0, j1;
        GD(thread_tiles)(g, split_n, units, t, nt, &i0, &i1, &j0, &j1);
        if (i0 < i1 && j0 < j1) {
            GD_T *buf = fnn_pack_alloc(sizeof(GD_T) * kc_max * ncd);
            if (buf) {
                GD(direct_part)(g, i0, i1, j0, j1, buf, ncd, mcd);
                free(buf);
            } else {
                GD(direct_part_stack)(g, i0, i1, j0, j1, mcd);
            }
        }
    });
}

static void GD(run_packed)(const GD(job) *g, int nthreads, int64_t kc_max)
{
    const int MR = g->mr, NR = g->nr;
    const int64_t mc_blk = (sizeof(GD_T) == 4 ? FNN_MC_F32 : FNN_MC_F64) / MR * MR;
    const int64_t nc_max = g->n < FNN_NC ? (g->n + NR - 1) / NR * NR : FNN_NC;
    const int64_t gm = (g->m + MR - 1) / MR;
    if (nthreads > gm) nthreads = (int)gm;
    const size_t a_elems = (size_t)(kc_max * mc_blk + 64);
    /* Two B blocks when there is more than one: block it+1 is packed while slower threads still
     * compute on block it, so one barrier per block suffices (see the loop). */
    const int64_t nblocks = g->nkb * ((g->n + FNN_NC - 1) / FNN_NC);
    const size_t b_elems = (size_t)(kc_max * nc_max);
    GD_T *bbuf = fnn_pack_alloc(sizeof(GD_T) * b_elems * (nblocks > 1 ? 2 : 1));
    GD_T *abuf = bbuf ? fnn_pack_alloc(sizeof(GD_T) * a_elems * nthreads) : NULL;
    if (!abuf) {
        free(bbuf);
        GD(run_direct)(g, nthreads, kc_max);
        return;
    }

    FNN_PARALLEL(nthreads, t, nt, {
        GD_T *mya = abuf + a_elems * t;
        int64_t lo, hi;
        GD(split)(gm, t, nt, &lo, &hi);
        const int64_t i0 = lo * MR, i1 = hi * MR < g->m ? hi * MR : g->m;
        int64_t it = 0;
        for (int64_t jc = 0; jc < g->n; jc += FNN_NC) {
            int64_t nc = g->n - jc < FNN_NC ? g->n - jc : FNN_NC, npan = (nc + NR - 1) / NR;
            for (int64_t b = 0; b < g->nkb; ++b) {
                int64_t pc, kc, q0, q1;
                GD(kblock)(g, b, &pc, &kc);
                GD(split)(npan, t, nt, &q0, &q1);
                /* Safe to overwrite: every thread passed the previous barrier, so it finished the
                 * block that used this buffer two iterations ago. */
                GD_T *bblk = bbuf + (it++ & 1) * b_elems;
                GD(pack_b)(g, pc, kc, jc, nc, q0, q1, bblk);
                if (nt > 1) { FNN_PRAGMA(omp barrier) }
                GD_T beta = b == 0 ? g->beta : (GD_T)1;
                const GD_T *bias = b == g->nkb - 1 && g->bias ? g->bias + jc : NULL;
                for (int64_t ic = i0; ic < i1; ic += mc_blk) {
                    int64_t mc = i1 - ic < mc_blk ? i1 - ic : mc_blk;
                    GD(pack_a)(g, ic, mc, pc, kc, mya);
                    for (int64_t jr = 0; jr < nc; jr += NR) {
                        int nr = nc - jr < NR ? (int)(nc - jr) : NR;
                        const GD_T *bp = bblk + (jr / NR) * kc * NR;
                        for (int64_t ir = 0; ir < mc; ir += MR) {
                            int mr = mc - ir < MR ? (int)(mc - ir) : MR;
                            g->ukr(kc, mya + (ir / MR) * kc * MR, 1, MR, bp, g->C + (ic + ir) * g->ldc + jc + jr,
                                   g->ldc, mr, nr, g->alpha, beta, bias ? bias + jr : NULL);
                        }
                    }
                }
            }
        }
    });
    free(abuf);
    free(bbuf);
}

/* Few rows (m <= FNN_ROWS_M_MAX) and op(B) = B: nothing is packed. Threads take NR-wide column panels;
 * each panel runs the k blocks in order with the few-row kernel, which computes every element exactly as
 * the micro-kernel does (same FMA chain per block, same epilogue), so the bits match the other engines. */
static void GD(run_rows)(const GD(job) *g, int nthreads)
{
    const int NR = g->nr;
    const int64_t gn = (g->n + NR - 1) / NR;
    const int64_t rs = g->ta ? 1 : g->lda, cs = g->ta ? g->lda : 1;
    if (nthreads > gn) nthreads = (int)gn;
    FNN_PARALLEL(nthreads, t, nt, {
        int64_t lo, hi;
        GD(split)(gn, t, nt, &lo, &hi);
        for (int64_t q = lo; q < hi; ++q) {
            int64_t jc = q * NR;
            int nr = g->n - jc < NR ? (int)(g->n - jc) : NR;
            for (int64_t b = 0; b < g->nkb; ++b) {
                int64_t pc, kc;
                GD(kblock)(g, b, &pc, &kc);
                GD_T beta = b == 0 ? g->beta : (GD_T)1;
                const GD_T *bias = b == g->nkb - 1 && g->bias ? g->bias + jc : NULL;
                g->rows(kc, g->A + pc * cs, rs, cs, g->B + pc * g->ldb + jc, g->ldb, g->C + jc, g->ldc, (int)g->m, nr,
                        g->alpha, beta, bias);
            }
        }
    });
}

/* k == 0 or alpha == 0 (BLAS convention: A and B are not read): C = beta*C (+ bias), overwriting
 * when beta == 0. Element-wise, so any row split gives the same bits. */
static void GD(scale_only)(int64_t m, int64_t n, GD_T beta, GD_T *C, int64_t ldc, const GD_T *bias, int nthreads)
{
    FNN_PARALLEL_FOR(nthreads, for (int64_t i = 0; i < m; ++i) {
        GD_T *c = C + i * ldc;
        for (int64_t j = 0; j < n; ++j) {
            GD_T out = beta == 0 ? (GD_T)0 : beta * c[j];
            if (bias) out += bias[j];
            c[j] = out;
        }
    });
}

/* The micro-kernels and tile sizes of the active ISA. */
static void GD(job_isa)(GD(job) *g)
{
    switch (fnn_isa_active()) {
#if FNN_X86
    case FNN_ISA_AVX512:
        g->ukr = GD_UKR_AVX512; g->rows = GD_ROWS_AVX512; g->packbt = GD_PACKBT_AVX512;
        g->mr = GD_MR_AVX512; g->nr = GD_NR_AVX512;
        break;
    case FNN_ISA_AVX2: g->ukr = GD_UKR_AVX2; g->rows = GD_ROWS_AVX2; g->mr = GD_MR_AVX2; g->nr = GD_NR_AVX2; break;
#endif
    default:
        g->ukr = GD_UKR_GENERIC; g->rows = GD_ROWS_GENERIC; g->mr = GD_MR_GENERIC; g->nr = GD_NR_GENERIC;
        break;
    }
}

/* ---- B packed once for many products (a recurrent kernel reused at every time step) ----
 * Layout: for each k block b (the same even KC split as every product), the NR-wide micro-panels of
 * all n columns, panel q of block b at Bp + pc_b * npan * NR + q * kc_b * NR. Depends on the ISA level
 * (NR), which must not change between packing and use. */
int64_t GD(fnn_gemm_packed_b_len)(int64_t n, int64_t k)
{
    GD(job) g = {0};
    GD(job_isa)(&g);
    const int64_t npan = (n + g.nr - 1) / g.nr;
    return npan * g.nr * (k > 0 ? k : 0);
}

void GD(fnn_gemm_pack_b)(int trans_b, int64_t n, int64_t k, const GD_T *B, int64_t ldb, GD_T *Bp)
{
    if (n <= 0 || k <= 0) return;
    GD(job) g = {0};
    GD(job_isa)(&g);
    g.tb = trans_b; g.n = n; g.k = k; g.ldb = ldb; g.B = B;
    g.nkb = (k + FNN_KC - 1) / FNN_KC;
    const int64_t npan = (n + g.nr - 1) / g.nr;
    for (int64_t b = 0; b < g.nkb; ++b) {
        int64_t pc, kc;
        GD(kblock)(&g, b, &pc, &kc);
        GD(pack_b)(&g, pc, kc, 0, n, 0, npan, Bp + pc * npan * g.nr);
    }
}

/* C = alpha * op(A) @ B + beta * C (+ bias) with B from fnn_gemm_pack_b. For m > FNN_ROWS_M_MAX the
 * bits equal fnn_gemm's (same micro-kernel, k blocks and epilogue; only the packing is skipped). */
void GD(fnn_gemm_packed)(int trans_a, int64_t m, int64_t n, int64_t k, GD_T alpha, const GD_T *A, int64_t lda,
                         const GD_T *Bp, GD_T beta, GD_T *C, int64_t ldc, const GD_T *bias, int n_threads)
{
    if (m <= 0 || n <= 0) return;
    int nthreads = n_threads < 1 ? 1 : n_threads;
    if (2.0 * (double)m * (double)n * (double)(k > 0 ? k : 1) < FNN_MT_MIN_FLOP) nthreads = 1;
    if (k <= 0 || alpha == 0) {
        GD(scale_only)(m, n, beta, C, ldc, bias, (double)m * n < 1e6 ? 1 : nthreads);
        return;
    }
    GD(job) g = {0};
    GD(job_isa)(&g);
    g.ta = trans_a; g.m = m; g.n = n; g.k = k; g.lda = lda; g.ldc = ldc;
    g.alpha = alpha; g.beta = beta; g.A = A; g.C = C; g.bias = bias;
    g.nkb = (k + FNN_KC - 1) / FNN_KC;
    const int MR = g.mr, NR = g.nr;
    const int64_t gm = (m + MR - 1) / MR, npan = (n + NR - 1) / NR;
    int64_t units;
    const int split_n = GD(choose_split)(gm, npan, &nthreads, &units); /* B is already packed and shared */
    const int64_t mcd = (sizeof(GD_T) == 4 ? FNN_MC_F32 : FNN_MC_F64) / MR * MR;
    FNN_PARALLEL(nthreads, t, nt, {
        int64_t i0, i1, j0, j1;
        GD(thread_tiles)(&g, split_n, units, t, nt, &i0, &i1, &j0, &j1);
        for (int64_t b = 0; i0 < i1 && j0 < j1 && b < g.nkb; ++b) {
            int64_t pc, kc;
            GD(kblock)(&g, b, &pc, &kc);
            GD(sweep)(&g, i0, i1, mcd, j0, j1 - j0, pc, kc, Bp + pc * npan * NR + (j0 / NR) * kc * NR,
                      b == 0 ? beta : (GD_T)1, b == g.nkb - 1 && bias ? bias + j0 : NULL);
        }
    });
}

void GD(fnn_gemm)(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, GD_T alpha, const GD_T *A, int64_t lda,
                  const GD_T *B, int64_t ldb, GD_T beta, GD_T *C, int64_t ldc, const GD_T *bias, int n_threads)
{
    if (m <= 0 || n <= 0) return;
    int nthreads = n_threads < 1 ? 1 : n_threads;
    const int few_rows = m <= FNN_ROWS_M_MAX && !trans_b;
    /* Below ~2 MFLOP a thread team costs more than it saves, except for few-row products, which are
     * bound by reading B: two cores each stream (and keep in their L2) half of a B above ~256 KiB.
     * Only speed depends on this. */
    if (few_rows ? (double)n * (double)k * sizeof(GD_T) < FNN_ROWS_MT_MIN_BYTES
                 : 2.0 * (double)m * (double)n * (double)(k > 0 ? k : 1) < FNN_MT_MIN_FLOP)
        nthreads = 1;
    if (k <= 0 || alpha == 0) {
        GD(scale_only)(m, n, beta, C, ldc, bias, (double)m * n < 1e6 ? 1 : nthreads);
        return;
    }
    GD(job) g = {0};
    GD(job_isa)(&g);
    g.ta = trans_a; g.tb = trans_b;
    g.m = m; g.n = n; g.k = k; g.lda = lda; g.ldb = ldb; g.ldc = ldc;
    g.alpha = alpha; g.beta = beta; g.A = A; g.B = B; g.C = C; g.bias = bias;
    g.nkb = (k + FNN_KC - 1) / FNN_KC;
    const int64_t kc_max = (k + g.nkb - 1) / g.nkb;
    /* Packing A pays off only when each packed A block is reused across many B panels and the
     * B block across many rows; the network shapes (small m or small n) read A in place. */
    if (few_rows)
        GD(run_rows)(&g, nthreads);
    else if (m > FNN_DIRECT_M_MAX && n > FNN_DIRECT_N_MAX)
        GD(run_packed)(&g, nthreads, kc_max);
    else
        GD(run_direct)(&g, nthreads, kc_max);
}

#undef GD
#undef GD_CAT
#undef GD_CAT_
