// Portable C++ micro-kernel for gemm, for CPUs without AVX2+FMA; compiled with the baseline
// flags, so the compiler vectorizes it with whatever the baseline has (SSE2 on x86-64).
#include "gemm_kernels.h"
#include "gemm_pack.h"

namespace pmdl::detail {
namespace {

// Register tile MR x NR = 4 x 8: with 16 128-bit registers (x86-64 SSE2, also NEON has 32),
// 4 rows x 2 vectors = 8 accumulators + 2 of B + broadcasts of A fit without spilling.
constexpr int MR = 4;
constexpr int NR = 8;

void micro(int kc, const float* __restrict a, long a_rs, long a_cs, const float* __restrict b, long b_step,
           float* c, long ldc, int mr, int nr, float alpha, float beta) {
    float acc[MR][NR] = {};
    long row[MR];  // A(i, p) = a[row[i] + p * a_cs]; rows past mr repeat the last one (never stored)
    for (int i = 0; i < MR; ++i) row[i] = (i < mr ? i : mr - 1) * a_rs;
    for (int p = 0; p < kc; ++p) {
        for (int i = 0; i < MR; ++i)
            for (int j = 0; j < NR; ++j) acc[i][j] += a[row[i]] * b[j];
        a += a_cs;
        b += b_step;
    }
    for (int i = 0; i < mr; ++i)
        for (int j = 0; j < nr; ++j) {
            float* cp = c + i * ldc + j;
            const float x = alpha * acc[i][j];
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
