// Metrics accumulated over an epoch: a per-sample value summed, divided by the sample count in Python.
#pragma once

namespace pmdl {

enum class Metric : int { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, MSE, MAE };

// Sum over `rows` samples of the metric's per-sample value (predictions p, targets y; y has one
// column of class indices for sparse accuracy). Sample weights do not apply, as in Keras' `metrics=`.
double metric_batch(Metric metric, const float* p, const float* y, int rows, int cols, float threshold);

}  // namespace pmdl
