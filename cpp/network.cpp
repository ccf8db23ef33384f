// The training loop: train step, epoch loop over shuffled batches, evaluate, predict, the optimizer
// step. The layers and their passes are the graph's (cpp/graph.*); shapes are checked in the bindings.
#include "network.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "parallel.h"
#include "simd.h"

namespace pmdl {

// Parameter counts from which the optimizer update is split across threads (elementwise, so the
// result does not depend on the split): below it waking the threads costs more than it saves. The
// rules with a square root and a division per parameter (Adam) break even at ~30k parameters; SGD's
// few multiply-adds per parameter need more of them to pay.
constexpr long kParallelUpdateMin = 1L << 15;
constexpr long kParallelSgdUpdateMin = 1L << 17;

namespace {

// dst row r = src row idx[r] for r in [r0, r1) (rows of `cols` floats): the shuffled batch. The
// rows are scattered over the data set, so each is fetched (prefetched) a few rows ahead.
PMDL_SIMD_CLONES
void copy_rows(const float* __restrict src, long cols, const int* idx, int r0, int r1, float* __restrict dst) {
    constexpr int kAhead = 4;
    for (int r = r0; r < r1; ++r) {
        if (r + kAhead < r1) {
            const char* next = reinterpret_cast<const char*>(src + (long)idx[r + kAhead] * cols);
            for (long b = 0; b < cols * 4; b += 64) __builtin_prefetch(next + b);
        }
        const float* s = src + (long)idx[r] * cols;
        float* d = dst + (long)r * cols;
        for (long c = 0; c < cols; ++c) d[c] = s[c];
    }
}

void gather(const float* src, long cols, const int* idx, int rows, float* dst) {
    for_row_slices(rows, cols, [&](int r0, int r1) { copy_rows(src, cols, idx, r0, r1, dst); });
}

}  // namespace

Network::Network(std::vector<Shape> input_shapes, std::vector<LayerNode> layers, uint64_t seed)
    : graph_(std::move(input_shapes), std::move(layers)), rng_(seed) {
    for (auto& s : state_) s.assign(num_trainable(), 0.0f);  // three slots cover every rule; views never dangle
    xb_.resize(num_inputs());
    xp_.resize(num_inputs());
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
    graph_.reserve(rows);
    for (int k = 0; k < num_inputs(); ++k) xb_[k].resize((long)rows * input_size(k));
    yb_.resize((long)rows * output_dim());
    wb_.resize(rows);
}

void Network::apply_gradients() {
    float* g = grads();
    const long n = num_trainable();
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
        for (const TensorSlot& t : tensors()) {
            if (!t.trainable) continue;
            clip_tensor(opt_, g + t.offset, t.size);
            float* st[3] = {s[0] + t.offset, s[1] + t.offset, s[2] + t.offset};
            optimizer_update(opt_, k, params() + t.offset, g + t.offset, st, t.size);
        }
    } else {  // every rule is elementwise: one pass over all parameters, in slices of 16 when large
        const long min_work = opt_.kind == Opt::SGD ? kParallelSgdUpdateMin : kParallelUpdateMin;
        for_slices((n + 15) / 16, 16, min_work, [&](long b0, long b1) {
            const long lo = b0 * 16, hi = std::min(n, b1 * 16);
            float* st[3] = {s[0] + lo, s[1] + lo, s[2] + lo};
            optimizer_update(opt_, k, params() + lo, g + lo, st, hi - lo);
        });
    }
    ++iterations;
}

void Network::add_metrics(const float* p, const float* y, int rows, double* sums) const {
    for (size_t m = 0; m < metrics_.size(); ++m)
        sums[m] += metric_batch(metrics_[m], p, y, rows, output_dim(), 0.5f);
}

void Network::train_step(const float* const* xs, const float* y, const float* w, int rows) {
    const float* p = graph_.forward(xs, rows, true, rng_);
    const ActInfo out = graph_.output_activation();
    sums_[0] += loss_batch(loss_, out.act, out.alpha, out.z, p, y, w, rows, output_dim(), 1.0f / rows,
                           graph_.output_grad());
    add_metrics(p, y, rows, sums_.data() + 1);  // before the update, as Keras logs them
    graph_.backward(rows);
    apply_gradients();
    seen_ += rows;
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

void Network::train_batches(const float* const* xs, const float* y, const float* w, int n, int first, int count) {
    FlushDenormals flush;
    if (n != epoch_n_) throw std::invalid_argument("train_batches: sample count differs from begin_epoch");
    if (first < 0 || count < 0 || first + count > batches_) throw std::out_of_range("train_batches: batch range");
    const int yc = y_cols(), I = num_inputs();
    for (int b = first; b < first + count; ++b) {
        const int start = b * batch_size_, rows = std::min(batch_size_, epoch_n_ - start);
        const int* idx = perm_.data() + start;
        if (idx[0] == start && idx[rows - 1] == start + rows - 1 && std::is_sorted(idx, idx + rows)) {
            // Contiguous rows: train straight from the caller's arrays.
            for (int k = 0; k < I; ++k) xp_[k] = xs[k] + (long)start * input_size(k);
            train_step(xp_.data(), y + (long)start * yc, w ? w + start : nullptr, rows);
            continue;
        }
        for (int k = 0; k < I; ++k) {
            gather(xs[k], input_size(k), idx, rows, xb_[k].data());
            xp_[k] = xb_[k].data();
        }
        gather(y, yc, idx, rows, yb_.data());
        if (w) gather(w, 1, idx, rows, wb_.data());
        train_step(xp_.data(), yb_.data(), w ? wb_.data() : nullptr, rows);
    }
}

std::vector<double> Network::epoch_logs() const {
    std::vector<double> out(sums_.size(), 0.0);
    for (size_t i = 0; i < sums_.size(); ++i) out[i] = seen_ ? sums_[i] / seen_ : 0.0;
    return out;
}

int Network::fit_epochs(const float* const* xs, const float* y, const float* w, int n, int batch_size, int epochs,
                        int shuffle_mode, const float* const* vxs, const float* vy, const float* vw, int val_n,
                        int val_batch_size, double* train_logs, double* val_logs) {
    const int width = 1 + num_metrics();
    for (int e = 0; e < epochs; ++e) {
        begin_epoch(n, batch_size, shuffle_mode);
        train_batches(xs, y, w, n, 0, batches_);
        for (int j = 0; j < width; ++j) train_logs[(long)e * width + j] = sums_[j] / seen_;
        if (val_n > 0) {
            std::vector<double> v = evaluate(vxs, vy, vw, val_n, val_batch_size);
            std::copy(v.begin(), v.end(), val_logs + (long)e * width);
        }
    }
    return epochs;
}

// evaluate and predict run at least this many rows per forward pass, whatever batch size they are
// given (Keras' default is 32): a row's outputs do not depend on the rows around it (every GEMM route
// computes each element as the same FMA chain), and taller products run faster. Unless the layers are
// so wide that these rows' workspace would pass kInferenceFloatsMax (64 MiB): then the caller's batch
// size, chosen for memory, stands.
constexpr int kInferenceRowsMin = 256;
constexpr long kInferenceFloatsMax = 1L << 24;

int Network::inference_rows(int batch_size) const {
    const long floor_rows = std::min<long>(kInferenceRowsMin, kInferenceFloatsMax / graph_.floats_per_row());
    return (int)std::max<long>(batch_size, floor_rows);
}

// xp_[k] = the rows from `start` of each input.
void Network::point_inputs(const float* const* xs, long start) {
    for (int k = 0; k < num_inputs(); ++k) xp_[k] = xs[k] + start * input_size(k);
}

std::vector<double> Network::evaluate(const float* const* xs, const float* y, const float* w, int n, int batch_size) {
    FlushDenormals flush;
    if (!compiled_) throw std::logic_error("the network must be compiled before evaluate");
    if (n <= 0 || batch_size <= 0) throw std::invalid_argument("evaluate: n and batch_size must be positive");
    batch_size = inference_rows(batch_size);
    ensure_capacity(std::min(batch_size, n));
    std::vector<double> sums(1 + metrics_.size(), 0.0);
    const int yc = y_cols();
    for (int start = 0; start < n; start += batch_size) {
        const int rows = std::min(batch_size, n - start);
        point_inputs(xs, start);
        const float* p = graph_.forward(xp_.data(), rows, false, rng_);
        const ActInfo out = graph_.output_activation();
        sums[0] += loss_batch(loss_, out.act, out.alpha, out.z, p, y + (long)start * yc, w ? w + start : nullptr,
                              rows, output_dim(), 1.0f, nullptr);
        add_metrics(p, y + (long)start * yc, rows, sums.data() + 1);
    }
    for (double& s : sums) s /= n;
    return sums;
}

void Network::predict(const float* const* xs, int n, int batch_size, float* out) {
    FlushDenormals flush;
    if (n < 0 || batch_size <= 0) throw std::invalid_argument("predict: n and batch_size must be positive");
    batch_size = inference_rows(batch_size);
    ensure_capacity(std::min(batch_size, std::max(n, 1)));
    const long od = output_dim();
    for (int start = 0; start < n; start += batch_size) {
        const int rows = std::min(batch_size, n - start);
        point_inputs(xs, start);
        const float* p = graph_.forward(xp_.data(), rows, false, rng_);
        std::copy(p, p + rows * od, out + start * od);
    }
}

}  // namespace pmdl
