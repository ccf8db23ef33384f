// Convolution through the GEMM: im2col into a small buffer, one chunk of output rows at a time.
//
// Why im2col in chunks rather than one patch matrix for the whole batch, or packing straight from the
// image: a chunk holds ~64K floats of patches (256 KiB, half this machine's 512 KiB L2), so the copy is
// written and then read by the GEMM from L2, never from memory. The whole-batch patch matrix of
// mnist_convnet's second layer at batch 128 is 15,488 x 288 floats = 17.8 MB, written and read back
// through memory in every pass. Packing straight from the image (implicit GEMM) saves that one copy too,
// but needs a packing routine per micro-kernel per ISA that knows the window; the chunked copy feeds the
// existing GEMM unchanged (its packing, tiles, epilogues and kernels), and costs one L2-resident copy
// of the patches against kh*kw*filters multiply-adds per copied float (a cost that shrinks as
// filters grow). A 1x1 window moved by 1 without padding multiplies the input itself, no copy.
//
// Threads: forward chunks are independent (disjoint rows of z); the input gradient is split by image
// (col2im adds into one image's cells only); the kernel gradient is a reduction over all rows, so it
// is cut into a number of groups fixed by the shape alone, each summed by one thread in row order, and
// the groups' partial sums are added in group order: the result never depends on the thread count.
#include "conv2d.h"

#include <stdexcept>
#include <vector>

#include "../aligned.h"
#include "patch_product.h"

namespace pmdl {
namespace {

// Patch floats per chunk: 64K floats = 256 KiB, half an L2 of 512 KiB (AMD Zen 3; 1-2 MiB on Intel).
constexpr long kChunkFloats = 64 * 1024;
// Work (multiply-adds) from which the chunks are spread over the threads.
constexpr double kThreadMinWork = 96.0 * 96.0 * 96.0;
// At most this many floats of partial kernel gradients (4 MiB) ...
constexpr long kPartialFloatsMax = 1L << 20;
// ... in at most this many groups: enough to keep 8 threads busy.
constexpr long kMaxGroups = 8;

// Rows of a chunk: a multiple of 16 (whole register tiles), at least 128 (so packing the kernel, once
// per chunk, stays a small fraction of the chunk's work).
long chunk_rows(const Window& g) {
    const long r = std::max<long>(128, kChunkFloats / std::max(1, g.patch()) / 16 * 16);
    return std::min(r, std::max<long>(g.rows(), 1));
}

thread_local Floats t_col;   // this thread's patch chunk
thread_local Floats t_part;  // the caller's partial kernel gradients

float* col_buffer(long floats) {
    if ((long)t_col.size() < floats) t_col.resize(floats);
    return t_col.data();
}

PMDL_SIMD_CLONES
void add_bias(const float* __restrict bias, float* __restrict z, long ld, int rows, int cols) {
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) z[r * ld + c] += bias[c];
}

// The forward GEMM's epilogue on each final block of a chunk's z: + bias, then y = f(z) when f is
// elementwise (softmax runs over whole rows after the GEMM).
struct ConvOutput {
    const float* bias;
    float* z;
    float* y;  // nullptr: no activation in the epilogue
    long cols;
    Act act;
    float alpha;
    static void apply(const void* self, int i0, int rows, int j0, int cols) {
        const ConvOutput& o = *static_cast<const ConvOutput*>(self);
        float* z = o.z + i0 * o.cols + j0;
        if (o.bias) add_bias(o.bias + j0, z, o.cols, rows, cols);
        if (o.y) act_forward_block(o.act, o.alpha, z, o.cols, o.y + i0 * o.cols + j0, o.cols, rows, cols);
    }
};

// --- short patches (patch_product.h): no patch matrix, windows read where they lie in the image ---

// Rows per chunk: its z (32 filters: 128 KiB) is still in L2 for an activation pass after the product.
constexpr long kShortChunkRows = 1024;

bool short_patch(const Window& g) { return !g.identity() && g.patch() <= kShortPatch; }

// The taps of a window copied out of the image (window.h's patch_rows): 0, 1, ...
constexpr struct IdentityTaps {
    long t[kShortPatch];
    constexpr IdentityTaps() : t() {
        for (int i = 0; i < kShortPatch; ++i) t[i] = i;
    }
} kIdentityTaps;

struct ShortRows {  // a thread's lists of one chunk's windows (window.h's patch_rows)
    std::vector<const float*> src;
    std::vector<int> idx;
    Floats edge;
    int inside = 0;
    long offset[kShortPatch];  // taps of a window inside the image
};
thread_local ShortRows t_short;

ShortRows& short_rows(const Window& g, const float* x, long r0, long r1) {
    ShortRows& s = t_short;
    const long n = r1 - r0;
    if ((long)s.src.size() < n) s.src.resize(n), s.idx.resize(n);
    if ((long)s.edge.size() < n * g.patch()) s.edge.resize(n * g.patch());
    patch_offsets(g, s.offset);
    s.inside = patch_rows(g, s.offset, x, r0, r1, s.src.data(), s.idx.data(), s.edge.data());
    return s;
}

void forward_short(const Window& g, int F, const float* x, const float* kernel, const float* bias, Act act,
                   float alpha, float* z, float* y) {
    const int K = g.patch();
    const long M = g.rows(), R = kShortChunkRows, chunks = (M + R - 1) / R;
    Floats wp;
    const int np = patch_pack_weights(kernel, bias, K, F, wp);
    const bool fused_relu = act == Act::Relu && y == z;
    for_items(chunks, (double)R * K * F, kThreadMinWork, [&](long ci) {
        const long r0 = ci * R, rows = std::min(R, M - r0);
        const ShortRows& s = short_rows(g, x, r0, r0 + rows);
        float* zc = z + r0 * F;
        patch_forward(s.inside, s.src.data(), s.offset, K, wp.data(), np, F, fused_relu, zc, F, s.idx.data());
        patch_forward((int)rows - s.inside, s.src.data() + s.inside, kIdentityTaps.t, K, wp.data(), np, F,
                      fused_relu, zc, F, s.idx.data() + s.inside);
        if (act != Act::Linear && !fused_relu) act_forward(act, alpha, zc, y + r0 * F, (int)rows, F);
        else if (act == Act::Linear && y != z) std::copy(zc, zc + rows * F, y + r0 * F);
    });
}

// One chunk's share of the kernel gradient (acc: K x F) and, after it, of the bias gradient (F), added
// to acc in row order; `first`: acc is overwritten.
void filter_short_chunk(const Window& g, int F, const float* x, const float* dz, long r0, long rows, float* acc,
                        bool first) {
    const int K = g.patch();
    if (first) std::fill(acc, acc + (long)(K + 1) * F, 0.0f);
    const float* dzc = dz + r0 * F;
    patch_column_sums(dzc, rows, F, acc + (long)K * F);  // first: it streams the chunk of dz into cache
    const ShortRows& s = short_rows(g, x, r0, r0 + rows);
    patch_filter_grad(s.inside, s.src.data(), s.offset, K, dzc, F, s.idx.data(), F, acc);
    patch_filter_grad((int)rows - s.inside, s.src.data() + s.inside, kIdentityTaps.t, K, dzc, F,
                      s.idx.data() + s.inside, F, acc);
}

void check(const Window& g, int filters, const char* what) {
    if (g.n < 0 || g.c < 1 || filters < 1 || g.y.out < 1 || g.x.out < 1)
        throw std::invalid_argument(std::string(what) + ": bad shape (n " + std::to_string(g.n) + ", channels " +
                                    std::to_string(g.c) + ", filters " + std::to_string(filters) + ")");
}

}  // namespace

void conv2d_forward(const Window& g, int filters, const float* x, const float* kernel, const float* bias, Act act,
                    float alpha, float* z, float* y) {
    check(g, filters, "conv2d_forward");
    if (short_patch(g)) return forward_short(g, filters, x, kernel, bias, act, alpha, z, y);
    const int K = g.patch(), F = filters;
    const long M = g.rows(), R = chunk_rows(g), chunks = (M + R - 1) / R;
    const bool elementwise = act != Act::Linear && act_is_elementwise(act);
    for_items(chunks, (double)R * K * F, kThreadMinWork, [&](long ci) {
        const long r0 = ci * R, rows = std::min(R, M - r0);
        const float* col = x + r0 * K;
        if (!g.identity()) {
            float* buf = col_buffer(rows * K);
            im2col_rows(g, x, r0, r0 + rows, buf);
            col = buf;
        }
        const ConvOutput out{bias, z + r0 * F, elementwise ? y + r0 * F : nullptr, F, act, alpha};
        const GemmEpilogue epilogue{&ConvOutput::apply, &out};
        gemm(false, false, (int)rows, F, K, 1.0f, col, K, kernel, F, 0.0f, z + r0 * F, F,
             bias || elementwise ? &epilogue : nullptr, !g.identity());
        if (act != Act::Linear && !elementwise) act_forward(act, alpha, z + r0 * F, y + r0 * F, (int)rows, F);
        else if (act == Act::Linear && y != z) std::copy(z + r0 * F, z + (r0 + rows) * F, y + r0 * F);
    });
}

void conv2d_backward_data(const Window& g, int filters, const float* dz, const float* kernel, float* dx,
                          bool accumulate) {
    check(g, filters, "conv2d_backward_data");
    const int K = g.patch(), F = filters;
    if (g.identity()) {  // dx = dz · kernelᵀ directly
        gemm(false, true, (int)g.rows(), g.c, F, 1.0f, dz, F, kernel, F, accumulate ? 1.0f : 0.0f, dx, g.c);
        return;
    }
    const long plane = g.out_plane(), R = chunk_rows(g);
    for_items(g.n, (double)plane * K * F, kThreadMinWork, [&](long img) {
        if (!accumulate) std::fill(dx + img * g.in_image(), dx + (img + 1) * g.in_image(), 0.0f);
        for (long r0 = img * plane; r0 < (img + 1) * plane; r0 += R) {
            const long rows = std::min(R, (img + 1) * plane - r0);
            float* buf = col_buffer(rows * K);
            gemm(false, true, (int)rows, K, F, 1.0f, dz + r0 * F, F, kernel, F, 0.0f, buf, K);
            col2im_rows_add(g, buf, r0, r0 + rows, dx);
        }
    });
}

void conv2d_backward_filter(const Window& g, int filters, const float* x, const float* dz, float* dkernel,
                            float* dbias) {
    check(g, filters, "conv2d_backward_filter");
    const int K = g.patch(), F = filters;
    const bool short_path = short_patch(g);
    const long M = g.rows(), R = short_path ? kShortChunkRows : chunk_rows(g), chunks = (M + R - 1) / R;
    const long part = (long)(K + 1) * F;  // a group's kernel gradient and, in its last row, bias gradient
    const long groups = std::max<long>(1, std::min({chunks, kMaxGroups, kPartialFloatsMax / part}));
    if ((long)t_part.size() < groups * part) t_part.resize(groups * part);
    float* parts = t_part.data();
    for_items(groups, (double)M / groups * K * F, kThreadMinWork, [&](long gi) {
        float* acc = parts + gi * part;
        const long c0 = chunks * gi / groups, c1 = chunks * (gi + 1) / groups;
        for (long ci = c0; ci < c1; ++ci) {
            const long r0 = ci * R, rows = std::min(R, M - r0);
            if (short_path) {
                filter_short_chunk(g, F, x, dz, r0, rows, acc, ci == c0);
                continue;
            }
            const float* col = x + r0 * K;
            if (!g.identity()) {
                float* buf = col_buffer(rows * K);
                im2col_rows(g, x, r0, r0 + rows, buf);
                col = buf;
            }
            gemm_with_sums(true, false, K, F, (int)rows, 1.0f, col, K, dz + r0 * F, F, ci == c0 ? 0.0f : 1.0f, acc, F,
                           !g.identity());
        }
    });
    if (M == 0) std::fill(parts, parts + part, 0.0f);
    // Partial sums added in group order (elementwise, so any split of this loop gives the same bits).
    for_items((part + 4095) / 4096, 4096.0 * groups, 1L << 16, [&](long b) {
        const long e0 = b * 4096, e1 = std::min(part, e0 + 4096);
        for (long e = e0; e < e1; ++e) {
            float s = parts[e];
            for (long gi = 1; gi < groups; ++gi) s += parts[gi * part + e];
            if (e < (long)K * F) dkernel[e] = s;
            else if (dbias) dbias[e - (long)K * F] = s;
        }
    });
}

}  // namespace pmdl

// --- the layer kinds "conv2d" and "conv1d" --------------------------------------------------------

#include "dense.h"  // read_activation

namespace pmdl {

Conv::Conv(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    const std::string& kind = attrs.kind();
    const int rank = kind == "conv1d" ? 1 : 2;
    const Shape& in = inputs[0];
    if ((int)in.size() != rank + 1)
        throw std::invalid_argument(kind + " expects inputs of shape " + (rank == 2 ? "(height, width, channels)" :
                                    "(steps, channels)") + ", got " + shape_text(in));
    filters_ = (int)attrs.integer("filters", 1, kMaxSize - 1);
    const auto k = attrs.ints("kernel_size", 1, kMaxSize - 1, rank);
    const auto s = attrs.ints("strides", 1, kMaxSize - 1, rank);
    const auto d = attrs.ints("dilation_rate", 1, kMaxSize - 1, rank);
    const long padding = attrs.integer("padding", 0, rank == 1 ? 2 : 1);
    read_activation(attrs, act_, alpha_);
    use_bias_ = attrs.flag("use_bias", true);
    geometry_.c = in.back();
    Axis* axes[2] = {&geometry_.y, &geometry_.x};
    for (int a = 0; a < rank; ++a) {
        Axis& axis = *axes[a + 2 - rank];
        const std::string what = kind + " axis " + std::to_string(a);
        if (padding == 2) {  // causal: d*(k-1) zeros before, as many outputs as inputs (for stride 1)
            axis = window_axis(in[a], (int)k[a], (int)s[a], (int)d[a], true, what.c_str());
            axis.pad_before = (int)(d[a] * (k[a] - 1));
            axis.out = (int)((in[a] + axis.pad_before - (d[a] * (k[a] - 1) + 1)) / s[a] + 1);
        } else {
            axis = window_axis(in[a], (int)k[a], (int)s[a], (int)d[a], padding == 1, what.c_str());
        }
    }
    const long patch = (long)geometry_.y.k * geometry_.x.k * geometry_.c;
    if (patch * filters_ > kMaxSize)
        throw std::invalid_argument(kind + ": kernel of " + std::to_string(patch) + " x " + std::to_string(filters_) +
                                    " is too large");
    out_shape_ = rank == 2 ? Shape{geometry_.y.out, geometry_.x.out, filters_} : Shape{geometry_.x.out, filters_};
    Shape kshape(k.begin(), k.end());
    kshape.push_back(geometry_.c);
    kshape.push_back(filters_);
    param_specs_.push_back({"kernel", kshape, true});
    // The bias right after the kernel: conv2d_backward_filter writes both from one partial-sum array.
    if (use_bias_) param_specs_.push_back({"bias", {filters_}, true});
}

void Conv::reserve(int rows) {
    z_.resize((long)rows * output_size());
    if (!output_in_z()) a_.resize((long)rows * output_size());
}

const float* Conv::forward(const ForwardArgs& args) {
    x_ = args.in[0];
    float* y = output_in_z() ? z_.data() : a_.data();
    conv2d_forward(window(args.rows), filters_, x_, params[0], use_bias_ ? params[1] : nullptr, act_, alpha_,
                   z_.data(), y);
    out_ = y;
    return y;
}

void Conv::backward(BackwardArgs& args) {
    const Window g = window(args.rows);
    conv2d_backward_filter(g, filters_, x_, args.dout, grads[0], use_bias_ ? grads[1] : nullptr);
    InputGrad& in = args.in[0];
    if (in.d) conv2d_backward_data(g, filters_, args.dout, params[0], in.d, in.accumulate);
}

PMDL_REGISTER_LAYER("conv2d", Conv);
PMDL_REGISTER_LAYER("conv1d", Conv);

}  // namespace pmdl
