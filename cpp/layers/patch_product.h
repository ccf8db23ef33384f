// Products of a short patch (a first layer's window: 3x3 over 1-3 channels) read straight from the image.
//
// Why not im2col + GEMM for these: with K = 9-27 taps, each 6 x 16 tile of the GEMM does 9-27 multiply-adds
// per output and then leaves the block to a separate bias pass and activation pass, and the patch copy
// costs as much as the product. Here each tile broadcasts its taps from the image, keeps the sums in
// registers, adds the bias and applies relu before its one store (mnist_convnet's first convolution:
// benchmarks/README.md has the numbers).
//
// A row's window is given by a pointer to its first cell and the taps' offsets from it: the image with
// window.h's patch_offsets() for windows inside it, or a zero-padded copy (offsets 0..K-1) for windows
// over the border (window.h's patch_rows makes both lists). Each output is sum_t src[offset[t]] * w[t]
// in tap order, then + bias, wherever the row falls: results never depend on the batch or thread count
// (and equal the GEMM path's, which sums in the same order and adds the bias after).
#pragma once

#include "../aligned.h"

namespace pmdl {

// Columns per register panel: the weights are packed to a multiple of it.
constexpr int kPatchPanel = 16;

// The (taps x cols) kernel and then the bias (nullptr: zeros) into out, each row padded with zeros to a
// multiple of kPatchPanel; returns the padded row length.
int patch_pack_weights(const float* w, const float* bias, int taps, int cols, Floats& out);

// For the `rows` rows i: z[zrow[i] * ldz + j] = sum_t src[i][offset[t]] * w[t][j] + bias[j], then
// (x < 0 ? 0 : x) when relu, for j < cols. wp: patch_pack_weights' output, np its row length.
void patch_forward(int rows, const float* const* src, const long* offset, int taps, const float* wp, int np,
                   int cols, bool relu, float* z, long ldz, const int* zrow);

// For the `rows` rows i in order: acc[t * cols + j] += src[i][offset[t]] * dz[zrow[i] * ldz + j].
void patch_filter_grad(int rows, const float* const* src, const long* offset, int taps, const float* dz, long ldz,
                       const int* zrow, int cols, float* acc);

// sums[j] += the sum of d[r * cols + j] over the rows r in order, for j < cols (a bias gradient).
void patch_column_sums(const float* d, long rows, int cols, float* sums);

}  // namespace pmdl
