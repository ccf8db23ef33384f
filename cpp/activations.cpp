// Each activation's backward sits next to its forward; formulas follow Keras 3 (keras/src/activations).
#include "activations.h"
#include "simd.h"
#include "vmath.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace pmdl {

namespace {

constexpr float kSeluScale = 1.0507009873554805f;
constexpr float kSeluAlpha = 1.6732632423543772f;

// Elementwise forward value. exp, expm1, tanh, erfc, softplus and sigmoid are vmath's, so the loops over a
// layer vectorise.
template <Act A>
inline float forward1(float alpha, float x) {
    if constexpr (A == Act::Linear) return x;
    else if constexpr (A == Act::Relu) return x > 0.0f ? x : 0.0f;
    else if constexpr (A == Act::Sigmoid) return vmath::sigmoid(x);
    else if constexpr (A == Act::Tanh) return vmath::tanh(x);
    else if constexpr (A == Act::Elu) return x > 0.0f ? x : alpha * vmath::expm1(x);
    else if constexpr (A == Act::Selu) return kSeluScale * (x > 0.0f ? x : kSeluAlpha * vmath::expm1(x));
    else if constexpr (A == Act::Softplus) return vmath::softplus(x);
    else if constexpr (A == Act::Softsign) return x / (1.0f + std::fabs(x));
    else if constexpr (A == Act::Swish) return x * vmath::sigmoid(x);
    else if constexpr (A == Act::Gelu) return 0.5f * x * vmath::erfc(-x * 0.70710678118654752f);  // = 1 + erf(x/√2)
    else if constexpr (A == Act::GeluApprox) {
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + vmath::tanh(u));
    }
    else if constexpr (A == Act::LeakyRelu) return x >= 0.0f ? x : alpha * x;
    else if constexpr (A == Act::Relu6) return std::min(std::max(x, 0.0f), 6.0f);
    else if constexpr (A == Act::HardSigmoid) return std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f);
    else if constexpr (A == Act::Exponential) return vmath::exp(x);
    else if constexpr (A == Act::Mish) return x * vmath::tanh(vmath::softplus(x));
    else static_assert(A != A, "softmax works along rows, not element by element");
}

// Elementwise derivative f'(x), given x and y = f(x).
template <Act A>
inline float derivative1(float alpha, float x, float y) {
    if constexpr (A == Act::Linear) return 1.0f;
    else if constexpr (A == Act::Relu) return x > 0.0f ? 1.0f : 0.0f;
    else if constexpr (A == Act::Sigmoid) return y * (1.0f - y);
    else if constexpr (A == Act::Tanh) return 1.0f - y * y;
    else if constexpr (A == Act::Elu) return x > 0.0f ? 1.0f : y + alpha;
    else if constexpr (A == Act::Selu) return x > 0.0f ? kSeluScale : y + kSeluScale * kSeluAlpha;
    else if constexpr (A == Act::Softplus) return vmath::sigmoid(x);
    else if constexpr (A == Act::Softsign) { float d = 1.0f + std::fabs(x); return 1.0f / (d * d); }
    else if constexpr (A == Act::Swish) { float s = vmath::sigmoid(x); return s * (1.0f + x * (1.0f - s)); }
    else if constexpr (A == Act::Gelu) {
        float cdf = 0.5f * vmath::erfc(-x * 0.70710678118654752f);
        float pdf = 0.3989422804014327f * vmath::exp(-0.5f * x * x);
        return cdf + x * pdf;
    }
    else if constexpr (A == Act::GeluApprox) {
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        float t = vmath::tanh(u);
        float du = 0.7978845608028654f * (1.0f + 3.0f * 0.044715f * x * x);
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
    }
    else if constexpr (A == Act::LeakyRelu) return x >= 0.0f ? 1.0f : alpha;
    else if constexpr (A == Act::Relu6) return (x > 0.0f && x < 6.0f) ? 1.0f : 0.0f;
    else if constexpr (A == Act::HardSigmoid) return (x > -3.0f && x < 3.0f) ? 1.0f / 6.0f : 0.0f;
    else if constexpr (A == Act::Exponential) return y;
    else if constexpr (A == Act::Mish) {
        float sp = vmath::softplus(x), t = vmath::tanh(sp);
        return t + x * (1.0f - t * t) * vmath::sigmoid(x);
    }
    else static_assert(A != A, "softmax works along rows, not element by element");
}

// Three passes over the block, not one row at a time, so that the exps run in one vectorised loop
// however narrow the rows are (iris has 3 classes): shift each row by its max, exp, normalise.
PMDL_SIMD_CLONES [[gnu::flatten]]
void softmax_rows(const float* z, float* y, int rows, int cols) {
    for (int r = 0; r < rows; ++r) {
        const float* zr = z + (long)r * cols;
        float* yr = y + (long)r * cols;
        float m = zr[0];
        for (int c = 1; c < cols; ++c) m = std::max(m, zr[c]);
        for (int c = 0; c < cols; ++c) yr[c] = zr[c] - m;
    }
    const long n = (long)rows * cols;
    for (long i = 0; i < n; ++i) y[i] = vmath::exp(y[i]);
    for (int r = 0; r < rows; ++r) {
        float* yr = y + (long)r * cols;
        float s = 0.0f;
        for (int c = 0; c < cols; ++c) s += yr[c];
        const float inv = 1.0f / s;
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

void check_act(Act act) {
    if (static_cast<int>(act) < 0 || static_cast<int>(act) > static_cast<int>(Act::GeluApprox))
        throw std::invalid_argument("unknown activation code " + std::to_string(static_cast<int>(act)));
}

// fn(std::integral_constant<Act, act>{}) for an elementwise activation: one loop per activation,
// with its formula inlined, is what lets the compiler vectorise it.
template <class Fn>
inline void with_elementwise(Act act, Fn&& fn) {
    using std::integral_constant;
    switch (act) {
        case Act::Linear: return fn(integral_constant<Act, Act::Linear>{});
        case Act::Relu: return fn(integral_constant<Act, Act::Relu>{});
        case Act::Sigmoid: return fn(integral_constant<Act, Act::Sigmoid>{});
        case Act::Tanh: return fn(integral_constant<Act, Act::Tanh>{});
        case Act::Elu: return fn(integral_constant<Act, Act::Elu>{});
        case Act::Selu: return fn(integral_constant<Act, Act::Selu>{});
        case Act::Softplus: return fn(integral_constant<Act, Act::Softplus>{});
        case Act::Softsign: return fn(integral_constant<Act, Act::Softsign>{});
        case Act::Swish: return fn(integral_constant<Act, Act::Swish>{});
        case Act::Gelu: return fn(integral_constant<Act, Act::Gelu>{});
        case Act::GeluApprox: return fn(integral_constant<Act, Act::GeluApprox>{});
        case Act::LeakyRelu: return fn(integral_constant<Act, Act::LeakyRelu>{});
        case Act::Relu6: return fn(integral_constant<Act, Act::Relu6>{});
        case Act::HardSigmoid: return fn(integral_constant<Act, Act::HardSigmoid>{});
        case Act::Exponential: return fn(integral_constant<Act, Act::Exponential>{});
        case Act::Mish: return fn(integral_constant<Act, Act::Mish>{});
        case Act::Softmax: break;
    }
    throw std::invalid_argument("activation has no elementwise form");
}

// y = f(z) over n contiguous floats, for every activation but softmax.
inline void elementwise_forward(Act act, float alpha, const float* z, float* y, long n) {
    if (act == Act::Linear) {
        if (y != z) std::copy(z, z + n, y);
        return;
    }
    with_elementwise(act, [&](auto a) {
        for (long i = 0; i < n; ++i) y[i] = forward1<decltype(a)::value>(alpha, z[i]);
    });
}

// dz = dy * f'(z) over n contiguous floats, for every activation but softmax. dz may alias dy.
inline void elementwise_backward(Act act, float alpha, const float* z, const float* y, const float* dy, float* dz,
                                 long n) {
    if (act == Act::Linear) {
        if (dz != dy) std::copy(dy, dy + n, dz);
        return;
    }
    if (act == Act::Relu) {  // no multiply: the gradient passes or is zero
        for (long i = 0; i < n; ++i) dz[i] = z[i] > 0.0f ? dy[i] : 0.0f;
        return;
    }
    with_elementwise(act, [&](auto a) {
        for (long i = 0; i < n; ++i) dz[i] = dy[i] * derivative1<decltype(a)::value>(alpha, z[i], y[i]);
    });
}

}  // namespace

bool act_is_elementwise(Act act) { return act != Act::Softmax; }

// The two block functions hold every activation's loops, inlined (flatten) into each SIMD clone so
// that they vectorise for its instruction set; the whole-array entry points go through them.
PMDL_SIMD_CLONES [[gnu::flatten]]
void act_forward_block(Act act, float alpha, const float* z, long ldz, float* y, long ldy, int rows, int cols) {
    for (int r = 0; r < rows; ++r) elementwise_forward(act, alpha, z + r * ldz, y + r * ldy, cols);
}

PMDL_SIMD_CLONES [[gnu::flatten]]
void act_backward_block(Act act, float alpha, const float* z, const float* y, float* d, long ld, int rows, int cols) {
    for (int r = 0; r < rows; ++r) elementwise_backward(act, alpha, z + r * ld, y + r * ld, d + r * ld, d + r * ld, cols);
}

void act_forward(Act act, float alpha, const float* z, float* y, int rows, int cols) {
    check_act(act);
    if (act == Act::Softmax) return softmax_rows(z, y, rows, cols);
    act_forward_block(act, alpha, z, cols, y, cols, rows, cols);
}

void act_backward(Act act, float alpha, const float* z, const float* y, const float* dy, float* dz,
                  int rows, int cols) {
    check_act(act);
    if (act == Act::Softmax) return softmax_rows_backward(y, dy, dz, rows, cols);
    if (dz != dy) std::copy(dy, dy + (long)rows * cols, dz);
    act_backward_block(act, alpha, z, y, dz, cols, rows, cols);
}

}  // namespace pmdl
