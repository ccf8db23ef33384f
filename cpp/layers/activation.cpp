// Activation: an activation function as a layer of its own.
#include "activation.h"

#include "dense.h"

namespace pmdl {

Activation::Activation(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    read_activation(attrs, act_, alpha_);
    out_shape_ = inputs[0];
}

void Activation::reserve(int rows) {
    if (act_ != Act::Linear) a_.resize((long)rows * output_size());
}

const float* Activation::forward(const ForwardArgs& args) {
    x_ = args.in[0];
    if (act_ == Act::Linear) return x_;
    // Softmax works along the last axis: each sample is size / last rows of `last` values.
    const int last = out_shape_.back();
    act_forward(act_, alpha_, x_, a_.data(), (int)(args.rows * (output_size() / last)), last);
    return a_.data();
}

void Activation::backward(BackwardArgs& args) {  // dout is already d loss / d input (the graph applied f')
    pass_gradient(args.in[0], args.dout, args.rows * output_size());
}

PMDL_REGISTER_LAYER("activation", Activation);

}  // namespace pmdl
