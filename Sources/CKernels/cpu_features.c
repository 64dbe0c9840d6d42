// What the CPU runs, asked of cpuid through the compiler's builtins (which also check that the OS
// saves the vector registers). Compiled for plain x86-64: it must run on the CPUs it refuses.
#include "CKernels.h"
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

int curate_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void curate_cpu_model(char out[49]) {
    memset(out, 0, 49);
#if defined(__x86_64__) || defined(__i386__)
    unsigned int max = __get_cpuid_max(0x80000000, 0);
    if (max < 0x80000004) return;
    unsigned int *words = (unsigned int *)out;
    for (unsigned int leaf = 0; leaf < 3; leaf++) {
        __get_cpuid(0x80000002 + leaf, &words[4 * leaf], &words[4 * leaf + 1], &words[4 * leaf + 2], &words[4 * leaf + 3]);
    }
#endif
}
