// ActivityRegularization: passes its input through and penalises it, (l1 * sum|x| + l2 * sum x^2) / rows,
// as Keras' activity_regularizer (and its ActivityRegularization layer): the network adds penalty() to the
// batch loss; backward adds the penalty's gradient to the input's.
#pragma once

#include "layer.h"

namespace pmdl {

class ActivityRegularization : public Layer {
public:
    ActivityRegularization(const Attrs& attrs, const std::vector<Shape>& inputs);
    long floats_per_row() const override { return 0; }
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;
    double penalty() const { return penalty_; }  // of the last forward's batch, already divided by its rows

private:
    float l1_ = 0.0f, l2_ = 0.0f;
    double penalty_ = 0.0;
    const float* x_ = nullptr;
};

}  // namespace pmdl
