/* A branch-free float exp that GCC vectorizes (libm's expf is a call per element).
 * exp(x) = 2^n * e^r with n = round(x / ln2), r = x - n ln2 (two-part ln2), e^r by its degree-7
 * Taylor polynomial on |r| <= ln2/2 (truncation < 1e-8 relative; about 2 ulp overall).
 * Below -87.3 the result is 0 (float32 would be denormal); above 88.3 it is +inf; NaN passes through. */
#ifndef FNN_EXPF_H
#define FNN_EXPF_H
#include <stdint.h>
#include <string.h>

static inline float fnn_expf(float x)
{
    const float lo = -87.3f, hi = 88.3f;
    const float xc = x < lo ? lo : (x > hi ? hi : x);
    /* round to nearest with the 1.5 * 2^23 trick (exact without -ffast-math) */
    const float shifter = 12582912.0f;
    const float n = (xc * 1.44269504088896341f + shifter) - shifter;
    const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    const float y = p * scale;
    return x < lo ? 0.0f : (x > hi ? __builtin_inff() : (x != x ? x : y));
}

/* exp(x) - 1 without cancellation near 0: degree-8 Taylor polynomial for |x| < ln2/2 (truncation
 * below 2e-8 relative), fnn_expf(x) - 1 elsewhere. Both branches are computed and one selected, so
 * loops over it vectorize. */
static inline float fnn_expm1f(float x)
{
    float p = 1.0f / 40320.0f;
    p = p * x + 1.0f / 5040.0f;
    p = p * x + 1.0f / 720.0f;
    p = p * x + 1.0f / 120.0f;
    p = p * x + 1.0f / 24.0f;
    p = p * x + 1.0f / 6.0f;
    p = p * x + 0.5f;
    p = p * x * x + x;
    const float big = fnn_expf(x) - 1.0f;
    return (x > -0.3466f && x < 0.3466f) ? p : big;
}

/* 1 / (1 + exp(-x)); saturates cleanly to 0 and 1. */
static inline float fnn_sigmoidf(float x) { return 1.0f / (1.0f + fnn_expf(-x)); }

/* tanh(x) = -expm1(-2|x|) / (expm1(-2|x|) + 2) with the sign of x: expm1 of a non-positive argument
 * cannot overflow, so no clamp is needed. NaN passes through. (Written with plain conditionals so
 * GCC vectorizes it.) */
static inline float fnn_tanhf(float x)
{
    const float s = x < 0 ? x : -x;
    const float e = fnn_expm1f(2.0f * s);
    const float r = -e / (e + 2.0f);
    return x < 0 ? -r : r;
}
#endif
