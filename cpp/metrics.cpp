// Metric definitions as in Keras 3 (keras/src/metrics/accuracy_metrics.py, regression_metrics.py,
// probabilistic_metrics.py, confusion_metrics.py, metrics_utils.py); eps = 1e-7 as Keras' epsilon().
#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "losses.h"

namespace pmdl {

namespace {

constexpr double kEps = 1e-7;

int argmax(const float* v, int n) {  // first index wins ties, like Keras
    int best = 0;
    for (int i = 1; i < n; ++i)
        if (v[i] > v[best]) best = i;
    return best;
}

bool is_mean(Metric m) { return m != Metric::Precision && m != Metric::Recall && m != Metric::AUC; }
bool is_crossentropy(Metric m) {
    return m == Metric::BinaryCrossentropy || m == Metric::CategoricalCrossentropy ||
           m == Metric::SparseCategoricalCrossentropy;
}

// in_top_k: the target's prediction has fewer than k predictions strictly above it (ties at the
// boundary count as hits, so all-equal predictions always hit).
bool in_top_k(const float* p, int cols, int target, int k) {
    int above = 0;
    for (int c = 0; c < cols; ++c) above += p[c] > p[target];
    return above < k;
}

// Sum over the rows of a mean metric's per-sample value (mean over the last axis where Keras takes one).
double mean_metric_sum(const MetricConfig& cfg, const MetricBatch& b) {
    const Metric m = cfg.kind;
    if (is_crossentropy(m)) {  // the loss's own formula, logits recovered from a sigmoid/softmax output
        LossConfig loss;
        loss.from_logits = cfg.from_logits;
        loss.kind = m == Metric::BinaryCrossentropy        ? Loss::BinaryCrossentropy
                    : m == Metric::CategoricalCrossentropy ? Loss::CategoricalCrossentropy
                                                           : Loss::SparseCategoricalCrossentropy;
        return loss_batch(loss, b.z ? b.act : Act::Linear, b.alpha, b.z ? b.z : b.p, b.p, b.y, nullptr, b.rows,
                          b.cols, 1.0f, nullptr);
    }
    if (m == Metric::BinaryAccuracy || m == Metric::CategoricalAccuracy || m == Metric::SparseCategoricalAccuracy ||
        m == Metric::MSE || m == Metric::MAE)
        return metric_batch(m, b.p, b.y, b.rows, b.cols, cfg.threshold);
    double total = 0.0;
    const int cols = b.cols;
    for (int r = 0; r < b.rows; ++r) {
        const float* pr = b.p + (long)r * cols;
        const float* yr = b.y + (long)r * (metric_takes_labels(m) ? 1 : cols);
        double s = 0.0;
        switch (m) {
            case Metric::MAPE:  // 100 * mean |y - p| / max(|y|, eps)
                for (int c = 0; c < cols; ++c)
                    s += std::fabs((double)yr[c] - pr[c]) / std::max(std::fabs((double)yr[c]), kEps);
                total += 100.0 * s / cols;
                break;
            case Metric::MSLE:  // mean (log(max(p, eps) + 1) - log(max(y, eps) + 1))^2
                for (int c = 0; c < cols; ++c) {
                    const double d =
                        std::log1p(std::max((double)pr[c], kEps)) - std::log1p(std::max((double)yr[c], kEps));
                    s += d * d;
                }
                total += s / cols;
                break;
            case Metric::CosineSimilarity: {  // sum y/max(|y|, eps) * p/max(|p|, eps) (keras.ops.normalize)
                double yy = 0.0, pp = 0.0;
                for (int c = 0; c < cols; ++c) {
                    yy += (double)yr[c] * yr[c];
                    pp += (double)pr[c] * pr[c];
                    s += (double)yr[c] * pr[c];
                }
                total += s / (std::max(std::sqrt(yy), kEps) * std::max(std::sqrt(pp), kEps));
                break;
            }
            case Metric::TopKCategoricalAccuracy:
                total += in_top_k(pr, cols, argmax(yr, cols), cfg.k);
                break;
            case Metric::SparseTopKCategoricalAccuracy: {
                const int label = static_cast<int>(yr[0]);
                if (!(yr[0] >= 0.0f) || label >= cols || static_cast<float>(label) != yr[0])
                    throw std::out_of_range("sparse label " + std::to_string(yr[0]) + " is not an integer in [0, " +
                                            std::to_string(cols) + ")");
                total += in_top_k(pr, cols, label, cfg.k);
                break;
            }
            default:
                throw std::invalid_argument("not a mean metric: " + std::to_string(static_cast<int>(m)));
        }
    }
    return total;
}

float prediction(const MetricConfig& cfg, float p) { return cfg.from_logits ? 1.0f / (1.0f + std::exp(-p)) : p; }

// Precision [tp, fp], Recall [tp, fn]: every entry is a prediction; positive label iff y != 0 (Keras casts
// labels to bool), positive prediction iff p > threshold.
void update_counts(const MetricConfig& cfg, const MetricBatch& b, double* state) {
    const long n = (long)b.rows * b.cols;
    for (long i = 0; i < n; ++i) {
        const bool label = b.y[i] != 0.0f, predicted = prediction(cfg, b.p[i]) > cfg.threshold;
        if (cfg.kind == Metric::Precision) {
            state[0] += label && predicted;
            state[1] += !label && predicted;
        } else {
            state[0] += label && predicted;
            state[1] += label && !predicted;
        }
    }
}

// AUC: Keras' evenly spaced thresholds (-eps, 1/(T-1), ..., (T-2)/(T-1), 1+eps) through its bucketing,
// bucket = ceil(p * (T-1)) - 1 clamped to [0, T-1]; p counts as positive at threshold i iff bucket >= i.
// Labels weigh y as positive and 1 - y as negative. State: positives per bucket, then negatives per bucket.
void update_auc(const MetricConfig& cfg, const MetricBatch& b, double* state) {
    const int T = cfg.num_thresholds;
    const long n = (long)b.rows * b.cols;
    for (long i = 0; i < n; ++i) {
        const float p = prediction(cfg, b.p[i]);
        float bucket = std::ceil(p * static_cast<float>(T - 1)) - 1.0f;
        const int k = std::isnan(p) ? 0 : static_cast<int>(std::min(std::max(bucket, 0.0f), (float)(T - 1)));
        state[k] += b.y[i];
        state[T + k] += 1.0f - b.y[i];
    }
}

double ratio(double a, double b) { return b > 0.0 ? a / b : 0.0; }  // Keras' divide_no_nan

double auc_result(const MetricConfig& cfg, const double* state) {
    const int T = cfg.num_thresholds;
    std::vector<double> tp(T), fp(T);
    double cum_p = 0.0, cum_n = 0.0;
    for (int i = T - 1; i >= 0; --i) {
        cum_p += state[i];
        cum_n += state[T + i];
        tp[i] = cum_p;
        fp[i] = cum_n;
    }
    const double pos = cum_p, neg = cum_n;
    double auc = 0.0;
    if (cfg.curve == AucCurve::PR && cfg.summation == AucSummation::Interpolation) {
        // Davis & Goadrich: precision interpolated with TP and P = TP + FP linear between thresholds.
        for (int i = 0; i + 1 < T; ++i) {
            const double dtp = tp[i] - tp[i + 1], p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
            const double slope = ratio(dtp, std::max(p0 - p1, 0.0));
            const double intercept = tp[i + 1] - slope * p1;
            const double log_ratio = (p0 > 0.0 && p1 > 0.0) ? std::log(ratio(p0, std::max(p1, 0.0))) : 0.0;
            auc += ratio(slope * (dtp + intercept * log_ratio), std::max(pos, 0.0));
        }
        return auc;
    }
    for (int i = 0; i + 1 < T; ++i) {
        double x0, x1, y0, y1;
        if (cfg.curve == AucCurve::ROC) {
            x0 = ratio(fp[i], neg), x1 = ratio(fp[i + 1], neg);
            y0 = ratio(tp[i], pos), y1 = ratio(tp[i + 1], pos);
        } else {  // PR with minoring/majoring: x recall, y precision
            x0 = ratio(tp[i], pos), x1 = ratio(tp[i + 1], pos);
            y0 = ratio(tp[i], tp[i] + fp[i]), y1 = ratio(tp[i + 1], tp[i + 1] + fp[i + 1]);
        }
        const double h = cfg.summation == AucSummation::Interpolation ? (y0 + y1) / 2
                         : cfg.summation == AucSummation::Minoring    ? std::min(y0, y1)
                                                                      : std::max(y0, y1);
        auc += (x0 - x1) * h;
    }
    return auc;
}

long state_size(const MetricConfig& cfg) {
    if (cfg.kind == Metric::AUC) return 2L * cfg.num_thresholds;
    return is_mean(cfg.kind) ? 1 : 2;
}

}  // namespace

bool metric_takes_labels(Metric m) {
    return m == Metric::SparseCategoricalAccuracy || m == Metric::SparseCategoricalCrossentropy ||
           m == Metric::SparseTopKCategoricalAccuracy;
}

double metric_batch(Metric metric, const float* p, const float* y, int rows, int cols, float threshold) {
    check_enum(metric, "metric");
    if (!is_mean(metric))
        throw std::invalid_argument("metric_batch: not a mean metric code " + std::to_string(static_cast<int>(metric)));
    if (static_cast<int>(metric) > static_cast<int>(Metric::MAE)) {  // the metrics added with MetricSet
        MetricConfig cfg(metric);
        cfg.threshold = threshold;
        MetricBatch b;
        b.p = p, b.y = y, b.rows = rows, b.cols = cols;
        return mean_metric_sum(cfg, b);
    }
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
            default: {  // MSE, MAE
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

MetricSet::MetricSet(std::vector<MetricConfig> metrics) : metrics_(std::move(metrics)) {
    long at = 0;
    for (const MetricConfig& m : metrics_) {
        check_enum(m.kind, "metric");
        check_enum(m.curve, "AUC curve");
        check_enum(m.summation, "AUC summation");
        if (m.kind == Metric::AUC && (m.num_thresholds < 2 || m.num_thresholds > (1 << 20)))
            throw std::invalid_argument("AUC num_thresholds must be in [2, 2^20], got " +
                                        std::to_string(m.num_thresholds));
        if (m.k < 1) throw std::invalid_argument("top-k metrics need k >= 1, got " + std::to_string(m.k));
        offset_.push_back(at);
        at += state_size(m);
    }
    state_.assign(at, 0.0);
}

void MetricSet::reset() { std::fill(state_.begin(), state_.end(), 0.0); }

void MetricSet::update(const MetricBatch& batch) {
    for (size_t i = 0; i < metrics_.size(); ++i) {
        const MetricConfig& m = metrics_[i];
        double* s = state_.data() + offset_[i];
        if (m.kind == Metric::AUC) update_auc(m, batch, s);
        else if (!is_mean(m.kind)) update_counts(m, batch, s);
        else s[0] += mean_metric_sum(m, batch);
    }
}

void MetricSet::results(double samples, double* out) const {
    for (size_t i = 0; i < metrics_.size(); ++i) {
        const MetricConfig& m = metrics_[i];
        const double* s = state_.data() + offset_[i];
        if (m.kind == Metric::AUC) out[i] = auc_result(m, s);
        else if (!is_mean(m.kind)) out[i] = ratio(s[0], s[0] + s[1]);  // tp / (tp + fp) or tp / (tp + fn)
        else out[i] = samples > 0 ? s[0] / samples : 0.0;
    }
}

}  // namespace pmdl
