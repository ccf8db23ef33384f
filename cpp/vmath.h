// exp, expm1, tanh, erfc, log and log1p for float as inline, branch-free code, so that a loop calling
// them compiles to SIMD instructions (std::exp and friends are calls into libm, one element at a time: a
// tanh layer of 256 x 512 took longer than the matrix multiply that fed it). Polynomials from Cephes
// (expf, tanhf, logf), Taylor's series (expm1 and erf near 0) and a fit (erfc's tail); within 2-4 ulp,
// the accuracy of TensorFlow's own vectorised versions (Eigen), checked against float64 in
// tests/test_activations.py.
#pragma once

#include <cstdint>
#include <limits>

namespace pmdl::vmath {

// c0 x^n + c1 x^(n-1) + ... + cn by Horner's rule: the coefficients highest power first.
inline float horner(float, float c) { return c; }
template <class... C>
inline float horner(float x, float c, float next, C... rest) { return horner(x, c * x + next, rest...); }

// 2^n for integer n in [-126, 127], built in the exponent bits.
inline float pow2(int32_t n) { return __builtin_bit_cast(float, (uint32_t)(n + 127) << 23); }

// e^x: 0 below -104 (under half the smallest subnormal), inf above ln(FLT_MAX), NaN for NaN.
inline float exp(float x) {
    constexpr float kLo = -104.0f, kHi = 88.72283f;
    constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer, kept in the low bits
    const float xc = x < kLo ? kLo : (x > kHi ? kHi : x);
    const float t = xc * 1.44269504088896341f + kRound;
    const float n = t - kRound;  // nearest integer to x / ln 2
    // n's bits, unsigned so that a NaN's garbage cannot overflow (the result is NaN anyway)
    const int32_t ni = (int32_t)(__builtin_bit_cast(uint32_t, t) - __builtin_bit_cast(uint32_t, kRound));
    const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;  // x - n ln 2, ln 2 in two parts
    const float p = horner(r, 1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
                     1.6666665459e-1f, 5.0000001201e-1f);
    const float y = (p * r * r + r) + 1.0f;  // e^r for |r| <= ln 2 / 2
    const int32_t half = ni >> 1;  // 2^n in two factors: n runs from -150 (subnormal results) to 128
    const float e = y * pow2(half) * pow2(ni - half);
    return x > kHi ? std::numeric_limits<float>::infinity() : (x < kLo ? 0.0f : e);
}

// e^x - 1, accurate near 0 (elu, selu): Taylor's series to x^8 for |x| < 0.5, exp(x) - 1 beyond.
inline float expm1(float x) {
    const float p = horner(x, 1.0f / 40320.0f, 1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f,
                     1.0f / 6.0f, 0.5f);
    const float near0 = x * (p * x + 1.0f);  // x times, so that expm1(-0) = -0
    const float a = x < 0.0f ? -x : x;
    return a < 0.5f ? near0 : exp(x) - 1.0f;
}

// tanh x: Cephes' odd polynomial for |x| < 0.625, 1 - 2 / (e^2|x| + 1) beyond (with x's sign).
inline float tanh(float x) {
    const float z = x * x;
    const float p = horner(z, -5.70498872745e-3f, 2.06390887954e-2f, -5.37397155531e-2f, 1.33314422036e-1f,
                     -3.33332819422e-1f);
    const float near0 = x * (p * z + 1.0f);  // x times, so that tanh(-0) = -0
    const float a = x < 0.0f ? -x : x;
    const float far = 1.0f - 2.0f / (exp(2.0f * a) + 1.0f);
    return a < 0.625f ? near0 : (x < 0.0f ? -far : far);
}

// erfc x = 1 - erf x. For |x| < 0.5, 1 - erf x from erf's Taylor series (to x^21); for 0.5 <= |x| < 1 (where
// 1 - erf would cancel), a degree-8 polynomial in 4|x| - 3 fitted to erfc at Chebyshev nodes (3.6e-10); beyond,
// erfc |x| = e^-x^2 / |x| * h(1 / |x|), h a degree-12 polynomial in 2/|x| - 1 fitted likewise to erfcx(a) * a
// (1.3e-8); erfc x = 2 - erfc |x| for negative x. Within 4 ulp but for the rounding of x^2 in e^-x^2
// (relative x^2 * 6e-8), which the float argument carries anyway.
inline float erfc(float x) {
    const float z = x * x;
    const float p = horner(z, 1.4807192816e-08f, -1.6365844691e-07f, 1.6462114366e-06f, -1.4925650358e-05f,
                     1.2055332982e-04f, -8.5483270235e-04f, 5.2239776254e-03f, -2.6866170645e-02f,
                     1.1283791671e-01f, -3.7612638903e-01f, 1.1283791671e+00f);
    const float near0 = 1.0f - x * p;
    const float a = x < 0.0f ? -x : x;
    const float t = 1.0f / (a < 1.0f ? 1.0f : a), u = 2.0f * t - 1.0f;
    const float h = horner(u, -2.7818531950e-05f, 9.8173409376e-05f, -7.1907573651e-05f, -1.7763107452e-04f,
                     5.3449456780e-04f, -8.1904114237e-04f, 6.1224489814e-04f, 1.3312398148e-03f,
                     -6.7932177605e-03f, 1.4869738438e-02f, -9.1585740547e-03f, -8.3605478923e-02f,
                     5.1079135528e-01f);
    const float tail = exp(-z) * t * h;
    const float v = 4.0f * a - 3.0f;  // [0.5, 1] -> [-1, 1]
    const float m = horner(v, -3.5540387152e-08f, -1.0916439936e-06f, 6.5610295026e-06f, 5.1969813577e-05f,
                     -5.8862110061e-04f, -4.1856797697e-04f, 3.0137393884e-02f, -1.6073276782e-01f,
                     2.8884436635e-01f);
    const float far = a < 1.0f ? m : tail;
    return a < 0.5f ? near0 : (x < 0.0f ? 2.0f - far : far);
}

// ln x: Cephes' logf. x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m from a polynomial in m - 1 (both
// subtractions exact), e ln 2 added in two parts. Subnormals are scaled by 2^23 first; ln 0 = -inf,
// ln inf = inf, NaN for x < 0 and NaN.
inline float log(float x) {
    const bool sub = x < 1.17549435e-38f;  // also 0 and x < 0, fixed at the end
    const uint32_t bits = __builtin_bit_cast(uint32_t, sub ? x * 8388608.0f : x);
    const int32_t e0 = (int32_t)((bits >> 23) & 0xffu) - 126 - (sub ? 23 : 0);
    const float m = __builtin_bit_cast(float, (bits & 0x007fffffu) | 0x3f000000u);  // [0.5, 1)
    const bool low = m < 0.707106781186547524f;
    const float f = low ? m + m - 1.0f : m - 1.0f;
    const float e = (float)(low ? e0 - 1 : e0);
    const float z = f * f;
    const float p = horner(f, 7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f,
                     1.4249322787e-1f, -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f);
    const float y = ((p * f * z + e * -2.12194440e-4f) - 0.5f * z + f) + e * 0.693359375f;
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    return x > 0.0f ? (x == inf ? inf : y) : (x == 0.0f ? -inf : nan);
}

// ln(1 + x), accurate near 0: ln u for u = 1 + x, scaled by x / (u - 1) to undo u's rounding (Goldberg).
inline float log1p(float x) {
    const float u = 1.0f + x, d = u - 1.0f;
    const float r = log(u) * (x / d);  // computed before the selects, or GCC keeps branches and no SIMD
    return d == 0.0f ? x : (u == std::numeric_limits<float>::infinity() ? u : r);
}

// ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), so that nothing overflows (the softplus activation).
inline float softplus(float x) { return (x > 0.0f ? x : 0.0f) + log1p(exp(x < 0.0f ? x : -x)); }

// 1 / (1 + e^-x), from e^-|x| so that nothing overflows.
inline float sigmoid(float x) {
    const float e = exp(x < 0.0f ? x : -x);
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

}  // namespace pmdl::vmath
