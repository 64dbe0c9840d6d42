// The kernels curate writes in C: the CPU's features, checked before any vector code runs, and
// a bfloat16 matrix product.
//
// The bfloat16 product: C = op(A)·op(B) (+ C), operands given in fp32, rounded to
// bfloat16 while they are packed, multiplied with AVX512-BF16's vdpbf16ps (pairs of bf16
// products summed into fp32), accumulated in fp32. The same interface as cblas_sgemm, row-major,
// alpha 1, beta 0 or 1. It exists because Debian's OpenBLAS 0.3.21 is built without
// BUILD_BFLOAT16: its cblas.h declares cblas_sbgemm, its library does not export it.
#ifndef CURATE_CKERNELS_H
#define CURATE_CKERNELS_H

#include <stdint.h>

/// 1 when this CPU (and the OS, which saves the registers) runs AVX2 and FMA: what the Kernels
/// target is compiled for (-target-cpu haswell). This file is compiled for plain x86-64, so the
/// check itself runs anywhere.
int curate_cpu_has_avx2_fma(void);

/// The CPU's brand string ("AMD EPYC 9B14 ..."), or "" where cpuid does not give it.
void curate_cpu_model(char out[49]);

/// 1 when this CPU runs AVX512F, AVX512BW and AVX512_BF16 (the kernel's instructions), else 0.
int curate_bf16_supported(void);

/// C (m,n) = op(A) (m,k) · op(B) (k,n) + beta·C, beta 0 or 1; A is (k,m) when trans_a, B is
/// (n,k) when trans_b; lda, ldb, ldc are the distances between stored rows. Single-threaded:
/// callers cut the rows of C among their threads. Only on a CPU where curate_bf16_supported().
void curate_bf16_gemm(int trans_a, int trans_b, int m, int n, int k,
                      const float *a, int lda, const float *b, int ldb,
                      float beta, float *c, int ldc);

/// Rounds to bfloat16 (to nearest, ties to even) and back: what the kernel multiplies.
float curate_bf16_round(float x);

#endif
