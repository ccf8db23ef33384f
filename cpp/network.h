// The training loop around the graph: loss, metrics, shuffles and batches; whole epochs. The optimizer (and
// all its state) is an Optimizer object (optimizers.h) that the loop asks to step.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "activations.h"
#include "aligned.h"
#include "graph.h"
#include "layers/activity_regularization.h"
#include "losses.h"
#include "metrics.h"
#include "optimizers.h"
#include "weight_rules.h"

namespace pmdl {

class Network {
public:
    Network(std::vector<Shape> input_shapes, std::vector<LayerNode> layers, uint64_t seed);

    // Compile: loss, metrics and optimizer. Resets optimizer state and the iteration count.
    void compile(const LossConfig& loss, const std::vector<MetricConfig>& metrics, const OptimizerConfig& opt);
    // Penalties and constraints of parameter tensors (checked; replaces any set before).
    void set_weight_rules(std::vector<WeightRule> rules);
    double weight_penalty_total();  // the sum of the penalties at the current weights
    void set_learning_rate(float lr) { optimizer_.set_learning_rate(lr); }
    float current_learning_rate() const { return optimizer_.current_learning_rate(); }
    void reseed(uint64_t seed) { rng_ = Rng(seed); }

    // Training, in pieces so Python can report progress and callbacks between them.
    void begin_epoch(int n, int batch_size, int shuffle_mode);  // 0 none, 1 rows, 2 whole batches
    // Runs batches [first, first + count) of the current epoch; xs[k] is n x input_size(k), y n x y_cols.
    void train_batches(const float* const* xs, const float* y, const float* w, int n, int first, int count);
    int epoch_batches() const { return batches_; }
    std::vector<double> epoch_logs() const;  // [loss, metrics...] means over the samples seen so far
    void epoch_logs_into(double* out) const;  // the same into out[0 : 1 + num_metrics()]

    // Whole epochs in one call; train_logs and val_logs receive epochs x (1 + metrics) values
    // (val_logs is skipped when val_n == 0). Returns the number of epochs run.
    int fit_epochs(const float* const* xs, const float* y, const float* w, int n, int batch_size, int epochs,
                   int shuffle_mode, const float* const* vxs, const float* vy, const float* vw, int val_n,
                   int val_batch_size, double* train_logs, double* val_logs);

    // [loss, metrics...] means over n samples, inference mode.
    std::vector<double> evaluate(const float* const* xs, const float* y, const float* w, int n, int batch_size);
    void predict(const float* const* xs, int n, int batch_size, float* out);

    // Sizes and storage that Python views without copying.
    const Graph& graph() const { return graph_; }
    int num_inputs() const { return graph_.num_inputs(); }
    long input_size(int k) const { return graph_.input_size(k); }
    int output_dim() const { return (int)graph_.output_size(); }
    int y_cols() const { return loss_.kind == Loss::SparseCategoricalCrossentropy ? 1 : output_dim(); }
    int num_metrics() const { return metrics_.size(); }
    bool compiled() const { return compiled_; }
    const std::vector<TensorSlot>& tensors() const { return graph_.tensors(); }
    float* params() { return graph_.params(); }
    float* grads() { return graph_.grads(); }
    float* frozen() { return graph_.frozen(); }
    long num_trainable() const { return graph_.num_trainable(); }
    long num_params() const { return graph_.num_trainable() + graph_.num_frozen(); }
    Optimizer& optimizer() { return optimizer_; }  // its state: slots, scalars, iterations
    std::mutex mutex;            // one computation at a time: the workspaces are shared (bindings lock it)

private:
    void ensure_capacity(int rows);
    int inference_rows(int batch_size) const;  // rows per forward pass of evaluate and predict
    void add_metrics(const ActInfo& out, const float* p, const float* y, int rows, MetricSet& metrics) const;
    void train_step(const float* const* xs, const float* y, const float* w, int rows);
    void point_inputs(const float* const* xs, long start);

    Graph graph_;
    Optimizer optimizer_;
    std::vector<Span> trainable_;  // the trainable tensors' spans of the flat parameter array
    std::vector<int> span_of_;     // per tensor: its index in trainable_, -1 if not trainable
    std::vector<int> lookup_tensors_;  // the trainable tensors whose gradient also comes as lookup rows

    std::vector<WeightRule> rules_;
    std::vector<const ActivityRegularization*> activity_;  // the graph's activity penalties
    double activity_penalty() const;  // theirs for the last forward, summed (each already per row)
    LossConfig loss_;
    MetricSet metrics_;  // also the running state of the current epoch's metrics
    bool compiled_ = false;

    // Shuffled batches gathered for up to the graph's capacity rows: one per input, targets, weights.
    int capacity_ = 0;
    std::vector<Floats> xb_;
    Floats yb_, wb_;
    std::vector<const float*> xp_;  // per input: where the current batch's rows are
    std::vector<int> perm_;

    // Current epoch.
    int epoch_n_ = 0, batch_size_ = 0, batches_ = 0;
    long seen_ = 0;
    std::vector<double> sums_;  // the loss (the metrics keep their own state)
    Rng rng_;
};

}  // namespace pmdl
