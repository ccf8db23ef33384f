// The short-patch kernels (patch_product.h): explicit register tiles of 8-float vectors (GCC's vector
// extension), built for AVX-512, AVX2+FMA and baseline by PMDL_SIMD_CLONES, picked at load time.
//
// Forward tile, 6 rows x 16 columns: 12 accumulators + 2 weight vectors + 1 broadcast = 15 of AVX2's 16
// registers; per tap 12 multiply-adds against 2 weight loads (L1) and 6 broadcasts from the image. The
// kernel gradient turns it around: 6 taps x 16 columns, per row 12 multiply-adds against 2 loads of dz and
// 6 broadcasts. (GCC's auto-vectorised loop over the same sums ran at 7-8 GFLOP/s: it kept the sums in
// memory.)
#include "patch_product.h"

#include <algorithm>
#include <cstring>

#include "../simd.h"

// GCC warns that a vector of 8 floats is passed differently with and without AVX; none is passed here
// (loads and stores go through memory, every helper is inlined).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace pmdl {
namespace {

typedef float v8 __attribute__((vector_size(32)));
constexpr int kRows = 6;   // forward tile rows
constexpr int kTaps = 6;   // kernel-gradient tile taps
constexpr int kBlock = 128;  // kernel gradient: rows per pass over the taps (their dz, 8-16 KiB, stays in L1)

// Loads and stores through memcpy: unaligned, and no vector passed by value (an ABI that differs by ISA).
#define PMDL_LOAD(v, p) std::memcpy(&(v), (p), sizeof(v8))
#define PMDL_STORE(p, v) std::memcpy((p), &(v), sizeof(v8))

// y = x + b, then x < 0 ? 0 : x when relu (as Formula<Relu>: a NaN passes).
[[gnu::always_inline]] inline void bias_act(v8& y, const v8& b, bool relu) {
    y += b;
    if (relu) y = y < 0.0f ? v8{} : y;
}

// acc[t][0:16] += sum over rows [r0, r1) of src[r][offset[t]] * dz row r, for NT taps; a tail panel (Full
// false) reads its nc valid columns of dz through a zero-padded copy and writes back nc columns.
template <int NT, bool Full>
void filter_tile(int r0, int r1, const float* const* src, const long* offset, const float* dz, long ldz,
                 const int* zrow, int nc, float* acc, int cols) {
    v8 a[NT][2];
    long o[NT];
#pragma GCC unroll 6
    for (int t = 0; t < NT; ++t) {
        o[t] = offset[t];
        if (Full) {
            PMDL_LOAD(a[t][0], acc + (long)t * cols);
            PMDL_LOAD(a[t][1], acc + (long)t * cols + 8);
        } else {
            float tmp[16] = {};
            std::memcpy(tmp, acc + (long)t * cols, nc * sizeof(float));
            PMDL_LOAD(a[t][0], tmp);
            PMDL_LOAD(a[t][1], tmp + 8);
        }
    }
    for (int r = r0; r < r1; ++r) {
        const float* d = dz + (long)zrow[r] * ldz;
        __builtin_prefetch(d + 8 * ldz);  // rows are mostly in order: the first pass over a block reads memory
        v8 d0, d1;
        if (Full) {
            PMDL_LOAD(d0, d);
            PMDL_LOAD(d1, d + 8);
        } else {
            float tmp[16] = {};
            std::memcpy(tmp, d, nc * sizeof(float));
            PMDL_LOAD(d0, tmp);
            PMDL_LOAD(d1, tmp + 8);
        }
        const float* s = src[r];
#pragma GCC unroll 6
        for (int t = 0; t < NT; ++t) {
            const float b = s[o[t]];  // scalar * vector: one broadcast
            a[t][0] += b * d0;
            a[t][1] += b * d1;
        }
    }
#pragma GCC unroll 6
    for (int t = 0; t < NT; ++t) {
        if (Full) {
            PMDL_STORE(acc + (long)t * cols, a[t][0]);
            PMDL_STORE(acc + (long)t * cols + 8, a[t][1]);
        } else {
            float tmp[16];
            PMDL_STORE(tmp, a[t][0]);
            PMDL_STORE(tmp + 8, a[t][1]);
            std::memcpy(acc + (long)t * cols, tmp, nc * sizeof(float));
        }
    }
}

template <bool Full>
void filter_taps(int nt, int r0, int r1, const float* const* src, const long* offset, const float* dz, long ldz,
                 const int* zrow, int nc, float* acc, int cols) {
    switch (nt) {
        case 1: return filter_tile<1, Full>(r0, r1, src, offset, dz, ldz, zrow, nc, acc, cols);
        case 2: return filter_tile<2, Full>(r0, r1, src, offset, dz, ldz, zrow, nc, acc, cols);
        case 3: return filter_tile<3, Full>(r0, r1, src, offset, dz, ldz, zrow, nc, acc, cols);
        case 4: return filter_tile<4, Full>(r0, r1, src, offset, dz, ldz, zrow, nc, acc, cols);
        case 5: return filter_tile<5, Full>(r0, r1, src, offset, dz, ldz, zrow, nc, acc, cols);
        default: return filter_tile<kTaps, Full>(r0, r1, src, offset, dz, ldz, zrow, nc, acc, cols);
    }
}

}  // namespace

int patch_pack_weights(const float* w, const float* bias, int taps, int cols, Floats& out) {
    const int np = (cols + kPatchPanel - 1) / kPatchPanel * kPatchPanel;
    out.assign((size_t)(taps + 1) * np, 0.0f);
    for (int t = 0; t < taps; ++t) std::copy(w + (long)t * cols, w + (long)(t + 1) * cols, out.data() + (long)t * np);
    if (bias) std::copy(bias, bias + cols, out.data() + (long)taps * np);
    return np;
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void patch_forward(int rows, const float* const* src, const long* offset, int taps, const float* wp, int np,
                   int cols, bool relu, float* z, long ldz, const int* zrow) {
    for (int i0 = 0; i0 < rows; i0 += kRows) {
        const int mr = std::min(kRows, rows - i0);
        const float* s[kRows];  // rows past mr repeat the last one (computed, never stored)
#pragma GCC unroll 6
        for (int i = 0; i < kRows; ++i) s[i] = src[i0 + std::min(i, mr - 1)];
        for (int j = 0; j < cols; j += kPatchPanel) {
            v8 acc[kRows][2] = {};
            const float* w = wp + j;
            for (int t = 0; t < taps; ++t, w += np) {
                v8 w0, w1;
                PMDL_LOAD(w0, w);
                PMDL_LOAD(w1, w + 8);
                const long o = offset[t];
#pragma GCC unroll 6
                for (int i = 0; i < kRows; ++i) {
                    const float b = s[i][o];  // scalar * vector: one broadcast
                    acc[i][0] += b * w0;
                    acc[i][1] += b * w1;
                }
            }
            v8 b0, b1;  // the bias: wp's last row
            PMDL_LOAD(b0, w);
            PMDL_LOAD(b1, w + 8);
#pragma GCC unroll 6
            for (int i = 0; i < kRows; ++i) {
                bias_act(acc[i][0], b0, relu);
                bias_act(acc[i][1], b1, relu);
            }
            if (mr == kRows && j + kPatchPanel <= cols) {
#pragma GCC unroll 6
                for (int i = 0; i < kRows; ++i) {
                    float* out = z + (long)zrow[i0 + i] * ldz + j;
                    PMDL_STORE(out, acc[i][0]);
                    PMDL_STORE(out + 8, acc[i][1]);
                }
                continue;
            }
            alignas(32) float tile[kRows][kPatchPanel];  // a partial tile: through a copy
            std::memcpy(tile, acc, sizeof tile);
            const int nc = std::min(kPatchPanel, cols - j);
            for (int i = 0; i < mr; ++i) std::memcpy(z + (long)zrow[i0 + i] * ldz + j, tile[i], nc * sizeof(float));
        }
    }
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void patch_filter_grad(int rows, const float* const* src, const long* offset, int taps, const float* dz, long ldz,
                       const int* zrow, int cols, float* acc) {
    for (int r0 = 0; r0 < rows; r0 += kBlock) {
        const int r1 = std::min(rows, r0 + kBlock);
        for (int j = 0; j < cols; j += kPatchPanel) {
            const int nc = std::min(kPatchPanel, cols - j);
            for (int t0 = 0; t0 < taps; t0 += kTaps) {
                const int nt = std::min(kTaps, taps - t0);
                float* a = acc + (long)t0 * cols + j;
                if (nc == kPatchPanel) filter_taps<true>(nt, r0, r1, src, offset + t0, dz + j, ldz, zrow, nc, a, cols);
                else filter_taps<false>(nt, r0, r1, src, offset + t0, dz + j, ldz, zrow, nc, a, cols);
            }
        }
    }
}

// Columns [j, j + 8 * NV) of patch_column_sums, kept in registers down the rows.
template <int NV>
[[gnu::always_inline]] inline void column_block(const float* d, long rows, int cols, int j, float* sums) {
    v8 a[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) PMDL_LOAD(a[v], sums + j + 8 * v);
    for (long r = 0; r < rows; ++r) {
        const float* p = d + r * cols + j;
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            v8 x;
            PMDL_LOAD(x, p + 8 * v);
            a[v] += x;
        }
    }
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) PMDL_STORE(sums + j + 8 * v, a[v]);
}

// 32 columns at a time kept in registers down the rows. (Summed into memory, each row waited on the last
// one's stores: half of mnist_convnet's first kernel gradient went there.)
PMDL_SIMD_CLONES [[gnu::flatten]]
void patch_column_sums(const float* d, long rows, int cols, float* sums) {
    int j = 0;
    for (; j + 32 <= cols; j += 32) column_block<4>(d, rows, cols, j, sums);
    for (; j + 8 <= cols; j += 8) column_block<1>(d, rows, cols, j, sums);
    for (; j < cols; ++j) {
        float s = sums[j];
        for (long r = 0; r < rows; ++r) s += d[r * cols + j];
        sums[j] = s;
    }
}

}  // namespace pmdl
