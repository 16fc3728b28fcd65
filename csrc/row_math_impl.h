/* Row helpers shared by eltwise_impl.h and loss_impl.h (T, SFX, EXPT defined by the includer):
 * fixed-order partial sums, so results do not depend on how rows are spread over threads. */

/* Max of v[0..n) (-inf for n == 0); 8 fixed lanes so GCC can vectorize. */
static inline T SFX(row_max)(int64_t n, const T *v)
{
    T acc[8];
    for (int k = 0; k < 8; k++)
        acc[k] = -INFINITY;
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++)
            acc[k] = v[j + k] > acc[k] ? v[j + k] : acc[k];
    for (int k = 0; j + k < n; k++)
        acc[k] = v[j + k] > acc[k] ? v[j + k] : acc[k];
    T m = acc[0];
    for (int k = 1; k < 8; k++)
        m = acc[k] > m ? acc[k] : m;
    return m;
}

/* Sum of v[0..n) in double over 8 fixed lanes combined pairwise (a fixed order). */
static inline double SFX(row_sum)(int64_t n, const T *v)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += (double)v[j + k];
    for (int k = 0; j + k < n; k++)
        acc[k] += (double)v[j + k];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* e[j] = exp(z[j] - shift) for j < n (vectorizable). */
static inline void SFX(exp_shift)(int64_t n, const T *z, T shift, T *e)
{
    for (int64_t j = 0; j < n; j++)
        e[j] = EXPT(z[j] - shift);
}

/* log-sum-exp of a row, max-shifted. When `e` is not NULL it receives exp(z - max) (may not alias z);
 * otherwise the exponentials go through a stack buffer in blocks. *mx_out gets the shift used and
 * *sum_out (when not NULL) the sum of exp(z - max). */
static inline double SFX(row_lse)(int64_t n, const T *z, T *e, T *mx_out, double *sum_out)
{
    T mx = SFX(row_max)(n, z);
    if (isinf(mx) && mx < 0)
        mx = 0;  /* empty row or all -inf: avoid inf - inf */
    double s;
    if (e) {
        SFX(exp_shift)(n, z, mx, e);
        s = SFX(row_sum)(n, e);
    } else {
        T buf[256];
        s = 0;
        for (int64_t j0 = 0; j0 < n; j0 += 256) {
            const int64_t w = n - j0 < 256 ? n - j0 : 256;
            SFX(exp_shift)(w, z + j0, mx, buf);
            s += SFX(row_sum)(w, buf);
        }
    }
    *mx_out = mx;
    if (sum_out)
        *sum_out = s;
    return (double)mx + log(s);
}
