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

// Each OpenMP thread has its own floating-point mode: worker threads take the calling thread's
// (whether it flushes denormals), so no element's result depends on which thread computed it.
// The thread's previous mode is restored at the end of the scope.
class AdoptFloatMode {
public:
#if defined(__x86_64__) || defined(__i386__)
    static unsigned current() { return _mm_getcsr(); }
    explicit AdoptFloatMode(unsigned mode) : saved_(_mm_getcsr()) { _mm_setcsr(mode); }
    ~AdoptFloatMode() { _mm_setcsr(saved_); }
private:
    unsigned saved_;
#else
    static unsigned current() { return 0; }
    explicit AdoptFloatMode(unsigned) {}
#endif
};

// Flush denormals to zero while the core computes, as TensorFlow does on CPUs: decaying optimizer
// state and dead units otherwise hit ~100-cycle microcode assists. The caller's mode is restored.
class FlushDenormals : AdoptFloatMode {
public:
    FlushDenormals() : AdoptFloatMode(current() | kFtzDaz) {}
private:
    static constexpr unsigned kFtzDaz = 0x8040;  // MXCSR flush-to-zero | denormals-are-zero
};

}  // namespace pmdl
