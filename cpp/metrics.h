// Metrics accumulated over an epoch (or one evaluate call): Keras' `metrics=` (sample weights do not apply).
// Most are the mean of a per-sample value; Precision, Recall and AUC keep confusion counts.
#pragma once

#include <vector>

#include "activations.h"
#include "enum_list.h"

namespace pmdl {

// X(Member, "keras_name"), in value order: append only. Python's metric classes name these
// (pyminidl/metrics.py, metrics_confusion.py).
#define PMDL_METRICS(X)                                                      \
    X(BinaryAccuracy, "binary_accuracy")                                     \
    X(CategoricalAccuracy, "categorical_accuracy")                           \
    X(SparseCategoricalAccuracy, "sparse_categorical_accuracy")              \
    X(MSE, "mse")                                                            \
    X(MAE, "mae")                                                            \
    X(MAPE, "mape")                                                          \
    X(MSLE, "msle")                                                          \
    X(CosineSimilarity, "cosine_similarity")                                 \
    X(BinaryCrossentropy, "binary_crossentropy")                             \
    X(CategoricalCrossentropy, "categorical_crossentropy")                   \
    X(SparseCategoricalCrossentropy, "sparse_categorical_crossentropy")      \
    X(TopKCategoricalAccuracy, "top_k_categorical_accuracy")                 \
    X(SparseTopKCategoricalAccuracy, "sparse_top_k_categorical_accuracy")    \
    X(Precision, "precision")                                                \
    X(Recall, "recall")                                                      \
    X(AUC, "auc")

PMDL_DECLARE_ENUM(Metric, PMDL_METRICS)

#define PMDL_AUC_CURVES(X) X(ROC, "ROC") X(PR, "PR")
PMDL_DECLARE_ENUM(AucCurve, PMDL_AUC_CURVES)

#define PMDL_AUC_SUMMATIONS(X) X(Interpolation, "interpolation") X(Minoring, "minoring") X(Majoring, "majoring")
PMDL_DECLARE_ENUM(AucSummation, PMDL_AUC_SUMMATIONS)

struct MetricConfig {
    Metric kind = Metric::MSE;
    float threshold = 0.5f;    // BinaryAccuracy, Precision, Recall: positive iff p > threshold
    int k = 5;                 // top-k accuracies
    int num_thresholds = 200;  // AUC
    AucCurve curve = AucCurve::ROC;
    AucSummation summation = AucSummation::Interpolation;
    bool from_logits = false;  // AUC: p is a logit (sigmoid first); crossentropies: as the loss's flag
    MetricConfig() = default;
    MetricConfig(Metric m) : kind(m) {}  // NOLINT: a bare kind is a config with Keras' defaults
};

// One batch as a metric sees it: outputs p and targets y (rows x cols; one column of class indices for the
// sparse metrics), and the output layer's pre-activation z with its activation, from which the crossentropy
// metrics recover logits exactly as the loss does (Keras computes them so from a sigmoid/softmax output).
struct MetricBatch {
    const float* p = nullptr;
    const float* y = nullptr;
    const float* z = nullptr;  // null: p itself (linear output)
    Act act = Act::Linear;
    float alpha = 0.0f;
    int rows = 0, cols = 0;
};

// True for the metrics whose targets are one column of class indices (the sparse ones); the others read
// targets of the output's width.
bool metric_takes_labels(Metric m);

// Sum over the batch of a mean metric's per-sample value (the accuracies, mse, mae, ...).
double metric_batch(Metric metric, const float* p, const float* y, int rows, int cols, float threshold);

// The compiled metrics of a network with their running state; results() gives one value per metric.
class MetricSet {
public:
    explicit MetricSet(std::vector<MetricConfig> metrics = {});  // throws for an unknown kind or bad setting
    int size() const { return static_cast<int>(metrics_.size()); }
    const std::vector<MetricConfig>& configs() const { return metrics_; }
    void reset();
    void update(const MetricBatch& batch);
    void results(double samples, double* out) const;

private:
    std::vector<MetricConfig> metrics_;
    std::vector<long> offset_;   // where each metric's state starts in state_
    std::vector<double> state_;
};

}  // namespace pmdl
