/* Recurrent layers: LSTM, GRU and SimpleRNN over whole sequences (forward and backward through time).
 *
 * Structure (per layer, per direction), all buffers time-major (T, N, ...):
 *  - forward: ONE GEMM projects the inputs of every step (x (T*N, D) @ kernel + bias); then per step one
 *    GEMM adds the recurrent projection h_{t-1} @ recurrent_kernel into that step's gate rows and ONE
 *    fused pass applies the gate nonlinearities and the state update, keeping what backward needs
 *    (gate activations, cell states).
 *  - backward: per step one fused pass turns dh_t / dc_t into the gate pre-activation gradients and one
 *    GEMM sends them back to h_{t-1}; after the loop the input gradient and the weight gradients are
 *    large GEMMs over all steps (dx = dG @ K^T, dK += x^T dG, dR += H_prev^T dG, db += column sums),
 *    so no float sum depends on the thread count.
 *  - masks (T, N) uint8: a masked step carries h and c through unchanged (Keras semantics), handled
 *    inside the fused step passes.
 *  - batches above RNN_SMALL_N: the recurrent kernel is packed once per sequence (fnn_gemm_pack_b; R for
 *    forward, R^T for backward) and every step's GEMM reads the packed panels.
 *  - batches up to RNN_SMALL_N (inference): a register-blocked product reads R in place; an LSTM without
 *    recurrent dropout runs its whole forward sequence in one parallel region where each thread owns a
 *    range of units (input projection, recurrent product and cell update of its units), and a thread
 *    waits for its team mates' h_{t-1} on per-thread progress counters, instead of a fork/join per step.
 * The fused passes are compiled for three ISA levels (generic, AVX2, AVX-512) from one body and
 * chosen with fnn_isa_active(). Every sequence function has a `_ref` twin built from plain step loops
 * (libm expf/tanhf) and fnn_gemm_ref, single-threaded; the tests compare the two.
 */
#include "fastnn.h"
#include "fnn_omp.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>

#define RNN_INLINE static inline __attribute__((always_inline))
#define RNN_CAT_(a, b) a##_##b
#define RNN_CAT(a, b) RNN_CAT_(a, b)

/* exp for float32 without libm calls, branch-free so that GCC vectorizes the loops using it.
 * Range reduction x = n ln2 + r (|r| <= ln2/2, ln2 split in two parts), e^r by its degree-6 Taylor
 * polynomial (relative error about 2e-7), 2^n assembled in the exponent bits. Inputs are clamped to
 * [-87, 88], where 2^n stays a normal number. */
RNN_INLINE float rnn_expf(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float t = x * 1.44269504088896341f;
    const float nf = (t + 12582912.0f) - 12582912.0f; /* round to nearest: 1.5 * 2^23 */
    float r = x - nf * 0.693145751953125f;
    r = r - nf * 1.428606820309417232e-6f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t bits = ((int32_t)nf + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

RNN_INLINE float rnn_sigmoid_fast_f32(float x) { return 1.0f / (1.0f + rnn_expf(-x)); }
/* tanh(x) = 1 - 2 / (e^{2x} + 1): absolute error about 1e-7 (float32 rounding near 0 is absolute). */
RNN_INLINE float rnn_tanh_fast_f32(float x) { return 1.0f - 2.0f / (rnn_expf(2.0f * x) + 1.0f); }
RNN_INLINE double rnn_sigmoid_fast_f64(double x) { return 1.0 / (1.0 + exp(-x)); }
RNN_INLINE double rnn_tanh_fast_f64(double x) { return tanh(x); }

RNN_INLINE float rnn_sigmoid_ref_f32(float x) { return 1.0f / (1.0f + expf(-x)); }
RNN_INLINE float rnn_tanh_ref_f32(float x) { return tanhf(x); }
RNN_INLINE double rnn_sigmoid_ref_f64(double x) { return 1.0 / (1.0 + exp(-x)); }
RNN_INLINE double rnn_tanh_ref_f64(double x) { return tanh(x); }

/* Progress of one thread of a whole-sequence parallel region, alone on its cache line: the thread has
 * published the states of its units for `done` steps. Team mates wait on these counters instead of an
 * OpenMP barrier: a waiter reads one line per team mate (a barrier costs ~0.4 us a step, a third of an
 * LSTM(128) step at batch 1), and it waits only for the data it reads. */
typedef struct {
    _Alignas(64) int64_t done;
} rnn_progress;
#define RNN_MAX_TEAM 64

static inline void rnn_publish(rnn_progress *self, int64_t done)
{
    __atomic_store_n(&self->done, done, __ATOMIC_RELEASE);
}

/* Wait until every team mate has published `done` steps. Spins with a pause hint for up to `spins`
 * polls, then yields the core at every poll: a team mate that is not running (more threads than
 * cores) gets the core instead of waiting out a spinning thread's time slice. */
static void rnn_wait_team(const rnn_progress *team, int size, int self, int64_t done, unsigned spins)
{
    for (int q = 0; q < size; ++q) {
        if (q == self) continue;
        unsigned polls = 0;
        while (__atomic_load_n(&team[q].done, __ATOMIC_ACQUIRE) < done) {
            if (polls < spins) {
                ++polls;
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            } else {
                sched_yield();
            }
        }
    }
}

/* The spin budget of rnn_wait_team for a team of `size` threads: ~2^14 polls (tens of microseconds)
 * when every thread can have a core of its own, a few when the team oversubscribes the cores. */
static unsigned rnn_team_spins(int size)
{
#ifdef _OPENMP
    /* omp_get_num_procs() asks the kernel (sched_getaffinity) every time: ask once per process */
    static int procs;
    int p = __atomic_load_n(&procs, __ATOMIC_RELAXED);
    if (size > 1 && p == 0) {
        p = omp_get_num_procs();
        __atomic_store_n(&procs, p, __ATOMIC_RELAXED);
    }
    if (size > 1 && size > p) return 16;
#else
    (void)size;
#endif
    return 1u << 14;
}

/* Below about this many state elements a step runs on one thread (fork/join costs more). */
#define RNN_PAR_MIN 8192

#define T float
#define SUF f32
#include "rnn_tmpl.h"
#undef T
#undef SUF

#define T double
#define SUF f64
#include "rnn_tmpl.h"
#undef T
#undef SUF
