// Each activation's backward sits next to its forward; formulas follow Keras 3 (keras/src/activations).
#include "activations.h"
#include "simd.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pmdl {

namespace {

constexpr float kSeluScale = 1.0507009873554805f;
constexpr float kSeluAlpha = 1.6732632423543772f;

inline float sigmoid(float x) {
    // Split on the sign so exp never overflows.
    if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
    float e = std::exp(x);
    return e / (1.0f + e);
}
inline float softplus(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }

void softmax_rows(const float* z, float* y, int rows, int cols) {
    for (int r = 0; r < rows; ++r) {
        const float* zr = z + (long)r * cols;
        float* yr = y + (long)r * cols;
        float m = zr[0];
        for (int c = 1; c < cols; ++c) m = std::max(m, zr[c]);
        float s = 0.0f;
        for (int c = 0; c < cols; ++c) s += (yr[c] = std::exp(zr[c] - m));
        float inv = 1.0f / s;
        for (int c = 0; c < cols; ++c) yr[c] *= inv;
    }
}

void softmax_rows_backward(const float* y, const float* dy, float* dz, int rows, int cols) {
    for (int r = 0; r < rows; ++r) {
        const float* yr = y + (long)r * cols;
        const float* dyr = dy + (long)r * cols;
        float* dzr = dz + (long)r * cols;
        float dot = 0.0f;
        for (int c = 0; c < cols; ++c) dot += dyr[c] * yr[c];
        for (int c = 0; c < cols; ++c) dzr[c] = yr[c] * (dyr[c] - dot);
    }
}

// Elementwise forward value.
inline float forward1(Act act, float alpha, float x) {
    switch (act) {
        case Act::Linear: return x;
        case Act::Relu: return x > 0.0f ? x : 0.0f;
        case Act::Sigmoid: return sigmoid(x);
        case Act::Tanh: return std::tanh(x);
        case Act::Elu: return x > 0.0f ? x : alpha * std::expm1(x);
        case Act::Selu: return kSeluScale * (x > 0.0f ? x : kSeluAlpha * std::expm1(x));
        case Act::Softplus: return softplus(x);
        case Act::Softsign: return x / (1.0f + std::fabs(x));
        case Act::Swish: return x * sigmoid(x);
        case Act::Gelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
        case Act::GeluApprox: {
            float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            return 0.5f * x * (1.0f + std::tanh(u));
        }
        case Act::LeakyRelu: return x >= 0.0f ? x : alpha * x;
        case Act::Relu6: return std::min(std::max(x, 0.0f), 6.0f);
        case Act::HardSigmoid: return std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f);
        case Act::Exponential: return std::exp(x);
        case Act::Mish: return x * std::tanh(softplus(x));
        case Act::Softmax: break;
    }
    throw std::invalid_argument("activation has no elementwise form");
}

// Elementwise derivative f'(x), given x and y = f(x).
inline float derivative1(Act act, float alpha, float x, float y) {
    switch (act) {
        case Act::Linear: return 1.0f;
        case Act::Relu: return x > 0.0f ? 1.0f : 0.0f;
        case Act::Sigmoid: return y * (1.0f - y);
        case Act::Tanh: return 1.0f - y * y;
        case Act::Elu: return x > 0.0f ? 1.0f : y + alpha;
        case Act::Selu: return x > 0.0f ? kSeluScale : y + kSeluScale * kSeluAlpha;
        case Act::Softplus: return sigmoid(x);
        case Act::Softsign: { float d = 1.0f + std::fabs(x); return 1.0f / (d * d); }
        case Act::Swish: { float s = sigmoid(x); return s * (1.0f + x * (1.0f - s)); }
        case Act::Gelu: {
            float cdf = 0.5f * (1.0f + std::erf(x * 0.70710678118654752f));
            float pdf = 0.3989422804014327f * std::exp(-0.5f * x * x);
            return cdf + x * pdf;
        }
        case Act::GeluApprox: {
            float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            float t = std::tanh(u);
            float du = 0.7978845608028654f * (1.0f + 3.0f * 0.044715f * x * x);
            return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
        }
        case Act::LeakyRelu: return x >= 0.0f ? 1.0f : alpha;
        case Act::Relu6: return (x > 0.0f && x < 6.0f) ? 1.0f : 0.0f;
        case Act::HardSigmoid: return (x > -3.0f && x < 3.0f) ? 1.0f / 6.0f : 0.0f;
        case Act::Exponential: return y;
        case Act::Mish: {
            float sp = softplus(x), t = std::tanh(sp);
            return t + x * (1.0f - t * t) * sigmoid(x);
        }
        case Act::Softmax: break;
    }
    throw std::invalid_argument("activation has no elementwise form");
}

void check_act(Act act) {
    if (static_cast<int>(act) < 0 || static_cast<int>(act) > static_cast<int>(Act::GeluApprox))
        throw std::invalid_argument("unknown activation code " + std::to_string(static_cast<int>(act)));
}

// y = f(z) over n contiguous floats, for every activation but softmax.
inline void elementwise_forward(Act act, float alpha, const float* z, float* y, long n) {
    switch (act) {
        case Act::Linear: if (y != z) std::copy(z, z + n, y); return;
        case Act::Relu: for (long i = 0; i < n; ++i) y[i] = z[i] > 0.0f ? z[i] : 0.0f; return;
        case Act::Sigmoid: for (long i = 0; i < n; ++i) y[i] = sigmoid(z[i]); return;
        default: for (long i = 0; i < n; ++i) y[i] = forward1(act, alpha, z[i]); return;
    }
}

// dz = dy * f'(z) over n contiguous floats, for every activation but softmax. dz may alias dy.
inline void elementwise_backward(Act act, float alpha, const float* z, const float* y, const float* dy, float* dz,
                                 long n) {
    switch (act) {
        case Act::Linear: if (dz != dy) std::copy(dy, dy + n, dz); return;
        case Act::Relu: for (long i = 0; i < n; ++i) dz[i] = z[i] > 0.0f ? dy[i] : 0.0f; return;
        case Act::Sigmoid: for (long i = 0; i < n; ++i) dz[i] = dy[i] * y[i] * (1.0f - y[i]); return;
        default: for (long i = 0; i < n; ++i) dz[i] = dy[i] * derivative1(act, alpha, z[i], y[i]); return;
    }
}

}  // namespace

bool act_is_elementwise(Act act) { return act != Act::Softmax; }

PMDL_SIMD_CLONES
void act_forward(Act act, float alpha, const float* z, float* y, int rows, int cols) {
    check_act(act);
    if (act == Act::Softmax) return softmax_rows(z, y, rows, cols);
    elementwise_forward(act, alpha, z, y, (long)rows * cols);
}

PMDL_SIMD_CLONES
void act_forward_block(Act act, float alpha, const float* z, long ldz, float* y, long ldy, int rows, int cols) {
    for (int r = 0; r < rows; ++r) elementwise_forward(act, alpha, z + r * ldz, y + r * ldy, cols);
}

PMDL_SIMD_CLONES
void act_backward(Act act, float alpha, const float* z, const float* y, const float* dy, float* dz,
                  int rows, int cols) {
    check_act(act);
    if (act == Act::Softmax) return softmax_rows_backward(y, dy, dz, rows, cols);
    elementwise_backward(act, alpha, z, y, dy, dz, (long)rows * cols);
}

PMDL_SIMD_CLONES
void act_backward_block(Act act, float alpha, const float* z, const float* y, float* d, long ld, int rows, int cols) {
    for (int r = 0; r < rows; ++r) elementwise_backward(act, alpha, z + r * ld, y + r * ld, d + r * ld, d + r * ld, cols);
}

}  // namespace pmdl
