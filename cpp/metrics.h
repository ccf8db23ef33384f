// Metrics accumulated over an epoch: a per-sample value summed, divided by the sample count in Python.
#pragma once

#include "enum_list.h"

namespace pmdl {

// X(Member, "keras_name"), in value order: append only. Python's metric names follow it (pyminidl/metrics.py).
#define PMDL_METRICS(X)                                         \
    X(BinaryAccuracy, "binary_accuracy")                        \
    X(CategoricalAccuracy, "categorical_accuracy")              \
    X(SparseCategoricalAccuracy, "sparse_categorical_accuracy") \
    X(MSE, "mse")                                               \
    X(MAE, "mae")

PMDL_DECLARE_ENUM(Metric, PMDL_METRICS)

// Sum over `rows` samples of the metric's per-sample value (predictions p, targets y; y has one
// column of class indices for sparse accuracy). Sample weights do not apply, as in Keras' `metrics=`.
double metric_batch(Metric metric, const float* p, const float* y, int rows, int cols, float threshold);

}  // namespace pmdl
