// The preprocessing layers that compute: Rescaling (x * scale + offset) and Normalization
// ((x - mean) / max(sqrt(variance), 1e-7) with the statistics as non-trainable weights, set by adapt()).
#pragma once

#include "layer.h"

namespace pmdl {

class Rescaling : public Layer {
public:
    Rescaling(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    float scale_ = 1.0f, offset_ = 0.0f;
    Floats a_;
};

class Normalization : public Layer {
public:
    Normalization(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    const float* mean() const { return stored_ ? params[0] : &mean_; }
    const float* variance() const { return stored_ ? params[1] : &variance_; }
    std::vector<int> index_;  // per element of a sample: its mean/variance entry
    bool stored_ = true;      // the statistics are weights (adapt); else one mean and variance given as numbers
    bool invert_ = false;
    float mean_ = 0.0f, variance_ = 1.0f;
    Floats a_;
};

}  // namespace pmdl
