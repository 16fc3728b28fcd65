/* Max / average pooling (2-D, 1-D as height 1) and global pooling, channels-last; the float32 and
 * float64 kernels share one body (pool_body.h). See the pool section of fastnn.h. */
#include "fastnn.h"

#define T float
#define SFX f32
#include "pool_body.h"
#undef T
#undef SFX

#define T double
#define SFX f64
#include "pool_body.h"
#undef T
#undef SFX
