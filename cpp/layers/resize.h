// Spatial resizing without parameters, channels last: the layer kinds "zero_padding2d" (attribute padding:
// [top, bottom, left, right] zero rows/columns added) and "up_sampling2d" (attribute size: [rows, cols],
// each cell repeated, Keras' 'nearest' interpolation).
#pragma once

#include "layer.h"

namespace pmdl {

class Resize2D : public Layer {
public:
    Resize2D(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    bool pad_ = true;
    int h_ = 0, w_ = 0, c_ = 0;
    int top_ = 0, left_ = 0;  // zero_padding2d
    int sh_ = 1, sw_ = 1;     // up_sampling2d
    Floats y_;
};

}  // namespace pmdl
