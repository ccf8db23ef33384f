// The training-only noise layers besides Dropout: GaussianNoise (x + N(0, stddev^2)) and AlphaDropout
// (SELU-preserving dropout). At inference both pass their input through.
#pragma once

#include "layer.h"

namespace pmdl {

class GaussianNoise : public Layer {
public:
    GaussianNoise(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    float stddev_ = 0.0f;
    Floats a_;
};

// Keras' AlphaDropout: kept elements x, dropped ones alpha' = -1.7581 (SELU's negative saturation), then
// a * that + b with a, b keeping mean and variance. Gradient: a where kept, 0 where dropped.
class AlphaDropout : public Layer {
public:
    AlphaDropout(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    float rate_ = 0.0f;
    bool identity_ = true;  // the last forward passed its input through (inference, or rate 0)
    Floats mask_, a_;       // mask_: a where kept, else 0
};

}  // namespace pmdl
