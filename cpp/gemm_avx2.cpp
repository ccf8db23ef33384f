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
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        if (i < mr) {
            _mm_prefetch((const char*)(c + i * ldc), _MM_HINT_T0);
            _mm_prefetch((const char*)(c + i * ldc + 8 * NV - 1), _MM_HINT_T0);
        }
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

// Lanes [0, count) of a vector set (count 0..8, clamped): the mask of a partial last vector.
inline __m256i first(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Transpose an 8 x 8 block held in 8 registers (row i of the input becomes column i).
inline void transpose8(__m256 r[8]) {
    __m256 t[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i) {
        r[4 * i + 0] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 1] = _mm256_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm256_permute2f128_ps(r[i], r[4 + i], 0x20);
        t[4 + i] = _mm256_permute2f128_ps(r[i], r[4 + i], 0x31);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) r[i] = t[i];
}

// The first 6 lanes of v to dst (a column of the 6-row panel): a 4-lane and a 2-lane store, so
// nothing past the panel is written.
inline void store6(float* dst, __m256 v) {
    _mm_storeu_ps(dst, _mm256_castps256_ps128(v));
    _mm_storel_pi((__m64*)(dst + 4), _mm256_extractf128_ps(v, 1));
}

// Rows a strided pack reads ahead of the one it copies: each row of a column panel is a new cache
// line, pages apart, where the hardware's stride prefetcher does not follow.
constexpr int PREFETCH_ROWS = 8;

// The packing routines of gemm_pack.h for the 6-row and 8k-column panels, with the strided
// (transposing) cases done 8 x 8 in registers and the row copies two vectors at a time: the
// scalar copies took 17% of the 784-512-512-10 MLP's step on 2 threads (perf; the micro-kernel 60%).
template <int MR>
void pack_a(int mc, int kc, const float* a, long lda, bool trans, float* out) {  // the 1-row tile's
    pack_a_panels<MR>(mc, kc, a, lda, trans, out);
}

void pack_a6(int mc, int kc, const float* a, long lda, bool trans, float* out) {
    constexpr int MR = 6;
    for (int i0 = 0; i0 < mc; i0 += MR, out += (long)MR * kc) {
        const int mr = mc - i0 < MR ? mc - i0 : MR;
        const __m256i rows = first(mr);
        if (trans) {  // column p of the panel is contiguous in memory
            for (int p = 0; p < kc; ++p) {
                if (p + PREFETCH_ROWS < kc)
                    _mm_prefetch((const char*)(a + (long)(p + PREFETCH_ROWS) * lda + i0), _MM_HINT_T0);
                store6(out + (long)p * MR, _mm256_maskload_ps(a + (long)p * lda + i0, rows));
            }
            continue;
        }
        for (int p = 0; p < kc; p += 8) {  // 8 columns of the MR rows: load rows, transpose
            const __m256i cols = first(kc - p);
            const int np = kc - p < 8 ? kc - p : 8;
            __m256 r[8];
#pragma GCC unroll 8
            for (int i = 0; i < 8; ++i) {
                const float* src = a + (long)(i0 + i) * lda + p;
                r[i] = i >= mr ? _mm256_setzero_ps() : np == 8 ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, cols);
            }
            transpose8(r);
#pragma GCC unroll 8
            for (int q = 0; q < 8; ++q)
                if (q < np) store6(out + (long)(p + q) * MR, r[q]);
        }
    }
}

template <int NV>
void pack_b(int kc, int nc, const float* b, long ldb, bool trans, float* out) {
    constexpr int NR = 8 * NV;
    for (int j0 = 0; j0 < nc; j0 += NR, out += (long)NR * kc) {
        const int nr = nc - j0 < NR ? nc - j0 : NR;
        if (!trans) {  // row p of the panel is contiguous in memory
            for (int p = 0; p < kc; ++p) {
                const float* src = b + (long)p * ldb + j0;
                if (p + PREFETCH_ROWS < kc) _mm_prefetch((const char*)(src + PREFETCH_ROWS * ldb), _MM_HINT_T0);
#pragma GCC unroll 8
                for (int v = 0; v < NV; ++v)
                    _mm256_storeu_ps(out + (long)p * NR + 8 * v,
                                     nr == NR ? _mm256_loadu_ps(src + 8 * v)
                                              : _mm256_maskload_ps(src + 8 * v, first(nr - 8 * v)));
            }
            continue;
        }
        for (int p = 0; p < kc; p += 8) {  // 8 rows of 8 columns at a time: load columns, transpose
            const __m256i rows = first(kc - p);
            const int np = kc - p < 8 ? kc - p : 8;
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) {
                __m256 r[8];
#pragma GCC unroll 8
                for (int j = 0; j < 8; ++j) {
                    const float* src = b + (long)(j0 + 8 * v + j) * ldb + p;
                    r[j] = 8 * v + j >= nr ? _mm256_setzero_ps()
                           : np == 8       ? _mm256_loadu_ps(src)
                                           : _mm256_maskload_ps(src, rows);
                }
                transpose8(r);
#pragma GCC unroll 8
                for (int q = 0; q < 8; ++q)
                    if (q < np) _mm256_storeu_ps(out + (long)(p + q) * NR + 8 * v, r[q]);
            }
        }
    }
}

// Direct path for tiny products (up to 32 columns per call): no packing. R rows of C at a time,
// NVD vectors wide (the last one masked), stay in registers while the k loop broadcasts A(i, p)
// against row p of B; the R rows give R independent FMA chains per vector (16 ymm registers:
// R * NVD accumulators + NVD of B + a broadcast + the mask). As in the AVX-512 file.
template <int NVD, int R>
void direct_rows(bool ta, int m, int n, int k, float alpha, const float* A, long lda, const float* B,
                 long ldb, float beta, float* C, long ldc) {
    constexpr int L = NVD - 1;  // the last vector, the only one that can be partial
    const __m256i mask = first(n - 8 * L);
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    for (int i = 0; i < m; i += R) {
        const int rows = m - i < R ? m - i : R;
        long a_row[R];  // A(i+r, p) = A[a_row[r] + p * a_col]; rows past m repeat the last one
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) a_row[r] = ta ? i + (r < rows ? r : rows - 1) : (long)(i + (r < rows ? r : rows - 1)) * lda;
        const long a_col = ta ? lda : 1;
        __m256 acc[R][NVD];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < NVD; ++v) acc[r][v] = _mm256_setzero_ps();
        for (int p = 0; p < k; ++p) {
            const float* b_row = B + (long)p * ldb;
            __m256 b[NVD];
#pragma GCC unroll 4
            for (int v = 0; v < L; ++v) b[v] = _mm256_loadu_ps(b_row + 8 * v);
            b[L] = _mm256_maskload_ps(b_row + 8 * L, mask);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const __m256 av = _mm256_broadcast_ss(A + a_row[r] + p * a_col);
#pragma GCC unroll 4
                for (int v = 0; v < NVD; ++v) acc[r][v] = _mm256_fmadd_ps(av, b[v], acc[r][v]);
            }
        }
        // alpha*acc, then fma with beta*c: the packed micro-kernel's two roundings.
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            if (r >= rows) break;
            float* c = C + (long)(i + r) * ldc;
#pragma GCC unroll 4
            for (int v = 0; v < L; ++v) {
                __m256 x = _mm256_mul_ps(va, acc[r][v]);
                if (beta != 0.0f) x = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8 * v), x);
                _mm256_storeu_ps(c + 8 * v, x);
            }
            __m256 x = _mm256_mul_ps(va, acc[r][L]);
            if (beta != 0.0f) x = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8 * L, mask), x);
            _mm256_maskstore_ps(c + 8 * L, mask, x);
        }
    }
}

// Up to 32 columns: the rows per pass that fit the registers, or 2 when C has only 1 or 2 rows
// (batch-1 training, as in the XOR tutorial). Rows are independent, so the bits are the same.
void direct_columns(bool ta, int m, int n, int k, float alpha, const float* A, long lda, const float* B,
                    long ldb, float beta, float* C, long ldc) {
    const bool few = m <= 2;
    switch ((n + 7) / 8) {
        case 1: return few ? direct_rows<1, 2>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)
                           : direct_rows<1, 8>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        case 2: return few ? direct_rows<2, 2>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)
                           : direct_rows<2, 6>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        case 3: return direct_rows<3, 3>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        default: return direct_rows<4, 2>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    }
}

// The direct path (n <= 64): C in chunks of 32 columns; columns are independent, so splitting is
// exact. A transposed B is first copied into k x 32 panels on the stack (k <= 64) and read as a
// row-major B; a longer k (so few rows) takes plain dot products.
void direct(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, long lda,
            const float* B, long ldb, float beta, float* C, long ldc) {
    constexpr int NC = 32, BT_MAX = 64 * NC;
    if (!tb) {
        for (int j0 = 0; j0 < n; j0 += NC)
            direct_columns(ta, m, n - j0 < NC ? n - j0 : NC, k, alpha, A, lda, B + j0, ldb, beta, C + j0, ldc);
        return;
    }
    alignas(32) float bt[BT_MAX];
    if (k <= BT_MAX / NC) {
        for (int j0 = 0; j0 < n; j0 += NC) {
            const int nc = n - j0 < NC ? n - j0 : NC;
            pack_b_panels<NC>(k, nc, B + (long)j0 * ldb, ldb, true, bt);  // few elements: one by one
            direct_columns(ta, m, nc, k, alpha, A, lda, bt, NC, beta, C + j0, ldc);
        }
        return;
    }
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            float s = 0.0f;
            for (int p = 0; p < k; ++p)
                s = __builtin_fmaf(ta ? A[(long)p * lda + i] : A[(long)i * lda + p], B[(long)j * ldb + p], s);
            float* c = C + (long)i * ldc + j;
            *c = beta != 0.0f ? __builtin_fmaf(beta, *c, alpha * s) : alpha * s;
        }
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

const GemmKernel kernel_avx2_few = {"avx2", 1, 64, pack_a<1>, pack_b<8>, micro<1, 8>, fma_loop, direct,
                                    nullptr, nullptr, 0, false};
const GemmKernel kernel_avx2 = {"avx2", 6, 16, pack_a6, pack_b<2>, micro<6, 2>, fma_loop, direct,
                                nullptr, &kernel_avx2_few, 2, false};

}  // namespace pmdl::detail
