/* rnn.c body for one dtype: included with T (float or double) and SUF (f32 or f64) defined.
 * Buffers are time-major; see csrc/fastnn.h (rnn section) for every shape. */
#define FN(name) RNN_CAT(name, SUF)

#include "rnn_rows_tmpl.h"

/* ---------------- the fused step passes, one per ISA level ---------------- */

#define ISA generic
#define ISA_ATTR
#include "rnn_steps_tmpl.h"
#undef ISA
#undef ISA_ATTR

#if defined(__x86_64__) || defined(__i386__)
#define RNN_HAVE_X86 1
#define ISA avx2
#define ISA_ATTR __attribute__((target("avx2,fma")))
#include "rnn_steps_tmpl.h"
#undef ISA
#undef ISA_ATTR

#define ISA avx512
#define ISA_ATTR __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#include "rnn_steps_tmpl.h"
#undef ISA
#undef ISA_ATTR
#else
#define RNN_HAVE_X86 0
#endif

#include "rnn_ref_tmpl.h"

/* ---------------- dispatch: reference, or the fused pass for the active ISA ---------------- */

#if RNN_HAVE_X86
#define RNN_DISPATCH(ref, name, ref_args, args)                      \
    do {                                                             \
        if (ref) {                                                   \
            FN(name##_ref) ref_args;                                 \
        } else {                                                     \
            int isa_ = fnn_isa_active();                             \
            if (isa_ >= FNN_ISA_AVX512)                              \
                RNN_CAT(FN(name), avx512) args;                      \
            else if (isa_ >= FNN_ISA_AVX2)                           \
                RNN_CAT(FN(name), avx2) args;                        \
            else                                                     \
                RNN_CAT(FN(name), generic) args;                     \
        }                                                            \
    } while (0)
#else
#define RNN_DISPATCH(ref, name, ref_args, args)                      \
    do {                                                             \
        if (ref)                                                     \
            FN(name##_ref) ref_args;                                 \
        else                                                         \
            RNN_CAT(FN(name), generic) args;                         \
    } while (0)
#endif

static void FN(rnn_gemm)(int ref, int ta, int tb, int64_t m, int64_t n, int64_t k, const T *A, int64_t lda,
                         const T *B, int64_t ldb, T beta, T *C, int64_t ldc, const T *bias, int n_threads)
{
    if (ref)
        FN(fnn_gemm_ref)(ta, tb, m, n, k, (T)1, A, lda, B, ldb, beta, C, ldc, bias);
    else
        FN(fnn_gemm)(ta, tb, m, n, k, (T)1, A, lda, B, ldb, beta, C, ldc, bias, n_threads);
}

/* Below this many rows the recurrent product h_{t-1} @ R uses the register-blocked small kernel
 * (depends only on N, never on the thread count). */
#define RNN_SMALL_N 16

/* C (N, W) = beta * C + h (N, U) @ R (U, W; row stride ldr) (+ bias): the per-step recurrent product. */
static void FN(rec_matmul)(int ref, int64_t N, int64_t W, int64_t U, const T *h, int64_t ldh, const T *R,
                           int64_t ldr, const T *Rp, T beta, T *C, int64_t ldc, const T *bias, int n_threads)
{
    if (Rp) {
        FN(fnn_gemm_packed)(0, N, W, U, 1, h, ldh, Rp, beta, C, ldc, bias, n_threads);
        return;
    }
    if (ref || N > RNN_SMALL_N || (beta != 0 && beta != 1)) {
        FN(rnn_gemm)(ref, 0, 0, N, W, U, h, ldh, R, ldr, beta, C, ldc, bias, n_threads);
        return;
    }
#if RNN_HAVE_X86
    const int isa = fnn_isa_active();
    if (isa >= FNN_ISA_AVX512)
        RNN_CAT(FN(rec_small), avx512)(N, W, U, h, ldh, R, ldr, beta != 0, C, ldc, bias, n_threads);
    else if (isa >= FNN_ISA_AVX2)
        RNN_CAT(FN(rec_small), avx2)(N, W, U, h, ldh, R, ldr, beta != 0, C, ldc, bias, n_threads);
    else
#endif
        RNN_CAT(FN(rec_small), generic)(N, W, U, h, ldh, R, ldr, beta != 0, C, ldc, bias, n_threads);
}

static void FN(mul_into)(int64_t n, const T *restrict a, const T *restrict b, T *restrict out)
{
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

static void FN(add_mul_into)(int64_t n, const T *restrict a, const T *restrict b, T *restrict out)
{
    for (int64_t i = 0; i < n; ++i) out[i] += a[i] * b[i];
}

/* dh (N,U) += dG_t (N, ld) [first n_gate columns] @ Rsub^T, times the recurrent dropout mask if any. */
static void FN(recurrent_grad)(int ref, int64_t N, int64_t U, int64_t ncols, const T *dG_t, int64_t ldg,
                               const T *Rsub, int64_t ldr, const T *Rtp, const T *rmask, T *dh, T *work,
                               int n_threads)
{
    T *out = rmask ? work : dh;
    const T beta = rmask ? 0 : 1;
    if (Rtp)
        FN(fnn_gemm_packed)(0, N, U, ncols, 1, dG_t, ldg, Rtp, beta, out, U, NULL, n_threads);
    else
        FN(rnn_gemm)(ref, 0, 1, N, U, ncols, dG_t, ldg, Rsub, ldr, beta, out, U, NULL, n_threads);
    if (rmask) FN(add_mul_into)(N * U, work, rmask, dh);
}

/* The recurrent kernel op(R) (k x n) packed once for a whole sequence of large-batch per-step products
 * (the GEMM would otherwise repack it every step); NULL when the steps use the small-batch kernel, for
 * the reference, or when memory is short (then every step packs, as before). Free with free(). */
static T *FN(pack_recurrent)(int ref, int64_t N, int trans, int64_t n, int64_t k, const T *R, int64_t ldr)
{
    if (ref || N <= RNN_SMALL_N || n <= 0 || k <= 0) return NULL;
    const size_t bytes = (size_t)FN(fnn_gemm_packed_b_len)(n, k) * sizeof(T);
    T *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (p) FN(fnn_gemm_pack_b)(trans, n, k, R, ldr, p);
    return p;
}

/* ---------------- LSTM ---------------- */

static void FN(lstm_forward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                  const T *x, const T *K, const T *R, const T *b, const uint8_t *mask,
                                  const T *rmask, T *G, T *H, T *C, T *AC, T *HD, int n_threads)
{
    const int64_t G4 = 4 * U, NU = N * U;
    if (!ref && !rmask && N <= RNN_SMALL_N) {
        /* small batches: one parallel region for the whole sequence instead of one per step */
#if RNN_HAVE_X86
        const int isa = fnn_isa_active();
        if (isa >= FNN_ISA_AVX512)
            RNN_CAT(FN(lstm_seq_small), avx512)(T_, N, D, U, act, ract, x, K, b, mask, R, G, H, C, AC, n_threads);
        else if (isa >= FNN_ISA_AVX2)
            RNN_CAT(FN(lstm_seq_small), avx2)(T_, N, D, U, act, ract, x, K, b, mask, R, G, H, C, AC, n_threads);
        else
#endif
            RNN_CAT(FN(lstm_seq_small), generic)(T_, N, D, U, act, ract, x, K, b, mask, R, G, H, C, AC, n_threads);
        return;
    }
    FN(rnn_gemm)(ref, 0, 0, T_ * N, G4, D, x, D, K, G4, 0, G, G4, b, n_threads);
    T *Rp = FN(pack_recurrent)(ref, N, 0, G4, U, R, G4);
    for (int64_t t = 0; t < T_; ++t) {
        const T *hp = H + t * NU;
        if (rmask) {
            FN(mul_into)(NU, hp, rmask, HD + t * NU);
            hp = HD + t * NU;
        }
        T *Gt = G + t * N * G4;
        FN(rec_matmul)(ref, N, G4, U, hp, U, R, G4, Rp, 1, Gt, G4, NULL, n_threads);
        const uint8_t *mt = mask ? mask + t * N : NULL;
        RNN_DISPATCH(ref, lstm_step_fwd,
                     (N, U, act, ract, mt, Gt, H + t * NU, C + t * NU, H + (t + 1) * NU, C + (t + 1) * NU, AC + t * NU),
                     (N, U, act, ract, mt, Gt, H + t * NU, C + t * NU, H + (t + 1) * NU, C + (t + 1) * NU, AC + t * NU,
                      n_threads));
    }
    free(Rp);
}

static void FN(lstm_backward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                   const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask,
                                   const T *G, const T *H, const T *C, const T *AC, const T *HD, const T *dY,
                                   T *dh, T *dc, T *dG, T *dx, T *dK, T *dR, T *db, T *work, int n_threads)
{
    const int64_t G4 = 4 * U, NU = N * U;
    T *Rtp = FN(pack_recurrent)(ref, N, 1, U, G4, R, G4);
    for (int64_t t = T_ - 1; t >= 0; --t) {
        const T *Gt = G + t * N * G4;
        T *dGt = dG + t * N * G4;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        const T *dyt = dY ? dY + t * NU : NULL;
        RNN_DISPATCH(ref, lstm_step_bwd, (N, U, act, ract, mt, Gt, C + t * NU, AC + t * NU, dyt, dh, dc, dGt),
                     (N, U, act, ract, mt, Gt, C + t * NU, AC + t * NU, dyt, dh, dc, dGt, n_threads));
        FN(recurrent_grad)(ref, N, U, G4, dGt, G4, R, G4, Rtp, rmask, dh, work, n_threads);
    }
    free(Rtp);
    const int64_t M = T_ * N;
    /* one pass over all steps' gate gradients, columns split across threads (per step it ran on one) */
    if (db) FN(fnn_column_sum_add)(M, G4, dG, db, ref ? 1 : n_threads);
    if (dx) FN(rnn_gemm)(ref, 0, 1, M, D, G4, dG, G4, K, G4, 0, dx, D, NULL, n_threads);
    if (dK) FN(rnn_gemm)(ref, 1, 0, D, G4, M, x, D, dG, G4, 1, dK, G4, NULL, n_threads);
    if (dR) FN(rnn_gemm)(ref, 1, 0, U, G4, M, rmask ? HD : H, U, dG, G4, 1, dR, G4, NULL, n_threads);
}

void FN(fnn_lstm_forward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                          const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask, T *G, T *H,
                          T *C, T *AC, T *HD, int n_threads)
{
    FN(lstm_forward_impl)(0, T_, N, D, U, act, ract, x, K, R, b, mask, rmask, G, H, C, AC, HD, n_threads);
}

void FN(fnn_lstm_forward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                              const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask, T *G,
                              T *H, T *C, T *AC, T *HD)
{
    FN(lstm_forward_impl)(1, T_, N, D, U, act, ract, x, K, R, b, mask, rmask, G, H, C, AC, HD, 1);
}

void FN(fnn_lstm_backward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                           const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *G, const T *H,
                           const T *C, const T *AC, const T *HD, const T *dY, T *dh, T *dc, T *dG, T *dx,
                           T *dK, T *dR, T *db, T *work, int n_threads)
{
    FN(lstm_backward_impl)(0, T_, N, D, U, act, ract, x, K, R, mask, rmask, G, H, C, AC, HD, dY, dh, dc, dG, dx,
                           dK, dR, db, work, n_threads);
}

void FN(fnn_lstm_backward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, const T *x,
                               const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *G,
                               const T *H, const T *C, const T *AC, const T *HD, const T *dY, T *dh, T *dc,
                               T *dG, T *dx, T *dK, T *dR, T *db, T *work)
{
    FN(lstm_backward_impl)(1, T_, N, D, U, act, ract, x, K, R, mask, rmask, G, H, C, AC, HD, dY, dh, dc, dG, dx,
                           dK, dR, db, work, 1);
}

/* ---------------- GRU ---------------- */

static void FN(gru_forward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                 int reset_after, const T *x, const T *K, const T *R, const T *b,
                                 const uint8_t *mask, const T *rmask, T *G, T *S, T *H, T *HD, int n_threads)
{
    const int64_t G3 = 3 * U, NU = N * U;
    FN(rnn_gemm)(ref, 0, 0, T_ * N, G3, D, x, D, K, G3, 0, G, G3, b, n_threads);
    const T *b_rec = (b && reset_after) ? b + G3 : NULL;
    T *Rp = reset_after ? FN(pack_recurrent)(ref, N, 0, G3, U, R, G3) : NULL;
    for (int64_t t = 0; t < T_; ++t) {
        const T *hp = H + t * NU, *hpd = hp;
        if (rmask) {
            FN(mul_into)(NU, hp, rmask, HD + t * NU);
            hpd = HD + t * NU;
        }
        T *Gt = G + t * N * G3, *h = H + (t + 1) * NU;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        if (reset_after) {
            T *St = S + t * N * G3;
            FN(rec_matmul)(ref, N, G3, U, hpd, U, R, G3, Rp, 0, St, G3, b_rec, n_threads);
            RNN_DISPATCH(ref, gru_step_fwd, (N, U, act, ract, mt, Gt, St, hp, h),
                         (N, U, act, ract, mt, Gt, St, hp, h, n_threads));
        } else {
            T *St = S + t * NU;
            FN(rec_matmul)(ref, N, 2 * U, U, hpd, U, R, G3, NULL, 1, Gt, G3, NULL, n_threads);
            RNN_DISPATCH(ref, gru0_step_fwd_a, (N, U, ract, mt, Gt, hpd, St), (N, U, ract, mt, Gt, hpd, St, n_threads));
            FN(rec_matmul)(ref, N, U, U, St, U, R + 2 * U, G3, NULL, 1, Gt + 2 * U, G3, NULL, n_threads);
            RNN_DISPATCH(ref, gru0_step_fwd_b, (N, U, act, mt, Gt, hp, h), (N, U, act, mt, Gt, hp, h, n_threads));
        }
    }
    free(Rp);
}

static void FN(gru_backward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                  int reset_after, const T *x, const T *K, const T *R, const uint8_t *mask,
                                  const T *rmask, const T *G, const T *S, const T *H, const T *HD, const T *dY,
                                  T *dh, T *dG, T *dGr, T *dx, T *dK, T *dR, T *db, T *work, int n_threads)
{
    const int64_t G3 = 3 * U, NU = N * U;
    const T *HP = rmask ? HD : H; /* the h_{t-1} each recurrent GEMM saw, (T, N, U) */
    T *Rtp = reset_after ? FN(pack_recurrent)(ref, N, 1, U, G3, R, G3) : NULL;
    for (int64_t t = T_ - 1; t >= 0; --t) {
        const T *Gt = G + t * N * G3, *hp = H + t * NU, *hpd = HP + t * NU;
        T *dGt = dG + t * N * G3;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        const T *dyt = dY ? dY + t * NU : NULL;
        if (reset_after) {
            const T *St = S + t * N * G3;
            T *dGrt = dGr + t * N * G3;
            RNN_DISPATCH(ref, gru_step_bwd, (N, U, act, ract, mt, Gt, St, hp, dyt, dh, dGt, dGrt),
                         (N, U, act, ract, mt, Gt, St, hp, dyt, dh, dGt, dGrt, n_threads));
            FN(recurrent_grad)(ref, N, U, G3, dGrt, G3, R, G3, Rtp, rmask, dh, work, n_threads);
        } else {
            RNN_DISPATCH(ref, gru0_step_bwd_a, (N, U, act, ract, mt, Gt, hp, dyt, dh, dGt),
                         (N, U, act, ract, mt, Gt, hp, dyt, dh, dGt, n_threads));
            /* work = d(r * hpd) = dG[h~] @ R[:, 2U:]^T */
            FN(rnn_gemm)(ref, 0, 1, N, U, U, dGt + 2 * U, G3, R + 2 * U, G3, 0, work, U, NULL, n_threads);
            RNN_DISPATCH(ref, gru0_step_bwd_b, (N, U, ract, mt, Gt, hpd, work, rmask, dh, dGt),
                         (N, U, ract, mt, Gt, hpd, work, rmask, dh, dGt, n_threads));
            FN(recurrent_grad)(ref, N, U, 2 * U, dGt, G3, R, G3, NULL, rmask, dh, work, n_threads);
        }
    }
    free(Rtp);
    const int64_t M = T_ * N;
    if (db) {
        FN(fnn_column_sum_add)(M, G3, dG, db, ref ? 1 : n_threads);
        if (reset_after) FN(fnn_column_sum_add)(M, G3, dGr, db + G3, ref ? 1 : n_threads);
    }
    if (dx) FN(rnn_gemm)(ref, 0, 1, M, D, G3, dG, G3, K, G3, 0, dx, D, NULL, n_threads);
    if (dK) FN(rnn_gemm)(ref, 1, 0, D, G3, M, x, D, dG, G3, 1, dK, G3, NULL, n_threads);
    if (reset_after) {
        if (dR) FN(rnn_gemm)(ref, 1, 0, U, G3, M, HP, U, dGr, G3, 1, dR, G3, NULL, n_threads);
    } else {
        if (dR) {
            FN(rnn_gemm)(ref, 1, 0, U, 2 * U, M, HP, U, dG, G3, 1, dR, G3, NULL, n_threads);
            FN(rnn_gemm)(ref, 1, 0, U, U, M, S, U, dG + 2 * U, G3, 1, dR + 2 * U, G3, NULL, n_threads);
        }
    }
}

void FN(fnn_gru_forward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                         const T *x, const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask,
                         T *G, T *S, T *H, T *HD, int n_threads)
{
    FN(gru_forward_impl)(0, T_, N, D, U, act, ract, reset_after, x, K, R, b, mask, rmask, G, S, H, HD, n_threads);
}

void FN(fnn_gru_forward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                             const T *x, const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask,
                             T *G, T *S, T *H, T *HD)
{
    FN(gru_forward_impl)(1, T_, N, D, U, act, ract, reset_after, x, K, R, b, mask, rmask, G, S, H, HD, 1);
}

void FN(fnn_gru_backward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                          const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *G,
                          const T *S, const T *H, const T *HD, const T *dY, T *dh, T *dG, T *dGr, T *dx, T *dK,
                          T *dR, T *db, T *work, int n_threads)
{
    FN(gru_backward_impl)(0, T_, N, D, U, act, ract, reset_after, x, K, R, mask, rmask, G, S, H, HD, dY, dh, dG,
                          dGr, dx, dK, dR, db, work, n_threads);
}

void FN(fnn_gru_backward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract, int reset_after,
                              const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask,
                              const T *G, const T *S, const T *H, const T *HD, const T *dY, T *dh, T *dG,
                              T *dGr, T *dx, T *dK, T *dR, T *db, T *work)
{
    FN(gru_backward_impl)(1, T_, N, D, U, act, ract, reset_after, x, K, R, mask, rmask, G, S, H, HD, dY, dh, dG,
                          dGr, dx, dK, dR, db, work, 1);
}

/* ---------------- SimpleRNN ---------------- */

static void FN(simple_forward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act,
                                    const T *x, const T *K, const T *R, const T *b, const uint8_t *mask,
                                    const T *rmask, T *G, T *H, T *HD, int n_threads)
{
    const int64_t NU = N * U;
    FN(rnn_gemm)(ref, 0, 0, T_ * N, U, D, x, D, K, U, 0, G, U, b, n_threads);
    T *Rp = FN(pack_recurrent)(ref, N, 0, U, U, R, U);
    for (int64_t t = 0; t < T_; ++t) {
        const T *hp = H + t * NU, *hpd = hp;
        if (rmask) {
            FN(mul_into)(NU, hp, rmask, HD + t * NU);
            hpd = HD + t * NU;
        }
        T *Gt = G + t * NU;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        FN(rec_matmul)(ref, N, U, U, hpd, U, R, U, Rp, 1, Gt, U, NULL, n_threads);
        RNN_DISPATCH(ref, simple_step_fwd, (N, U, act, mt, Gt, hp, H + (t + 1) * NU),
                     (N, U, act, mt, Gt, hp, H + (t + 1) * NU, n_threads));
    }
    free(Rp);
}

static void FN(simple_backward_impl)(int ref, int64_t T_, int64_t N, int64_t D, int64_t U, int act,
                                     const T *x, const T *K, const T *R, const uint8_t *mask, const T *rmask,
                                     const T *H, const T *HD, const T *dY, T *dh, T *dG, T *dx, T *dK, T *dR,
                                     T *db, T *work, int n_threads)
{
    const int64_t NU = N * U;
    T *Rtp = FN(pack_recurrent)(ref, N, 1, U, U, R, U);
    for (int64_t t = T_ - 1; t >= 0; --t) {
        T *dGt = dG + t * NU;
        const uint8_t *mt = mask ? mask + t * N : NULL;
        const T *dyt = dY ? dY + t * NU : NULL;
        RNN_DISPATCH(ref, simple_step_bwd, (N, U, act, mt, H + (t + 1) * NU, dyt, dh, dGt),
                     (N, U, act, mt, H + (t + 1) * NU, dyt, dh, dGt, n_threads));
        FN(recurrent_grad)(ref, N, U, U, dGt, U, R, U, Rtp, rmask, dh, work, n_threads);
    }
    free(Rtp);
    const int64_t M = T_ * N;
    if (db) FN(fnn_column_sum_add)(M, U, dG, db, ref ? 1 : n_threads);
    if (dx) FN(rnn_gemm)(ref, 0, 1, M, D, U, dG, U, K, U, 0, dx, D, NULL, n_threads);
    if (dK) FN(rnn_gemm)(ref, 1, 0, D, U, M, x, D, dG, U, 1, dK, U, NULL, n_threads);
    if (dR) FN(rnn_gemm)(ref, 1, 0, U, U, M, rmask ? HD : H, U, dG, U, 1, dR, U, NULL, n_threads);
}

void FN(fnn_simple_rnn_forward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x, const T *K,
                                const T *R, const T *b, const uint8_t *mask, const T *rmask, T *G, T *H, T *HD,
                                int n_threads)
{
    FN(simple_forward_impl)(0, T_, N, D, U, act, x, K, R, b, mask, rmask, G, H, HD, n_threads);
}

void FN(fnn_simple_rnn_forward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x,
                                    const T *K, const T *R, const T *b, const uint8_t *mask, const T *rmask,
                                    T *G, T *H, T *HD)
{
    FN(simple_forward_impl)(1, T_, N, D, U, act, x, K, R, b, mask, rmask, G, H, HD, 1);
}

void FN(fnn_simple_rnn_backward)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x, const T *K,
                                 const T *R, const uint8_t *mask, const T *rmask, const T *H, const T *HD,
                                 const T *dY, T *dh, T *dG, T *dx, T *dK, T *dR, T *db, T *work, int n_threads)
{
    FN(simple_backward_impl)(0, T_, N, D, U, act, x, K, R, mask, rmask, H, HD, dY, dh, dG, dx, dK, dR, db, work,
                             n_threads);
}

void FN(fnn_simple_rnn_backward_ref)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, const T *x,
                                     const T *K, const T *R, const uint8_t *mask, const T *rmask, const T *H,
                                     const T *HD, const T *dY, T *dh, T *dG, T *dx, T *dK, T *dR, T *db,
                                     T *work)
{
    FN(simple_backward_impl)(1, T_, N, D, U, act, x, K, R, mask, rmask, H, HD, dY, dh, dG, dx, dK, dR, db, work,
                             1);
}

#undef FN
#undef RNN_VL
#undef RNN_SUPER
#undef RNN_DISPATCH
#undef RNN_HAVE_X86
