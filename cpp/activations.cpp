// The loops that run activations.h's formulas over blocks, and softmax, which works along rows.
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

// fn(std::integral_constant<Act, act>{}) for an elementwise activation: one loop per activation,
// with its formula inlined, is what lets the compiler vectorise it. One case per member of the list.
template <Act A, class Fn>
inline void call_elementwise(Fn&& fn) {
    if constexpr (Formula<A>::kElementwise) fn(std::integral_constant<Act, A>{});
    else throw std::invalid_argument("activation has no elementwise form");
}

template <class Fn>
inline void with_elementwise(Act act, Fn&& fn) {
    switch (act) {
#define PMDL_ACT_CASE_(member, keras_name) \
        case Act::member: return call_elementwise<Act::member>(fn);
        PMDL_ACTIVATIONS(PMDL_ACT_CASE_)
#undef PMDL_ACT_CASE_
    }
    throw std::invalid_argument("unknown activation code " + std::to_string(static_cast<int>(act)));
}

// y = f(z) over n contiguous floats, for every activation but softmax.
inline void elementwise_forward(Act act, float alpha, const float* z, float* y, long n) {
    if (act == Act::Linear) {
        if (y != z) std::copy(z, z + n, y);
        return;
    }
    with_elementwise(act, [&](auto a) {
        for (long i = 0; i < n; ++i) y[i] = Formula<decltype(a)::value>::f(alpha, z[i]);
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
        for (long i = 0; i < n; ++i) dz[i] = dy[i] * Formula<decltype(a)::value>::df(alpha, z[i], y[i]);
    });
}

}  // namespace

bool act_is_elementwise(Act act) {
#define PMDL_ACT_ELEMENTWISE_(member, keras_name) Formula<Act::member>::kElementwise,
    static constexpr bool kElementwise[] = {PMDL_ACTIVATIONS(PMDL_ACT_ELEMENTWISE_)};
#undef PMDL_ACT_ELEMENTWISE_
    check_enum(act, "activation");
    return kElementwise[static_cast<int>(act)];
}

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
    check_enum(act, "activation");
    if (act == Act::Softmax) return softmax_rows(z, y, rows, cols);
    act_forward_block(act, alpha, z, cols, y, cols, rows, cols);
}

void act_backward(Act act, float alpha, const float* z, const float* y, const float* dy, float* dz,
                  int rows, int cols) {
    check_enum(act, "activation");
    if (act == Act::Softmax) return softmax_rows_backward(y, dy, dz, rows, cols);
    if (dz != dy) std::copy(dy, dy + (long)rows * cols, dz);
    act_backward_block(act, alpha, z, y, dz, cols, rows, cols);
}

}  // namespace pmdl
