// Loss formulas from Keras 3 (keras/src/losses/losses.py, backend nn ops); eps = 1e-7 as Keras' epsilon().
#include "losses.h"
#include "vmath.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace pmdl {

namespace {

constexpr float kEps = 1e-7f;

inline float clip_prob(float p) { return std::min(std::max(p, kEps), 1.0f - kEps); }
inline bool inside(float p) { return p >= kEps && p <= 1.0f - kEps; }  // clip passes the gradient only here

int label_of(float v, int cols) {
    int c = static_cast<int>(v);
    if (!(v >= 0.0f) || c >= cols || static_cast<float>(c) != v)
        throw std::out_of_range("sparse label " + std::to_string(v) + " is not an integer in [0, " +
                                std::to_string(cols) + ")");
    return c;
}

// Per-sample loss of one row; g (if not null) gets dloss/d(input), where input is the logits row in
// logit mode and the probabilities/predictions otherwise. prob, when not null, is softmax(x) (the
// output layer's own), which the categorical gradient then uses instead of recomputing it.
double row_loss(const LossConfig& cfg, bool logit_mode, const float* x, const float* prob, const float* y, int cols,
                float* g) {
    const float inv_cols = 1.0f / cols;
    double l = 0.0;
    switch (cfg.kind) {
        case Loss::MSE:
            for (int c = 0; c < cols; ++c) {
                float e = x[c] - y[c];
                l += e * e;
                if (g) g[c] = 2.0f * e * inv_cols;
            }
            return l * inv_cols;
        case Loss::MAE:
            for (int c = 0; c < cols; ++c) {
                float e = x[c] - y[c];
                l += std::fabs(e);
                if (g) g[c] = (e > 0.0f ? 1.0f : (e < 0.0f ? -1.0f : 0.0f)) * inv_cols;
            }
            return l * inv_cols;
        case Loss::Huber: {
            const float d = cfg.huber_delta;
            for (int c = 0; c < cols; ++c) {
                float e = x[c] - y[c], a = std::fabs(e);
                l += a <= d ? 0.5f * e * e : d * (a - 0.5f * d);
                if (g) g[c] = (a <= d ? e : (e > 0.0f ? d : -d)) * inv_cols;
            }
            return l * inv_cols;
        }
        case Loss::BinaryCrossentropy:
            for (int c = 0; c < cols; ++c) {
                if (logit_mode) {
                    float z = x[c];
                    l += std::max(z, 0.0f) - z * y[c] + vmath::log1p(vmath::exp(-std::fabs(z)));
                    if (g) g[c] = (vmath::sigmoid(z) - y[c]) * inv_cols;
                } else {
                    float q = clip_prob(x[c]);
                    l -= y[c] * vmath::log(q) + (1.0f - y[c]) * vmath::log(1.0f - q);
                    if (g) g[c] = inside(x[c]) ? (-y[c] / q + (1.0f - y[c]) / (1.0f - q)) * inv_cols : 0.0f;
                }
            }
            return l * inv_cols;
        case Loss::CategoricalCrossentropy:
        case Loss::SparseCategoricalCrossentropy: {
            const bool sparse = cfg.kind == Loss::SparseCategoricalCrossentropy;
            const int label = sparse ? label_of(y[0], cols) : -1;
            auto target = [&](int c) { return sparse ? (c == label ? 1.0f : 0.0f) : y[c]; };
            if (logit_mode) {  // -sum y log_softmax(x); gradient sum(y) * softmax(x) - y
                int top = 0;
                for (int c = 1; c < cols; ++c) top = x[c] > x[top] ? c : top;
                const float m = x[top];
                double ysum = 0.0, yz = 0.0;
                for (int c = 0; c < cols; ++c) {
                    ysum += target(c);
                    yz += target(c) * (x[c] - m);
                }
                if (prob) {  // the softmax layer's own output: no second exp per class
                    // Its entry at the max is exp(0) / s = 1 / s exactly as softmax_rows rounds it, so
                    // log(s) = -log(prob[top]).
                    const double lse = -vmath::log(prob[top]);
                    if (g)
                        for (int c = 0; c < cols; ++c) g[c] = static_cast<float>(ysum * prob[c]) - target(c);
                    return ysum * lse - yz;
                }
                double s = 0.0;  // exp(x - m) kept in g for the gradient: one exp per class
                for (int c = 0; c < cols; ++c) {
                    const float e = vmath::exp(x[c] - m);
                    s += e;
                    if (g) g[c] = e;
                }
                if (g) {
                    const double ysum_over_s = ysum / s;
                    for (int c = 0; c < cols; ++c) g[c] = static_cast<float>(ysum_over_s * g[c]) - target(c);
                }
                return ysum * vmath::log(static_cast<float>(s)) - yz;
            }
            // Probabilities: renormalise over the row, clip, -sum y log q (Keras categorical_crossentropy).
            double s = 0.0;
            for (int c = 0; c < cols; ++c) s += x[c];
            const float inv_s = static_cast<float>(1.0 / s);
            float dot = 0.0f;  // sum_c dL/dpn_c * pn_c, for the renormalisation's Jacobian
            for (int c = 0; c < cols; ++c) {
                float pn = x[c] * inv_s, q = clip_prob(pn), t = target(c);
                if (t != 0.0f) l -= t * vmath::log(q);
                if (g) {
                    g[c] = inside(pn) ? -t / q : 0.0f;
                    dot += g[c] * pn;
                }
            }
            if (g)
                for (int c = 0; c < cols; ++c) g[c] = (g[c] - dot) * inv_s;
            return l;
        }
    }
    throw std::invalid_argument("unknown loss code " + std::to_string(static_cast<int>(cfg.kind)));
}

}  // namespace

double loss_batch(const LossConfig& cfg, Act out_act, float act_alpha, const float* z, const float* p,
                  const float* y, const float* w, int rows, int cols, float scale, float* grad_z) {
    check_enum(cfg.kind, "loss");
    if (rows < 0 || cols <= 0) throw std::invalid_argument("loss_batch: bad shape");
    const bool ce = cfg.kind == Loss::BinaryCrossentropy || cfg.kind == Loss::CategoricalCrossentropy ||
                    cfg.kind == Loss::SparseCategoricalCrossentropy;
    // Keras recovers the logits of a sigmoid/softmax output for the matching cross-entropy.
    const bool fused = ce && !cfg.from_logits &&
                       ((cfg.kind == Loss::BinaryCrossentropy && out_act == Act::Sigmoid) ||
                        (cfg.kind != Loss::BinaryCrossentropy && out_act == Act::Softmax));
    const bool logit_mode = fused || (ce && cfg.from_logits);
    const float* x = fused ? z : p;
    // softmax(z) is p itself when fused; a sigmoid's gradient keeps its own formula
    const float* prob = fused && out_act == Act::Softmax ? p : nullptr;
    const int ycols = cfg.kind == Loss::SparseCategoricalCrossentropy ? 1 : cols;
    double total = 0.0;
    for (int r = 0; r < rows; ++r) {
        float* g = grad_z ? grad_z + (long)r * cols : nullptr;
        double l = row_loss(cfg, logit_mode, x + (long)r * cols, prob ? prob + (long)r * cols : nullptr,
                            y + (long)r * ycols, cols, g);
        float wr = w ? w[r] : 1.0f;
        total += wr * l;
        if (g) {
            float k = wr * scale;
            for (int c = 0; c < cols; ++c) g[c] *= k;
        }
    }
    // The gradient so far is with respect to x; chain through the activation unless x was z.
    if (grad_z && !fused) act_backward(out_act, act_alpha, z, p, grad_z, grad_z, rows, cols);
    return total;
}

}  // namespace pmdl
