// Geometry shared by the convolutions and the pooling layers: Keras' output sizes and padding per
// spatial axis, the patch matrix (im2col) and its transpose-add (col2im), and the loop that splits
// independent work items over the threads.
#pragma once

#include <algorithm>

#include "../gemm.h"
#include "../simd.h"
#include "../team.h"

namespace pmdl {

// One spatial axis: `in` cells, a window of `k` taps `dilation` apart moved by `stride`, `pad_before`
// zero cells before the first (the rest of the padding goes after), `out` positions.
struct Axis {
    int in = 1, k = 1, stride = 1, dilation = 1, pad_before = 0, out = 1;
};

// Keras' arithmetic (KERAS_REFERENCE §12): effective kernel ke = d*(k-1)+1; 'valid' -> floor((n-ke)/s)+1;
// 'same' -> ceil(n/s) with P = max((out-1)*s + ke - n, 0) and floor(P/2) before (the odd one after).
// Throws std::invalid_argument naming `what` when a value is out of range or the output would be empty.
Axis window_axis(int in, int k, int stride, int dilation, bool same, const char* what);

// A 2-D window over n images of y.in x x.in cells of c channels, channels last (a 1-D one has y = {}).
struct Window {
    int n = 0, c = 0;
    Axis y, x;
    long rows() const { return (long)n * y.out * x.out; }   // output positions, the patch matrix's rows
    int patch() const { return y.k * x.k * c; }              // (kh, kw, c) taps: the patch matrix's columns
    long in_image() const { return (long)y.in * x.in * c; }  // floats of one input image
    long out_plane() const { return (long)y.out * x.out; }
    // A 1x1 window moved by 1 without padding: the patch matrix is the input itself.
    bool identity() const {
        return y.k == 1 && x.k == 1 && y.stride == 1 && x.stride == 1 && y.pad_before == 0 && x.pad_before == 0 &&
               y.out == y.in && x.out == x.in;
    }
};

// A short patch: at most this many taps (a first layer's 3x3 window over 1-3 channels).
constexpr int kShortPatch = 32;

// Each tap's offset in x from its window's top-left cell, taps in the kernel's (i, j, ch) order. Only
// for windows of at most kShortPatch taps.
void patch_offsets(const Window& g, long* offset);

// Rows [r0, r1) of a short patch split by where their window lies. Windows inside the image fill src and
// idx from the front: src[i] their top-left cell in x (taps at patch_offsets), idx[i] the row - r0, in
// order; the count is returned. Windows over the border fill them from the back: src[i] a copy of the
// patch in `edge` (K floats, zeros for the padding, taps at 0..K-1). offset: patch_offsets' output; src,
// idx: r1 - r0 entries; edge: (r1 - r0) * patch() floats.
int patch_rows(const Window& g, const long* offset, const float* x, long r0, long r1, const float** src, int* idx,
               float* edge);

// Rows [r0, r1) of the patch matrix (row = output position, columns (i, j, ch) as Keras' kernel is laid
// out), zeros for padded taps, into col (row stride patch()).
void im2col_rows(const Window& g, const float* x, long r0, long r1, float* col);

// The transpose: each row of col added back onto the input cells it was read from (padding dropped).
void col2im_rows_add(const Window& g, const float* col, long r0, long r1, float* dx);

// Calls fn(item) for every item in [0, count), on the threads when there are at least two items and
// count * work_per_item reaches min_work, else in order on the caller's thread (where a GEMM inside fn
// may use the threads itself). Items are claimed one at a time; each is computed the same way whoever
// runs it, so results never depend on the thread count.
template <class Fn>
void for_items(long count, double work_per_item, double min_work, Fn&& fn) {
    const int nt = count >= 2 && count * work_per_item >= min_work
                       ? team_threads((int)std::min<long>(get_num_threads(), count), count * work_per_item) : 1;
    if (nt <= 1) {
        for (long i = 0; i < count; ++i) fn(i);
        return;
    }
    long next = 0;
    const unsigned float_mode = AdoptFloatMode::current();
    TeamWatch watch;
#pragma omp parallel num_threads(nt)
    {
        AdoptFloatMode mode(float_mode);
        for (long i; (i = __atomic_fetch_add(&next, 1L, __ATOMIC_RELAXED)) < count;) fn(i);
        watch.caller_done();
    }
}

}  // namespace pmdl
