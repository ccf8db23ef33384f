// PReLU: f(x) = x for x >= 0, alpha * x for x < 0, with a trainable alpha per element (or shared along
// `shared_axes`).
#pragma once

#include "layer.h"

namespace pmdl {

class PReLU : public Layer {
public:
    PReLU(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    std::vector<int> index_;  // per element of a sample: its alpha entry
    bool shared_ = false;     // some alpha entry serves several elements of a sample
    Floats a_;
    const float* x_ = nullptr;
};

}  // namespace pmdl
