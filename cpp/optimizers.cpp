// Update rules as Keras 3 writes them (keras/src/optimizers/*.py); see shared KERAS_REFERENCE.md §1.
#include "optimizers.h"
#include "simd.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace pmdl {

int optimizer_slots(const OptimizerConfig& cfg) {
    switch (cfg.kind) {
        case Opt::SGD: return cfg.momentum > 0.0f ? 1 : 0;                       // velocity
        case Opt::RMSprop: return 1 + (cfg.momentum > 0.0f) + cfg.centered;      // s, momentum, average g
        case Opt::Adam:
        case Opt::AdamW: return cfg.amsgrad ? 3 : 2;                             // m, v, max v
        case Opt::Adagrad: return 1;                                             // accumulator
        case Opt::Nadam: return 2;                                               // m, v
    }
    throw std::invalid_argument("unknown optimizer code " + std::to_string(static_cast<int>(cfg.kind)));
}

float optimizer_slot_init(const OptimizerConfig& cfg, int) {
    return cfg.kind == Opt::Adagrad ? cfg.initial_accumulator_value : 0.0f;
}

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
    throw std::invalid_argument("unknown schedule code");
}

StepScalars step_scalars(const OptimizerConfig& cfg, int64_t iteration, double& nadam_u_product) {
    StepScalars k{learning_rate_at(cfg, iteration), 0.0f, 0.0f, 0.0f, 0.0f};
    const double t = static_cast<double>(iteration + 1);  // Keras' step count
    if (cfg.kind == Opt::Adam || cfg.kind == Opt::AdamW)
        k.adam_alpha = static_cast<float>(k.lr * std::sqrt(1.0 - std::pow((double)cfg.beta_2, t)) /
                                          (1.0 - std::pow((double)cfg.beta_1, t)));
    if (cfg.kind == Opt::Nadam) {  // Keras keeps the running product of the momentum schedule
        const double b1 = cfg.beta_1;
        const double u_t = b1 * (1.0 - 0.5 * std::pow(0.96, t));
        const double u_t1 = b1 * (1.0 - 0.5 * std::pow(0.96, t + 1));
        nadam_u_product *= u_t;
        const double prod_t = nadam_u_product, prod_t1 = nadam_u_product * u_t1;
        k.nadam_c_g = static_cast<float>((1.0 - u_t) / (1.0 - prod_t));
        k.nadam_c_m = static_cast<float>(u_t1 / (1.0 - prod_t1));
        k.nadam_c_v = static_cast<float>(1.0 / (1.0 - std::pow((double)cfg.beta_2, t)));
    }
    return k;
}

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

namespace {

// One loop per rule and flag combination: __restrict and no branch inside, so each vectorizes.
using F = float* __restrict;
using CF = const float* __restrict;

inline void sgd(F w, CF g, long n, float lr) {
    for (long i = 0; i < n; ++i) w[i] -= lr * g[i];
}

inline void sgd_momentum(F w, CF g, F v, long n, float lr, float mu, bool nesterov) {
    if (nesterov) {
        for (long i = 0; i < n; ++i) {
            v[i] = mu * v[i] - lr * g[i];
            w[i] += mu * v[i] - lr * g[i];
        }
    } else {
        for (long i = 0; i < n; ++i) {
            v[i] = mu * v[i] - lr * g[i];
            w[i] += v[i];
        }
    }
}

// RMSprop with optional running mean of g (centered) and optional momentum; Keras puts eps inside the sqrt.
template <bool kCentered, bool kMomentum>
inline void rmsprop(F w, CF g, F sq, F avg, F mom, long n, float lr, float rho, float eps, float mu) {
    for (long i = 0; i < n; ++i) {
        sq[i] = rho * sq[i] + (1.0f - rho) * g[i] * g[i];
        float den = sq[i];
        if constexpr (kCentered) {
            avg[i] = rho * avg[i] + (1.0f - rho) * g[i];
            den -= avg[i] * avg[i];
        }
        const float d = lr * g[i] / std::sqrt(den + eps);
        if constexpr (kMomentum) {
            mom[i] = mu * mom[i] + d;
            w[i] -= mom[i];
        } else {
            w[i] -= d;
        }
    }
}

// Adam with the bias correction folded into alpha; eps is added to the uncorrected sqrt(v).
template <bool kAmsgrad>
inline void adam(F w, CF g, F m, F v, F vmax, long n, float alpha, float b1, float b2, float eps) {
    for (long i = 0; i < n; ++i) {
        m[i] += (1.0f - b1) * (g[i] - m[i]);
        v[i] += (1.0f - b2) * (g[i] * g[i] - v[i]);
        float vv = v[i];
        if constexpr (kAmsgrad) vv = vmax[i] = std::max(vmax[i], v[i]);
        w[i] -= alpha * m[i] / (std::sqrt(vv) + eps);
    }
}

inline void adagrad(F w, CF g, F acc, long n, float lr, float eps) {
    for (long i = 0; i < n; ++i) {
        acc[i] += g[i] * g[i];
        w[i] -= lr * g[i] / std::sqrt(acc[i] + eps);
    }
}

inline void nadam(F w, CF g, F m, F v, long n, float lr, float b1, float b2, float eps, float c_m, float c_g,
                  float c_v) {
    for (long i = 0; i < n; ++i) {
        m[i] += (1.0f - b1) * (g[i] - m[i]);
        v[i] += (1.0f - b2) * (g[i] * g[i] - v[i]);
        const float m_hat = c_m * m[i] + c_g * g[i];
        w[i] -= lr * m_hat / (std::sqrt(v[i] * c_v) + eps);
    }
}

}  // namespace

PMDL_SIMD_CLONES
void optimizer_update(const OptimizerConfig& cfg, const StepScalars& k, float* w, const float* g,
                      float* const* s, long n) {
    const float lr = k.lr;
    if (cfg.weight_decay > 0.0f) {  // decoupled decay first, with the current learning rate
        const float keep = 1.0f - lr * cfg.weight_decay;
        for (long i = 0; i < n; ++i) w[i] *= keep;
    }
    switch (cfg.kind) {
        case Opt::SGD:
            if (cfg.momentum > 0.0f) sgd_momentum(w, g, s[0], n, lr, cfg.momentum, cfg.nesterov);
            else sgd(w, g, n, lr);
            return;
        case Opt::RMSprop: {
            const bool mom = cfg.momentum > 0.0f;
            float* avg = cfg.centered ? s[mom ? 2 : 1] : nullptr;  // slots: s, [momentum], [average g]
            const float rho = cfg.rho, eps = cfg.epsilon, mu = cfg.momentum;
            if (cfg.centered && mom) rmsprop<true, true>(w, g, s[0], avg, s[1], n, lr, rho, eps, mu);
            else if (cfg.centered) rmsprop<true, false>(w, g, s[0], avg, nullptr, n, lr, rho, eps, mu);
            else if (mom) rmsprop<false, true>(w, g, s[0], nullptr, s[1], n, lr, rho, eps, mu);
            else rmsprop<false, false>(w, g, s[0], nullptr, nullptr, n, lr, rho, eps, mu);
            return;
        }
        case Opt::Adam:
        case Opt::AdamW: {
            const float alpha = k.adam_alpha;
            if (cfg.amsgrad) adam<true>(w, g, s[0], s[1], s[2], n, alpha, cfg.beta_1, cfg.beta_2, cfg.epsilon);
            else adam<false>(w, g, s[0], s[1], nullptr, n, alpha, cfg.beta_1, cfg.beta_2, cfg.epsilon);
            return;
        }
        case Opt::Adagrad:
            adagrad(w, g, s[0], n, lr, cfg.epsilon);
            return;
        case Opt::Nadam:
            nadam(w, g, s[0], s[1], n, lr, cfg.beta_1, cfg.beta_2, cfg.epsilon, k.nadam_c_m, k.nadam_c_g, k.nadam_c_v);
            return;
    }
    throw std::invalid_argument("unknown optimizer code " + std::to_string(static_cast<int>(cfg.kind)));
}

}  // namespace pmdl
