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
#endif
