// Losses: per-sample value and the gradient that starts backpropagation.
#pragma once

#include "activations.h"
#include "enum_list.h"

namespace pmdl {

// X(Member, "name"), in value order: append only. Python's loss classes name their member (pyminidl/losses.py).
#define PMDL_LOSSES(X)                                                  \
    X(MSE, "mse")                                                       \
    X(MAE, "mae")                                                       \
    X(BinaryCrossentropy, "binary_crossentropy")                        \
    X(CategoricalCrossentropy, "categorical_crossentropy")              \
    X(SparseCategoricalCrossentropy, "sparse_categorical_crossentropy") \
    X(Huber, "huber")

PMDL_DECLARE_ENUM(Loss, PMDL_LOSSES)

struct LossConfig {
    Loss kind = Loss::MSE;
    bool from_logits = false;
    float huber_delta = 1.0f;
};

// One batch of `rows` samples. z is the output layer's pre-activation, p = act(z) its output,
// y the targets (rows x cols; rows x 1 class indices for sparse CE), w per-sample weights or null.
// Returns sum_i w_i * loss_i. When grad_z is not null it receives d(sum_i w_i loss_i * scale)/dz.
// Like Keras, a sigmoid/softmax output with cross-entropy is computed from its logits z (stable,
// unclipped, gradient p - y); other combinations use the clipped probability formulas.
double loss_batch(const LossConfig& cfg, Act out_act, float act_alpha, const float* z, const float* p,
                  const float* y, const float* w, int rows, int cols, float scale, float* grad_z);

}  // namespace pmdl
