// The dense stack: owns parameters, gradients, optimizer state and workspaces; runs whole epochs.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "activations.h"
#include "aligned.h"
#include "losses.h"
#include "metrics.h"
#include "optimizers.h"

namespace pmdl {

enum class LayerKind : int { Dense, Activation, Dropout };

struct LayerSpec {
    LayerKind kind = LayerKind::Dense;
    int in = 0, out = 0;      // features entering and leaving the layer
    Act act = Act::Linear;    // Dense and Activation
    float alpha = 0.0f;       // leaky_relu slope / elu scale
    bool use_bias = true;     // Dense
    float rate = 0.0f;        // Dropout
};

// xoshiro256**: fast, small state, good enough for shuffles and for the keys of dropout masks.
struct Rng {
    uint64_t s[4];
    explicit Rng(uint64_t seed = 0);
    uint64_t next();
    uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }
};

// Where a weight tensor lives in the flat parameter array.
struct TensorSlot {
    long offset, size;
    int rows, cols;  // kernel (in, out); bias (out, 1)
    bool is_bias;    // shown to Python as 1-D (out,)
};

class Network {
public:
    Network(std::vector<LayerSpec> layers, uint64_t seed);

    // Compile: loss, metrics and optimizer. Resets optimizer state and the iteration count.
    void compile(const LossConfig& loss, const std::vector<Metric>& metrics, const OptimizerConfig& opt);
    void set_learning_rate(float lr) { opt_.learning_rate = lr; }
    float current_learning_rate() const { return learning_rate_at(opt_, iterations); }
    void reseed(uint64_t seed) { rng_ = Rng(seed); }

    // Training, in pieces so Python can report progress and callbacks between them.
    void begin_epoch(int n, int batch_size, int shuffle_mode);  // 0 none, 1 rows, 2 whole batches
    // Runs batches [first, first + count) of the current epoch; x is n x input_dim, y n x y_cols.
    void train_batches(const float* x, const float* y, const float* w, int n, int first, int count);
    int epoch_batches() const { return batches_; }
    std::vector<double> epoch_logs() const;  // [loss, metrics...] means over the samples seen so far

    // Whole epochs in one call; train_logs and val_logs receive epochs x (1 + metrics) values
    // (val_logs is skipped when val_n == 0). Returns the number of epochs run.
    int fit_epochs(const float* x, const float* y, const float* w, int n, int batch_size, int epochs,
                   int shuffle_mode, const float* vx, const float* vy, const float* vw, int val_n,
                   int val_batch_size, double* train_logs, double* val_logs);

    // [loss, metrics...] means over n samples, inference mode.
    std::vector<double> evaluate(const float* x, const float* y, const float* w, int n, int batch_size);
    void predict(const float* x, int n, int batch_size, float* out);

    // Sizes and storage that Python views without copying.
    int input_dim() const { return layers_.front().in; }
    int output_dim() const { return layers_.back().out; }
    int y_cols() const { return loss_.kind == Loss::SparseCategoricalCrossentropy ? 1 : output_dim(); }
    int num_metrics() const { return static_cast<int>(metrics_.size()); }
    bool compiled() const { return compiled_; }
    const std::vector<TensorSlot>& tensors() const { return tensors_; }
    float* params() { return params_.data(); }
    float* grads() { return grads_.data(); }
    long num_params() const { return static_cast<long>(params_.size()); }
    float* slot(int s) { return state_[s].data(); }
    int num_slots() const { return slots_; }
    std::mutex mutex;            // one computation at a time: the workspaces are shared (bindings lock it)
    int64_t iterations = 0;      // optimizer steps taken (Keras optimizer.iterations)
    double nadam_u_product = 1.0;

private:
    void ensure_capacity(int rows);
    int inference_rows(int batch_size) const;  // rows per forward pass of evaluate and predict
    const float* forward(const float* x, int rows, bool training);
    void backward(int rows);  // the input of each layer was kept by forward()
    void apply_gradients();
    void add_metrics(const float* p, const float* y, int rows, double* sums) const;
    void train_step(const float* x, const float* y, const float* w, int rows);
    void gather(const float* src, int cols, const int* idx, int rows, float* dst) const;

    std::vector<LayerSpec> layers_;
    std::vector<TensorSlot> tensors_;
    std::vector<long> kernel_at_, bias_at_;  // per layer offsets into params_ (-1 if none)
    Floats params_, grads_;
    Floats state_[3];
    int slots_ = 0;

    LossConfig loss_;
    std::vector<Metric> metrics_;
    OptimizerConfig opt_;
    bool compiled_ = false;

    // Workspaces for up to capacity_ rows: pre-activations, outputs, gradients, dropout masks.
    // Dense layers with linear or relu activation keep their output in z_ (relu in place), no a_.
    int capacity_ = 0;
    std::vector<Floats> z_, a_, dz_, mask_;
    std::vector<const float*> in_, zp_, ap_;
    Floats xb_, yb_, wb_;
    std::vector<int> perm_;

    // Current epoch.
    int epoch_n_ = 0, batch_size_ = 0, batches_ = 0;
    long seen_ = 0;
    std::vector<double> sums_;  // loss, metrics...
    Rng rng_;
};

}  // namespace pmdl
