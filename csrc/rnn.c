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
 *    range of units (input projection, recurrent product and cell update of its units, one barrier
 *    per step), instead of a fork/join per step.
 * The fused passes are compiled for three ISA levels (generic, AVX2, AVX-512) from one body and
 * chosen with fnn_isa_active(). Every sequence function has a `_ref` twin built from plain step loops
 * (libm expf/tanhf) and fnn_gemm_ref, single-threaded; the tests compare the two.
 */
#include "fastnn.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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
