/* Template body of loss.c, included once per float type (T, SFX as in eltwise_impl.h). */

#include "row_math_impl.h"

/* One row of sparse softmax cross-entropy: returns the loss, writes the scaled gradient. */
static inline double SFX(xent_sparse_row)(int64_t cols, const T *z, int64_t label, double gscale, T *g)
{
    T mx;
    double s;
    const double lse = SFX(row_lse)(cols, z, g, &mx, &s);
    if (g) {
        /* g holds exp(z - mx); softmax = that / s */
        const T f = (T)(gscale / s);
        for (int64_t j = 0; j < cols; j++)
            g[j] *= f;
        g[label] -= (T)gscale;
    }
    return lse - (double)z[label];
}

static inline double SFX(xent_dense_row)(int64_t cols, const T *z, const T *t, double ls, double gscale, T *g)
{
    T mx;
    double s;
    const double lse = SFX(row_lse)(cols, z, g, &mx, &s);
    const double keep = 1.0 - ls, add = cols > 0 ? ls / (double)cols : 0.0;
    double loss = 0, tsum = 0;
    for (int64_t j = 0; j < cols; j++) {
        const double tj = (double)t[j] * keep + add;
        loss += tj * (lse - (double)z[j]);
        tsum += tj;
    }
    if (g) {
        const T f = (T)(tsum * gscale / s);
        const T tk = (T)(keep * gscale), ta = (T)(add * gscale);
        for (int64_t j = 0; j < cols; j++)
            g[j] = g[j] * f - (t[j] * tk + ta);
    }
    return loss;
}

/* Labels outside [0, cols) (other than ignore_class): the first offending row, or -1. */
static int64_t SFX(first_bad_label)(int64_t rows, int64_t cols, const int64_t *labels, int64_t ignore_class)
{
    for (int64_t r = 0; r < rows; r++)
        if ((labels[r] < 0 || labels[r] >= cols) && labels[r] != ignore_class)
            return r;
    return -1;
}

/* Sum the per-row weighted losses in row order (deterministic). */
static double SFX(weighted_total)(int64_t rows, const double *row_loss, const T *weight)
{
    double total = 0;
    for (int64_t r = 0; r < rows; r++)
        total += weight ? (double)weight[r] * row_loss[r] : row_loss[r];
    return total;
}

/* Rows are processed in blocks of LOSS_BLOCK; per-row losses go to a double buffer on the stack, the
 * weighted total accumulates block by block in row order. */
#define LOSS_ROWS_LOOP(ROW_EXPR)                                                                   \
    double total = 0;                                                                              \
    for (int64_t b0 = 0; b0 < rows; b0 += LOSS_BLOCK) {                                            \
        const int64_t nb = rows - b0 < LOSS_BLOCK ? rows - b0 : LOSS_BLOCK;                        \
        double row_loss[LOSS_BLOCK];                                                               \
        const int par = n_threads > 1 && nb > 1 && nb * cols >= LOSS_PAR_MIN;                      \
        _Pragma("omp parallel for schedule(static) num_threads(n_threads) if(par)")                \
        for (int64_t q = 0; q < nb; q++) {                                                         \
            const int64_t r = b0 + q;                                                              \
            const double w = weight ? (double)weight[r] : 1.0;                                     \
            T *g = grad ? grad + r * cols : NULL;                                                  \
            row_loss[q] = (ROW_EXPR);                                                              \
            if (loss)                                                                              \
                loss[r] = (T)row_loss[q];                                                          \
        }                                                                                          \
        total += SFX(weighted_total)(nb, row_loss, weight ? weight + b0 : NULL);                   \
    }                                                                                              \
    return total

double SFX(fnn_softmax_xent_sparse)(int64_t rows, int64_t cols, const T *z, const int64_t *labels,
                                    int64_t ignore_class, const T *weight, double scale, T *loss, T *grad,
                                    int n_threads)
{
    const int64_t bad = SFX(first_bad_label)(rows, cols, labels, ignore_class);
    if (bad >= 0)
        return (double)(-1 - bad);
    LOSS_ROWS_LOOP(labels[r] == ignore_class
                       ? (g ? (SFX(zero_row)(cols, g), 0.0) : 0.0)
                       : SFX(xent_sparse_row)(cols, z + r * cols, labels[r], w * scale, g));
}

double SFX(fnn_softmax_xent_dense)(int64_t rows, int64_t cols, const T *z, const T *t, double ls,
                                   const T *weight, double scale, T *loss, T *grad, int n_threads)
{
    LOSS_ROWS_LOOP(SFX(xent_dense_row)(cols, z + r * cols, t + r * cols, ls, w * scale, g));
}

/* One row of probability cross-entropy (Keras: normalise by the row sum, clip to [eps, 1-eps]).
 * Gradient with respect to p: with s = sum p, q = p / s and dL/dq_j = -t_j / q_j where q_j is inside
 * the clip range (0 outside), dL/dp_k = (dL/dq_k - sum_j dL/dq_j q_j) / s. */
static inline double SFX(prob_xent_row)(int64_t cols, const T *p, int64_t label, const T *t, double ls, double eps,
                                        double gscale, T *g)
{
    double s = 0;
    for (int64_t j = 0; j < cols; j++)
        s += (double)p[j];
    const double keep = 1.0 - ls, add = cols > 0 ? ls / (double)cols : 0.0, hi = 1.0 - eps;
    double loss = 0, dot = 0;
    for (int64_t j = 0; j < cols; j++) {
        const double tj = label >= 0 ? (j == label ? 1.0 : 0.0) : (double)t[j] * keep + add;
        if (tj == 0)
            continue;
        const double q = (double)p[j] / s;
        const double qc = q < eps ? eps : (q > hi ? hi : q);
        loss -= tj * log(qc);
        if (q >= eps && q <= hi)
            dot += -tj;  /* (dL/dq_j) * q_j = -t_j */
    }
    if (g)
        for (int64_t j = 0; j < cols; j++) {
            const double tj = label >= 0 ? (j == label ? 1.0 : 0.0) : (double)t[j] * keep + add;
            const double q = (double)p[j] / s;
            const double dq = (tj != 0 && q >= eps && q <= hi) ? -tj / q : 0.0;
            g[j] = (T)((dq - dot) / s * gscale);
        }
    return loss;
}

double SFX(fnn_prob_xent)(int64_t rows, int64_t cols, const T *p, const int64_t *labels, int64_t ignore_class,
                          const T *t, double ls, double eps, const T *weight, double scale, T *loss, T *grad,
                          int n_threads)
{
    if (labels) {
        const int64_t bad = SFX(first_bad_label)(rows, cols, labels, ignore_class);
        if (bad >= 0)
            return (double)(-1 - bad);
        LOSS_ROWS_LOOP(labels[r] == ignore_class
                           ? (g ? (SFX(zero_row)(cols, g), 0.0) : 0.0)
                           : SFX(prob_xent_row)(cols, p + r * cols, labels[r], NULL, 0.0, eps, w * scale, g));
    } else {
        LOSS_ROWS_LOOP(SFX(prob_xent_row)(cols, p + r * cols, -1, t + r * cols, ls, eps, w * scale, g));
    }
}

/* ---- plain references: obvious loops, one thread ---- */

double SFX(fnn_softmax_xent_sparse_ref)(int64_t rows, int64_t cols, const T *z, const int64_t *labels,
                                        int64_t ignore_class, const T *weight, double scale, T *loss, T *grad)
{
    for (int64_t r = 0; r < rows; r++)
        if ((labels[r] < 0 || labels[r] >= cols) && labels[r] != ignore_class)
            return (double)(-1 - r);
    double total = 0;
    for (int64_t r = 0; r < rows; r++) {
        const T *zr = z + r * cols;
        double l = 0;
        if (labels[r] != ignore_class) {
            double mx = -INFINITY, s = 0;
            for (int64_t j = 0; j < cols; j++)
                mx = fmax(mx, (double)zr[j]);
            for (int64_t j = 0; j < cols; j++)
                s += exp((double)zr[j] - mx);
            const double lse = mx + log(s);
            l = lse - (double)zr[labels[r]];
            if (grad)
                for (int64_t j = 0; j < cols; j++) {
                    const double w = weight ? (double)weight[r] : 1.0;
                    grad[r * cols + j] = (T)((exp((double)zr[j] - lse) - (j == labels[r])) * w * scale);
                }
        } else if (grad) {
            for (int64_t j = 0; j < cols; j++)
                grad[r * cols + j] = 0;
        }
        if (loss)
            loss[r] = (T)l;
        total += (weight ? (double)weight[r] : 1.0) * l;
    }
    return total;
}

double SFX(fnn_softmax_xent_dense_ref)(int64_t rows, int64_t cols, const T *z, const T *t, double ls,
                                       const T *weight, double scale, T *loss, T *grad)
{
    double total = 0;
    for (int64_t r = 0; r < rows; r++) {
        const T *zr = z + r * cols, *tr = t + r * cols;
        double mx = -INFINITY, s = 0, l = 0, tsum = 0;
        for (int64_t j = 0; j < cols; j++)
            mx = fmax(mx, (double)zr[j]);
        for (int64_t j = 0; j < cols; j++)
            s += exp((double)zr[j] - mx);
        const double lse = mx + log(s);
        for (int64_t j = 0; j < cols; j++) {
            const double tj = (double)tr[j] * (1.0 - ls) + ls / (double)cols;
            l += tj * (lse - (double)zr[j]);
            tsum += tj;
        }
        const double w = weight ? (double)weight[r] : 1.0;
        if (grad)
            for (int64_t j = 0; j < cols; j++) {
                const double tj = (double)tr[j] * (1.0 - ls) + ls / (double)cols;
                grad[r * cols + j] = (T)((exp((double)zr[j] - lse) * tsum - tj) * w * scale);
            }
        if (loss)
            loss[r] = (T)l;
        total += w * l;
    }
    return total;
}

#undef LOSS_ROWS_LOOP
