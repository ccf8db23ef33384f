// The Optimizer object: learning-rate schedules, gradient clipping, weight decay and the threaded step
// around the rule table (optimizer_rules.cpp). Order per step as Keras 3 (KERAS_REFERENCE.md §1): clip ->
// weight decay -> update -> iterations += 1.
#include "optimizers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "parallel.h"
#include "simd.h"

namespace pmdl {

float learning_rate_at(const OptimizerConfig& cfg, int64_t iteration) {
    const double step = static_cast<double>(iteration);
    const double lr0 = cfg.learning_rate;
    switch (cfg.schedule) {
        case Schedule::Constant: return cfg.learning_rate;
        case Schedule::ExponentialDecay: {
            double p = step / cfg.decay_steps;
            if (cfg.staircase) p = std::floor(p);
            return static_cast<float>(lr0 * std::pow(static_cast<double>(cfg.decay_rate), p));
        }
        case Schedule::InverseTimeDecay: {
            double p = step / cfg.decay_steps;
            if (cfg.staircase) p = std::floor(p);
            return static_cast<float>(lr0 / (1.0 + cfg.decay_rate * p));
        }
        case Schedule::PiecewiseConstantDecay: {
            size_t i = 0;  // values[i] applies while step <= boundaries[i]
            while (i < cfg.boundaries.size() && step > cfg.boundaries[i]) ++i;
            return static_cast<float>(cfg.values.at(i));
        }
    }
    throw std::invalid_argument("unknown schedule code " + std::to_string(static_cast<int>(cfg.schedule)));
}

// --- hyperparameters ----------------------------------------------------------------------------------

float Hyper::number(const char* key, double fallback, double lo, double hi, bool hi_open) const {
    read_.insert(key);
    const auto it = values_.find(key);
    if (it == values_.end()) return static_cast<float>(fallback);
    const double v = it->second;
    if (!(v >= lo && (hi_open ? v < hi : v <= hi)))  // also refuses NaN
        throw std::invalid_argument(std::string(rule_) + ": " + key + " must be in [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + (hi_open ? ")" : "]") + ", got " + std::to_string(v));
    return static_cast<float>(v);
}

bool Hyper::flag(const char* key, bool fallback) const {
    read_.insert(key);
    const auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    if (it->second != 0.0 && it->second != 1.0)
        throw std::invalid_argument(std::string(rule_) + ": " + key + " must be 0 or 1, got " +
                                    std::to_string(it->second));
    return it->second != 0.0;
}

void Hyper::check_all_read() const {
    for (const auto& kv : values_)
        if (!read_.count(kv.first))
            throw std::invalid_argument(std::string(rule_) + " has no hyperparameter '" + kv.first + "'");
}

StepScalars Rule::step_scalars(double, float lr, double*) const { return {lr, {0.0f, 0.0f, 0.0f}}; }

// --- clipping -----------------------------------------------------------------------------------------

namespace {

// Clip one tensor's gradient by value, or by its own norm (clipnorm); in place.
void clip_tensor(const OptimizerConfig& cfg, float* g, long n) {
    if (cfg.clipvalue > 0.0f) {
        const float c = cfg.clipvalue;
        for (long i = 0; i < n; ++i) g[i] = std::min(std::max(g[i], -c), c);
    }
    if (cfg.clipnorm > 0.0f) {
        double sq = 0.0;
        for (long i = 0; i < n; ++i) sq += static_cast<double>(g[i]) * g[i];
        const double norm = std::sqrt(sq);
        if (norm > cfg.clipnorm) {
            const float k = static_cast<float>(cfg.clipnorm / norm);
            for (long i = 0; i < n; ++i) g[i] *= k;
        }
    }
}

void add_squares(double& sq, const float* v, long n) {
    for (long i = 0; i < n; ++i) sq += static_cast<double>(v[i]) * v[i];
}

// Every gradient scaled by c / max(N, c), N the norm over all tensors together; of a tensor with lookup
// rows, Keras 3 counts every lookup's values. (Its scaling then merges the rows: the rest is dense.)
void clip_global(float c, float* g, long n, const std::vector<Span>& tensors) {
    double sq = 0.0;
    for (const Span& t : tensors) {
        const RowSlices& r = t.lookups;
        if (r.rows) add_squares(sq, r.values, r.count * r.dim);
        else add_squares(sq, g + t.offset, t.size);
    }
    const double norm = std::sqrt(sq);
    // Keras (tf.clip_by_global_norm): an inf/NaN global norm makes every gradient NaN.
    const float k = std::isfinite(norm) ? static_cast<float>(c / std::max(norm, (double)c))
                                        : std::numeric_limits<float>::quiet_NaN();
    for (long i = 0; i < n; ++i) g[i] *= k;
}

// Decoupled weight decay, with the step's learning rate. `keep` is computed in here, in the same clone
// as the loop, so that it rounds as it always has (the AVX2/AVX-512 clones may fuse lr * wd into an FMA).
PMDL_SIMD_CLONES
void decay(float* __restrict w, long n, float lr, float wd) {
    const float keep = 1.0f - lr * wd;
    for (long i = 0; i < n; ++i) w[i] *= keep;
}

// A tensor's gradient from its lookup rows, as Keras 3 takes a tf.IndexedSlices (RowSlices): each lookup's
// values clipped by value, then all scaled by clipnorm's factor over them; the rule's stat of each value
// added up in q (size floats), and the values themselves in g when clipping changed them (else g, their
// sum from the layer's backward, stands).
void gather_lookups(const OptimizerConfig& cfg, Rule::Stat stat, const RowSlices& r, float* g, float* q,
                    long size) {
    const float c = cfg.clipvalue;
    const long n = r.count * r.dim;
    float k = 1.0f;
    if (cfg.clipnorm > 0.0f) {  // as clip_tensor, over the lookups' values
        double sq = 0.0;
        for (long i = 0; i < n; ++i) {
            const float v = c > 0.0f ? std::min(std::max(r.values[i], -c), c) : r.values[i];
            sq += static_cast<double>(v) * v;
        }
        const double norm = std::sqrt(sq);
        if (norm > cfg.clipnorm) k = static_cast<float>(cfg.clipnorm / norm);
    }
    const bool clipped = c > 0.0f || k != 1.0f;
    if (!clipped && stat == Rule::Stat::None) return;
    // Threads take column blocks of the table (each element's sums stay in lookup order).
    constexpr int kBlock = 64;
    const long table_rows = size / r.dim, blocks = (r.dim + kBlock - 1) / kBlock;
    for_slices(blocks, (r.count + table_rows) * kBlock, kParallelFloatsMin, [&](long b0, long b1) {
        const long j0 = b0 * kBlock, j1 = std::min<long>(r.dim, b1 * kBlock);
        for (long row = 0; row < table_rows; ++row) {
            if (clipped) std::fill(g + row * r.dim + j0, g + row * r.dim + j1, 0.0f);
            if (stat != Rule::Stat::None) std::fill(q + row * r.dim + j0, q + row * r.dim + j1, 0.0f);
        }
        for (long i = 0; i < r.count; ++i) {
            const float* v = r.values + i * r.dim;
            const long at = static_cast<long>(r.rows[i]) * r.dim;
            for (long j = j0; j < j1; ++j) {
                float u = v[j];
                if (c > 0.0f) u = std::min(std::max(u, -c), c);
                u *= k;
                if (clipped) g[at + j] += u;
                if (stat == Rule::Stat::Square) q[at + j] += u * u;
                else if (stat == Rule::Stat::Abs) q[at + j] += std::fabs(u);
            }
        }
    });
}

}  // namespace

// --- the optimizer ------------------------------------------------------------------------------------

void Optimizer::configure(const OptimizerConfig& cfg) {
    check_enum(cfg.kind, "optimizer");
    std::unique_ptr<Rule> rule = make_rule(cfg.kind, cfg.hyper);  // throws for bad hyperparameters
    if (cfg.schedule == Schedule::PiecewiseConstantDecay && cfg.values.size() != cfg.boundaries.size() + 1)
        throw std::invalid_argument("piecewise constant decay needs one more value than boundaries");
    learning_rate_at(cfg, 0);  // throws for an unknown schedule
    if (rule->slots().size() > slots_.size())  // the new slot buffers, as a whole, before any is allocated
        require_memory(4 * (size_t)n_ * (rule->slots().size() - slots_.size()), "the optimizer's slots");
    cfg_ = cfg;
    rule_ = std::move(rule);
    const auto& slots = rule_->slots();
    while (slots_.size() < slots.size()) slots_.emplace_back(n_);
    for (size_t s = 0; s < slots.size(); ++s) std::fill(slots_[s].begin(), slots_[s].end(), slots[s].init);
    scalars_.clear();
    for (const Rule::Scalar& sc : rule_->scalars()) scalars_.push_back(sc.init);
    iterations = 0;
}

static std::string number_text(double v) {  // %g: "0", "1", "nan", "1e+300"
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return text;
}

void Optimizer::set_iterations(int64_t v) {
    if (v < 0 || v > kMaxIterations)
        throw std::invalid_argument("iterations must be an integer in [0, 2**53], got " + std::to_string(v));
    iterations = v;
}

void Optimizer::set_scalar(int i, double v) {
    if (i < 0 || i >= num_scalars()) throw std::out_of_range("optimizer scalar index");
    const Rule::Scalar& sc = rule_->scalars()[i];
    if (!(std::isfinite(v) && v >= sc.lo && v <= sc.hi))
        throw std::invalid_argument(std::string(sc.name) + " must be a finite number in [" + number_text(sc.lo) +
                                    ", " + number_text(sc.hi) + "], got " + number_text(v));
    scalars_[i] = v;
}

void Optimizer::update_slices(const StepScalars& k, float* w, const float* g, const float* q, long lo, long hi) {
    float* s[Rule::kMaxSlots];
    for (int j = 0; j < num_slots(); ++j) s[j] = slots_[j].data() + lo;
    if (cfg_.weight_decay > 0.0f) decay(w + lo, hi - lo, k.lr, cfg_.weight_decay);
    rule_->update(k, w + lo, g + lo, q, s, hi - lo);
}

// Every rule is elementwise: a range is updated in slices of 16, on the threads when large.
void Optimizer::update_range(const StepScalars& k, float* w, const float* g, const float* q, long lo, long hi) {
    const long blocks = (hi - lo + 15) / 16;
    if (blocks * 16 < rule_->parallel_min) return update_slices(k, w, g, q, lo, hi);  // as for_slices would
    for_slices((hi - lo + 15) / 16, 16, rule_->parallel_min, [&](long b0, long b1) {
        update_slices(k, w, g, q ? q + b0 * 16 : nullptr, lo + b0 * 16, std::min(hi, lo + b1 * 16));
    });
}

void Optimizer::step(float* w, float* g, const std::vector<Span>& tensors, bool lookups) {
    if (!rule_) throw std::logic_error("the optimizer must be configured before it steps");
    if (cfg_.global_clipnorm > 0.0f) {
        clip_global(cfg_.global_clipnorm, g, n_, tensors);
        lookups = false;  // Keras' scaling merged the rows: the rest of the step is dense
    }
    const StepScalars k = rule_->step_scalars(static_cast<double>(iterations + 1),  // Keras' step count
                                              learning_rate_at(cfg_, iterations), scalars_.data());
    if (cfg_.clipnorm > 0.0f || cfg_.clipvalue > 0.0f || lookups) {  // clipping and lookup rows: per tensor
        for (const Span& t : tensors) {
            float* q = nullptr;
            if (lookups && t.lookups.rows) {
                if (rule_->stat() != Rule::Stat::None) {
                    if ((long)q_.size() < t.size) q_.resize(t.size);
                    q = q_.data();
                }
                gather_lookups(cfg_, rule_->stat(), t.lookups, g + t.offset, q, t.size);
            } else {
                clip_tensor(cfg_, g + t.offset, t.size);
            }
            update_range(k, w, g, q, t.offset, t.offset + t.size);
        }
    } else {
        update_range(k, w, g, nullptr, 0, n_);
    }
    ++iterations;
}

}  // namespace pmdl
