// The bfloat16 GEMM of bf16gemm.h, blocked as GotoBLAS blocks (Goto & van de Geijn, "Anatomy of
// high-performance matrix multiplication", 2008): a KC×NC block of B is packed (and rounded to
// bf16) once, an MC×KC block of A is packed into panels of MR rows, and a 12×32 micro-kernel
// keeps 24 zmm accumulators of C while it walks K two at a time. vdpbf16ps multiplies 16 pairs
// of bf16 and adds each pair's sum into one fp32 lane, so both packed layouts keep k and k+1 of
// a row (A) or a column (B) side by side:
//   A panel: 32-bit words (A[i][k], A[i][k+1]), [MR][k/2] or [k/2][MR] (whichever packs as
//            A lies: see pack_a), each broadcast to all lanes
//   B panel: [k/2][NR][2] bf16 — two zmm (32 columns) per pair of k
// Rows past m and columns past n are zero in the packed blocks and masked off in the store; an
// odd k gets a zero partner. Rounding is the hardware's (vcvtne2ps2bf16: to nearest, ties to even).
#include "CKernels.h"
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MR 12
#define NR 32
#define KC 384   // k per block (192 pairs): an A panel is 18 KB, a B panel 24 KB
#define MC 96    // rows of A per block (8 panels): 72 KB of packed A, in L2
#define NC 1024  // columns of B per block: 768 KB of packed B, in L2

#define TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

int curate_bf16_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16");
}

/// fp32 -> bf16 bits, to nearest with ties to even (NaN stays NaN: its quiet bit survives).
static inline uint16_t to_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

float curate_bf16_round(float x) {
    uint32_t bits = (uint32_t)to_bf16(x) << 16;
    float y;
    memcpy(&y, &bits, 4);
    return y;
}

/// Interleaves two rows of 16 bf16 (x from the first, y from the second): (x0,y0,x1,y1,…).
TARGET static inline __m512i interleave(__m256bh x, __m256bh y) {
    const __m512i index = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8,
                                           39, 7, 38, 6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
    return _mm512_permutex2var_epi16(_mm512_castsi256_si512((__m256i)x), index, _mm512_castsi256_si512((__m256i)y));
}

/// The mask of the first `count` (≤ 16) lanes.
static inline __mmask16 first(int count) { return count >= 16 ? 0xffff : count <= 0 ? 0 : (__mmask16)((1u << count) - 1); }

/// Rows i0..i0+MR (zero past m) and k0..k0+kc of op(A), as bf16 pairs. Not transposed, A's rows
/// hold k side by side: each row is rounded as it lies, giving [MR][pairs] (the kernel's row
/// stride `pairs`, pair stride 1). Transposed, two stored rows are k and k+1 of MR neighbouring
/// i: interleaved they give [pairs][MR] (row stride 1, pair stride MR).
TARGET static void pack_a(uint32_t *out, const float *a, int lda, int trans, int m, int i0, int k0, int kc) {
    int pairs = (kc + 1) / 2;
    if (!trans) {
        for (int r = 0; r < MR; r++) {
            uint16_t *o = (uint16_t *)(out + (long)r * pairs);
            if (i0 + r >= m) { memset(o, 0, sizeof(uint32_t) * pairs); continue; }
            const float *row = a + (long)(i0 + r) * lda + k0;
            for (int kk = 0; kk < 2 * pairs; kk += 32) {
                __m512 lo = _mm512_maskz_loadu_ps(first(kc - kk), row + kk);
                __m512 hi = _mm512_maskz_loadu_ps(first(kc - kk - 16), row + kk + 16);
                int left = 2 * pairs - kk;
                _mm512_mask_storeu_epi16(o + kk, left >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << left) - 1), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
            }
        }
        return;
    }
    __mmask16 rows = first(m - i0);
    for (int p = 0; p < pairs; p++) {
        int k1 = k0 + 2 * p, k2 = k1 + 1;
        __m512 x = _mm512_maskz_loadu_ps(rows & first(MR), a + (long)k1 * lda + i0);
        __m512 y = k2 < k0 + kc ? _mm512_maskz_loadu_ps(rows & first(MR), a + (long)k2 * lda + i0) : _mm512_setzero_ps();
        _mm512_mask_storeu_epi32(out + (long)p * MR, first(MR), interleave(_mm512_cvtneps_pbh(x), _mm512_cvtneps_pbh(y)));
    }
}

/// Columns j0..j0+NR (zero past n) and k0..k0+kc of op(B) into [pairs][NR][2].
TARGET static void pack_b(uint16_t *out, const float *b, int ldb, int trans, int n, int j0, int k0, int kc) {
    int pairs = (kc + 1) / 2;
    if (!trans) {
        // B's rows are k: rows k and k+1 interleaved, 16 columns at a time.
        for (int p = 0; p < pairs; p++) {
            int k1 = k0 + 2 * p, k2 = k1 + 1, has2 = k2 < k0 + kc;
            for (int half = 0; half < 2; half++) {
                int j = j0 + 16 * half;
                __mmask16 cols = first(n - j);
                __m512 x = _mm512_maskz_loadu_ps(cols, b + (long)k1 * ldb + j);
                __m512 y = has2 ? _mm512_maskz_loadu_ps(cols, b + (long)k2 * ldb + j) : _mm512_setzero_ps();
                _mm512_storeu_si512(out + (long)p * NR * 2 + 32 * half, interleave(_mm512_cvtneps_pbh(x), _mm512_cvtneps_pbh(y)));
            }
        }
        return;
    }
    // B's rows are columns j: each holds its k side by side (a weight's row in linear layers).
    for (int p = 0; p < pairs; p++) {
        int k1 = k0 + 2 * p, k2 = k1 + 1, has2 = k2 < k0 + kc;
        uint16_t *o = out + (long)p * NR * 2;
        for (int jj = 0; jj < NR; jj++) {
            int j = j0 + jj;
            if (j >= n) { o[2 * jj] = 0; o[2 * jj + 1] = 0; continue; }
            o[2 * jj] = to_bf16(b[(long)j * ldb + k1]);
            o[2 * jj + 1] = has2 ? to_bf16(b[(long)j * ldb + k2]) : 0;
        }
    }
}

/// C tile (mr ≤ MR rows, nr ≤ NR columns) (+)= A panel · B panel over `pairs` pairs of k; A's
/// pair (r, p) is the word at a[r·rs + p·ps].
TARGET static void kernel(int pairs, const uint32_t *a, long rs, long ps, const uint16_t *b, float *c, int ldc, int mr, int nr, int add) {
    __m512 acc[MR][2];
    for (int r = 0; r < MR; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (int p = 0; p < pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(b + (long)p * 64));
        __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(b + (long)p * 64 + 32));
        const uint32_t *ap = a + p * ps;
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)ap[r * rs]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, b1);
        }
    }
    __mmask16 m0 = first(nr), m1 = first(nr - 16);
    for (int r = 0; r < mr; r++) {
        float *row = c + (long)r * ldc;
        if (add) {
            acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_maskz_loadu_ps(m0, row));
            acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_maskz_loadu_ps(m1, row + 16));
        }
        _mm512_mask_storeu_ps(row, m0, acc[r][0]);
        _mm512_mask_storeu_ps(row + 16, m1, acc[r][1]);
    }
}

/// Each thread's packing buffers, made on its first product and freed when it ends (a fresh
/// 840 KB malloc per product is fresh pages each time).
struct buffers { uint32_t *a; uint16_t *b; };
static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void free_buffers(void *p) {
    struct buffers *buffers = p;
    free(buffers->a);
    free(buffers->b);
    free(buffers);
}

static void make_key(void) { pthread_key_create(&buffers_key, free_buffers); }

static struct buffers *thread_buffers(void) {
    pthread_once(&buffers_once, make_key);
    struct buffers *buffers = pthread_getspecific(buffers_key);
    if (buffers) return buffers;
    buffers = malloc(sizeof *buffers);
    if (!buffers) return NULL;
    buffers->a = aligned_alloc(64, sizeof(uint32_t) * (KC / 2) * MC);
    buffers->b = aligned_alloc(64, sizeof(uint16_t) * KC * NC);
    if (!buffers->a || !buffers->b) { free_buffers(buffers); return NULL; }
    pthread_setspecific(buffers_key, buffers);
    return buffers;
}

TARGET void curate_bf16_gemm(int trans_a, int trans_b, int m, int n, int k,
                             const float *a, int lda, const float *b, int ldb,
                             float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (beta == 0) for (int i = 0; i < m; i++) memset(c + (long)i * ldc, 0, sizeof(float) * n);
        return;
    }
    struct buffers *buffers = thread_buffers();
    if (!buffers) abort();  // 840 KB could not be had: no product can be computed
    uint32_t *pa = buffers->a;
    uint16_t *pb = buffers->b;
    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = k - k0 < KC ? k - k0 : KC, pairs = (kc + 1) / 2;
            int add = k0 > 0 || beta != 0;
            long rs = trans_a ? 1 : pairs, ps = trans_a ? MR : 1;
            for (int jp = 0; jp < nc; jp += NR) pack_b(pb + (long)jp * pairs * 2, b, ldb, trans_b, n, j0 + jp, k0, kc);
            for (int i0 = 0; i0 < m; i0 += MC) {
                int mc = m - i0 < MC ? m - i0 : MC;
                for (int ip = 0; ip < mc; ip += MR) pack_a(pa + (long)ip * pairs, a, lda, trans_a, m, i0 + ip, k0, kc);
                for (int jp = 0; jp < nc; jp += NR) {
                    int nr = nc - jp < NR ? nc - jp : NR;
                    for (int ip = 0; ip < mc; ip += MR) {
                        int mr = mc - ip < MR ? mc - ip : MR;
                        kernel(pairs, pa + (long)ip * pairs, rs, ps, pb + (long)jp * pairs * 2, c + (long)(i0 + ip) * ldc + j0 + jp, ldc, mr, nr, add);
                    }
                }
            }
        }
    }
}
