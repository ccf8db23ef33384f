// Keras 3 adds activity_regularizer(outputs) / batch_size to the layer's losses (layers/layer.py).
#include "activity_regularization.h"

#include <cmath>

namespace pmdl {

ActivityRegularization::ActivityRegularization(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    l1_ = (float)attrs.number("l1", 0.0, 1e30, 0.0);
    l2_ = (float)attrs.number("l2", 0.0, 1e30, 0.0);
    out_shape_ = inputs[0];
}

const float* ActivityRegularization::forward(const ForwardArgs& args) {
    x_ = args.in[0];
    const long n = args.rows * output_size();
    double a = 0.0, s = 0.0;
    for (long i = 0; i < n; ++i) {
        a += std::fabs((double)x_[i]);
        s += (double)x_[i] * x_[i];
    }
    penalty_ = args.rows > 0 ? (l1_ * a + l2_ * s) / args.rows : 0.0;
    return x_;
}

void ActivityRegularization::backward(BackwardArgs& args) {
    InputGrad& g = args.in[0];
    if (!g.d) return;
    const long n = args.rows * output_size();
    const float l1 = l1_ / args.rows, two_l2 = 2.0f * l2_ / args.rows;
    for (long i = 0; i < n; ++i) {
        const float v = args.dout[i] + l1 * (float)((x_[i] > 0.0f) - (x_[i] < 0.0f)) + two_l2 * x_[i];
        g.d[i] = g.accumulate ? g.d[i] + v : v;
    }
}

PMDL_REGISTER_LAYER("activity_regularization", ActivityRegularization);

}  // namespace pmdl
