// Dropout with counter-based masks: the same seed draws the same masks, whatever the thread count.
#include "dropout.h"

#include <stdexcept>

#include "../simd.h"

namespace pmdl {

namespace {

// Dropout's draws come from a counter-based generator, as TF's do (Philox): element j's draw is an
// integer hash of j under a key taken once per call from the network's stream, so the loop
// vectorises (drawing from xoshiro element by element was a fifth of the step of TF's quickstart
// model). Wellons' lowbias32 hash, twice, the key between the rounds.
inline uint32_t lowbias32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
}

// m = scale where the draw keeps the element, else 0; a = in * m. Elements past 2^32 would repeat draws.
PMDL_SIMD_CLONES
void dropout_forward(const float* __restrict in, float* __restrict m, float* __restrict a, long n, float keep,
                     float scale, uint64_t key) {
    const uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (long j = 0; j < n; ++j) {
        const uint32_t h = lowbias32(lowbias32((uint32_t)j + k0) ^ k1);
        const float u = (float)(int32_t)(h >> 8) * (1.0f / 16777216.0f);  // 24 bits: uniform in [0, 1)
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
