// Portable C++ micro-kernel for gemm: ARM processors (Apple silicon, Graviton: NEON) and x86 ones
// without AVX2+FMA (SSE2); compiled with the baseline flags.
#include "gemm_kernels.h"
#include "gemm_pack.h"

namespace pmdl::detail {
namespace {

// Written with the vector extensions of GCC and clang (4 floats: one SSE2 or NEON register), so
// the compiler keeps the tile in registers: with plain float arrays it kept them in memory (SSE2 on
// this machine: 4 -> 21 GFLOP/s at 512^3, the peak of separate multiplies and adds).
typedef float v4 __attribute__((vector_size(16)));

// Register tile MR x NR: NV = 2 vectors of B per row, MR rows of accumulators.
#if defined(__aarch64__)
constexpr int MR = 8;  // 32 NEON registers: 16 accumulators + 2 of B + broadcasts of A
#else
constexpr int MR = 4;  // 16 SSE registers: 8 accumulators + 2 of B + broadcasts of A
#endif
constexpr int NV = 2;
constexpr int NR = 4 * NV;

inline v4 load4(const float* p) {
    v4 x;
    __builtin_memcpy(&x, p, sizeof x);  // unaligned load
    return x;
}
inline void store4(float* p, v4 x) { __builtin_memcpy(p, &x, sizeof x); }

void micro(int kc, const float* __restrict a, long a_rs, long a_cs, const float* __restrict b, long b_step,
           float* c, long ldc, int mr, int nr, float alpha, float beta) {
    v4 acc[MR][NV] = {};
    long row[MR];  // A(i, p) = a[row[i] + p * a_cs]; rows past mr repeat the last one (never stored)
    for (int i = 0; i < MR; ++i) row[i] = (i < mr ? i : mr - 1) * a_rs;
    for (int p = 0; p < kc; ++p) {
        v4 bv[NV];
        for (int v = 0; v < NV; ++v) bv[v] = load4(b + 4 * v);
        for (int i = 0; i < MR; ++i) {
            const float x = a[row[i]];
            const v4 ai = {x, x, x, x};
            for (int v = 0; v < NV; ++v) acc[i][v] += ai * bv[v];
        }
        a += a_cs;
        b += b_step;
    }
    // alpha*acc, then beta*c added: the same two roundings for full and partial tiles.
    const v4 va = {alpha, alpha, alpha, alpha}, vb = {beta, beta, beta, beta};
    if (mr == MR && nr == NR) {
        for (int i = 0; i < MR; ++i)
            for (int v = 0; v < NV; ++v) {
                float* cp = c + i * ldc + 4 * v;
                v4 x = va * acc[i][v];
                if (beta != 0.0f) x = vb * load4(cp) + x;
                store4(cp, x);
            }
        return;
    }
    for (int i = 0; i < mr; ++i)
        for (int j = 0; j < nr; ++j) {
            float* cp = c + i * ldc + j;
            const float x = alpha * acc[i][j / 4][j % 4];
            *cp = beta != 0.0f ? beta * *cp + x : x;
        }
}

void pack_a(int mc, int kc, const float* a, long lda, bool trans, float* out) {
    pack_a_panels<MR>(mc, kc, a, lda, trans, out);
}
void pack_b(int kc, int nc, const float* b, long ldb, bool trans, float* out) {
    pack_b_panels<NR>(kc, nc, b, ldb, trans, out);
}

double fma_loop(long iters) {
    constexpr int R = 16;
    float acc[R];
    for (int r = 0; r < R; ++r) acc[r] = (float)r;
    for (long it = 0; it < iters; ++it)
        for (int r = 0; r < R; ++r) acc[r] = acc[r] * 0.999999f + 1e-7f;
    float s = 0.0f;
    for (int r = 0; r < R; ++r) s += acc[r];
    volatile float sink = s;  // keeps the loop from being optimized away
    (void)sink;
    return 2.0 * R * (double)iters;
}

}  // namespace

const GemmKernel kernel_portable = {"portable", MR, NR, pack_a, pack_b, micro, fma_loop, nullptr, nullptr, nullptr, 0, false};

}  // namespace pmdl::detail
