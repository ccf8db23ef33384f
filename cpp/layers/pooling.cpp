// Pooling kernels (pooling.h). Loops run over channels innermost: contiguous, so they vectorise.
#include "pooling.h"

#include "../parallel.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace pmdl {
namespace {

constexpr double kThreadMinWork = kParallelFloatsMin;  // floats touched from which images go to the threads

void check(const Window& g, const char* what) {
    if (g.n < 0 || g.c < 1 || g.y.out < 1 || g.x.out < 1)
        throw std::invalid_argument(std::string(what) + ": bad shape (n " + std::to_string(g.n) + ", channels " +
                                    std::to_string(g.c) + ")");
}

// Calls cell(offset of the cell within the image) for the real cells of output position (oy, ox).
template <class Fn>
void for_window(const Window& g, int oy, int ox, Fn&& cell) {
    const int iy0 = oy * g.y.stride - g.y.pad_before, ix0 = ox * g.x.stride - g.x.pad_before;
    for (int i = 0; i < g.y.k; ++i) {
        const int iy = iy0 + i * g.y.dilation;
        if (iy < 0 || iy >= g.y.in) continue;
        for (int j = 0; j < g.x.k; ++j) {
            const int ix = ix0 + j * g.x.dilation;
            if (ix >= 0 && ix < g.x.in) cell(((long)iy * g.x.in + ix) * g.c);
        }
    }
}

}  // namespace

void maxpool_forward(const Window& g, const float* x, float* y, int32_t* argmax) {
    check(g, "maxpool_forward");
    if (g.in_image() > std::numeric_limits<int32_t>::max()) throw std::invalid_argument("maxpool_forward: image too large");
    const int C = g.c;
    const long plane = g.out_plane();
    for_items(g.n, (double)g.in_image(), kThreadMinWork, [&](long img) {
        const float* xi = x + img * g.in_image();
        for (int oy = 0; oy < g.y.out; ++oy)
            for (int ox = 0; ox < g.x.out; ++ox) {
                const long o = (img * plane + (long)oy * g.x.out + ox) * C;
                float* yo = y + o;
                int32_t* ao = argmax + o;
                std::fill(yo, yo + C, std::numeric_limits<float>::lowest());
                std::fill(ao, ao + C, -1);
                for_window(g, oy, ox, [&](long at) {
                    const float* xs = xi + at;
                    for (int c = 0; c < C; ++c) {
                        const float v = xs[c];  // NaN fails both tests: skipped
                        if (v > yo[c] || (ao[c] < 0 && v == v)) yo[c] = v, ao[c] = (int32_t)(at + c);
                    }
                });
            }
    });
}

void maxpool_backward(const Window& g, const float* dy, const int32_t* argmax, float* dx, bool accumulate) {
    check(g, "maxpool_backward");
    const long per_image = g.out_plane() * g.c;
    for_items(g.n, (double)g.in_image(), kThreadMinWork, [&](long img) {
        float* di = dx + img * g.in_image();
        if (!accumulate) std::fill(di, di + g.in_image(), 0.0f);
        const float* d = dy + img * per_image;
        const int32_t* a = argmax + img * per_image;
        for (long o = 0; o < per_image; ++o)
            if (a[o] >= 0) di[a[o]] += d[o];
    });
}

void avgpool_forward(const Window& g, const float* x, float* y) {
    check(g, "avgpool_forward");
    const int C = g.c;
    const long plane = g.out_plane();
    for_items(g.n, (double)g.in_image(), kThreadMinWork, [&](long img) {
        const float* xi = x + img * g.in_image();
        for (int oy = 0; oy < g.y.out; ++oy)
            for (int ox = 0; ox < g.x.out; ++ox) {
                float* yo = y + (img * plane + (long)oy * g.x.out + ox) * C;
                std::fill(yo, yo + C, 0.0f);
                int count = 0;
                for_window(g, oy, ox, [&](long at) {
                    ++count;
                    for (int c = 0; c < C; ++c) yo[c] += xi[at + c];
                });
                const float inv = 1.0f / (float)count;  // a window always holds a real cell
                for (int c = 0; c < C; ++c) yo[c] *= inv;
            }
    });
}

void avgpool_backward(const Window& g, const float* dy, float* dx, bool accumulate) {
    check(g, "avgpool_backward");
    const int C = g.c;
    const long plane = g.out_plane();
    for_items(g.n, (double)g.in_image(), kThreadMinWork, [&](long img) {
        float* di = dx + img * g.in_image();
        if (!accumulate) std::fill(di, di + g.in_image(), 0.0f);
        for (int oy = 0; oy < g.y.out; ++oy)
            for (int ox = 0; ox < g.x.out; ++ox) {
                const float* d = dy + (img * plane + (long)oy * g.x.out + ox) * C;
                int count = 0;
                for_window(g, oy, ox, [&](long) { ++count; });
                const float inv = 1.0f / (float)count;
                for_window(g, oy, ox, [&](long at) {
                    for (int c = 0; c < C; ++c) di[at + c] += d[c] * inv;
                });
            }
    });
}

void global_avgpool_forward(int n, long cells, int c, const float* x, float* y) {
    for_items(n, (double)cells * c, kThreadMinWork, [&](long s) {
        float* ys = y + s * c;
        std::fill(ys, ys + c, 0.0f);
        const float* xs = x + s * cells * c;
        for (long t = 0; t < cells; ++t)
            for (int ch = 0; ch < c; ++ch) ys[ch] += xs[t * c + ch];
        const float inv = 1.0f / (float)cells;
        for (int ch = 0; ch < c; ++ch) ys[ch] *= inv;
    });
}

void global_avgpool_backward(int n, long cells, int c, const float* dy, float* dx, bool accumulate) {
    const float inv = 1.0f / (float)cells;
    for_items(n, (double)cells * c, kThreadMinWork, [&](long s) {
        for (long t = 0; t < cells; ++t)
            for (int ch = 0; ch < c; ++ch) {
                float& d = dx[(s * cells + t) * c + ch];
                d = (accumulate ? d : 0.0f) + dy[s * c + ch] * inv;
            }
    });
}

void global_maxpool_forward(int n, long cells, int c, const float* x, float* y) {
    for_items(n, (double)cells * c, kThreadMinWork, [&](long s) {
        float* ys = y + s * c;
        const float* xs = x + s * cells * c;
        std::copy(xs, xs + c, ys);
        for (long t = 1; t < cells; ++t)
            for (int ch = 0; ch < c; ++ch) {
                const float v = xs[t * c + ch];
                ys[ch] = (v > ys[ch] || v != v) ? v : ys[ch];  // NaN sticks once seen (NaN > v is false)
            }
    });
}

void global_maxpool_backward(int n, long cells, int c, const float* x, const float* y, const float* dy, float* dx,
                             bool accumulate) {
    for_items(n, (double)cells * c, kThreadMinWork, [&](long s) {
        const float* xs = x + s * cells * c;
        float* ds = dx + s * cells * c;
        for (int ch = 0; ch < c; ++ch) {
            const float m = y[s * c + ch];
            long ties = 0;
            for (long t = 0; t < cells; ++t) ties += xs[t * c + ch] == m;
            // TF's order: (indicator / ties) * dy; 0 ties (a NaN max) gives 0 * inf or 0 * NaN: NaN.
            const float share = 1.0f / (float)ties * dy[s * c + ch];
            for (long t = 0; t < cells; ++t) {
                const float g = (xs[t * c + ch] == m ? 1.0f : 0.0f) * share;
                ds[t * c + ch] = accumulate ? ds[t * c + ch] + g : g;
            }
        }
    });
}

}  // namespace pmdl

// --- the pooling layer kinds ---------------------------------------------------------------------

namespace pmdl {
namespace {

// "max_pooling2d" -> (max, rank 2); the kind's name says both.
int kind_rank(const Attrs& attrs, const std::vector<Shape>& inputs) {
    const std::string& kind = attrs.kind();
    const int rank = kind.back() == 'd' && kind[kind.size() - 2] == '1' ? 1 : 2;
    if ((int)inputs[0].size() != rank + 1)
        throw std::invalid_argument(kind + " expects inputs of shape " +
                                    (rank == 2 ? "(height, width, channels)" : "(steps, channels)") + ", got " +
                                    shape_text(inputs[0]));
    return rank;
}

}  // namespace

Pooling::Pooling(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    const int rank = kind_rank(attrs, inputs);
    max_ = attrs.kind().rfind("max", 0) == 0;
    const Shape& in = inputs[0];
    const auto k = attrs.ints("pool_size", 1, kMaxSize - 1, rank);
    const auto s = attrs.ints("strides", 1, kMaxSize - 1, rank);
    const bool same = attrs.integer("padding", 0, 1) == 1;
    geometry_.c = in.back();
    Axis* axes[2] = {&geometry_.y, &geometry_.x};
    for (int a = 0; a < rank; ++a) {
        const std::string what = attrs.kind() + " axis " + std::to_string(a);
        *axes[a + 2 - rank] = window_axis(in[a], (int)k[a], (int)s[a], 1, same, what.c_str());
    }
    out_shape_ = rank == 2 ? Shape{geometry_.y.out, geometry_.x.out, geometry_.c} : Shape{geometry_.x.out, geometry_.c};
}

void Pooling::reserve(int rows) {
    y_.resize((long)rows * output_size());
    if (max_) argmax_.resize((size_t)rows * output_size());
}

const float* Pooling::forward(const ForwardArgs& args) {
    const Window g = window(args.rows);
    if (max_) maxpool_forward(g, args.in[0], y_.data(), argmax_.data());
    else avgpool_forward(g, args.in[0], y_.data());
    return y_.data();
}

void Pooling::backward(BackwardArgs& args) {
    InputGrad& in = args.in[0];
    if (!in.d) return;
    const Window g = window(args.rows);
    if (max_) maxpool_backward(g, args.dout, argmax_.data(), in.d, in.accumulate);
    else avgpool_backward(g, args.dout, in.d, in.accumulate);
}

GlobalPooling::GlobalPooling(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    const int rank = kind_rank(attrs, inputs);
    max_ = attrs.kind().rfind("global_max", 0) == 0;
    c_ = inputs[0].back();
    cells_ = shape_size(inputs[0]) / c_;
    out_shape_ = attrs.flag("keepdims", false) ? Shape(rank, 1) : Shape{};
    out_shape_.push_back(c_);
}

void GlobalPooling::reserve(int rows) { y_.resize((long)rows * c_); }

const float* GlobalPooling::forward(const ForwardArgs& args) {
    x_ = args.in[0];
    if (max_) global_maxpool_forward(args.rows, cells_, c_, x_, y_.data());
    else global_avgpool_forward(args.rows, cells_, c_, x_, y_.data());
    return y_.data();
}

void GlobalPooling::backward(BackwardArgs& args) {
    InputGrad& in = args.in[0];
    if (!in.d) return;
    if (max_) global_maxpool_backward(args.rows, cells_, c_, x_, y_.data(), args.dout, in.d, in.accumulate);
    else global_avgpool_backward(args.rows, cells_, c_, args.dout, in.d, in.accumulate);
}

PMDL_REGISTER_LAYER("max_pooling2d", Pooling);
PMDL_REGISTER_LAYER("average_pooling2d", Pooling);
PMDL_REGISTER_LAYER("max_pooling1d", Pooling);
PMDL_REGISTER_LAYER("average_pooling1d", Pooling);
PMDL_REGISTER_LAYER("global_max_pooling2d", GlobalPooling);
PMDL_REGISTER_LAYER("global_average_pooling2d", GlobalPooling);
PMDL_REGISTER_LAYER("global_max_pooling1d", GlobalPooling);
PMDL_REGISTER_LAYER("global_average_pooling1d", GlobalPooling);

}  // namespace pmdl
