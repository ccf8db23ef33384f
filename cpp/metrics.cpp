// Metric definitions as in Keras 3 (keras/src/metrics/accuracy_metrics.py, regression_metrics.py).
#include "metrics.h"

#include <cmath>

namespace pmdl {

namespace {

int argmax(const float* v, int n) {  // first index wins ties, like Keras
    int best = 0;
    for (int i = 1; i < n; ++i)
        if (v[i] > v[best]) best = i;
    return best;
}

}  // namespace

double metric_batch(Metric metric, const float* p, const float* y, int rows, int cols, float threshold) {
    check_enum(metric, "metric");
    double total = 0.0;
    for (int r = 0; r < rows; ++r) {
        const float* pr = p + (long)r * cols;
        switch (metric) {
            case Metric::BinaryAccuracy: {  // mean over the last axis of (p > threshold) == y
                const float* yr = y + (long)r * cols;
                int hits = 0;
                for (int c = 0; c < cols; ++c) hits += ((pr[c] > threshold) ? 1.0f : 0.0f) == yr[c];
                total += static_cast<double>(hits) / cols;
                break;
            }
            case Metric::CategoricalAccuracy:
                total += argmax(y + (long)r * cols, cols) == argmax(pr, cols);
                break;
            case Metric::SparseCategoricalAccuracy:
                total += static_cast<float>(argmax(pr, cols)) == y[r];
                break;
            case Metric::MSE:
            case Metric::MAE: {
                const float* yr = y + (long)r * cols;
                double s = 0.0;
                for (int c = 0; c < cols; ++c) {
                    double e = pr[c] - yr[c];
                    s += metric == Metric::MSE ? e * e : std::fabs(e);
                }
                total += s / cols;
                break;
            }
        }
    }
    return total;
}

}  // namespace pmdl
