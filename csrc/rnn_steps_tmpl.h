/* Fused per-step passes of rnn.c for one dtype and one ISA level (included once per ISA level by
 * rnn_tmpl.h with T, SUF, ISA and ISA_ATTR defined). Each pass runs over the N rows of one step;
 * rows are independent, so splitting them across threads never changes a result. The row bodies
 * (rnn_tmpl.h) are always-inline: compiled here, they take this function's ISA. The common
 * activation pair (tanh, sigmoid) is passed as constants so that the compiler specialises and
 * vectorizes that path; other pairs take the generic switch. */
#define SFN(name) RNN_CAT(RNN_CAT(name, SUF), ISA)
#define RFN(name) RNN_CAT(name, SUF)
#define STEP_THREADS(N, U, n_threads) ((N) * (U) < RNN_PAR_MIN ? 1 : (n_threads))
#define DEFAULT_PAIR(act, ract) ((act) == FNN_RNN_TANH && (ract) == FNN_RNN_SIGMOID)

ISA_ATTR static void SFN(lstm_step_fwd)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask,
                                        T *G, const T *hp, const T *cp, T *h, T *c, T *ac, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n]) {
            memcpy(h + o, hp + o, (size_t)U * sizeof(T));
            memcpy(c + o, cp + o, (size_t)U * sizeof(T));
        } else if (DEFAULT_PAIR(act, ract)) {
            RFN(lstm_fwd_row)(U, FNN_RNN_TANH, FNN_RNN_SIGMOID, G + 4 * o, cp + o, c + o, ac + o, h + o);
        } else {
            RFN(lstm_fwd_row)(U, act, ract, G + 4 * o, cp + o, c + o, ac + o, h + o);
        }
    });
}

ISA_ATTR static void SFN(lstm_step_bwd)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask,
                                        const T *G, const T *cp, const T *ac, const T *dy, T *dh, T *dc,
                                        T *dG, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n]) {
            RFN(carry_row)(U, dy ? dy + o : NULL, dh + o);
            memset(dG + 4 * o, 0, (size_t)(4 * U) * sizeof(T));
        } else if (DEFAULT_PAIR(act, ract)) {
            RFN(lstm_bwd_row)(U, FNN_RNN_TANH, FNN_RNN_SIGMOID, G + 4 * o, cp + o, ac + o, dy ? dy + o : NULL,
                              dh + o, dc + o, dG + 4 * o);
        } else {
            RFN(lstm_bwd_row)(U, act, ract, G + 4 * o, cp + o, ac + o, dy ? dy + o : NULL,
                              dh + o, dc + o, dG + 4 * o);
        }
    });
}

/* GRU, reset_after=True: gates from G (input part) and S (recurrent part incl. recurrent bias). */
ISA_ATTR static void SFN(gru_step_fwd)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask,
                                       T *G, const T *S, const T *hp, T *h, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n])
            memcpy(h + o, hp + o, (size_t)U * sizeof(T));
        else if (DEFAULT_PAIR(act, ract))
            RFN(gru_fwd_row)(U, FNN_RNN_TANH, FNN_RNN_SIGMOID, G + 3 * o, S + 3 * o, hp + o, h + o);
        else
            RFN(gru_fwd_row)(U, act, ract, G + 3 * o, S + 3 * o, hp + o, h + o);
    });
}

ISA_ATTR static void SFN(gru_step_bwd)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask,
                                       const T *G, const T *S, const T *hp, const T *dy, T *dh, T *dGx,
                                       T *dGr, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n]) {
            RFN(carry_row)(U, dy ? dy + o : NULL, dh + o);
            memset(dGx + 3 * o, 0, (size_t)(3 * U) * sizeof(T));
            memset(dGr + 3 * o, 0, (size_t)(3 * U) * sizeof(T));
        } else if (DEFAULT_PAIR(act, ract)) {
            RFN(gru_bwd_row)(U, FNN_RNN_TANH, FNN_RNN_SIGMOID, G + 3 * o, S + 3 * o, hp + o,
                             dy ? dy + o : NULL, dh + o, dGx + 3 * o, dGr + 3 * o);
        } else {
            RFN(gru_bwd_row)(U, act, ract, G + 3 * o, S + 3 * o, hp + o, dy ? dy + o : NULL, dh + o,
                             dGx + 3 * o, dGr + 3 * o);
        }
    });
}

/* GRU, reset_after=False, first half: z, r and r * h_{t-1} (into S) once z/r pre-activations are in G. */
ISA_ATTR static void SFN(gru0_step_fwd_a)(int64_t N, int64_t U, int ract, const uint8_t *mask, T *G,
                                          const T *hpd, T *S, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n])
            memset(S + o, 0, (size_t)U * sizeof(T));
        else if (ract == FNN_RNN_SIGMOID)
            RFN(gru0_fwd_row_a)(U, FNN_RNN_SIGMOID, G + 3 * o, hpd + o, S + o);
        else
            RFN(gru0_fwd_row_a)(U, ract, G + 3 * o, hpd + o, S + o);
    });
}

/* GRU, reset_after=False, second half: candidate and state update once its pre-activation is in G. */
ISA_ATTR static void SFN(gru0_step_fwd_b)(int64_t N, int64_t U, int act, const uint8_t *mask, T *G,
                                          const T *hp, T *h, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n])
            memcpy(h + o, hp + o, (size_t)U * sizeof(T));
        else if (act == FNN_RNN_TANH)
            RFN(gru0_fwd_row_b)(U, FNN_RNN_TANH, G + 3 * o, hp + o, h + o);
        else
            RFN(gru0_fwd_row_b)(U, act, G + 3 * o, hp + o, h + o);
    });
}

ISA_ATTR static void SFN(gru0_step_bwd_a)(int64_t N, int64_t U, int act, int ract, const uint8_t *mask,
                                          const T *G, const T *hp, const T *dy, T *dh, T *dG, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n]) {
            RFN(carry_row)(U, dy ? dy + o : NULL, dh + o);
            memset(dG + 3 * o, 0, (size_t)(3 * U) * sizeof(T));
        } else if (DEFAULT_PAIR(act, ract)) {
            RFN(gru0_bwd_row_a)(U, FNN_RNN_TANH, FNN_RNN_SIGMOID, G + 3 * o, hp + o, dy ? dy + o : NULL,
                                dh + o, dG + 3 * o);
        } else {
            RFN(gru0_bwd_row_a)(U, act, ract, G + 3 * o, hp + o, dy ? dy + o : NULL, dh + o, dG + 3 * o);
        }
    });
}

ISA_ATTR static void SFN(gru0_step_bwd_b)(int64_t N, int64_t U, int ract, const uint8_t *mask, const T *G,
                                          const T *hpd, const T *drhp, const T *rmask, T *dh, T *dG,
                                          int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n])
            continue; /* its dG row is zero already and its dh carries */
        if (ract == FNN_RNN_SIGMOID)
            RFN(gru0_bwd_row_b)(U, FNN_RNN_SIGMOID, G + 3 * o, hpd + o, drhp + o, rmask ? rmask + o : NULL,
                                dh + o, dG + 3 * o);
        else
            RFN(gru0_bwd_row_b)(U, ract, G + 3 * o, hpd + o, drhp + o, rmask ? rmask + o : NULL, dh + o,
                                dG + 3 * o);
    });
}

ISA_ATTR static void SFN(simple_step_fwd)(int64_t N, int64_t U, int act, const uint8_t *mask, const T *G,
                                          const T *hp, T *h, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n])
            memcpy(h + o, hp + o, (size_t)U * sizeof(T));
        else if (act == FNN_RNN_TANH)
            RFN(simple_fwd_row)(U, FNN_RNN_TANH, G + o, h + o);
        else
            RFN(simple_fwd_row)(U, act, G + o, h + o);
    });
}

ISA_ATTR static void SFN(simple_step_bwd)(int64_t N, int64_t U, int act, const uint8_t *mask, const T *h,
                                          const T *dy, T *dh, T *dG, int n_threads)
{
    const int nt = STEP_THREADS(N, U, n_threads);
    FNN_PARALLEL_FOR(nt, for (int64_t n = 0; n < N; ++n) {
        const int64_t o = n * U;
        if (mask && !mask[n]) {
            RFN(carry_row)(U, dy ? dy + o : NULL, dh + o);
            memset(dG + o, 0, (size_t)U * sizeof(T));
        } else if (act == FNN_RNN_TANH) {
            RFN(simple_bwd_row)(U, FNN_RNN_TANH, h + o, dy ? dy + o : NULL, dh + o, dG + o);
        } else {
            RFN(simple_bwd_row)(U, act, h + o, dy ? dy + o : NULL, dh + o, dG + o);
        }
    });
}

/* Small-batch recurrent product (see rec_vblock): column blocks split across threads when the work pays. */
ISA_ATTR static void SFN(rec_small)(int64_t N, int64_t W, int64_t U, const T *h, int64_t ldh, const T *R,
                                    int64_t ldr, int beta, T *C, int64_t ldc, const T *bias, int n_threads)
{
    const int64_t blocks = (W + RNN_SUPER - 1) / RNN_SUPER;
    /* R streams from L2 once per step; from 64K multiply-adds on (LSTM(128) at batch 1) two threads
     * each streaming their own column blocks from their own L2 beat one (measured ~1.25x at batch 1). */
    const int nt = (double)N * W * U < 65536 ? 1 : n_threads;
    FNN_PARALLEL_FOR(nt, for (int64_t bl = 0; bl < blocks; ++bl) {
        const int64_t j0 = bl * RNN_SUPER, jw = W - j0 < RNN_SUPER ? W - j0 : RNN_SUPER;
        RFN(rec_cols)(N, U, jw, h, ldh, R + j0, ldr, beta, bias ? bias + j0 : NULL, C + j0, ldc);
    });
}

/* The whole forward sequence of a small-batch LSTM (no recurrent dropout) in one parallel region: each
 * thread owns a fixed range of units (whole vectors) and computes, every step, the recurrent product
 * for the four gate columns of its units and then their cell update, and publishes its share of h_t
 * on its progress counter; before step t's product it waits for every team mate's h_{t-1}. The input
 * projections x_t @ K + b of the thread's gate columns, for every step, come first in the same region
 * (the small register-blocked product; no packing, no second fork/join). Every step has its own H and
 * C rows, so no thread overwrites what a slower one still reads. Each column sums k in ascending
 * order, so the bits do not depend on the thread count. */
ISA_ATTR static void SFN(lstm_seq_small)(int64_t T_, int64_t N, int64_t D, int64_t U, int act, int ract,
                                         const T *x, const T *K, const T *b, const uint8_t *mask, const T *R,
                                         T *G, T *H, T *C, T *AC, int n_threads)
{
    const int64_t G4 = 4 * U, NU = N * U, vecs = (U + RNN_VL - 1) / RNN_VL;
    /* same work threshold as rec_small; a thread needs at least one vector of units */
    int nt = (double)N * G4 * U < 65536 ? 1 : n_threads;
    nt = nt > vecs ? (int)vecs : nt;
    nt = nt > RNN_MAX_TEAM ? RNN_MAX_TEAM : nt;
    rnn_progress progress[RNN_MAX_TEAM];
    for (int q = 0; q < nt; ++q) progress[q].done = 0;
    const unsigned spins = rnn_team_spins(nt);
    FNN_PARALLEL(nt, tid, team, {
        const int64_t u0 = vecs * tid / team * RNN_VL, u1_ = vecs * (tid + 1) / team * RNN_VL;
        const int64_t u1 = u1_ < U ? u1_ : U;
        RFN(gate_cols)(4, U, u0, u1, T_ * N, D, x, D, K, 0, b, G);
        for (int64_t t = 0; t < T_; ++t) {
            const T *hp = H + t * NU, *cp = C + t * NU;
            T *Gt = G + t * N * G4, *h = H + (t + 1) * NU, *c = C + (t + 1) * NU, *ac = AC + t * NU;
            if (t > 0) rnn_wait_team(progress, team, tid, t, spins);
            RFN(gate_cols)(4, U, u0, u1, N, U, hp, U, R, 1, NULL, Gt);
            const uint8_t *mt = mask ? mask + t * N : NULL;
            for (int64_t n = 0; n < N; ++n) {
                const int64_t o = n * U;
                if (mt && !mt[n]) {
                    memcpy(h + o + u0, hp + o + u0, (size_t)(u1 - u0) * sizeof(T));
                    memcpy(c + o + u0, cp + o + u0, (size_t)(u1 - u0) * sizeof(T));
                } else if (DEFAULT_PAIR(act, ract)) {
                    RFN(lstm_fwd_units)(U, u0, u1, FNN_RNN_TANH, FNN_RNN_SIGMOID, Gt + 4 * o, cp + o, c + o,
                                        ac + o, h + o);
                } else {
                    RFN(lstm_fwd_units)(U, u0, u1, act, ract, Gt + 4 * o, cp + o, c + o, ac + o, h + o);
                }
            }
            rnn_publish(&progress[tid], t + 1);
        }
    });
}

#undef SFN
#undef RFN
#undef STEP_THREADS
#undef DEFAULT_PAIR
