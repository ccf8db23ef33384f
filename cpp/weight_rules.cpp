// Keras 3 regularizers.py and constraints.py in float32, except the penalty's sums (double).
#include "weight_rules.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace pmdl {

namespace {

constexpr float kEps = 1e-7f;

int norm_axis(const WeightRule& rule, const Shape& shape) {
    const int rank = std::max<int>(1, (int)shape.size());
    return rule.axis < 0 ? rule.axis + rank : rule.axis;
}

}  // namespace

void check_weight_rule(const WeightRule& rule, const Shape& shape) {
    check_enum(rule.constraint, "constraint");
    if (!(rule.l1 >= 0.0f) || !(rule.l2 >= 0.0f) || !std::isfinite(rule.l1) || !std::isfinite(rule.l2))
        throw std::invalid_argument("regularizer factors must be finite and >= 0, got l1=" + std::to_string(rule.l1) +
                                    ", l2=" + std::to_string(rule.l2));
    const int axis = norm_axis(rule, shape), rank = std::max<int>(1, (int)shape.size());
    if (rule.constraint != Constraint::None && rule.constraint != Constraint::NonNeg && (axis < 0 || axis >= rank))
        throw std::invalid_argument("constraint axis " + std::to_string(rule.axis) + " is out of range for a tensor of "
                                    "shape " + shape_text(shape));
}

double weight_penalty(const WeightRule& rule, const float* w, long n) {
    double a = 0.0, s = 0.0;
    for (long i = 0; i < n; ++i) {
        a += std::fabs((double)w[i]);
        s += (double)w[i] * w[i];
    }
    return (rule.l1 ? rule.l1 * a : 0.0) + (rule.l2 ? rule.l2 * s : 0.0);
}

void add_penalty_gradient(const WeightRule& rule, const float* w, float* g, long n) {
    if (rule.l1 == 0.0f && rule.l2 == 0.0f) return;
    const float l1 = rule.l1, two_l2 = 2.0f * rule.l2;
    for (long i = 0; i < n; ++i) g[i] += l1 * (float)((w[i] > 0.0f) - (w[i] < 0.0f)) + two_l2 * w[i];
}

void apply_constraint(const WeightRule& rule, float* w, const Shape& shape) {
    const long n = shape_size(shape);
    if (rule.constraint == Constraint::None) return;
    if (rule.constraint == Constraint::NonNeg) {  // w * (w >= 0)
        for (long i = 0; i < n; ++i) w[i] = w[i] * (w[i] >= 0.0f ? 1.0f : 0.0f);
        return;
    }
    // The norm over one axis: outer x len x inner, each (outer, inner) pair normed over len.
    const int axis = norm_axis(rule, shape);
    long outer = 1, inner = 1;
    const long len = shape.empty() ? 1 : shape[axis];
    for (int d = 0; d < axis; ++d) outer *= shape[d];
    for (int d = axis + 1; d < (int)shape.size(); ++d) inner *= shape[d];
    for (long o = 0; o < outer; ++o)
        for (long i = 0; i < inner; ++i) {
            float* base = w + o * len * inner + i;
            float sq = 0.0f;
            for (long k = 0; k < len; ++k) sq += base[k * inner] * base[k * inner];
            const float norm = std::sqrt(sq);
            float desired;
            switch (rule.constraint) {
                case Constraint::MaxNorm: desired = std::min(std::max(norm, 0.0f), rule.max_value); break;
                case Constraint::UnitNorm: desired = 1.0f; break;  // (divided below, as Keras)
                default:  // MinMaxNorm
                    desired = rule.rate * std::min(std::max(norm, rule.min_value), rule.max_value) +
                              (1.0f - rule.rate) * norm;
            }
            if (rule.constraint == Constraint::UnitNorm) {  // w / (eps + norm)
                for (long k = 0; k < len; ++k) base[k * inner] = base[k * inner] / (kEps + norm);
                continue;
            }
            const float scale = desired / (kEps + norm);  // w * (desired / (eps + norm))
            for (long k = 0; k < len; ++k) base[k * inner] = base[k * inner] * scale;
        }
}

}  // namespace pmdl
