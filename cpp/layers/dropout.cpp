// Dropout with counter-based masks: the same seed draws the same masks, whatever the thread count.
#include "dropout.h"

#include <stdexcept>

#include "../simd.h"
#include "counter_rng.h"

namespace pmdl {

namespace {

// m = scale where the draw keeps the element, else 0; a = in * m (draws: counter_rng.h).
PMDL_SIMD_CLONES
void dropout_forward(const float* __restrict in, float* __restrict m, float* __restrict a, long n, float keep,
                     float scale, uint64_t key) {
    for (long j = 0; j < n; ++j) {
        const float u = counter_uniform((uint32_t)j, key);
        m[j] = u < keep ? scale : 0.0f;
        a[j] = in[j] * m[j];
    }
}

}  // namespace

Dropout::Dropout(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    rate_ = (float)attrs.number("rate", 0.0, 1.0);
    if (rate_ >= 1.0f) throw std::invalid_argument("dropout: attribute 'rate' must be in [0, 1), got 1");
    out_shape_ = inputs[0];
}

void Dropout::reserve(int rows) {
    mask_.resize((long)rows * output_size());
    a_.resize((long)rows * output_size());
}

const float* Dropout::forward(const ForwardArgs& args) {
    identity_ = !args.training || rate_ == 0.0f;
    if (identity_) return args.in[0];
    const float keep = 1.0f - rate_, scale = 1.0f / keep;
    dropout_forward(args.in[0], mask_.data(), a_.data(), args.rows * output_size(), keep, scale, args.rng->next());
    return a_.data();
}

void Dropout::backward(BackwardArgs& args) {
    const long n = args.rows * output_size();
    InputGrad& g = args.in[0];
    if (identity_ || !g.d) return pass_gradient(g, args.dout, n);
    const float* m = mask_.data();
    if (g.accumulate) for (long j = 0; j < n; ++j) g.d[j] += args.dout[j] * m[j];
    else for (long j = 0; j < n; ++j) g.d[j] = args.dout[j] * m[j];
}

PMDL_REGISTER_LAYER("dropout", Dropout);

}  // namespace pmdl
