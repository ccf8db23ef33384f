// The update rules, as Keras 3 writes them (keras/src/optimizers/*.py; KERAS_REFERENCE.md §1). Each rule is
// a class (its hyperparameters, its slots in Keras' variable order with their initial values, its per-step
// scalars, its fused update) and one line of the table at the bottom, which is also the list of optimizer
// names and codes. Adding a rule touches this file only (plus its Python class and its test).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "optimizers.h"
#include "simd.h"

namespace pmdl {

namespace {

// The fused loops: one per rule and flag combination, with __restrict and no branch inside, so each
// vectorizes. Every PMDL_SIMD_CLONES function computes its loop's constants itself (they round as the loop's
// clone does). The flag kQ: the rule's Stat of g comes in q, taken per lookup and added up (RowSlices in
// optimizers.h), instead of from g.
using F = float* __restrict;
using CF = const float* __restrict;

template <bool kQ>
inline float square_of(CF g, CF q, long i) {
    if constexpr (kQ) return q[i];
    else return g[i] * g[i];
}

// --- SGD: v = mu*v - lr*g; w += v (nesterov: w += mu*v - lr*g, with the new v) --------------------------

PMDL_SIMD_CLONES
void sgd_update(F w, CF g, F v, long n, float lr, float mu, bool nesterov) {
    if (!v) {
        for (long i = 0; i < n; ++i) w[i] -= lr * g[i];
    } else if (nesterov) {
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

class Sgd final : public Rule {
public:
    explicit Sgd(const Hyper& h) : mu_(h.number("momentum", 0.0, 0.0, 1.0)), nesterov_(h.flag("nesterov", false)) {
        if (mu_ > 0.0f) slots_ = {{"momentum", 0.0f}};
        parallel_min = 1L << 17;
    }
    void update(const StepScalars& k, float* w, const float* g, const float*, float* const* s,
                long n) const override {  // linear in g: lookup rows need nothing more
        sgd_update(w, g, mu_ > 0.0f ? s[0] : nullptr, n, k.lr, mu_, nesterov_);
    }

private:
    float mu_;
    bool nesterov_;
};

// --- RMSprop: s = rho*s + (1-rho)*g^2; w -= lr*g/sqrt(s + eps) (eps inside the sqrt, as Keras) ------------

// Centered: also a running mean a of g, and s - a^2 under the root; momentum: M = mu*M + step; w -= M.
template <bool kCentered, bool kMomentum, bool kQ>
inline void rmsprop(F w, CF g, CF q, F sq, F avg, F mom, long n, float lr, float rho, float eps, float mu) {
    for (long i = 0; i < n; ++i) {
        if constexpr (kQ) sq[i] = rho * sq[i] + (1.0f - rho) * q[i];
        else sq[i] = rho * sq[i] + (1.0f - rho) * g[i] * g[i];
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

template <bool kQ>
inline void rmsprop_flags(F w, CF g, CF q, F sq, F avg, F mom, long n, float lr, float rho, float eps, float mu) {
    if (avg && mom) rmsprop<true, true, kQ>(w, g, q, sq, avg, mom, n, lr, rho, eps, mu);
    else if (avg) rmsprop<true, false, kQ>(w, g, q, sq, avg, nullptr, n, lr, rho, eps, mu);
    else if (mom) rmsprop<false, true, kQ>(w, g, q, sq, nullptr, mom, n, lr, rho, eps, mu);
    else rmsprop<false, false, kQ>(w, g, q, sq, nullptr, nullptr, n, lr, rho, eps, mu);
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void rmsprop_update(F w, CF g, CF q, F sq, F avg, F mom, long n, float lr, float rho, float eps, float mu) {
    if (q) rmsprop_flags<true>(w, g, q, sq, avg, mom, n, lr, rho, eps, mu);
    else rmsprop_flags<false>(w, g, nullptr, sq, avg, mom, n, lr, rho, eps, mu);
}

class RMSprop final : public Rule {
public:
    explicit RMSprop(const Hyper& h)
        : rho_(h.number("rho", 0.9, 0.0, 1.0)), mu_(h.number("momentum", 0.0, 0.0, 1.0)),
          eps_(h.number("epsilon", 1e-7, 0.0, HUGE_VAL)), centered_(h.flag("centered", false)) {
        slots_ = {{"velocity", 0.0f}};
        if (mu_ > 0.0f) slots_.push_back({"momentum", 0.0f});
        if (centered_) slots_.push_back({"average_gradient", 0.0f});
        // Centered, an id repeated in a batch can make s - a^2 negative (a NaN step; Keras 3 raises there).
        stat_ = Stat::Square;
    }
    void update(const StepScalars& k, float* w, const float* g, const float* q, float* const* s,
                long n) const override {
        const bool mom = mu_ > 0.0f;
        rmsprop_update(w, g, q, s[0], centered_ ? s[mom ? 2 : 1] : nullptr, mom ? s[1] : nullptr, n, k.lr, rho_, eps_,
                       mu_);
    }

private:
    float rho_, mu_, eps_;
    bool centered_;
};

// --- Adam (and AdamW: the decay is the optimizer's): bias corrections folded into alpha -----------------

// eps is added to sqrt of the uncorrected v, as Keras; amsgrad uses the running maximum of v.
template <bool kAmsgrad, bool kQ>
inline void adam(F w, CF g, CF q, F m, F v, F vmax, long n, float alpha, float b1, float b2, float eps) {
    for (long i = 0; i < n; ++i) {
        m[i] += (1.0f - b1) * (g[i] - m[i]);
        v[i] += (1.0f - b2) * (square_of<kQ>(g, q, i) - v[i]);
        float vv = v[i];
        if constexpr (kAmsgrad) vv = vmax[i] = std::max(vmax[i], v[i]);
        w[i] -= alpha * m[i] / (std::sqrt(vv) + eps);
    }
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void adam_update(F w, CF g, CF q, F m, F v, F vmax, long n, float alpha, float b1, float b2, float eps) {
    if (vmax && q) adam<true, true>(w, g, q, m, v, vmax, n, alpha, b1, b2, eps);
    else if (vmax) adam<true, false>(w, g, nullptr, m, v, vmax, n, alpha, b1, b2, eps);
    else if (q) adam<false, true>(w, g, q, m, v, nullptr, n, alpha, b1, b2, eps);
    else adam<false, false>(w, g, nullptr, m, v, nullptr, n, alpha, b1, b2, eps);
}

class Adam final : public Rule {
public:
    explicit Adam(const Hyper& h)
        : b1_(h.number("beta_1", 0.9, 0.0, 1.0, true)), b2_(h.number("beta_2", 0.999, 0.0, 1.0, true)),
          eps_(h.number("epsilon", 1e-7, 0.0, HUGE_VAL)), amsgrad_(h.flag("amsgrad", false)) {
        slots_ = {{"momentum", 0.0f}, {"velocity", 0.0f}};
        if (amsgrad_) slots_.push_back({"velocity_hat", 0.0f});
        stat_ = Stat::Square;
    }
    StepScalars step_scalars(double t, float lr, double*) const override {
        const double alpha = lr * std::sqrt(1.0 - std::pow((double)b2_, t)) / (1.0 - std::pow((double)b1_, t));
        return {lr, {static_cast<float>(alpha), 0.0f, 0.0f}};
    }
    void update(const StepScalars& k, float* w, const float* g, const float* q, float* const* s,
                long n) const override {
        adam_update(w, g, q, s[0], s[1], amsgrad_ ? s[2] : nullptr, n, k.c[0], b1_, b2_, eps_);
    }

private:
    float b1_, b2_, eps_;
    bool amsgrad_;
};

// --- Adagrad: acc (from initial_accumulator_value, 0.1) += g^2; w -= lr*g/sqrt(acc + eps) -----------------

template <bool kQ>
inline void adagrad(F w, CF g, CF q, F acc, long n, float lr, float eps) {
    for (long i = 0; i < n; ++i) {
        acc[i] += square_of<kQ>(g, q, i);
        w[i] -= lr * g[i] / std::sqrt(acc[i] + eps);
    }
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void adagrad_update(F w, CF g, CF q, F acc, long n, float lr, float eps) {
    if (q) adagrad<true>(w, g, q, acc, n, lr, eps);
    else adagrad<false>(w, g, nullptr, acc, n, lr, eps);
}

class Adagrad final : public Rule {
public:
    explicit Adagrad(const Hyper& h) : eps_(h.number("epsilon", 1e-7, 0.0, HUGE_VAL)) {
        slots_ = {{"accumulator", h.number("initial_accumulator_value", 0.1, 0.0, HUGE_VAL)}};
        stat_ = Stat::Square;
    }
    void update(const StepScalars& k, float* w, const float* g, const float* q, float* const* s,
                long n) const override {
        adagrad_update(w, g, q, s[0], n, k.lr, eps_);
    }

private:
    float eps_;
};

// --- Nadam: Adam with Nesterov momentum and Keras' momentum schedule u_t = b1*(1 - 0.5*0.96^t) ------------

template <bool kQ>
inline void nadam(F w, CF g, CF q, F m, F v, long n, float lr, float b1, float b2, float eps, float c_m, float c_g,
                  float c_v) {
    for (long i = 0; i < n; ++i) {
        m[i] += (1.0f - b1) * (g[i] - m[i]);
        v[i] += (1.0f - b2) * (square_of<kQ>(g, q, i) - v[i]);
        const float m_hat = c_m * m[i] + c_g * g[i];
        w[i] -= lr * m_hat / (std::sqrt(v[i] * c_v) + eps);
    }
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void nadam_update(F w, CF g, CF q, F m, F v, long n, float lr, float b1, float b2, float eps, float c_m, float c_g,
                  float c_v) {
    if (q) nadam<true>(w, g, q, m, v, n, lr, b1, b2, eps, c_m, c_g, c_v);
    else nadam<false>(w, g, nullptr, m, v, n, lr, b1, b2, eps, c_m, c_g, c_v);
}

class Nadam final : public Rule {
public:
    explicit Nadam(const Hyper& h)
        : b1_(h.number("beta_1", 0.9, 0.0, 1.0, true)), b2_(h.number("beta_2", 0.999, 0.0, 1.0, true)),
          eps_(h.number("epsilon", 1e-7, 0.0, HUGE_VAL)) {
        slots_ = {{"momentum", 0.0f}, {"velocity", 0.0f}};
        scalars_ = {{"u_product", 1.0, 0.0, 1.0}};  // Keras' running product of the momentum schedule
        stat_ = Stat::Square;
    }
    // m_hat = c_m*m + c_g*g with c_m = u_{t+1}/(1 - prod_{t+1}), c_g = (1 - u_t)/(1 - prod_t); v_hat = v*c_v.
    StepScalars step_scalars(double t, float lr, double* u_product) const override {
        const double b1 = b1_;
        const double u_t = b1 * (1.0 - 0.5 * std::pow(0.96, t));
        const double u_t1 = b1 * (1.0 - 0.5 * std::pow(0.96, t + 1));
        *u_product *= u_t;
        const double prod_t = *u_product, prod_t1 = *u_product * u_t1;
        return {lr,
                {static_cast<float>(u_t1 / (1.0 - prod_t1)), static_cast<float>((1.0 - u_t) / (1.0 - prod_t)),
                 static_cast<float>(1.0 / (1.0 - std::pow((double)b2_, t)))}};
    }
    void update(const StepScalars& k, float* w, const float* g, const float* q, float* const* s,
                long n) const override {
        nadam_update(w, g, q, s[0], s[1], n, k.lr, b1_, b2_, eps_, k.c[0], k.c[1], k.c[2]);
    }

private:
    float b1_, b2_, eps_;
};

// --- Adamax (Kingma & Ba, 2014, section 7.1): u = max(b2*u, |g|); w -= lr/(1 - b1^t) * m/(u + eps) --------

template <bool kQ>
inline void adamax(F w, CF g, CF q, F m, F u, long n, float step, float b1, float b2, float eps) {
    for (long i = 0; i < n; ++i) {
        m[i] += (1.0f - b1) * (g[i] - m[i]);
        if constexpr (kQ) u[i] = std::max(b2 * u[i], q[i]);
        else u[i] = std::max(b2 * u[i], std::fabs(g[i]));
        w[i] -= step * m[i] / (u[i] + eps);
    }
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void adamax_update(F w, CF g, CF q, F m, F u, long n, float step, float b1, float b2, float eps) {
    if (q) adamax<true>(w, g, q, m, u, n, step, b1, b2, eps);
    else adamax<false>(w, g, nullptr, m, u, n, step, b1, b2, eps);
}

class Adamax final : public Rule {
public:
    explicit Adamax(const Hyper& h)
        : b1_(h.number("beta_1", 0.9, 0.0, 1.0, true)), b2_(h.number("beta_2", 0.999, 0.0, 1.0, true)),
          eps_(h.number("epsilon", 1e-7, 0.0, HUGE_VAL)) {
        slots_ = {{"momentum", 0.0f}, {"norm", 0.0f}};
        stat_ = Stat::Abs;
    }
    StepScalars step_scalars(double t, float lr, double*) const override {  // the bias-corrected step size
        return {lr, {static_cast<float>(lr / (1.0 - std::pow((double)b1_, t))), 0.0f, 0.0f}};
    }
    void update(const StepScalars& k, float* w, const float* g, const float* q, float* const* s,
                long n) const override {
        adamax_update(w, g, q, s[0], s[1], n, k.c[0], b1_, b2_, eps_);
    }

private:
    float b1_, b2_, eps_;
};

// --- the table: Keras' name and the rule; a code is its position (append only) ------------------------

template <class R>
std::unique_ptr<Rule> make(const Hyper& h) {
    return std::make_unique<R>(h);
}

struct Entry {
    const char* name;
    std::unique_ptr<Rule> (*make)(const Hyper&);
};

constexpr Entry kRules[] = {
    {"sgd", make<Sgd>},
    {"rmsprop", make<RMSprop>},
    {"adam", make<Adam>},
    {"adamw", make<Adam>},  // AdamW is Adam plus the optimizer's decoupled weight decay
    {"adagrad", make<Adagrad>},
    {"nadam", make<Nadam>},
    {"adamax", make<Adamax>},
};
constexpr int kNumRules = sizeof(kRules) / sizeof(kRules[0]);

}  // namespace

int EnumList<Opt>::count() { return kNumRules; }
const char* EnumList<Opt>::name(int i) { return kRules[i].name; }

std::unique_ptr<Rule> make_rule(Opt kind, const std::map<std::string, double>& hyper) {
    check_enum(kind, "optimizer");
    const Entry& e = kRules[static_cast<int>(kind)];
    Hyper h(e.name, hyper);
    std::unique_ptr<Rule> rule = e.make(h);
    h.check_all_read();
    if (rule->slots().size() > (size_t)Rule::kMaxSlots)
        throw std::logic_error(std::string(e.name) + ": more slots than Rule::kMaxSlots");
    return rule;
}

}  // namespace pmdl
