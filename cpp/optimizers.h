// Optimizer update rules over flat arrays: one fused pass over parameter, gradient and state.
#pragma once

#include <cstdint>
#include <vector>

#include "enum_list.h"

namespace pmdl {

// X(Member, "keras_name"), in value order: append only.
#define PMDL_OPTIMIZERS(X) \
    X(SGD, "sgd")          \
    X(RMSprop, "rmsprop")  \
    X(Adam, "adam")        \
    X(AdamW, "adamw")      \
    X(Adagrad, "adagrad")  \
    X(Nadam, "nadam")

PMDL_DECLARE_ENUM(Opt, PMDL_OPTIMIZERS)
enum class Schedule : int { Constant, ExponentialDecay, PiecewiseConstantDecay, InverseTimeDecay };

struct OptimizerConfig {
    Opt kind = Opt::RMSprop;
    float learning_rate = 0.001f;
    float momentum = 0.0f;        // SGD, RMSprop
    bool nesterov = false;        // SGD
    float rho = 0.9f;             // RMSprop
    bool centered = false;        // RMSprop
    float beta_1 = 0.9f;          // Adam, AdamW, Nadam
    float beta_2 = 0.999f;
    bool amsgrad = false;         // Adam, AdamW
    float epsilon = 1e-7f;
    float initial_accumulator_value = 0.1f;  // Adagrad
    float weight_decay = 0.0f;    // decoupled, applied before the update (AdamW and any weight_decay=)
    float clipnorm = 0.0f;        // each <= 0 means off; at most one is set (checked in Python)
    float clipvalue = 0.0f;
    float global_clipnorm = 0.0f;
    // Learning-rate schedule evaluated at the iteration count before each step.
    Schedule schedule = Schedule::Constant;
    float decay_steps = 1.0f, decay_rate = 1.0f;
    bool staircase = false;
    std::vector<double> boundaries, values;  // piecewise constant: values has one more entry
};

// Number of per-parameter state slots the rule keeps (momentum, velocity, ...).
int optimizer_slots(const OptimizerConfig& cfg);

// Slot s of each parameter starts at this value (Adagrad's accumulator starts at 0.1, not 0).
float optimizer_slot_init(const OptimizerConfig& cfg, int slot);

// Learning rate at `iteration` (0-based count of steps taken so far).
float learning_rate_at(const OptimizerConfig& cfg, int64_t iteration);

// Per-step scalars shared by all tensors of one step, computed once per step (not per slice of parameters).
struct StepScalars {
    float lr;
    float adam_alpha;     // Adam/AdamW: lr with both bias corrections folded in
    float nadam_c_m, nadam_c_g, nadam_c_v;  // Nadam: coefficients of m, g and v
};

// The scalars of step `iteration` (0-based); `nadam_u_product` is Nadam's running product of its momentum
// schedule, which this advances.
StepScalars step_scalars(const OptimizerConfig& cfg, int64_t iteration, double& nadam_u_product);

// Update n parameters w with gradient g (already clipped) and state slots s[0..slots-1].
void optimizer_update(const OptimizerConfig& cfg, const StepScalars& k, float* w, const float* g,
                      float* const* s, long n);

// Clip one tensor's gradient by value or by its own norm (clipnorm); in place.
void clip_tensor(const OptimizerConfig& cfg, float* g, long n);

}  // namespace pmdl
