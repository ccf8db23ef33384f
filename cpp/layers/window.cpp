// Keras' window arithmetic and the im2col / col2im copies (window.h).
#include "window.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace pmdl {

Axis window_axis(int in, int k, int stride, int dilation, bool same, const char* what) {
    auto fail = [&](const std::string& text) { throw std::invalid_argument(std::string(what) + ": " + text); };
    if (k < 1) fail("kernel size must be a positive integer, got " + std::to_string(k));
    if (stride < 1) fail("strides must be positive integers, got " + std::to_string(stride));
    if (dilation < 1) fail("dilation_rate must be positive integers, got " + std::to_string(dilation));
    if (in < 1) fail("input size must be positive, got " + std::to_string(in));
    Axis a{in, k, stride, dilation, 0, 0};
    const long ke = (long)dilation * (k - 1) + 1;
    if (same) {
        a.out = (in + stride - 1) / stride;
        const long total = std::max<long>((long)(a.out - 1) * stride + ke - in, 0);
        a.pad_before = (int)(total / 2);
    } else {
        if (ke > in)
            fail("the window (" + std::to_string(ke) + " cells with dilation) is larger than the input (" +
                 std::to_string(in) + ") with padding='valid'");
        a.out = (int)((in - ke) / stride + 1);
    }
    return a;
}

namespace {

// Output positions r0, r0 + 1, ... walked in order (image, row, column) without a division per row: a
// first layer's patch row is 9-27 floats, and three divisions cost as much as copying it.
struct PositionWalk {
    const Window& g;
    long img;
    int oy, ox;
    PositionWalk(const Window& w, long r0)
        : g(w), img(r0 / w.out_plane()), oy((int)(r0 % w.out_plane() / w.x.out)), ox((int)(r0 % w.x.out)) {}
    int iy0() const { return oy * g.y.stride - g.y.pad_before; }  // the window's top-left cell (may be padding)
    int ix0() const { return ox * g.x.stride - g.x.pad_before; }
    void next() {
        if (++ox < g.x.out) return;
        ox = 0;
        if (++oy == g.y.out) oy = 0, ++img;
    }
};

// n floats from s to d. Short runs (a kernel row of a few channels) are copied inline: std::copy calls
// memmove, whose call and size dispatch cost more than moving 3-12 floats.
inline void copy_run(const float* s, float* d, int n) {
    if (n > 32) {
        std::copy(s, s + n, d);
        return;
    }
    for (; n >= 8; n -= 8, s += 8, d += 8) std::memcpy(d, s, 8 * sizeof(float));
    if (n & 4) std::memcpy(d, s, 4 * sizeof(float)), s += 4, d += 4;
    if (n & 2) std::memcpy(d, s, 2 * sizeof(float)), s += 2, d += 2;
    if (n & 1) *d = *s;
}

PMDL_SIMD_CLONES
void add_long_run(const float* __restrict src, float* __restrict dst, int n) {
    for (int i = 0; i < n; ++i) dst[i] += src[i];
}

inline void add_run(const float* __restrict src, float* __restrict dst, int n) {
    if (n > 32) return add_long_run(src, dst, n);
    for (int i = 0; i < n; ++i) dst[i] += src[i];
}

}  // namespace

void patch_offsets(const Window& g, long* offset) {
    const int C = g.c, run = g.x.k * C;
    for (int t = 0; t < g.patch(); ++t)
        offset[t] = ((long)(t / run) * g.y.dilation * g.x.in + (long)(t % run / C) * g.x.dilation) * C + t % C;
}

int patch_rows(const Window& g, const long* offset, const float* x, long r0, long r1, const float** src, int* idx,
               float* edge) {
    // The geometry in locals: idx's stores could alias the Window's ints, and would make every row reload it.
    const int C = g.c, K = g.patch(), run = g.x.k * C, in_y = g.y.in, in_x = g.x.in, out_x = g.x.out;
    const int sy = g.y.stride, sx = g.x.stride, py = g.y.pad_before, px = g.x.pad_before;
    const int ky = (g.y.k - 1) * g.y.dilation, kx = (g.x.k - 1) * g.x.dilation;  // the window's extent - 1
    const long image = g.in_image();
    int tap_y[kShortPatch], tap_x[kShortPatch];  // each tap's cell relative to the window's top-left one
    for (int t = 0; t < K; ++t) tap_y[t] = t / run * g.y.dilation, tap_x[t] = t % run / C * g.x.dilation;
    int inside = 0, back = (int)(r1 - r0);
    PositionWalk at(g, r0);
    for (long r = r0; r < r1;) {
        // The rest of this output row: one image row of windows, inside the image between two columns.
        const int iy0 = at.oy * sy - py, n = (int)std::min<long>(out_x - at.ox, r1 - r);
        const float* xi = x + at.img * image;
        const bool row_ok = iy0 >= 0 && iy0 + ky < in_y;
        for (int i = 0; i < n; ++i, ++r) {
            const int ix0 = (at.ox + i) * sx - px;
            const long top_left = ((long)iy0 * in_x + ix0) * C;  // may lie outside the image (padding)
            if (row_ok && ix0 >= 0 && ix0 + kx < in_x) {
                src[inside] = xi + top_left;
                idx[inside++] = (int)(r - r0);
                continue;
            }
            float* p = edge + (long)(--back) * K;
            for (int t = 0; t < K; ++t) {
                const int iy = iy0 + tap_y[t], ix = ix0 + tap_x[t];
                p[t] = iy >= 0 && iy < in_y && ix >= 0 && ix < in_x ? xi[top_left + offset[t]] : 0.0f;
            }
            src[back] = p;
            idx[back] = (int)(r - r0);
        }
        at.ox = out_x - 1;  // the row is done: step to the next one
        at.next();
    }
    return inside;
}

void im2col_rows(const Window& g, const float* x, long r0, long r1, float* col) {
    const int C = g.c, KW = g.x.k, K = g.patch(), run = KW * C;
    // A short patch (a first layer's 3x3 window over 1-3 channels): each tap's offset from the window's
    // top-left cell, so that a window inside the image is one gather loop with no branches per kernel row.
    long offset[kShortPatch];
    const bool short_patch = K <= kShortPatch;
    if (short_patch) patch_offsets(g, offset);
    const int ky = (g.y.k - 1) * g.y.dilation, kx = (g.x.k - 1) * g.x.dilation;  // the window's extent - 1
    PositionWalk at(g, r0);
    for (long r = r0; r < r1; ++r, col += K, at.next()) {
        const float* xi = x + at.img * g.in_image();
        const int iy0 = at.iy0(), ix0 = at.ix0();
        if (short_patch && iy0 >= 0 && ix0 >= 0 && iy0 + ky < g.y.in && ix0 + kx < g.x.in) {
            const float* base = xi + ((long)iy0 * g.x.in + ix0) * C;
            for (int t = 0; t < K; ++t) col[t] = base[offset[t]];
            continue;
        }
        const bool row_inside = g.x.dilation == 1 && ix0 >= 0 && ix0 + KW <= g.x.in;
        float* dst = col;
        for (int i = 0; i < g.y.k; ++i, dst += run) {
            const int iy = iy0 + i * g.y.dilation;
            if (iy < 0 || iy >= g.y.in) {
                std::fill(dst, dst + run, 0.0f);
                continue;
            }
            const float* src = xi + (long)iy * g.x.in * C;
            if (row_inside) {  // the kernel row's taps are one contiguous run of the image row
                copy_run(src + (long)ix0 * C, dst, run);
                continue;
            }
            for (int j = 0; j < KW; ++j) {
                const int ix = ix0 + j * g.x.dilation;
                float* d = dst + j * C;
                if (ix < 0 || ix >= g.x.in) std::fill(d, d + C, 0.0f);
                else copy_run(src + (long)ix * C, d, C);
            }
        }
    }
}

void col2im_rows_add(const Window& g, const float* col, long r0, long r1, float* dx) {
    const int C = g.c, KW = g.x.k, K = g.patch(), run = KW * C;
    PositionWalk at(g, r0);
    for (long r = r0; r < r1; ++r, col += K, at.next()) {
        float* xi = dx + at.img * g.in_image();
        const int iy0 = at.iy0(), ix0 = at.ix0();
        const bool row_inside = g.x.dilation == 1 && ix0 >= 0 && ix0 + KW <= g.x.in;
        const float* src = col;
        for (int i = 0; i < g.y.k; ++i, src += run) {
            const int iy = iy0 + i * g.y.dilation;
            if (iy < 0 || iy >= g.y.in) continue;
            float* dst = xi + (long)iy * g.x.in * C;
            if (row_inside) {
                add_run(src, dst + (long)ix0 * C, run);
                continue;
            }
            for (int j = 0; j < KW; ++j) {
                const int ix = ix0 + j * g.x.dilation;
                if (ix >= 0 && ix < g.x.in) add_run(src + j * C, dst + (long)ix * C, C);
            }
        }
    }
}

}  // namespace pmdl
