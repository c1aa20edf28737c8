/* match/kernels.c - portable dot-product kernels and the run-time choice of
 * the fastest ones the processor offers (as Redis's ae.c picks a poller). */
#include "internal.h"

#include <stdatomic.h>

void dot_f32_scalar(const float *q, const float *rows, int n, int dim, float *out)
{
    for (int r = 0; r < n; r++) {
        const float *t = rows + (size_t)r * (size_t)dim;
        /* Four partial sums: the same association order as the vector
         * kernels would be too strict to ask; this keeps rounding small. */
        float s[4] = {0, 0, 0, 0};
        int i = 0;
        for (; i + 4 <= dim; i += 4)
            for (int k = 0; k < 4; k++)
                s[k] += q[i + k] * t[i + k];
        for (; i < dim; i++)
            s[0] += q[i] * t[i];
        out[r] = (s[0] + s[1]) + (s[2] + s[3]);
    }
}

void dot_i8_scalar(const int8_t *q8, const int8_t *rows8, const int32_t *row_sums, int n, int dim,
                   int32_t *out)
{
    (void)row_sums;
    for (int r = 0; r < n; r++) {
        const int8_t *t = rows8 + (size_t)r * (size_t)dim;
        int32_t s = 0;
        for (int i = 0; i < dim; i++)
            s += (int32_t)q8[i] * t[i];
        out[r] = s;
    }
}

static const match_kernels scalar = {"scalar", dot_f32_scalar, dot_i8_scalar};
static _Atomic(const match_kernels *) chosen;
static atomic_int force_scalar;

static const match_kernels *pick(void)
{
    if (atomic_load(&force_scalar)) return &scalar;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (match_kernels_avx512 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni"))
        return match_kernels_avx512;
    if (match_kernels_avx2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return match_kernels_avx2;
#endif
    return &scalar;
}

const match_kernels *match_kernels_get(void)
{
    const match_kernels *k = atomic_load(&chosen);
    if (!k) {
        k = pick();
        atomic_store(&chosen, k);
    }
    return k;
}

const char *lfr_match_kernel_name(void)
{
    return match_kernels_get()->name;
}

void lfr_match_force_scalar(int on)
{
    atomic_store(&force_scalar, on);
    atomic_store(&chosen, (const match_kernels *)NULL);
}

void lfr_dot_rows_f32(const float *q, const float *rows, int n, int dim, float *out)
{
    match_kernels_get()->dot_f32(q, rows, n, dim, out);
}
