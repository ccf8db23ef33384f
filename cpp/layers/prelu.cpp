// PReLU as Keras 3 computes it (layers/activations/prelu.py): relu(x) - alpha * relu(-x).
#include "prelu.h"

#include <algorithm>
#include <stdexcept>

#include "broadcast.h"

namespace pmdl {

PReLU::PReLU(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    out_shape_ = inputs[0];
    // shared_axes as Keras counts them (1 = the first feature axis); alpha has 1 along each.
    const int rank = (int)out_shape_.size();
    Shape alpha_shape = out_shape_;
    for (long axis : attrs.ints("shared_axes", 1, rank, -1, {})) alpha_shape[axis - 1] = 1;
    index_ = broadcast_index(out_shape_, alpha_shape);
    shared_ = shape_size(alpha_shape) != output_size();
    param_specs_ = {{"alpha", alpha_shape, true}};
}

void PReLU::reserve(int rows) { a_.resize((long)rows * output_size()); }

const float* PReLU::forward(const ForwardArgs& args) {
    x_ = args.in[0];
    const long size = output_size();
    const float* alpha = params[0];
    const int* idx = index_.data();
    float* a = a_.data();
    for (long r = 0; r < args.rows; ++r) {
        const float* x = x_ + r * size;
        float* out = a + r * size;
        for (long j = 0; j < size; ++j) out[j] = x[j] > 0.0f ? x[j] : alpha[idx[j]] * x[j];
    }
    return a;
}

// d/dx: 1 for x > 0, alpha for x < 0, 0 at 0 (TF's relu gradient at 0 is 0, on both terms);
// d/dalpha: sum of dout * min(x, 0) over the rows (and the shared positions), in row order.
void PReLU::backward(BackwardArgs& args) {
    const long size = output_size();
    const float* alpha = params[0];
    const int* idx = index_.data();
    if (grads[0]) {
        float* ga = grads[0];
        std::fill(ga, ga + (shared_ ? shape_size(param_specs_[0].shape) : size), 0.0f);
        for (long r = 0; r < args.rows; ++r) {
            const float* x = x_ + r * size;
            const float* d = args.dout + r * size;
            for (long j = 0; j < size; ++j) ga[idx[j]] += d[j] * std::min(x[j], 0.0f);
        }
    }
    InputGrad& g = args.in[0];
    if (!g.d) return;
    const long n = args.rows * size;
    for (long e = 0; e < n; ++e) {
        const float x = x_[e], d = args.dout[e];
        const float v = x > 0.0f ? d : x < 0.0f ? alpha[idx[e % size]] * d : 0.0f;
        g.d[e] = g.accumulate ? g.d[e] + v : v;
    }
}

PMDL_REGISTER_LAYER("prelu", PReLU);

}  // namespace pmdl
