// Keras' window arithmetic and the im2col / col2im copies (window.h).
#include "window.h"

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

void im2col_rows(const Window& g, const float* x, long r0, long r1, float* col) {
    const int C = g.c, KW = g.x.k, K = g.patch(), run = KW * C;
    const long plane = g.out_plane();
    for (long r = r0; r < r1; ++r, col += K) {
        const long img = r / plane, rem = r % plane;
        const int oy = (int)(rem / g.x.out), ox = (int)(rem % g.x.out);
        const float* xi = x + img * g.in_image();
        const int iy0 = oy * g.y.stride - g.y.pad_before, ix0 = ox * g.x.stride - g.x.pad_before;
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
                std::copy(src + (long)ix0 * C, src + (long)(ix0 + KW) * C, dst);
                continue;
            }
            for (int j = 0; j < KW; ++j) {
                const int ix = ix0 + j * g.x.dilation;
                float* d = dst + j * C;
                if (ix < 0 || ix >= g.x.in) std::fill(d, d + C, 0.0f);
                else std::copy(src + (long)ix * C, src + (long)(ix + 1) * C, d);
            }
        }
    }
}

PMDL_SIMD_CLONES
static void add_run(const float* __restrict src, float* __restrict dst, int n) {
    for (int i = 0; i < n; ++i) dst[i] += src[i];
}

void col2im_rows_add(const Window& g, const float* col, long r0, long r1, float* dx) {
    const int C = g.c, KW = g.x.k, K = g.patch(), run = KW * C;
    const long plane = g.out_plane();
    for (long r = r0; r < r1; ++r, col += K) {
        const long img = r / plane, rem = r % plane;
        const int oy = (int)(rem / g.x.out), ox = (int)(rem % g.x.out);
        float* xi = dx + img * g.in_image();
        const int iy0 = oy * g.y.stride - g.y.pad_before, ix0 = ox * g.x.stride - g.x.pad_before;
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
