// Rescaling and Normalization as Keras 3 computes them (layers/preprocessing/rescaling.py,
// normalization.py), in float32 and in Keras' operation order.
#include "preprocessing.h"

#include <algorithm>
#include <cmath>

#include "broadcast.h"

namespace pmdl {

Rescaling::Rescaling(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    scale_ = (float)attrs.number("scale", -1e30, 1e30);
    offset_ = (float)attrs.number("offset", -1e30, 1e30, 0.0);
    out_shape_ = inputs[0];
}

void Rescaling::reserve(int rows) { a_.resize((long)rows * output_size()); }

const float* Rescaling::forward(const ForwardArgs& args) {
    const long n = args.rows * output_size();
    const float* x = args.in[0];
    float* a = a_.data();
    for (long j = 0; j < n; ++j) a[j] = x[j] * scale_ + offset_;
    return a;
}

void Rescaling::backward(BackwardArgs& args) {
    InputGrad& g = args.in[0];
    if (!g.d) return;
    const long n = args.rows * output_size();
    for (long j = 0; j < n; ++j) g.d[j] = (g.accumulate ? g.d[j] : 0.0f) + args.dout[j] * scale_;
}

// Attributes: `keep`, the feature axes (0 = the first) that have their own statistics (Keras' `axis`
// without the batch axis; empty: one mean and variance for everything); `invert`; and, for statistics
// given as numbers rather than adapted, `mean` and `variance` (then the layer holds no weights, as Keras).
Normalization::Normalization(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    out_shape_ = inputs[0];
    const int rank = (int)out_shape_.size();
    std::vector<bool> keep(rank, false);
    for (long axis : attrs.ints("keep", 0, rank - 1)) keep[axis] = true;
    Shape broadcast(rank, 1), kept;  // the statistics' shape: Keras' kept dims, in axis order
    for (int d = 0; d < rank; ++d)
        if (keep[d]) broadcast[d] = out_shape_[d], kept.push_back(out_shape_[d]);
    invert_ = attrs.flag("invert", false);
    stored_ = !attrs.has("mean");
    if (!stored_) {
        mean_ = (float)attrs.number("mean", -1e30, 1e30);
        variance_ = (float)attrs.number("variance", 0.0, 1e30);
        std::fill(broadcast.begin(), broadcast.end(), 1);
    }
    index_ = broadcast_index(out_shape_, broadcast);
    if (stored_) param_specs_ = {{"mean", kept, false}, {"variance", kept, false}, {"count", {}, false}};
}

void Normalization::reserve(int rows) { a_.resize((long)rows * output_size()); }

const float* Normalization::forward(const ForwardArgs& args) {
    const long size = output_size();
    const float *m = mean(), *v = variance();
    const int* idx = index_.data();
    float* a = a_.data();
    for (long r = 0; r < args.rows; ++r) {
        const float* x = args.in[0] + r * size;
        float* out = a + r * size;
        for (long j = 0; j < size; ++j) {
            const float sd = std::max(std::sqrt(v[idx[j]]), 1e-7f);
            out[j] = invert_ ? m[idx[j]] + x[j] * sd : (x[j] - m[idx[j]]) / sd;
        }
    }
    return a;
}

void Normalization::backward(BackwardArgs& args) {
    InputGrad& g = args.in[0];
    if (!g.d) return;
    const long size = output_size();
    const float* v = variance();
    const int* idx = index_.data();
    for (long e = 0; e < args.rows * size; ++e) {
        const float sd = std::max(std::sqrt(v[idx[e % size]]), 1e-7f);
        const float d = invert_ ? args.dout[e] * sd : args.dout[e] / sd;
        g.d[e] = g.accumulate ? g.d[e] + d : d;
    }
}

PMDL_REGISTER_LAYER("rescaling", Rescaling);
PMDL_REGISTER_LAYER("normalization", Normalization);

}  // namespace pmdl
