/* Fused losses with their gradients: softmax cross-entropy from logits (sparse labels or dense
 * targets with label smoothing) and cross-entropy of probabilities (Keras's clipped form).
 * Each call returns the weighted sum of the per-row losses (summed in row order, so bit-identical
 * for any thread count) and writes per-row losses and the scaled gradient in the same pass. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "fastnn.h"
#include "fnn_expf.h"

/* Rows per block (per-row losses of one block live on the stack). */
#define LOSS_BLOCK 1024
/* Below this many elements per block, one thread. */
#define LOSS_PAR_MIN 32768

#define T float
#define SFX(f) f##_f32
#define EXPT(v) fnn_expf(v)
static inline void zero_row_f32(int64_t cols, float *g) { for (int64_t j = 0; j < cols; j++) g[j] = 0; }
#include "loss_impl.h"
#undef T
#undef SFX
#undef EXPT

#define T double
#define SFX(f) f##_f64
#define EXPT(v) exp(v)
static inline void zero_row_f64(int64_t cols, double *g) { for (int64_t j = 0; j < cols; j++) g[j] = 0; }
#include "loss_impl.h"
#undef T
#undef SFX
#undef EXPT
