// Dense forward and backward: one GEMM each way, with bias, activation and the producer's activation
// derivative done in the GEMM epilogues while each block is in cache.
#include "dense.h"

#include <stdexcept>

#include "../parallel.h"
#include "../simd.h"

namespace pmdl {

namespace {

// z += bias on every row of a rows x cols block (row stride ld): Keras adds the bias after X·W.
PMDL_SIMD_CLONES
void add_bias(const float* __restrict bias, float* __restrict z, long ld, int rows, int cols) {
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) z[r * ld + c] += bias[c];
}

// The output pass, run by the GEMM on each block of z = X·W as soon as it is final (in cache, on the
// thread that computed it): z += bias, then a = f(z) for an elementwise f.
struct DenseOutput {
    const float* bias;  // or nullptr
    float* z;
    float* a;           // or nullptr: the activation runs after the GEMM (softmax) or not at all
    long cols;
    Act act;
    float alpha;

    static void apply(const void* self, int i0, int rows, int j0, int cols) {
        const DenseOutput& o = *static_cast<const DenseOutput*>(self);
        float* z = o.z + i0 * o.cols + j0;
        if (o.bias) add_bias(o.bias + j0, z, o.cols, rows, cols);
        if (o.a) act_forward_block(o.act, o.alpha, z, o.cols, o.a + i0 * o.cols + j0, o.cols, rows, cols);
    }
};

}  // namespace

void read_activation(const Attrs& attrs, Act& act, float& alpha) {
    act = static_cast<Act>(attrs.integer("activation", 0, EnumList<Act>::count() - 1, 0));
    alpha = static_cast<float>(attrs.number("alpha", -1e30, 1e30, 0.0));
}

Dense::Dense(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    if (inputs[0].size() != 1)
        throw std::invalid_argument("dense expects 1-D features (add a Flatten layer before it), got input shape " +
                                    shape_text(inputs[0]));
    in_ = inputs[0][0];
    units_ = (int)attrs.integer("units", 1, kMaxSize - 1);
    read_activation(attrs, act_, alpha_);
    use_bias_ = attrs.flag("use_bias", true);
    act_in_epilogue_ = act_ != Act::Linear && act_is_elementwise(act_);
    if ((long)in_ * units_ > kMaxSize)
        throw std::invalid_argument("dense: kernel of " + std::to_string(in_) + " x " + std::to_string(units_) +
                                    " is too large");
    out_shape_ = {units_};
    param_specs_.push_back({"kernel", {in_, units_}, true});
    // The bias right after the kernel: backward computes its gradient as the kernel gradient's row `in`.
    if (use_bias_) param_specs_.push_back({"bias", {units_}, true});
}

void Dense::reserve(int rows) {
    z_.resize((long)rows * units_);
    if (!output_in_z()) a_.resize((long)rows * units_);
}

const float* Dense::forward(const ForwardArgs& args) {
    const int rows = args.rows;
    x_ = args.in[0];
    float* z = z_.data();
    const bool fused_act = act_in_epilogue_;
    float* a = output_in_z() ? z : a_.data();
    const DenseOutput out{use_bias_ ? params[1] : nullptr, z, fused_act ? a : nullptr, units_, act_, alpha_};
    const GemmEpilogue epilogue{&DenseOutput::apply, &out};
    gemm(false, false, rows, units_, in_, 1.0f, x_, in_, params[0], units_, 0.0f, z, units_,
         out.bias || out.a ? &epilogue : nullptr);
    if (act_ != Act::Linear && !fused_act)  // softmax: a pass over whole rows
        for_row_slices(rows, units_, [&](int r0, int r1) {
            const long at = (long)r0 * units_;
            act_forward(act_, alpha_, z + at, a + at, r1 - r0, units_);
        });
    out_ = a;
    return a;
}

void Dense::backward(BackwardArgs& args) {
    const int rows = args.rows;
    const float* dz = args.dout;  // with respect to z
    // Weight gradient Xᵀ·dZ; the bias gradient (column sums of dZ) is the row after it. A frozen layer
    // (null gradients, Layer::freeze) only passes the gradient on to its input.
    if (grads[0] && use_bias_)
        gemm_with_sums(true, false, in_, units_, rows, 1.0f, x_, in_, dz, units_, 0.0f, grads[0], units_);
    else if (grads[0])
        gemm(true, false, in_, units_, rows, 1.0f, x_, in_, dz, units_, 0.0f, grads[0], units_);
    InputGrad& g = args.in[0];
    if (!g.d) return;
    const bool fuse = !g.accumulate && g.fuse.act != Act::Linear && act_is_elementwise(g.fuse.act);
    if (!fuse) {
        gemm(false, true, rows, in_, units_, 1.0f, dz, units_, params[0], units_, g.accumulate ? 1.0f : 0.0f, g.d,
             in_);
        return;
    }
    const ActGradEpilogue grad{g.fuse, g.d, in_};
    const GemmEpilogue epilogue = grad.epilogue();
    gemm(false, true, rows, in_, units_, 1.0f, dz, units_, params[0], units_, 0.0f, g.d, in_, &epilogue);
    g.fused = true;
}

PMDL_REGISTER_LAYER("dense", Dense);

}  // namespace pmdl
