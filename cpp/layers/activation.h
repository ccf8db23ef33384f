// Activation: output = f(input), softmax along the last axis.
#pragma once

#include "layer.h"

namespace pmdl {

class Activation : public Layer {
public:
    Activation(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    long floats_per_row() const override { return act_ == Act::Linear ? 0 : Layer::floats_per_row(); }
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;
    ActInfo activation() const override { return {act_, alpha_, x_, a_.data()}; }

private:
    Act act_ = Act::Linear;
    float alpha_ = 0.0f;
    Floats a_;
    const float* x_ = nullptr;
};

}  // namespace pmdl
