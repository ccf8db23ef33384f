// Dense: output = f(input · kernel + bias), kernel (in, units), for an elementwise or softmax f.
#pragma once

#include "layer.h"

namespace pmdl {

// Reads "activation" (an Act code) and "alpha" (leaky_relu slope / elu scale) for Dense and Activation.
void read_activation(const Attrs& attrs, Act& act, float& alpha);

class Dense : public Layer {
public:
    Dense(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;
    ActInfo activation() const override { return {act_, alpha_, z_.data(), out_}; }
    bool supports_freezing() const override { return true; }

private:
    // Linear and relu layers keep their output in z (relu overwrites z with relu(z): the derivative
    // needs only z > 0, which relu(z) > 0 says too; one array less to write and read).
    bool output_in_z() const { return act_ == Act::Linear || act_ == Act::Relu; }
    int in_ = 0, units_ = 0;
    Act act_ = Act::Linear;
    float alpha_ = 0.0f;
    bool use_bias_ = true;
    bool act_in_epilogue_ = false;  // an elementwise activation, applied in the forward GEMM's epilogue
    Floats z_, a_;
    const float* x_ = nullptr;  // the input of the last forward
    const float* out_ = nullptr;
};

}  // namespace pmdl
