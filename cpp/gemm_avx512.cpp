// AVX-512 micro-kernel for gemm; compiled with -mavx512f -mavx512dq -mfma (see CMakeLists.txt)
// and only called after __builtin_cpu_supports("avx512f") said yes.
// No standard-library templates here: only intrinsics and functions of internal linkage, so the
// linker can never hand these AVX-512 instructions to code running on another CPU.
// GCC 12 flags the _mm512_undefined_ps() inside its own shuffle intrinsics as maybe-uninitialized.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "gemm_kernels.h"

namespace pmdl::detail {
namespace {

// Three register tiles, all within the 32 zmm registers (MR*NV accumulators + NV vectors of B + 1
// broadcast of A), all hiding the 4-cycle FMA latency behind >= 8 independent chains:
//   6 x 64 (NV = 4): 24 FMAs per k step against 4 + 6 = 10 loads. The main tile: fewer loads per
//                    FMA measured 4-8% faster than 14 x 32 on the MLP shapes (n = 512 fits exactly).
//   14 x 32 (NV = 2): 28 FMAs against 16 loads; pads narrow products less (n = 10: 22 columns of
//                    padding instead of 54), so gemm.cpp picks it when its padding is smaller.
//   1 x 128 (NV = 8): 8 FMAs against 8 loads, for outputs of one or two rows (a sample's prediction),
//                    where the 6 x 64 tile would spend 5 of every 6 FMAs on rows that are not stored.
//                    B is read in place there, partial panels through the lane masks.

// acc += A . B over kc steps: NV vectors of B row p against MR broadcasts of A(i, p). Masked: B's
// row is read through the lane masks (a partial panel of B read in place, whose row ends early).
template <int MR, int NV, bool Masked>
[[gnu::always_inline]] inline void accumulate(int kc, const float* __restrict a, const long* row, long a_cs,
                                              const float* __restrict b, long b_step, const __mmask16* mask,
                                              __m512 (&acc)[MR][NV]) {
#pragma GCC unroll 4
    for (int p = 0; p < kc; ++p) {
        __m512 bv[NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v)
            bv[v] = Masked ? _mm512_maskz_loadu_ps(mask[v], b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i) {
            const __m512 ai = _mm512_set1_ps(a[row[i]]);
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
        }
        a += a_cs;
        b += b_step;
    }
}

template <int MR, int NV>
void micro(int kc, const float* __restrict a, long a_rs, long a_cs, const float* __restrict b, long b_step,
           float* c, long ldc, int mr, int nr, float alpha, float beta) {
    __m512 acc[MR][NV];
    long row[MR];  // A(i, p) = a[row[i] + p * a_cs]; rows past mr repeat the last one (never stored)
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
        row[i] = (i < mr ? i : mr - 1) * a_rs;
        // C is read at the end: start fetching it now.
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) _mm_prefetch((const char*)(c + i * ldc + 16 * v), _MM_HINT_T0);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
    }
    // Masks of the columns stored (and, for the one-row tile, read from a partial panel of B in place).
    __mmask16 mask[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
        const int rem = nr - 16 * v;
        mask[v] = rem >= 16 ? (__mmask16)0xFFFF : rem <= 0 ? (__mmask16)0 : (__mmask16)((1u << rem) - 1);
    }
    if constexpr (MR == 1) {  // the few-rows tile reads partial panels of B in place
        if (nr < 16 * NV) accumulate<MR, NV, true>(kc, a, row, a_cs, b, b_step, mask, acc);
        else accumulate<MR, NV, false>(kc, a, row, a_cs, b, b_step, mask, acc);
    } else {
        accumulate<MR, NV, false>(kc, a, row, a_cs, b, b_step, mask, acc);
    }
    // Store alpha*acc (+ beta*c); masks cover a partial last vector, the row test a partial tile.
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
        if (i >= mr) break;
        float* cr = c + i * ldc;
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
            __m512 x = _mm512_mul_ps(va, acc[i][v]);
            if (beta != 0.0f) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], cr + 16 * v), x);
            _mm512_mask_storeu_ps(cr + 16 * v, mask[v], x);
        }
    }
}

// Transpose a 16 x 16 block held in 16 registers (row i of the input becomes column i).
inline void transpose16(__m512 r[16]) {
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
    }
}

inline __mmask16 first(int count) {  // mask of the first `count` lanes (0..16)
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count > 0 ? count : 0)) - 1);
}

// The packing routines of gemm_pack.h, with the strided (transposing) cases done 16 x 16 in
// registers: the scalar gathers cost a quarter of the multiply on the MLP shapes.
template <int MR>
void pack_a(int mc, int kc, const float* a, long lda, bool trans, float* out) {
    for (int i0 = 0; i0 < mc; i0 += MR, out += (long)MR * kc) {
        const int mr = mc - i0 < MR ? mc - i0 : MR;
        const __mmask16 rows = first(mr), lanes = first(MR);
        if (trans) {  // column p of the panel is contiguous in memory
            for (int p = 0; p < kc; ++p)
                _mm512_mask_storeu_ps(out + (long)p * MR, lanes,
                                      _mm512_maskz_loadu_ps(rows, a + (long)p * lda + i0));
            continue;
        }
        for (int p = 0; p < kc; p += 16) {  // 16 columns of MR rows: load rows, transpose
            const __mmask16 cols = first(kc - p);
            __m512 r[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i)
                r[i] = i < mr ? _mm512_maskz_loadu_ps(cols, a + (long)(i0 + i) * lda + p) : _mm512_setzero_ps();
            transpose16(r);
            const int np = kc - p < 16 ? kc - p : 16;
#pragma GCC unroll 16
            for (int q = 0; q < 16; ++q)
                if (q < np) _mm512_mask_storeu_ps(out + (long)(p + q) * MR, lanes, r[q]);
        }
    }
}

template <int NV>
void pack_b(int kc, int nc, const float* b, long ldb, bool trans, float* out) {
    constexpr int NR = 16 * NV;
    for (int j0 = 0; j0 < nc; j0 += NR, out += (long)NR * kc) {
        const int nr = nc - j0 < NR ? nc - j0 : NR;
        if (!trans) {  // row p of the panel is contiguous in memory
            for (int p = 0; p < kc; ++p) {
                const float* src = b + (long)p * ldb + j0;
#pragma GCC unroll 8
                for (int v = 0; v < NV; ++v)
                    _mm512_store_ps(out + (long)p * NR + 16 * v, _mm512_maskz_loadu_ps(first(nr - 16 * v), src + 16 * v));
            }
            continue;
        }
        for (int p = 0; p < kc; p += 16) {  // 16 rows of 16 columns at a time: load columns, transpose
            const __mmask16 rows = first(kc - p);
            const int np = kc - p < 16 ? kc - p : 16;
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) {
                __m512 r[16];
#pragma GCC unroll 16
                for (int j = 0; j < 16; ++j)
                    r[j] = 16 * v + j < nr ? _mm512_maskz_loadu_ps(rows, b + (long)(j0 + 16 * v + j) * ldb + p)
                                           : _mm512_setzero_ps();
                transpose16(r);
#pragma GCC unroll 16
                for (int q = 0; q < 16; ++q)
                    if (q < np) _mm512_store_ps(out + (long)(p + q) * NR + 16 * v, r[q]);
            }
        }
    }
}

// Direct path for tiny products (n <= 64): no packing. R rows of C at a time, each NVD masked
// vectors wide, stay in registers while the k loop broadcasts A(i,p) against row p of B; the R
// rows give R independent FMA chains (one chain would wait on the 4-cycle FMA latency). Wide rows
// take 24 accumulators, as the packed 6 x 64 tile does (64^3: ~91 against ~84 GFLOP/s with 16).
template <int NVD, int R>
void direct_rows(bool ta, int m, int n, int k, float alpha, const float* A, long lda, const float* B,
                 long ldb, float beta, float* C, long ldc) {
    const __mmask16 last = first(n - 16 * (NVD - 1));  // only a row's last vector can be partial
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < m; i += R) {
        const int rows = m - i < R ? m - i : R;
        long a_row[R], a_col;  // A(i+r, p) = A[a_row[r] + p * a_col]; rows past m repeat the last one
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) a_row[r] = ta ? i + (r < rows ? r : rows - 1) : (long)(i + (r < rows ? r : rows - 1)) * lda;
        a_col = ta ? lda : 1;
        __m512 acc[R][NVD];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < NVD; ++v) acc[r][v] = _mm512_setzero_ps();
        // unrolled: ~3% on the tutorials' 32^3 products, ~4% at 64^3
#pragma GCC unroll 4
        for (int p = 0; p < k; ++p) {
            __m512 b[NVD];
#pragma GCC unroll 4
            for (int v = 0; v < NVD; ++v)  // one mask register, not NVD (GCC spilled those every step)
                b[v] = v < NVD - 1 ? _mm512_loadu_ps(B + (long)p * ldb + 16 * v)
                                   : _mm512_maskz_loadu_ps(last, B + (long)p * ldb + 16 * v);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const __m512 av = _mm512_set1_ps(A[a_row[r] + p * a_col]);
#pragma GCC unroll 4
                for (int v = 0; v < NVD; ++v) acc[r][v] = _mm512_fmadd_ps(av, b[v], acc[r][v]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            if (r >= rows) break;
            float* c = C + (long)(i + r) * ldc;
#pragma GCC unroll 4
            for (int v = 0; v < NVD; ++v) {
                const __mmask16 lanes = v < NVD - 1 ? (__mmask16)0xFFFF : last;
                __m512 x = _mm512_mul_ps(va, acc[r][v]);
                if (beta != 0.0f) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(lanes, c + 16 * v), x);
                _mm512_mask_storeu_ps(c + 16 * v, lanes, x);
            }
        }
    }
}

// direct_rows with R rows at a time, or 2 when C has only 1 or 2 (batch-1 training, as in the XOR
// tutorial: 8 rows would repeat the one row 8 times). Rows are independent, so the bits are the same.
template <int NVD, int R>
void direct_few_rows(bool ta, int m, int n, int k, float alpha, const float* A, long lda, const float* B,
                     long ldb, float beta, float* C, long ldc) {
    if (m <= 2) direct_rows<NVD, 2>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    else direct_rows<NVD, R>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void direct(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, long lda,
            const float* B, long ldb, float beta, float* C, long ldc) {
    if (!tb) {
        switch ((n + 15) / 16) {
            case 1: return direct_few_rows<1, 8>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
            case 2: return direct_few_rows<2, 8>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
            case 3: return direct_few_rows<3, 8>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
            default: return direct_few_rows<4, 6>(ta, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        }
    }
    // B transposed: pack it (16 x 16 register transposes) into k x 32 panels on the stack, then
    // treat each panel as a plain row-major B. Columns are independent, so splitting is exact.
    constexpr int NR = 32, BT_MAX = 64 * NR;  // k <= 64: 8 KiB
    alignas(64) float bt[BT_MAX];
    if (k <= BT_MAX / NR) {
        for (int j0 = 0; j0 < n; j0 += NR) {
            const int nr = n - j0 < NR ? n - j0 : NR;
            if (k * nr <= 64) {  // a few elements (XOR's 1 x 2): copied one by one, no register transposes
                for (int p = 0; p < k; ++p)
                    for (int j = 0; j < nr; ++j) bt[p * NR + j] = B[(long)(j0 + j) * ldb + p];
            } else {
                pack_b<2>(k, nr, B + (long)j0 * ldb, ldb, true, bt);
            }
            if (nr > 16) direct_few_rows<2, 8>(ta, m, nr, k, alpha, A, lda, bt, NR, beta, C + j0, ldc);
            else direct_few_rows<1, 8>(ta, m, nr, k, alpha, A, lda, bt, NR, beta, C + j0, ldc);
        }
        return;
    }
    for (int i = 0; i < m; ++i)  // long k, so few rows (volume <= DIRECT_MAX): plain dot products
        for (int j = 0; j < n; ++j) {
            float s = 0.0f;
            for (int p = 0; p < k; ++p)
                s = __builtin_fmaf(ta ? A[(long)p * lda + i] : A[(long)i * lda + p], B[(long)j * ldb + p], s);
            float* c = C + (long)i * ldc + j;
            *c = beta != 0.0f ? __builtin_fmaf(beta, *c, alpha * s) : alpha * s;
        }
}

// Peak yardstick: 24 independent FMA chains, three times the 2 ports x 4 cycles of latency needed.
double fma_loop(long iters) {
    constexpr int R = 24;
    __m512 acc[R];
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) acc[r] = _mm512_set1_ps((float)r);
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(acc[r], x, y);
    }
    __m512 s = acc[0];
#pragma GCC unroll 32
    for (int r = 1; r < R; ++r) s = _mm512_add_ps(s, acc[r]);
    alignas(64) float out[16];
    _mm512_store_ps(out, s);
    volatile float sink = out[0];  // keeps the loop from being optimized away
    (void)sink;
    return 2.0 * 16 * R * (double)iters;
}

}  // namespace

const GemmKernel kernel_avx512_narrow = {"avx512", 14, 32, pack_a<14>, pack_b<2>, micro<14, 2>, fma_loop, direct,
                                         nullptr, nullptr, 0, false};
const GemmKernel kernel_avx512_few = {"avx512", 1, 128, pack_a<1>, pack_b<8>, micro<1, 8>, fma_loop, direct,
                                      nullptr, nullptr, 0, true};
const GemmKernel kernel_avx512 = {"avx512", 6, 64, pack_a<6>, pack_b<4>, micro<6, 4>, fma_loop, direct,
                                  &kernel_avx512_narrow, &kernel_avx512_few, 2, false};

}  // namespace pmdl::detail
