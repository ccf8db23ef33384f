// AVX2 + FMA micro-kernel for gemm; compiled with -mavx2 -mfma (see CMakeLists.txt) and only
// called after __builtin_cpu_supports("avx2") and ("fma") said yes.
// No standard-library templates here: only intrinsics and functions of internal linkage (see gemm_pack.h).
#include <immintrin.h>

#include "gemm_kernels.h"
#include "gemm_pack.h"

namespace pmdl::detail {
namespace {

// Register tiles MR x NR, NV = NR / 8 vectors of 8 floats per row:
//   6 x 16: 16 ymm registers hold 6 rows x 2 vectors = 12 accumulators + 2 vectors of B + 1 broadcast
//           of A = 15 <= 16. Per k step: 12 FMAs (6 cycles on 2 ports, covering the 4-5 cycle FMA
//           latency) against 2 loads + 6 broadcasts. The main tile.
//   1 x 64: 8 accumulators, B's vectors taken straight from memory by the FMAs; for outputs of one or
//           two rows (a sample's prediction), where 6 x 16 would spend 5 of every 6 FMAs on rows
//           that are not stored.
template <int MR, int NV>
void micro(int kc, const float* __restrict a, long a_rs, long a_cs, const float* __restrict b, long b_step,
           float* c, long ldc, int mr, int nr, float alpha, float beta) {
    __m256 acc[MR][NV];
    long row[MR];  // A(i, p) = a[row[i] + p * a_cs]; rows past mr repeat the last one (never stored)
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        row[i] = (i < mr ? i : mr - 1) * a_rs;
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
    }
#pragma GCC unroll 4
    for (int p = 0; p < kc; ++p) {
        __m256 bv[NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m256 ai = _mm256_broadcast_ss(a + row[i]);
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
        }
        a += a_cs;
        b += b_step;
    }
    constexpr int NR = 8 * NV;
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    if (mr == MR && nr == NR) {
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) {
                float* cp = c + i * ldc + 8 * v;
                __m256 x = _mm256_mul_ps(va, acc[i][v]);
                if (beta != 0.0f) x = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cp), x);
                _mm256_storeu_ps(cp, x);
            }
        return;
    }
    // Partial tile: the same two roundings (alpha*acc, then fma with beta*c), element by element.
    alignas(32) float t[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) _mm256_store_ps(&t[i][8 * v], _mm256_mul_ps(va, acc[i][v]));
    for (int i = 0; i < mr; ++i)
        for (int j = 0; j < nr; ++j) {
            float* cp = c + i * ldc + j;
            *cp = beta != 0.0f ? __builtin_fmaf(beta, *cp, t[i][j]) : t[i][j];
        }
}

template <int MR>
void pack_a(int mc, int kc, const float* a, long lda, bool trans, float* out) {
    pack_a_panels<MR>(mc, kc, a, lda, trans, out);
}
template <int NR>
void pack_b(int kc, int nc, const float* b, long ldb, bool trans, float* out) {
    pack_b_panels<NR>(kc, nc, b, ldb, trans, out);
}

// 12 independent FMA chains cover 2 ports x 5 cycles latency; 4 registers stay free.
double fma_loop(long iters) {
    constexpr int R = 12;
    __m256 acc[R];
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = _mm256_set1_ps((float)r);
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(acc[r], x, y);
    }
    __m256 s = acc[0];
#pragma GCC unroll 16
    for (int r = 1; r < R; ++r) s = _mm256_add_ps(s, acc[r]);
    alignas(32) float out[8];
    _mm256_store_ps(out, s);
    volatile float sink = out[0];  // keeps the loop from being optimized away
    (void)sink;
    return 2.0 * 8 * R * (double)iters;
}

}  // namespace

const GemmKernel kernel_avx2_few = {"avx2", 1, 64, pack_a<1>, pack_b<64>, micro<1, 8>, fma_loop, nullptr,
                                    nullptr, nullptr, 0, false};
const GemmKernel kernel_avx2 = {"avx2", 6, 16, pack_a<6>, pack_b<16>, micro<6, 2>, fma_loop, nullptr,
                                nullptr, &kernel_avx2_few, 2, false};

}  // namespace pmdl::detail
