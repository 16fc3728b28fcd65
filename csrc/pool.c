/* Max / average pooling (2-D, 1-D as height 1) and global pooling, channels-last; the float32 and
 * float64 kernels share one body (pool_body.h). See the pool section of fastnn.h. */
#include "fastnn.h"
#include <string.h>

/* 16-byte GCC vector types for the branch-free max-pooling selects. */
typedef float fnn_v4sf __attribute__((vector_size(16)));
typedef int32_t fnn_v4si __attribute__((vector_size(16)));
typedef double fnn_v2df __attribute__((vector_size(16)));
typedef int64_t fnn_v2di __attribute__((vector_size(16)));

#define T float
#define SFX f32
#define VT fnn_v4sf
#define VI fnn_v4si
#include "pool_body.h"
#undef T
#undef SFX
#undef VT
#undef VI

#define T double
#define SFX f64
#define VT fnn_v2df
#define VI fnn_v2di
#include "pool_body.h"
#undef T
#undef SFX
#undef VT
#undef VI
