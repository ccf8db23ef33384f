// ZeroPadding2D and UpSampling2D (resize.h). Images are split over the threads; every output or input
// gradient element is written by one thread in a fixed order, so results do not depend on the thread count.
#include "resize.h"

#include "../parallel.h"

#include <algorithm>
#include <stdexcept>

#include "window.h"  // for_items

namespace pmdl {

namespace {
constexpr double kThreadMinWork = kParallelFloatsMin;  // floats touched from which images go to the threads
}

Resize2D::Resize2D(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    pad_ = attrs.kind() == "zero_padding2d";
    const Shape& in = inputs[0];
    if (in.size() != 3)
        throw std::invalid_argument(attrs.kind() + " expects inputs of shape (height, width, channels), got " +
                                    shape_text(in));
    h_ = in[0], w_ = in[1], c_ = in[2];
    long oh, ow;
    if (pad_) {
        const auto p = attrs.ints("padding", 0, kMaxSize - 1, 4);
        top_ = (int)p[0], left_ = (int)p[2];
        oh = h_ + p[0] + p[1], ow = w_ + p[2] + p[3];
    } else {
        const auto s = attrs.ints("size", 1, kMaxSize - 1, 2);
        sh_ = (int)s[0], sw_ = (int)s[1];
        oh = (long)h_ * sh_, ow = (long)w_ * sw_;
    }
    if (oh * ow * c_ > kMaxSize) throw std::invalid_argument(attrs.kind() + ": output is too large");
    out_shape_ = {(int)oh, (int)ow, c_};
}

void Resize2D::reserve(int rows) { y_.resize((long)rows * output_size()); }

const float* Resize2D::forward(const ForwardArgs& args) {
    const float* x = args.in[0];
    const int oh = out_shape_[0], ow = out_shape_[1];
    const long in_image = input_size(), out_image = output_size();
    for_items(args.rows, (double)out_image, kThreadMinWork, [&](long img) {
        const float* xi = x + img * in_image;
        float* yi = y_.data() + img * out_image;
        if (pad_) {
            std::fill(yi, yi + out_image, 0.0f);
            for (int r = 0; r < h_; ++r)
                std::copy(xi + (long)r * w_ * c_, xi + (long)(r + 1) * w_ * c_,
                          yi + ((long)(r + top_) * ow + left_) * c_);
            return;
        }
        for (int r = 0; r < oh; ++r) {
            const float* src = xi + (long)(r / sh_) * w_ * c_;
            float* dst = yi + (long)r * ow * c_;
            for (int q = 0; q < ow; ++q) std::copy(src + (long)(q / sw_) * c_, src + (long)(q / sw_ + 1) * c_, dst + (long)q * c_);
        }
    });
    return y_.data();
}

void Resize2D::backward(BackwardArgs& args) {
    InputGrad& g = args.in[0];
    if (!g.d) return;
    const int ow = out_shape_[1];
    const long in_image = input_size(), out_image = output_size();
    for_items(args.rows, (double)out_image, kThreadMinWork, [&](long img) {
        const float* dy = args.dout + img * out_image;
        float* dx = g.d + img * in_image;
        for (int r = 0; r < h_; ++r)
            for (int q = 0; q < w_; ++q)
                for (int ch = 0; ch < c_; ++ch) {
                    float s;
                    if (pad_) {
                        s = dy[((long)(r + top_) * ow + q + left_) * c_ + ch];
                    } else {  // the block's cells in row order
                        s = 0.0f;
                        for (int i = 0; i < sh_; ++i)
                            for (int j = 0; j < sw_; ++j) s += dy[((long)(r * sh_ + i) * ow + q * sw_ + j) * c_ + ch];
                    }
                    float& d = dx[((long)r * w_ + q) * c_ + ch];
                    d = g.accumulate ? d + s : s;
                }
    });
}

PMDL_REGISTER_LAYER("zero_padding2d", Resize2D);
PMDL_REGISTER_LAYER("up_sampling2d", Resize2D);

}  // namespace pmdl
