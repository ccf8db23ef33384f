// Flatten and Reshape: the same floats under another shape.
#pragma once

#include "layer.h"

namespace pmdl {

// "flatten" (to one axis) and "reshape" (attribute target_shape, at most one entry -1): no arithmetic,
// the output is the input's floats (a batch is contiguous either way).
class Reshape : public Layer {
public:
    Reshape(const Attrs& attrs, const std::vector<Shape>& inputs);
    long floats_per_row() const override { return 0; }
    const float* forward(const ForwardArgs& args) override { return args.in[0]; }
    void backward(BackwardArgs& args) override;
};

}  // namespace pmdl
