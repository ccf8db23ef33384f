// Optimizers: the Optimizer object owns all optimizer state (slots, iteration count, a rule's scalars) and
// steps the network's flat array of trainable floats. The update rules are the table in optimizer_rules.cpp:
// one entry per rule (its hyperparameters, slots, per-step scalars and fused update), so that a new rule
// touches that one C++ file, and the network never knows which rule it runs.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aligned.h"
#include "enum_list.h"

namespace pmdl {

// Opt codes are positions in the rule table (optimizer_rules.cpp), which is the optimizers' one list; the
// names Python sees (bindings_enums.cpp) and the range check follow it.
enum class Opt : int {};
template <>
struct EnumList<Opt> {
    static int count();
    static const char* name(int i);
};

enum class Schedule : int { Constant, ExponentialDecay, PiecewiseConstantDecay, InverseTimeDecay };

struct OptimizerConfig {
    Opt kind{};
    float learning_rate = 0.001f;
    // The rule's own hyperparameters by Keras name ("momentum", "beta_1", ...; flags as 0 or 1). A missing
    // one takes Keras' default; an unknown key or a value out of range is an error naming it.
    std::map<std::string, double> hyper;
    float weight_decay = 0.0f;     // decoupled, applied before the update (AdamW and any weight_decay=)
    float clipnorm = 0.0f;         // each <= 0 means off; at most one is set (checked in Python)
    float clipvalue = 0.0f;
    float global_clipnorm = 0.0f;
    // Learning-rate schedule evaluated at the iteration count before each step.
    Schedule schedule = Schedule::Constant;
    float decay_steps = 1.0f, decay_rate = 1.0f;
    bool staircase = false;
    std::vector<double> boundaries, values;  // piecewise constant: values has one more entry
};

// Learning rate at `iteration` (0-based count of steps taken so far).
float learning_rate_at(const OptimizerConfig& cfg, int64_t iteration);

// A rule's hyperparameters as it reads them: checked getters that remember which keys were asked for, so a
// misspelt key is an error, not silently the default.
class Hyper {
public:
    Hyper(const char* rule, const std::map<std::string, double>& values) : rule_(rule), values_(values) {}
    // A number in [lo, hi] (hi excluded when hi_open); `fallback` when absent.
    float number(const char* key, double fallback, double lo, double hi, bool hi_open = false) const;
    bool flag(const char* key, bool fallback) const;  // 0 or 1
    void check_all_read() const;

private:
    const char* rule_;
    const std::map<std::string, double>& values_;
    mutable std::set<std::string> read_;
};

// Coefficients shared by every parameter of one step, computed once per step (not per slice).
struct StepScalars {
    float lr;
    float c[3];  // the rule's own (Adam's bias-corrected alpha, Nadam's m/g/v weights, ...)
};

// One update rule, built by its table entry from the hyperparameters.
class Rule {
public:
    struct Slot {
        const char* name;  // Keras' variable name ("momentum", "velocity", ...)
        float init;
    };
    struct Scalar {
        const char* name;  // state carried across steps besides the slots (Nadam's "u_product")
        double init;
        // The values a file or a user may set (Optimizer::set_scalar): finite and within [lo, hi].
        double lo = -HUGE_VAL, hi = HUGE_VAL;
    };
    // What of each gradient element the rule uses besides the element itself: its square (second moments)
    // or its absolute value (Adamax). For a gradient of lookup rows the optimizer passes q, that taken per
    // lookup and added up (see RowSlices); for a dense one q is null and the rule takes it of g.
    enum class Stat { None, Square, Abs };
    static constexpr int kMaxSlots = 8;  // the optimizer passes slot pointers in a fixed array
    virtual ~Rule() = default;
    const std::vector<Slot>& slots() const { return slots_; }          // in Keras' variable order
    const std::vector<Scalar>& scalars() const { return scalars_; }
    // Coefficients of step t = iterations + 1 at learning rate lr; may advance `state` (one per scalar).
    virtual StepScalars step_scalars(double t, float lr, double* state) const;
    Stat stat() const { return stat_; }
    // The fused update of n parameters w from their (clipped) gradients g, the stat() of them q (null: of g)
    // and slots s[0 .. slots-1].
    virtual void update(const StepScalars& k, float* w, const float* g, const float* q, float* const* s,
                        long n) const = 0;
    // Parameter count from which the update is split over threads: waking them costs more below it.
    // Rules with a square root and a division per parameter (Adam) break even at ~30k parameters; SGD's
    // few multiply-adds need more.
    long parallel_min = 1L << 15;

protected:
    std::vector<Slot> slots_;
    std::vector<Scalar> scalars_;
    Stat stat_ = Stat::None;
};

// The table's entry for `kind`; throws std::invalid_argument for an unknown code or bad hyperparameters.
std::unique_ptr<Rule> make_rule(Opt kind, const std::map<std::string, double>& hyper);

// A gradient as Keras 3 on TensorFlow hands an Embedding table's to its optimizer (a tf.IndexedSlices):
// one row of values per lookup, a repeated id not merged. Keras clips, squares and takes absolute values
// of each lookup's row before the rows are added up, so a row looked up twice with gradients a and b gets
// a + b and a^2 + b^2, not (a + b)^2 (tf_keras 2.x merges them first; pyminidl follows Keras 3).
struct RowSlices {
    const int* rows = nullptr;      // the table row of each lookup; null: the gradient is dense
    const float* values = nullptr;  // count x dim
    long count = 0;
    int dim = 0;
};

// One tensor of the flat trainable array: clipnorm and clipvalue work per tensor. The dense gradient is in
// the flat gradient array either way; `lookups` describes it as rows when its layer keeps them.
struct Span {
    long offset, size;
    RowSlices lookups;
};

class Optimizer {
public:
    explicit Optimizer(long n) : n_(n) {}  // n trainable floats; steps nothing until configured

    // Validates everything before changing anything, then resets the state: slots to their initial values,
    // scalars, iterations = 0.
    void configure(const OptimizerConfig& cfg);
    bool configured() const { return rule_ != nullptr; }

    // One step over the trainable floats w with gradients g (clipped in place): clipping, weight decay,
    // the rule's update; then iterations += 1. `tensors` cover [0, n) in order; with `lookups`, a tensor's
    // lookup rows, where it has them, are used (they must add up to its part of g).
    void step(float* w, float* g, const std::vector<Span>& tensors, bool lookups = false);

    void set_learning_rate(float lr) { cfg_.learning_rate = lr; }
    float current_learning_rate() const { return learning_rate_at(cfg_, iterations); }

    int num_slots() const { return rule_ ? (int)rule_->slots().size() : 0; }
    const char* slot_name(int s) const { return rule_->slots()[s].name; }
    float* slot(int s) { return slots_[s].data(); }
    int num_scalars() const { return rule_ ? (int)rule_->scalars().size() : 0; }
    const char* scalar_name(int i) const { return rule_->scalars()[i].name; }
    double& scalar(int i) { return scalars_[i]; }

    // Training state a file or a user may set, bounded (std::invalid_argument otherwise): the step count in
    // [0, 2**53] (exact in the schedules' double, far from int64 overflow), a scalar finite within its
    // rule's [lo, hi] (Nadam's product in [0, 1]: a NaN one made every weight NaN).
    static constexpr int64_t kMaxIterations = int64_t(1) << 53;
    void set_iterations(int64_t v);
    void set_scalar(int i, double v);

    int64_t iterations = 0;  // steps taken (Keras optimizer.iterations)

private:
    // The update of parameters [lo, hi); q (null, or the rule's stat from element lo on) as Rule::update.
    void update_slices(const StepScalars& k, float* w, const float* g, const float* q, long lo, long hi);
    void update_range(const StepScalars& k, float* w, const float* g, const float* q, long lo, long hi);

    long n_;
    OptimizerConfig cfg_;
    std::unique_ptr<Rule> rule_;
    // One buffer of n floats per slot, kept across configures (the list only grows): NumPy views of the
    // slots taken before a re-compile still point at live memory.
    std::vector<Floats> slots_;
    std::vector<double> scalars_;
    Floats q_;  // the rule's stat of a tensor with lookup rows, per element
};

}  // namespace pmdl
