// The training loop: train step, epoch loop over shuffled batches, evaluate, predict. The layers and their
// passes are the graph's (cpp/graph.*), the update the optimizer's (cpp/optimizers.*); shapes are checked
// in the bindings.
#include "network.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "parallel.h"
#include "simd.h"

namespace pmdl {

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
    if ((long)rows * cols <= 64) {  // the tutorials' batches (XOR: 1 x 2): a plain loop, no dispatch
        for (int r = 0; r < rows; ++r)
            for (long c = 0; c < cols; ++c) dst[(long)r * cols + c] = src[(long)idx[r] * cols + c];
        return;
    }
    for_row_slices(rows, cols, [&](int r0, int r1) { copy_rows(src, cols, idx, r0, r1, dst); });
}

}  // namespace

Network::Network(std::vector<Shape> input_shapes, std::vector<LayerNode> layers, uint64_t seed)
    : graph_(std::move(input_shapes), std::move(layers)), optimizer_(graph_.num_trainable()), rng_(seed) {
    for (const TensorSlot& t : tensors()) {
        span_of_.push_back(t.trainable ? (int)trainable_.size() : -1);
        if (t.trainable && graph_.layer(t.layer).param_specs()[t.param].lookups)
            lookup_tensors_.push_back((int)span_of_.size() - 1);
        if (t.trainable) trainable_.push_back({t.offset, t.size, {}});
    }
    for (int j = 0; j < graph_.num_layers(); ++j)
        if (auto* a = dynamic_cast<const ActivityRegularization*>(&graph_.layer(j))) activity_.push_back(a);
    xb_.resize(num_inputs());
    xp_.resize(num_inputs());
    ensure_capacity(32);
}

void Network::compile(const LossConfig& loss, const std::vector<MetricConfig>& metrics, const OptimizerConfig& opt) {
    if (loss.kind == Loss::SparseCategoricalCrossentropy && output_dim() < 2)
        throw std::invalid_argument("sparse categorical cross-entropy needs at least 2 outputs");
    MetricSet metric_set(metrics);  // throws for an unknown metric or setting
    const bool labels = loss.kind == Loss::SparseCategoricalCrossentropy;  // y holds class indices
    for (const MetricConfig& m : metrics)
        if (metric_takes_labels(m.kind) != labels)
            throw std::invalid_argument(std::string("metric ") + EnumList<Metric>::name(static_cast<int>(m.kind)) +
                                        (labels ? " needs targets of the output's width, but the loss takes class "
                                                  "indices" : " needs class indices, but the loss takes targets of "
                                                  "the output's width"));
    optimizer_.configure(opt);  // validates everything before changing anything; resets its state
    loss_ = loss;
    metrics_ = std::move(metric_set);
    compiled_ = true;
    // An epoch begun before sized its sums for the old metrics and checked its targets against the old loss:
    // it ends here, so a train_batches that follows (a callback's compile, another thread's) refuses to run.
    epoch_n_ = 0;
    sums_.assign(1, 0.0);  // the loss; the metrics count in metrics_, fresh here
    seen_ = 0;
}

void Network::ensure_capacity(int rows) {
    if (rows <= capacity_) return;
    // The workspaces and gather buffers of `rows` rows, checked as a whole before any grows.
    long per_row = graph_.floats_per_row() + output_dim() + 1;
    for (int k = 0; k < num_inputs(); ++k) per_row += input_size(k);
    require_memory(4 * (size_t)rows * (size_t)per_row, ("a batch of " + std::to_string(rows) + " rows").c_str());
    capacity_ = rows;
    graph_.reserve(rows);
    for (int k = 0; k < num_inputs(); ++k) xb_[k].resize((long)rows * input_size(k));
    yb_.resize((long)rows * output_dim());
    wb_.resize(rows);
}

void Network::add_metrics(const ActInfo& out, const float* p, const float* y, int rows, MetricSet& metrics) const {
    // out: the output layer's activation, as the loss got it; the crossentropy metrics recover logits from it
    MetricBatch b;
    b.p = p, b.y = y, b.z = out.z, b.act = out.act, b.alpha = out.alpha, b.rows = rows, b.cols = output_dim();
    metrics.update(b);
}

void Network::set_weight_rules(std::vector<WeightRule> rules) {
    const std::vector<TensorSlot>& t = tensors();
    for (const WeightRule& r : rules) {
        if (r.tensor < 0 || r.tensor >= (int)t.size() || !t[r.tensor].trainable)
            throw std::invalid_argument("weight rule: tensor " + std::to_string(r.tensor) +
                                        " is not a trainable tensor of this network");
        check_weight_rule(r, t[r.tensor].shape);
    }
    rules_ = std::move(rules);
}

double Network::activity_penalty() const {
    double total = 0.0;
    for (const ActivityRegularization* a : activity_) total += a->penalty();
    return total;
}

double Network::weight_penalty_total() {
    double total = 0.0;
    for (const WeightRule& r : rules_) {
        const TensorSlot& t = tensors()[r.tensor];
        total += weight_penalty(r, params() + t.offset, t.size);
    }
    return total;
}

void Network::train_step(const float* const* xs, const float* y, const float* w, int rows) {
    const float* p = graph_.forward(xs, rows, true, rng_);
    const ActInfo out = graph_.output_activation();
    // Keras' training loss is the compiled loss plus the weights' penalties (at the weights of this step),
    // logged per sample like the loss.
    if (!rules_.empty()) sums_[0] += weight_penalty_total() * rows;
    if (!activity_.empty()) sums_[0] += activity_penalty() * rows;  // Keras: the batch's, over its rows
    sums_[0] += loss_batch(loss_, out.act, out.alpha, out.z, p, y, w, rows, output_dim(), 1.0f / rows,
                           graph_.output_grad());
    add_metrics(out, p, y, rows, metrics_);  // before the update, as Keras logs them
    graph_.backward(rows);
    for (int i : lookup_tensors_)  // Keras 3 keeps an Embedding table's gradient as lookup rows
        trainable_[span_of_[i]].lookups = graph_.lookups(i);
    for (const WeightRule& r : rules_) {  // the penalties' gradients join the loss's, before any clipping
        const TensorSlot& t = tensors()[r.tensor];
        add_penalty_gradient(r, params() + t.offset, grads() + t.offset, t.size);
        if (r.l1 != 0.0f || r.l2 != 0.0f) trainable_[span_of_[r.tensor]].lookups = {};  // TF adds them: dense
    }
    optimizer_.step(params(), grads(), trainable_, !lookup_tensors_.empty());
    for (const WeightRule& r : rules_) {  // constraints after every update, as Keras
        const TensorSlot& t = tensors()[r.tensor];
        apply_constraint(r, params() + t.offset, t.shape);
    }
    seen_ += rows;
}

void Network::begin_epoch(int n, int batch_size, int shuffle_mode) {
    if (!compiled_) throw std::logic_error("the network must be compiled before training");
    if (n <= 0 || batch_size <= 0) throw std::invalid_argument("begin_epoch: n and batch_size must be positive");
    epoch_n_ = n;
    batch_size = batch_size_ = std::min(batch_size, n);  // at most n rows: no int overflow in n + batch_size
    batches_ = (int)(((long)n + batch_size - 1) / batch_size);
    seen_ = 0;
    sums_.assign(1, 0.0);
    metrics_.reset();
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
            for (long r = (long)b * batch_size, end = std::min<long>(n, (long)(b + 1) * batch_size); r < end; ++r)
                perm_[k++] = (int)r;
    }
    ensure_capacity(std::min(batch_size, n));
}

void Network::train_batches(const float* const* xs, const float* y, const float* w, int n, int first, int count) {
    FlushDenormals flush;
    if (epoch_n_ == 0)
        throw std::logic_error("train_batches: no epoch is open (compile() ends the current one): call begin_epoch");
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

void Network::epoch_logs_into(double* out) const {
    out[0] = seen_ ? sums_[0] / seen_ : 0.0;
    metrics_.results(static_cast<double>(seen_), out + 1);
}

std::vector<double> Network::epoch_logs() const {
    std::vector<double> out(1 + num_metrics(), 0.0);
    epoch_logs_into(out.data());
    return out;
}

int Network::fit_epochs(const float* const* xs, const float* y, const float* w, int n, int batch_size, int epochs,
                        int shuffle_mode, const float* const* vxs, const float* vy, const float* vw, int val_n,
                        int val_batch_size, double* train_logs, double* val_logs) {
    const int width = 1 + num_metrics();
    for (int e = 0; e < epochs; ++e) {
        begin_epoch(n, batch_size, shuffle_mode);
        train_batches(xs, y, w, n, 0, batches_);
        epoch_logs_into(train_logs + (long)e * width);  // no vector per epoch: XOR's epochs are 4 steps
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
    batch_size = std::min(inference_rows(batch_size), n);  // start + batch_size stays below 2n: no overflow
    ensure_capacity(batch_size);
    double loss_sum = 0.0;
    MetricSet metrics = metrics_;  // its own state: evaluate may run inside an epoch (validation)
    metrics.reset();
    const int yc = y_cols();
    for (long start = 0; start < n; start += batch_size) {
        const int rows = (int)std::min<long>(batch_size, n - start);
        point_inputs(xs, start);
        const float* p = graph_.forward(xp_.data(), rows, false, rng_);
        const ActInfo out = graph_.output_activation();
        loss_sum += activity_penalty() * rows;  // the activity penalties are of each batch, as in training
        loss_sum += loss_batch(loss_, out.act, out.alpha, out.z, p, y + (long)start * yc, w ? w + start : nullptr,
                               rows, output_dim(), 1.0f, nullptr);
        add_metrics(out, p, y + (long)start * yc, rows, metrics);
    }
    std::vector<double> out(1 + metrics.size());
    out[0] = loss_sum / n + (rules_.empty() ? 0.0 : weight_penalty_total());
    metrics.results(n, out.data() + 1);
    return out;
}

void Network::predict(const float* const* xs, int n, int batch_size, float* out) {
    FlushDenormals flush;
    if (n < 0 || batch_size <= 0) throw std::invalid_argument("predict: n and batch_size must be positive");
    batch_size = std::min(inference_rows(batch_size), std::max(n, 1));  // no overflow in start + batch_size
    ensure_capacity(batch_size);
    const long od = output_dim();
    for (long start = 0; start < n; start += batch_size) {
        const int rows = (int)std::min<long>(batch_size, n - start);
        point_inputs(xs, start);
        const float* p = graph_.forward(xp_.data(), rows, false, rng_);
        std::copy(p, p + rows * od, out + start * od);
    }
}

}  // namespace pmdl
