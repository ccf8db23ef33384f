// Activation functions: the list, each one's elementwise formula with its derivative next to it, and the
// block functions (activations.cpp) that run them over a row-major block of rows x cols. A new activation
// is one line in the list and one Formula here; everything else (bindings, range check, Python's names)
// follows from the list.
#pragma once

#include <algorithm>
#include <cmath>

#include "enum_list.h"
#include "vmath.h"

namespace pmdl {

// X(Member, "keras_name"), in value order: append only (saved values and Python's names follow it).
#define PMDL_ACTIVATIONS(X)               \
    X(Linear, "linear")                   \
    X(Relu, "relu")                       \
    X(Sigmoid, "sigmoid")                 \
    X(Tanh, "tanh")                       \
    X(Softmax, "softmax")                 \
    X(Elu, "elu")                         \
    X(Selu, "selu")                       \
    X(Softplus, "softplus")               \
    X(Softsign, "softsign")               \
    X(Swish, "swish")                     \
    X(Gelu, "gelu")                       \
    X(LeakyRelu, "leaky_relu")            \
    X(Relu6, "relu6")                     \
    X(HardSigmoid, "hard_sigmoid")        \
    X(Exponential, "exponential")         \
    X(Mish, "mish")                       \
    X(GeluApprox, "gelu_approximate")

PMDL_DECLARE_ENUM(Act, PMDL_ACTIVATIONS)

// y = f(z). `alpha` is the slope of leaky_relu and the scale of elu; softmax works along each row.
void act_forward(Act act, float alpha, const float* z, float* y, int rows, int cols);

// Every activation but softmax works element by element, so it can run on any block of a layer.
bool act_is_elementwise(Act act);

// act_forward for an elementwise activation (the caller checks act_is_elementwise) on a rows x cols
// block inside larger row-major arrays (row strides ldz, ldy): the dense layers' GEMM epilogue.
void act_forward_block(Act act, float alpha, const float* z, long ldz, float* y, long ldy, int rows, int cols);

// dz = dy * f'(z), given z, y = f(z) and dy. dz may alias dy.
void act_backward(Act act, float alpha, const float* z, const float* y, const float* dy, float* dz,
                  int rows, int cols);

// d *= f'(z) in place for an elementwise activation, on a rows x cols block of row-major arrays that
// share the row stride ld: the dense layers' input-gradient GEMM epilogue.
void act_backward_block(Act act, float alpha, const float* z, const float* y, float* d, long ld, int rows, int cols);

// --- the formulas, as Keras 3 writes them (keras/src/activations) ------------------------------------------
// Formula<A>::f(alpha, x) is the value, df(alpha, x, y) the derivative given x and y = f(x). exp, expm1, tanh,
// erfc, softplus and sigmoid are vmath's, so the loops over a layer vectorise. An activation without a Formula
// (softmax) is not elementwise.
template <Act A>
struct Formula {
    static constexpr bool kElementwise = false;
};

struct Elementwise {
    static constexpr bool kElementwise = true;
};

template <>
struct Formula<Act::Linear> : Elementwise {
    static float f(float, float x) { return x; }
    static float df(float, float, float) { return 1.0f; }
};
template <>
struct Formula<Act::Relu> : Elementwise {
    static float f(float, float x) { return x > 0.0f ? x : 0.0f; }
    static float df(float, float x, float) { return x > 0.0f ? 1.0f : 0.0f; }
};
template <>
struct Formula<Act::Sigmoid> : Elementwise {
    static float f(float, float x) { return vmath::sigmoid(x); }
    static float df(float, float, float y) { return y * (1.0f - y); }
};
template <>
struct Formula<Act::Tanh> : Elementwise {
    static float f(float, float x) { return vmath::tanh(x); }
    static float df(float, float, float y) { return 1.0f - y * y; }
};
template <>
struct Formula<Act::Elu> : Elementwise {
    static float f(float alpha, float x) { return x > 0.0f ? x : alpha * vmath::expm1(x); }
    static float df(float alpha, float x, float y) { return x > 0.0f ? 1.0f : y + alpha; }
};
template <>
struct Formula<Act::Selu> : Elementwise {
    static constexpr float kScale = 1.0507009873554805f, kAlpha = 1.6732632423543772f;
    static float f(float, float x) { return kScale * (x > 0.0f ? x : kAlpha * vmath::expm1(x)); }
    static float df(float, float x, float y) { return x > 0.0f ? kScale : y + kScale * kAlpha; }
};
template <>
struct Formula<Act::Softplus> : Elementwise {
    static float f(float, float x) { return vmath::softplus(x); }
    static float df(float, float x, float) { return vmath::sigmoid(x); }
};
template <>
struct Formula<Act::Softsign> : Elementwise {
    static float f(float, float x) { return x / (1.0f + std::fabs(x)); }
    static float df(float, float x, float) { float d = 1.0f + std::fabs(x); return 1.0f / (d * d); }
};
template <>
struct Formula<Act::Swish> : Elementwise {
    static float f(float, float x) { return x * vmath::sigmoid(x); }
    static float df(float, float x, float) { float s = vmath::sigmoid(x); return s * (1.0f + x * (1.0f - s)); }
};
template <>
struct Formula<Act::Gelu> : Elementwise {  // the exact form: erfc(-x/√2) = 1 + erf(x/√2)
    static float f(float, float x) { return 0.5f * x * vmath::erfc(-x * 0.70710678118654752f); }
    static float df(float, float x, float) {
        float cdf = 0.5f * vmath::erfc(-x * 0.70710678118654752f);
        float pdf = 0.3989422804014327f * vmath::exp(-0.5f * x * x);
        return cdf + x * pdf;
    }
};
template <>
struct Formula<Act::GeluApprox> : Elementwise {  // gelu(approximate=True): the tanh form
    static float f(float, float x) {
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + vmath::tanh(u));
    }
    static float df(float, float x, float) {
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        float t = vmath::tanh(u);
        float du = 0.7978845608028654f * (1.0f + 3.0f * 0.044715f * x * x);
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
    }
};
template <>
struct Formula<Act::LeakyRelu> : Elementwise {
    static float f(float alpha, float x) { return x >= 0.0f ? x : alpha * x; }
    static float df(float alpha, float x, float) { return x >= 0.0f ? 1.0f : alpha; }
};
template <>
struct Formula<Act::Relu6> : Elementwise {
    static float f(float, float x) { return std::min(std::max(x, 0.0f), 6.0f); }
    static float df(float, float x, float) { return (x > 0.0f && x < 6.0f) ? 1.0f : 0.0f; }
};
template <>
struct Formula<Act::HardSigmoid> : Elementwise {  // Keras 3: relu6(x + 3) / 6, not Keras 2's 0.2x + 0.5
    static float f(float, float x) { return std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f); }
    static float df(float, float x, float) { return (x > -3.0f && x < 3.0f) ? 1.0f / 6.0f : 0.0f; }
};
template <>
struct Formula<Act::Exponential> : Elementwise {
    static float f(float, float x) { return vmath::exp(x); }
    static float df(float, float, float y) { return y; }
};
template <>
struct Formula<Act::Mish> : Elementwise {
    static float f(float, float x) { return x * vmath::tanh(vmath::softplus(x)); }
    static float df(float, float x, float) {
        float sp = vmath::softplus(x), t = vmath::tanh(sp);
        return t + x * (1.0f - t * t) * vmath::sigmoid(x);
    }
};

}  // namespace pmdl
