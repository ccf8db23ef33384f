// Forward, backward, train step and epoch loop of the dense stack. Shapes are checked in bindings.cpp.
#include "network.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "activations.h"
#include "gemm.h"
#include "simd.h"

namespace pmdl {

// Parameter counts from which the optimizer update is split across threads (elementwise, so the
// result does not depend on the split): below it waking the threads (~5 us measured with tiny GEMMs
// between updates) costs more than it saves. The rules with a square root and a division per
// parameter take 0.5-1 ns each on one core: Adam broke even at 29k parameters and ran 1.6-2x faster
// on two threads from 58k (Keras' 784-128-10 MNIST tutorial: 101k, 105 -> 60 us per step).
// SGD's few multiply-adds per parameter need more of them to pay.
constexpr long kParallelUpdateMin = 1L << 15;
constexpr long kParallelSgdUpdateMin = 1L << 17;

// Row-wise passes (activation gradients and softmax outside the GEMM epilogues, the batch gather)
// over at least this many floats run on the GEMM's threads; below it waking them costs more than
// the pass (measured: a 256 x 512 relu takes ~15 us on one core, a parallel region ~2 us).
constexpr long kParallelRowsMin = 1L << 15;

namespace {

// z += bias on every row of a rows x cols block (row stride ld): Keras adds the bias after X·W.
PMDL_SIMD_CLONES
void add_bias(const float* __restrict bias, float* __restrict z, long ld, int rows, int cols) {
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) z[r * ld + c] += bias[c];
}

// A dense layer's output pass, run by the GEMM on each block of z = X·W as soon as it is final
// (in cache, on the thread that computed it): z += bias, then a = f(z) for an elementwise f.
struct DenseOutput {
    const float* bias;  // or nullptr
    float* z;
    float* a;           // or nullptr: the activation runs after the GEMM (softmax) or not at all
    long cols;
    Act act;
    float alpha;

    static void apply(const void* self, int i0, int rows, int j0, int cols) {
        const DenseOutput& o = *static_cast<const DenseOutput*>(self);
        float* z = o.z + i0 * o.cols + j0;
        if (o.bias) add_bias(o.bias + j0, z, o.cols, rows, cols);
        if (o.a) act_forward_block(o.act, o.alpha, z, o.cols, o.a + i0 * o.cols + j0, o.cols, rows, cols);
    }
};

// The input-gradient GEMM's output pass: on each final block of d = dZ·Wᵀ, d *= f'(z) for the
// previous layer's elementwise activation f (its z and a = f(z)), while the block is in cache.
struct ActivationGradient {
    const float* z;
    const float* a;
    float* d;
    long cols;
    Act act;
    float alpha;

    static void apply(const void* self, int i0, int rows, int j0, int cols) {
        const ActivationGradient& g = *static_cast<const ActivationGradient*>(self);
        const long at = i0 * g.cols + j0;
        act_backward_block(g.act, g.alpha, g.z + at, g.a + at, g.d + at, g.cols, rows, cols);
    }
};

// Calls fn(begin, end) on slices of [0, count) that together cover `count * width` floats of
// work, on the threads when there are at least min_work floats, else once on the whole range.
// Each slice is computed exactly as the whole range would be, so results do not depend on the
// thread count. Threads claim the slices one by one (8 per thread): one that loses its core for
// a while on a shared machine leaves its share to the others instead of holding them up.
template <class Fn>
void for_slices(long count, long width, long min_work, Fn&& fn) {
    const int nt = count * width >= min_work ? (int)std::min<long>(get_num_threads(), count) : 1;
    if (nt <= 1) return fn(0L, count);
    const long slices = std::min<long>(count, 8L * nt);
    long next = 0;
    const unsigned float_mode = AdoptFloatMode::current();
#pragma omp parallel num_threads(nt)
    {
        AdoptFloatMode mode(float_mode);
        for (long s; (s = __atomic_fetch_add(&next, 1L, __ATOMIC_RELAXED)) < slices;)
            fn(count * s / slices, count * (s + 1) / slices);
    }
}

template <class Fn>
void for_row_slices(int rows, long cols, Fn&& fn) {  // rows of a layer: ints in, ints out
    for_slices(rows, cols, kParallelRowsMin, [&](long r0, long r1) { fn((int)r0, (int)r1); });
}

// Dropout's draws come from a counter-based generator, as TF's do (Philox): element j's draw is an
// integer hash of j under a key taken once per call from the network's stream, so the loop
// vectorises (drawing from xoshiro element by element took ~10 ns each: a fifth of the step of TF's
// quickstart model). Wellons' lowbias32 hash, twice, the key between the rounds.
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

// dst row r = src row idx[r] for r in [r0, r1) (rows of `cols` floats): the shuffled batch. The
// rows are scattered over the data set, so each is fetched (prefetched) a few rows ahead.
PMDL_SIMD_CLONES
void copy_rows(const float* __restrict src, int cols, const int* idx, int r0, int r1, float* __restrict dst) {
    constexpr int kAhead = 4;
    for (int r = r0; r < r1; ++r) {
        if (r + kAhead < r1) {
            const char* next = reinterpret_cast<const char*>(src + (long)idx[r + kAhead] * cols);
            for (long b = 0; b < (long)cols * 4; b += 64) __builtin_prefetch(next + b);
        }
        const float* s = src + (long)idx[r] * cols;
        float* d = dst + (long)r * cols;
        for (int c = 0; c < cols; ++c) d[c] = s[c];
    }
}

// Dense layers whose output is their z: linear ones, and relu ones, which overwrite z with relu(z)
// (the derivative needs only z > 0, which relu(z) > 0 says too; one array less to write and read).
bool output_in_z(const LayerSpec& L) {
    return L.kind == LayerKind::Dense && (L.act == Act::Linear || L.act == Act::Relu);
}

}  // namespace

Rng::Rng(uint64_t seed) {
    for (auto& v : s) {  // splitmix64 expands the seed into the state
        seed += 0x9E3779B97F4A7C15ull;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        v = z ^ (z >> 31);
    }
}

uint64_t Rng::next() {
    auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

Network::Network(std::vector<LayerSpec> layers, uint64_t seed) : layers_(std::move(layers)), rng_(seed) {
    if (layers_.empty()) throw std::invalid_argument("a network needs at least one layer");
    long total = 0;
    for (size_t i = 0; i < layers_.size(); ++i) {
        LayerSpec& L = layers_[i];
        if (L.in <= 0 || L.out <= 0) throw std::invalid_argument("layer sizes must be positive");
        if (i > 0 && L.in != layers_[i - 1].out) throw std::invalid_argument("layer sizes do not chain");
        if (L.kind != LayerKind::Dense && L.in != L.out)
            throw std::invalid_argument("activation and dropout layers keep their width");
        if (L.kind == LayerKind::Dropout && !(L.rate >= 0.0f && L.rate < 1.0f))
            throw std::invalid_argument("dropout rate must be in [0, 1)");
        if (L.kind == LayerKind::Dropout) L.act = Act::Linear;
        kernel_at_.push_back(-1);
        bias_at_.push_back(-1);
        if (L.kind != LayerKind::Dense) continue;
        kernel_at_.back() = total;
        tensors_.push_back({total, (long)L.in * L.out, L.in, L.out, false});
        total += (long)L.in * L.out;
        if (L.use_bias) {  // right after the kernel: backward() computes its gradient as the kernel's row `in`
            bias_at_.back() = total;
            tensors_.push_back({total, L.out, L.out, 1, true});
            total += L.out;
        }
    }
    params_.assign(total, 0.0f);
    grads_.assign(total, 0.0f);
    for (auto& s : state_) s.assign(total, 0.0f);  // three slots cover every rule; views never dangle
    const size_t n = layers_.size();
    z_.resize(n); a_.resize(n); dz_.resize(n); mask_.resize(n);
    in_.resize(n); zp_.resize(n); ap_.resize(n);
    ensure_capacity(32);
}

void Network::compile(const LossConfig& loss, const std::vector<Metric>& metrics, const OptimizerConfig& opt) {
    if (loss.kind == Loss::SparseCategoricalCrossentropy && output_dim() < 2)
        throw std::invalid_argument("sparse categorical cross-entropy needs at least 2 outputs");
    // Validate everything before changing anything: a bad code must not reach the (threaded) update.
    const int slots = optimizer_slots(opt);  // throws for an unknown optimizer
    if (opt.schedule == Schedule::PiecewiseConstantDecay && opt.values.size() != opt.boundaries.size() + 1)
        throw std::invalid_argument("piecewise constant decay needs one more value than boundaries");
    learning_rate_at(opt, 0);  // throws for an unknown schedule
    loss_ = loss;
    metrics_ = metrics;
    opt_ = opt;
    slots_ = slots;
    for (int s = 0; s < 3; ++s) std::fill(state_[s].begin(), state_[s].end(), optimizer_slot_init(opt_, s));
    iterations = 0;
    nadam_u_product = 1.0;
    compiled_ = true;
}

void Network::ensure_capacity(int rows) {
    if (rows <= capacity_) return;
    capacity_ = rows;
    for (size_t i = 0; i < layers_.size(); ++i) {
        const long size = (long)rows * layers_[i].out;
        z_[i].resize(size);
        dz_[i].resize(size);
        if (!output_in_z(layers_[i])) a_[i].resize(size);
        if (layers_[i].kind == LayerKind::Dropout) mask_[i].resize(size);
    }
    xb_.resize((long)rows * input_dim());
    yb_.resize((long)rows * output_dim());
    wb_.resize(rows);
}

const float* Network::forward(const float* x, int rows, bool training) {
    const float* in = x;
    for (size_t i = 0; i < layers_.size(); ++i) {
        const LayerSpec& L = layers_[i];
        in_[i] = in;
        float* z = z_[i].data();
        switch (L.kind) {
            case LayerKind::Dense: {
                const float* W = params_.data() + kernel_at_[i];
                const bool fused_act = L.act != Act::Linear && act_is_elementwise(L.act);
                float* a = output_in_z(L) ? z : a_[i].data();
                const DenseOutput out{bias_at_[i] >= 0 ? params_.data() + bias_at_[i] : nullptr, z,
                                      fused_act ? a : nullptr, L.out, L.act, L.alpha};
                const GemmEpilogue epilogue{&DenseOutput::apply, &out};
                gemm(false, false, rows, L.out, L.in, 1.0f, in, L.in, W, L.out, 0.0f, z, L.out,
                     out.bias || out.a ? &epilogue : nullptr);
                zp_[i] = z;
                ap_[i] = a;
                if (L.act != Act::Linear && !fused_act)  // softmax: a pass over whole rows
                    for_row_slices(rows, L.out, [&](int r0, int r1) {
                        const long at = (long)r0 * L.out;
                        act_forward(L.act, L.alpha, z + at, a + at, r1 - r0, L.out);
                    });
                break;
            }
            case LayerKind::Activation:
                zp_[i] = in;
                act_forward(L.act, L.alpha, in, a_[i].data(), rows, L.out);
                ap_[i] = a_[i].data();
                break;
            case LayerKind::Dropout:
                if (!training || L.rate == 0.0f) {
                    zp_[i] = ap_[i] = in;
                    break;
                }
                {
                    const long n = (long)rows * L.out;
                    const float keep = 1.0f - L.rate, scale = 1.0f / keep;
                    dropout_forward(in, mask_[i].data(), a_[i].data(), n, keep, scale, rng_.next());
                    zp_[i] = ap_[i] = a_[i].data();
                }
                break;
        }
        in = ap_[i];
    }
    return in;
}

void Network::backward(int rows) {
    for (size_t i = layers_.size(); i-- > 0;) {
        const LayerSpec& L = layers_[i];
        float* dz = dz_[i].data();  // gradient with respect to this layer's pre-activation
        float* din = i > 0 ? dz_[i - 1].data() : nullptr;
        const LayerSpec* prev = i > 0 ? &layers_[i - 1] : nullptr;
        bool din_final = !din || prev->act == Act::Linear;  // the previous activation's derivative is in
        switch (L.kind) {
            case LayerKind::Dense: {
                // Weight gradient Xᵀ·dZ; the bias gradient (column sums of dZ) is the row after it.
                float* gW = grads_.data() + kernel_at_[i];
                if (bias_at_[i] >= 0)
                    gemm_with_sums(true, false, L.in, L.out, rows, 1.0f, in_[i], L.in, dz, L.out, 0.0f, gW, L.out);
                else
                    gemm(true, false, L.in, L.out, rows, 1.0f, in_[i], L.in, dz, L.out, 0.0f, gW, L.out);
                if (din) {
                    const float* W = params_.data() + kernel_at_[i];
                    const ActivationGradient grad{zp_[i - 1], ap_[i - 1], din, L.in, prev->act, prev->alpha};
                    const GemmEpilogue epilogue{&ActivationGradient::apply, &grad};
                    const bool fuse = !din_final && act_is_elementwise(prev->act);
                    gemm(false, true, rows, L.in, L.out, 1.0f, dz, L.out, W, L.out, 0.0f, din, L.in,
                         fuse ? &epilogue : nullptr);
                    din_final = din_final || fuse;
                }
                break;
            }
            case LayerKind::Activation:
                if (din) std::copy(dz, dz + (long)rows * L.out, din);
                break;
            case LayerKind::Dropout:
                if (din) {
                    const long n = (long)rows * L.out;
                    if (in_[i] == ap_[i]) std::copy(dz, dz + n, din);  // rate 0: identity
                    else for (long j = 0; j < n; ++j) din[j] = dz[j] * mask_[i][j];
                }
                break;
        }
        if (!din_final) {
            const float *z = zp_[i - 1], *a = ap_[i - 1];
            for_row_slices(rows, prev->out, [&](int r0, int r1) {
                const long at = (long)r0 * prev->out;
                act_backward(prev->act, prev->alpha, z + at, a + at, din + at, din + at, r1 - r0, prev->out);
            });
        }
    }
}

void Network::apply_gradients() {
    float* g = grads_.data();
    const long n = num_params();
    if (opt_.global_clipnorm > 0.0f) {
        double sq = 0.0;
        for (long i = 0; i < n; ++i) sq += static_cast<double>(g[i]) * g[i];
        const double norm = std::sqrt(sq);
        // Keras (tf.clip_by_global_norm): an inf/NaN global norm makes every gradient NaN.
        const float k = std::isfinite(norm)
                            ? static_cast<float>(opt_.global_clipnorm / std::max(norm, (double)opt_.global_clipnorm))
                            : std::numeric_limits<float>::quiet_NaN();
        for (long i = 0; i < n; ++i) g[i] *= k;
    }
    const StepScalars k = step_scalars(opt_, iterations, nadam_u_product);
    float* s[3] = {state_[0].data(), state_[1].data(), state_[2].data()};
    if (opt_.clipnorm > 0.0f || opt_.clipvalue > 0.0f) {  // clipping is per tensor, so update per tensor
        for (const TensorSlot& t : tensors_) {
            clip_tensor(opt_, g + t.offset, t.size);
            float* st[3] = {s[0] + t.offset, s[1] + t.offset, s[2] + t.offset};
            optimizer_update(opt_, k, params_.data() + t.offset, g + t.offset, st, t.size);
        }
    } else {  // every rule is elementwise: one pass over all parameters, in slices of 16 when large
        const long min_work = opt_.kind == Opt::SGD ? kParallelSgdUpdateMin : kParallelUpdateMin;
        for_slices((n + 15) / 16, 16, min_work, [&](long b0, long b1) {
            const long lo = b0 * 16, hi = std::min(n, b1 * 16);
            float* st[3] = {s[0] + lo, s[1] + lo, s[2] + lo};
            optimizer_update(opt_, k, params_.data() + lo, g + lo, st, hi - lo);
        });
    }
    ++iterations;
}

void Network::add_metrics(const float* p, const float* y, int rows, double* sums) const {
    for (size_t m = 0; m < metrics_.size(); ++m)
        sums[m] += metric_batch(metrics_[m], p, y, rows, output_dim(), 0.5f);
}

void Network::train_step(const float* x, const float* y, const float* w, int rows) {
    const float* p = forward(x, rows, true);
    const size_t last = layers_.size() - 1;
    const LayerSpec& L = layers_[last];
    sums_[0] += loss_batch(loss_, L.act, L.alpha, zp_[last], p, y, w, rows, output_dim(), 1.0f / rows,
                           dz_[last].data());
    add_metrics(p, y, rows, sums_.data() + 1);  // before the update, as Keras logs them
    backward(rows);
    apply_gradients();
    seen_ += rows;
}

void Network::gather(const float* src, int cols, const int* idx, int rows, float* dst) const {
    for_row_slices(rows, cols, [&](int r0, int r1) { copy_rows(src, cols, idx, r0, r1, dst); });
}

void Network::begin_epoch(int n, int batch_size, int shuffle_mode) {
    if (!compiled_) throw std::logic_error("the network must be compiled before training");
    if (n <= 0 || batch_size <= 0) throw std::invalid_argument("begin_epoch: n and batch_size must be positive");
    epoch_n_ = n;
    batch_size_ = batch_size;
    batches_ = (n + batch_size - 1) / batch_size;
    seen_ = 0;
    sums_.assign(1 + metrics_.size(), 0.0);
    perm_.resize(n);
    std::iota(perm_.begin(), perm_.end(), 0);
    if (shuffle_mode == 1) {  // Fisher-Yates over rows
        for (int i = n - 1; i > 0; --i) std::swap(perm_[i], perm_[rng_.below(i + 1)]);
    } else if (shuffle_mode == 2) {  // whole batches in a random order
        std::vector<int> order(batches_);
        std::iota(order.begin(), order.end(), 0);
        for (int i = batches_ - 1; i > 0; --i) std::swap(order[i], order[rng_.below(i + 1)]);
        int k = 0;
        for (int b : order)
            for (int r = b * batch_size; r < std::min(n, (b + 1) * batch_size); ++r) perm_[k++] = r;
    }
    ensure_capacity(std::min(batch_size, n));
}

void Network::train_batches(const float* x, const float* y, const float* w, int n, int first, int count) {
    FlushDenormals flush;
    if (n != epoch_n_) throw std::invalid_argument("train_batches: sample count differs from begin_epoch");
    if (first < 0 || count < 0 || first + count > batches_) throw std::out_of_range("train_batches: batch range");
    const int in = input_dim(), yc = y_cols();
    for (int b = first; b < first + count; ++b) {
        const int start = b * batch_size_, rows = std::min(batch_size_, epoch_n_ - start);
        const int* idx = perm_.data() + start;
        if (idx[0] == start && idx[rows - 1] == start + rows - 1 && std::is_sorted(idx, idx + rows)) {
            // Contiguous rows: train straight from the caller's arrays.
            train_step(x + (long)start * in, y + (long)start * yc, w ? w + start : nullptr, rows);
            continue;
        }
        gather(x, in, idx, rows, xb_.data());
        gather(y, yc, idx, rows, yb_.data());
        if (w) gather(w, 1, idx, rows, wb_.data());
        train_step(xb_.data(), yb_.data(), w ? wb_.data() : nullptr, rows);
    }
}

std::vector<double> Network::epoch_logs() const {
    std::vector<double> out(sums_.size(), 0.0);
    for (size_t i = 0; i < sums_.size(); ++i) out[i] = seen_ ? sums_[i] / seen_ : 0.0;
    return out;
}

int Network::fit_epochs(const float* x, const float* y, const float* w, int n, int batch_size, int epochs,
                        int shuffle_mode, const float* vx, const float* vy, const float* vw, int val_n,
                        int val_batch_size, double* train_logs, double* val_logs) {
    const int width = 1 + num_metrics();
    for (int e = 0; e < epochs; ++e) {
        begin_epoch(n, batch_size, shuffle_mode);
        train_batches(x, y, w, n, 0, batches_);
        for (int j = 0; j < width; ++j) train_logs[(long)e * width + j] = sums_[j] / seen_;
        if (val_n > 0) {
            std::vector<double> v = evaluate(vx, vy, vw, val_n, val_batch_size);
            std::copy(v.begin(), v.end(), val_logs + (long)e * width);
        }
    }
    return epochs;
}

// evaluate and predict run at least this many rows per forward pass, whatever batch size they are
// given (Keras' default is 32): a row's outputs do not depend on the rows around it (every GEMM route
// computes each element as the same FMA chain), and taller products run faster (evaluating 10k MNIST
// samples on 784-128-10 at batch size 32: 24 -> 11 ms). Unless the layers are so wide that these rows'
// workspace would pass kInferenceFloatsMax (64 MiB): then the caller's batch size, chosen for memory, stands.
constexpr int kInferenceRowsMin = 256;
constexpr long kInferenceFloatsMax = 1L << 24;

int Network::inference_rows(int batch_size) const {
    long per_row = input_dim() + output_dim();
    for (const LayerSpec& L : layers_) per_row += 3L * L.out;  // z, dz and a (or a dropout mask)
    const long floor_rows = std::min<long>(kInferenceRowsMin, kInferenceFloatsMax / per_row);
    return (int)std::max<long>(batch_size, floor_rows);
}

std::vector<double> Network::evaluate(const float* x, const float* y, const float* w, int n, int batch_size) {
    FlushDenormals flush;
    if (!compiled_) throw std::logic_error("the network must be compiled before evaluate");
    if (n <= 0 || batch_size <= 0) throw std::invalid_argument("evaluate: n and batch_size must be positive");
    batch_size = inference_rows(batch_size);
    ensure_capacity(std::min(batch_size, n));
    std::vector<double> sums(1 + metrics_.size(), 0.0);
    const int in = input_dim(), yc = y_cols(), last = static_cast<int>(layers_.size()) - 1;
    for (int start = 0; start < n; start += batch_size) {
        const int rows = std::min(batch_size, n - start);
        const float* p = forward(x + (long)start * in, rows, false);
        const LayerSpec& L = layers_[last];
        sums[0] += loss_batch(loss_, L.act, L.alpha, zp_[last], p, y + (long)start * yc, w ? w + start : nullptr,
                              rows, output_dim(), 1.0f, nullptr);
        add_metrics(p, y + (long)start * yc, rows, sums.data() + 1);
    }
    for (double& s : sums) s /= n;
    return sums;
}

void Network::predict(const float* x, int n, int batch_size, float* out) {
    FlushDenormals flush;
    if (n < 0 || batch_size <= 0) throw std::invalid_argument("predict: n and batch_size must be positive");
    batch_size = inference_rows(batch_size);
    ensure_capacity(std::min(batch_size, std::max(n, 1)));
    const int in = input_dim(), od = output_dim();
    for (int start = 0; start < n; start += batch_size) {
        const int rows = std::min(batch_size, n - start);
        const float* p = forward(x + (long)start * in, rows, false);
        std::copy(p, p + (long)rows * od, out + (long)start * od);
    }
}

}  // namespace pmdl
