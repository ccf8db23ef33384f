// GaussianNoise and AlphaDropout (Keras 3: layers/regularization/gaussian_noise.py, alpha_dropout.py).
#include "noise.h"

#include <cmath>
#include <stdexcept>

#include "counter_rng.h"

namespace pmdl {

GaussianNoise::GaussianNoise(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    stddev_ = (float)attrs.number("stddev", 0.0, 1e30);
    out_shape_ = inputs[0];
}

void GaussianNoise::reserve(int rows) { a_.resize((long)rows * output_size()); }

// Training: x + stddev * z, z standard normal by Box-Muller from two counter draws per element (one key
// each); inference: x unchanged, as Keras.
const float* GaussianNoise::forward(const ForwardArgs& args) {
    if (!args.training || stddev_ == 0.0f) return args.in[0];
    const uint64_t k1 = args.rng->next(), k2 = args.rng->next();
    const long n = args.rows * output_size();
    const float* x = args.in[0];
    float* a = a_.data();
    constexpr float kTwoPi = 6.28318530717958647692f;
    for (long j = 0; j < n; ++j) {
        const float u1 = (float)((counter_bits((uint32_t)j, k1) >> 8) + 1) * (1.0f / 16777216.0f);  // (0, 1]
        const float u2 = counter_uniform((uint32_t)j, k2);
        a[j] = x[j] + stddev_ * (std::sqrt(-2.0f * std::log(u1)) * std::cos(kTwoPi * u2));
    }
    return a;
}

void GaussianNoise::backward(BackwardArgs& args) { pass_gradient(args.in[0], args.dout, args.rows * output_size()); }

AlphaDropout::AlphaDropout(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    rate_ = (float)attrs.number("rate", 0.0, 1.0);
    if (rate_ >= 1.0f) throw std::invalid_argument("alpha_dropout: attribute 'rate' must be in [0, 1), got 1");
    out_shape_ = inputs[0];
}

void AlphaDropout::reserve(int rows) {
    mask_.resize((long)rows * output_size());
    a_.resize((long)rows * output_size());
}

const float* AlphaDropout::forward(const ForwardArgs& args) {
    identity_ = !args.training || rate_ == 0.0f;
    if (identity_) return args.in[0];
    // Keras: kept iff uniform >= rate; x' = x * kept + alpha_p * (1 - kept); out = a * x' + b, with
    // a = ((1 - rate) * (1 + rate * alpha_p^2))^-1/2 and b = -a * alpha_p * rate (computed in double, then
    // rounded once, as constants).
    constexpr double kAlpha = 1.6732632423543772848170429916717, kScale = 1.0507009873554804934193349852946;
    const double alpha_p = -kAlpha * kScale, r = rate_;
    const float a = (float)std::pow((1.0 - r) * (1.0 + r * alpha_p * alpha_p), -0.5);
    const float b = (float)(-(double)a * alpha_p * r), ap = (float)alpha_p;
    const uint64_t key = args.rng->next();
    const long n = args.rows * output_size();
    const float* x = args.in[0];
    float* out = a_.data();
    float* m = mask_.data();
    for (long j = 0; j < n; ++j) {
        const bool kept = counter_uniform((uint32_t)j, key) >= rate_;
        m[j] = kept ? a : 0.0f;
        out[j] = a * (kept ? x[j] : ap) + b;
    }
    return out;
}

void AlphaDropout::backward(BackwardArgs& args) {
    const long n = args.rows * output_size();
    InputGrad& g = args.in[0];
    if (identity_ || !g.d) return pass_gradient(g, args.dout, n);
    const float* m = mask_.data();
    if (g.accumulate) for (long j = 0; j < n; ++j) g.d[j] += args.dout[j] * m[j];
    else for (long j = 0; j < n; ++j) g.d[j] = args.dout[j] * m[j];
}

PMDL_REGISTER_LAYER("gaussian_noise", GaussianNoise);
PMDL_REGISTER_LAYER("alpha_dropout", AlphaDropout);

}  // namespace pmdl
