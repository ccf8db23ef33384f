// Weight penalties and constraints (Keras' kernel_/bias_regularizer and kernel_/bias_constraint): the
// penalty l1 * sum|w| + l2 * sum w^2 joins the loss and its gradient the tensor's gradient before the
// optimizer step; the constraint rewrites the tensor after every step (also at learning rate 0), as Keras.
#pragma once

#include <vector>

#include "enum_list.h"
#include "layers/layer.h"

namespace pmdl {

#define PMDL_CONSTRAINTS(X) \
    X(None, "none")         \
    X(MaxNorm, "max_norm")  \
    X(NonNeg, "non_neg")    \
    X(UnitNorm, "unit_norm") \
    X(MinMaxNorm, "min_max_norm")

PMDL_DECLARE_ENUM(Constraint, PMDL_CONSTRAINTS)

struct WeightRule {
    int tensor = 0;  // index into the graph's tensors (a trainable one)
    float l1 = 0.0f, l2 = 0.0f;
    Constraint constraint = Constraint::None;
    float max_value = 2.0f, min_value = 0.0f, rate = 1.0f;
    int axis = 0;  // the axis the norm constraints reduce over (negative: from the end)
};

// Throws std::invalid_argument naming the value when a setting is out of range for a tensor of `shape`.
void check_weight_rule(const WeightRule& rule, const Shape& shape);

// l1 * sum|w| + l2 * sum w^2 over n floats (accumulated in double).
double weight_penalty(const WeightRule& rule, const float* w, long n);

// g += l1 * sign(w) + 2 * l2 * w (sign(0) = 0, as TF's).
void add_penalty_gradient(const WeightRule& rule, const float* w, float* g, long n);

// w = constraint(w) for a tensor of `shape` (Keras' formulas, eps = 1e-7 in the norm divisions).
void apply_constraint(const WeightRule& rule, float* w, const Shape& shape);

}  // namespace pmdl
