/* Reference twins of optim.c (plain loops, one thread); see optim_ref.h. */
#include "fastnn.h"
#include <math.h>
#include <stddef.h>

#define REF_CAT_(a, b, c) a##b##c
#define REF_CAT(a, b, c) REF_CAT_(a, b, c)

#define T float
#define SQRT sqrtf
#define REF(base) REF_CAT(fnn_, base, _ref_f32)
#define ref_prep_grad ref_prep_grad_f32
#include "optim_ref.h"
#undef T
#undef SQRT
#undef REF
#undef ref_prep_grad

#define T double
#define SQRT sqrt
#define REF(base) REF_CAT(fnn_, base, _ref_f64)
#define ref_prep_grad ref_prep_grad_f64
#include "optim_ref.h"
#undef T
#undef SQRT
#undef REF
#undef ref_prep_grad
