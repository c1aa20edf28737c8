/* match/kernels_x86.c - AVX2/FMA and AVX-512 (VNNI) dot-product kernels.
 *
 * Compiled with per-function target attributes, so the rest of liblfr stays
 * portable and kernels.c chooses at run time. Float kernels score four rows
 * per pass to load each query vector once for four rows; the gallery is
 * read once per search either way, which is what bounds the speed.
 */
#include "internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static void dot_f32_avx2(const float *q, const float *rows,
                                                             int n, int dim, float *out)
{
    int r = 0;
    int vec_dim = dim & ~7;
    for (; r + 4 <= n; r += 4) {
        const float *t0 = rows + (size_t)r * dim, *t1 = t0 + dim, *t2 = t1 + dim, *t3 = t2 + dim;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < vec_dim; i += 8) {
            __m256 qv = _mm256_loadu_ps(q + i);
            a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(t0 + i), a0);
            a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(t1 + i), a1);
            a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(t2 + i), a2);
            a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(t3 + i), a3);
        }
        float s0 = hsum256(a0), s1 = hsum256(a1), s2 = hsum256(a2), s3 = hsum256(a3);
        for (int i = vec_dim; i < dim; i++) {
            s0 += q[i] * t0[i];
            s1 += q[i] * t1[i];
            s2 += q[i] * t2[i];
            s3 += q[i] * t3[i];
        }
        out[r] = s0;
        out[r + 1] = s1;
        out[r + 2] = s2;
        out[r + 3] = s3;
    }
    for (; r < n; r++) {
        const float *t = rows + (size_t)r * dim;
        __m256 a = _mm256_setzero_ps();
        for (int i = 0; i < vec_dim; i += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(t + i), a);
        float s = hsum256(a);
        for (int i = vec_dim; i < dim; i++)
            s += q[i] * t[i];
        out[r] = s;
    }
}

/* Signed x signed bytes: maddubs wants unsigned x signed, so multiply |q|
 * by t carrying q's sign; pairs of products stay within int16 because the
 * values are limited to [-127, 127]. */
__attribute__((target("avx2,fma"))) static void dot_i8_avx2(const int8_t *q8, const int8_t *rows8,
                                                            const int32_t *row_sums, int n, int dim,
                                                            int32_t *out)
{
    (void)row_sums;
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < n; r++) {
        const int8_t *t = rows8 + (size_t)r * dim;
        __m256i acc = _mm256_setzero_si256();
        for (int i = 0; i < dim; i += 32) {
            __m256i qv = _mm256_loadu_si256((const __m256i *)(q8 + i));
            __m256i tv = _mm256_loadu_si256((const __m256i *)(t + i));
            __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(qv, qv), _mm256_sign_epi8(tv, qv));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p16, ones));
        }
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
        out[r] = _mm_cvtsi128_si32(s);
    }
}

__attribute__((target("avx512f"))) static void dot_f32_avx512(const float *q, const float *rows,
                                                              int n, int dim, float *out)
{
    int vec_dim = dim & ~15;
    int r = 0;
    for (; r + 4 <= n; r += 4) {
        const float *t0 = rows + (size_t)r * dim, *t1 = t0 + dim, *t2 = t1 + dim, *t3 = t2 + dim;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < vec_dim; i += 16) {
            __m512 qv = _mm512_loadu_ps(q + i);
            a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(t0 + i), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(t1 + i), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(t2 + i), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(t3 + i), a3);
        }
        float s0 = _mm512_reduce_add_ps(a0), s1 = _mm512_reduce_add_ps(a1);
        float s2 = _mm512_reduce_add_ps(a2), s3 = _mm512_reduce_add_ps(a3);
        for (int i = vec_dim; i < dim; i++) {
            s0 += q[i] * t0[i];
            s1 += q[i] * t1[i];
            s2 += q[i] * t2[i];
            s3 += q[i] * t3[i];
        }
        out[r] = s0;
        out[r + 1] = s1;
        out[r + 2] = s2;
        out[r + 3] = s3;
    }
    for (; r < n; r++) {
        const float *t = rows + (size_t)r * dim;
        __m512 a = _mm512_setzero_ps();
        for (int i = 0; i < vec_dim; i += 16)
            a = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(t + i), a);
        float s = _mm512_reduce_add_ps(a);
        for (int i = vec_dim; i < dim; i++)
            s += q[i] * t[i];
        out[r] = s;
    }
}

/* VNNI multiplies unsigned by signed bytes into int32 without saturation:
 * with q shifted to q + 128 (unsigned), q.t = (q+128).t - 128 * sum(t), and
 * sum(t) is stored per row. Four rows per pass share the query registers. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
dot_i8_avx512(const int8_t *q8, const int8_t *rows8, const int32_t *row_sums, int n, int dim,
              int32_t *out)
{
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    __m512i qu[32]; /* dim <= 2048 */
    int blocks = dim / 64;
    for (int b = 0; b < blocks; b++)
        qu[b] = _mm512_xor_si512(_mm512_loadu_si512((const void *)(q8 + 64 * b)), bias);
    int r = 0;
    for (; r + 4 <= n; r += 4) {
        const int8_t *t0 = rows8 + (size_t)r * dim, *t1 = t0 + dim, *t2 = t1 + dim, *t3 = t2 + dim;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            a0 = _mm512_dpbusd_epi32(a0, qu[b], _mm512_loadu_si512((const void *)(t0 + 64 * b)));
            a1 = _mm512_dpbusd_epi32(a1, qu[b], _mm512_loadu_si512((const void *)(t1 + 64 * b)));
            a2 = _mm512_dpbusd_epi32(a2, qu[b], _mm512_loadu_si512((const void *)(t2 + 64 * b)));
            a3 = _mm512_dpbusd_epi32(a3, qu[b], _mm512_loadu_si512((const void *)(t3 + 64 * b)));
        }
        out[r] = _mm512_reduce_add_epi32(a0) - 128 * row_sums[r];
        out[r + 1] = _mm512_reduce_add_epi32(a1) - 128 * row_sums[r + 1];
        out[r + 2] = _mm512_reduce_add_epi32(a2) - 128 * row_sums[r + 2];
        out[r + 3] = _mm512_reduce_add_epi32(a3) - 128 * row_sums[r + 3];
    }
    for (; r < n; r++) {
        const int8_t *t = rows8 + (size_t)r * dim;
        __m512i a = _mm512_setzero_si512();
        for (int b = 0; b < blocks; b++)
            a = _mm512_dpbusd_epi32(a, qu[b], _mm512_loadu_si512((const void *)(t + 64 * b)));
        out[r] = _mm512_reduce_add_epi32(a) - 128 * row_sums[r];
    }
}

static const match_kernels avx2 = {"avx2-fma", dot_f32_avx2, dot_i8_avx2};
static const match_kernels avx512 = {"avx512-vnni", dot_f32_avx512, dot_i8_avx512};
const match_kernels *match_kernels_avx2 = &avx2;
const match_kernels *match_kernels_avx512 = &avx512;
#else
const match_kernels *match_kernels_avx2 = NULL;
const match_kernels *match_kernels_avx512 = NULL;
#endif
