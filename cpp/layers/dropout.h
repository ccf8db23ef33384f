// Dropout: while training, each element is zeroed with probability `rate` and the rest scaled by 1/(1-rate).
#pragma once

#include "layer.h"

namespace pmdl {

class Dropout : public Layer {
public:
    Dropout(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    float rate_ = 0.0f;
    bool identity_ = true;  // the last forward passed its input through (inference, or rate 0)
    Floats mask_, a_;
};

}  // namespace pmdl
