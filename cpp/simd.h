// Run-time dispatch for plain loops: the compiler builds each function marked PMDL_SIMD_CLONES for
// AVX-512, AVX2+FMA and baseline x86-64, and the loader picks one for the CPU (no -march=native).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PMDL_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PMDL_SIMD_CLONES
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace pmdl {

// Flush denormals to zero while the core computes, as TensorFlow does on CPUs: decaying optimizer
// state and dead units otherwise hit ~100-cycle microcode assists. The caller's mode is restored.
class FlushDenormals {
public:
#if defined(__x86_64__) || defined(__i386__)
    FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }  // FTZ | DAZ
    ~FlushDenormals() { _mm_setcsr(saved_); }
private:
    unsigned saved_;
#endif
};

}  // namespace pmdl
