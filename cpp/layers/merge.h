// The merge layers: add, subtract, multiply, average, maximum, minimum (elementwise over inputs of one
// shape, folded left to right as Keras does) and concatenate (along a feature axis).
#pragma once

#include "layer.h"

namespace pmdl {

class Merge : public Layer {
public:
    enum class Op { Add, Subtract, Multiply, Average, Maximum, Minimum };
    Merge(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    Op op_ = Op::Add;
    Floats out_;
    std::vector<const float*> x_;  // the inputs of the last forward
};

class Concatenate : public Layer {
public:
    Concatenate(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    // Each sample is `outer` blocks; input k contributes inner_[k] floats to each block.
    long outer_ = 1;
    std::vector<long> inner_;
    long inner_total_ = 0;
    Floats out_;
};

}  // namespace pmdl
