// Batch normalization kernels (batch_norm.h).
#include "batch_norm.h"

#include "../parallel.h"

#include <cmath>
#include <vector>

#include "window.h"

namespace pmdl {
namespace {

constexpr int kChannelBlock = 16;        // channels per work item of the reductions
constexpr double kThreadMinWork = kParallelFloatsMin;  // floats from which the passes use the threads

// fn(c0, c1) on blocks of channels, threads taking blocks (each channel's sums are one thread's).
template <class Fn>
void for_channel_blocks(long rows, int c, Fn&& fn) {
    const long blocks = (c + kChannelBlock - 1) / kChannelBlock;
    for_items(blocks, (double)rows * kChannelBlock, kThreadMinWork, [&](long b) {
        fn((int)(b * kChannelBlock), (int)std::min<long>(c, (b + 1) * kChannelBlock));
    });
}

// y = x * a + b (+ y with accumulate) per channel, rows split over the threads (elementwise: any split
// gives the same bits).
void scale_shift(long rows, int c, const float* x, const float* a, const float* b, float* y, bool accumulate = false) {
    const long block = std::max<long>(1, 4096 / c);
    for_items((rows + block - 1) / block, (double)block * c, kThreadMinWork, [&](long i) {
        for (long r = i * block; r < std::min(rows, (i + 1) * block); ++r)
            for (int ch = 0; ch < c; ++ch) y[r * c + ch] = x[r * c + ch] * a[ch] + b[ch] + (accumulate ? y[r * c + ch] : 0.0f);
    });
}

// a = gamma / sqrt(var + eps) and b = beta - mean * a, as tf.nn.batch_normalization forms them.
void coefficients(int c, const float* gamma, const float* beta, const float* mean, const float* var, float eps,
                  float* a, float* b) {
    for (int ch = 0; ch < c; ++ch) {
        float inv = 1.0f / std::sqrt(var[ch] + eps);
        if (gamma) inv *= gamma[ch];
        a[ch] = inv;
        b[ch] = (beta ? beta[ch] : 0.0f) - mean[ch] * inv;
    }
}

}  // namespace

void batch_norm_forward_train(long rows, int c, const float* x, const float* gamma, const float* beta, float eps,
                              float* mean, float* var, float* y) {
    for_channel_blocks(rows, c, [&](int c0, int c1) {
        double s[kChannelBlock] = {}, q[kChannelBlock] = {};
        for (long r = 0; r < rows; ++r)
            for (int ch = c0; ch < c1; ++ch) s[ch - c0] += x[r * c + ch];
        for (int ch = c0; ch < c1; ++ch) s[ch - c0] /= (double)rows;
        for (long r = 0; r < rows; ++r)
            for (int ch = c0; ch < c1; ++ch) {
                const double d = x[r * c + ch] - s[ch - c0];
                q[ch - c0] += d * d;
            }
        for (int ch = c0; ch < c1; ++ch) {
            mean[ch] = (float)s[ch - c0];
            var[ch] = (float)(q[ch - c0] / (double)rows);
        }
    });
    std::vector<float> a(c), b(c);
    coefficients(c, gamma, beta, mean, var, eps, a.data(), b.data());
    scale_shift(rows, c, x, a.data(), b.data(), y);
}

void batch_norm_update_moving(int c, float momentum, const float* mean, const float* var, float* moving_mean,
                              float* moving_var) {
    for (int ch = 0; ch < c; ++ch) {
        moving_mean[ch] = moving_mean[ch] * momentum + mean[ch] * (1.0f - momentum);
        moving_var[ch] = moving_var[ch] * momentum + var[ch] * (1.0f - momentum);
    }
}

void batch_norm_forward_infer(long rows, int c, const float* x, const float* gamma, const float* beta,
                              const float* moving_mean, const float* moving_var, float eps, float* y) {
    std::vector<float> a(c), b(c);
    coefficients(c, gamma, beta, moving_mean, moving_var, eps, a.data(), b.data());
    scale_shift(rows, c, x, a.data(), b.data(), y);
}

// dx = gamma * inv / N * (N * dy - dbeta - xhat * dgamma), xhat = (x - mean) * inv: the gradient through
// the output and through the batch mean and variance.
void batch_norm_backward_train(long rows, int c, const float* x, const float* mean, const float* var,
                               const float* gamma, float eps, const float* dy, float* dx, float* dgamma,
                               float* dbeta, bool accumulate) {
    std::vector<double> sum_dy(c), sum_dy_xhat(c);
    std::vector<float> inv(c);
    for (int ch = 0; ch < c; ++ch) inv[ch] = 1.0f / std::sqrt(var[ch] + eps);
    for_channel_blocks(rows, c, [&](int c0, int c1) {
        double s[kChannelBlock] = {}, t[kChannelBlock] = {};
        for (long r = 0; r < rows; ++r)
            for (int ch = c0; ch < c1; ++ch) {
                const double d = dy[r * c + ch];
                s[ch - c0] += d;
                t[ch - c0] += d * ((double)x[r * c + ch] - mean[ch]) * inv[ch];
            }
        for (int ch = c0; ch < c1; ++ch) sum_dy[ch] = s[ch - c0], sum_dy_xhat[ch] = t[ch - c0];
    });
    for (int ch = 0; ch < c; ++ch) {
        if (dgamma) dgamma[ch] = (float)sum_dy_xhat[ch];
        if (dbeta) dbeta[ch] = (float)sum_dy[ch];
    }
    if (!dx) return;
    // dx = k * dy + m * x + q per channel, k = gamma*inv, m = -k*inv*Σdy·xhat/N, q = -k*Σdy/N - m*mean.
    std::vector<float> k(c), m(c), q(c);
    for (int ch = 0; ch < c; ++ch) {
        const double kk = (gamma ? gamma[ch] : 1.0) * inv[ch];
        const double mm = -kk * inv[ch] * sum_dy_xhat[ch] / (double)rows;
        k[ch] = (float)kk;
        m[ch] = (float)mm;
        q[ch] = (float)(-kk * sum_dy[ch] / (double)rows - mm * mean[ch]);
    }
    const long block = std::max<long>(1, 4096 / c);
    for_items((rows + block - 1) / block, (double)block * c, kThreadMinWork, [&](long i) {
        for (long r = i * block; r < std::min(rows, (i + 1) * block); ++r)
            for (int ch = 0; ch < c; ++ch)
                dx[r * c + ch] = k[ch] * dy[r * c + ch] + m[ch] * x[r * c + ch] + q[ch] + (accumulate ? dx[r * c + ch] : 0.0f);
    });
}

void batch_norm_backward_infer(long rows, int c, const float* x, const float* gamma, const float* moving_mean,
                               const float* moving_var, float eps, const float* dy, float* dx, float* dgamma,
                               float* dbeta, bool accumulate) {
    std::vector<float> inv(c);
    for (int ch = 0; ch < c; ++ch) inv[ch] = 1.0f / std::sqrt(moving_var[ch] + eps);
    if (dgamma || dbeta)
        for_channel_blocks(rows, c, [&](int c0, int c1) {
            double s[kChannelBlock] = {}, t[kChannelBlock] = {};
            for (long r = 0; r < rows; ++r)
                for (int ch = c0; ch < c1; ++ch) {
                    const double d = dy[r * c + ch];
                    s[ch - c0] += d;
                    t[ch - c0] += d * ((double)x[r * c + ch] - moving_mean[ch]) * inv[ch];
                }
            for (int ch = c0; ch < c1; ++ch) {
                if (dbeta) dbeta[ch] = (float)s[ch - c0];
                if (dgamma) dgamma[ch] = (float)t[ch - c0];
            }
        });
    if (!dx) return;
    std::vector<float> k(c), zero(c, 0.0f);
    for (int ch = 0; ch < c; ++ch) k[ch] = (gamma ? gamma[ch] : 1.0f) * inv[ch];
    scale_shift(rows, c, dy, k.data(), zero.data(), dx, accumulate);
}

}  // namespace pmdl

// --- the layer kind "batch_normalization" ----------------------------------------------------------

#include <stdexcept>

namespace pmdl {

BatchNorm::BatchNorm(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    if (inputs[0].empty()) throw std::invalid_argument("batch_normalization needs inputs with a channel axis");
    c_ = inputs[0].back();
    cells_ = shape_size(inputs[0]) / c_;
    momentum_ = (float)attrs.number("momentum", 0.0, 1.0, 0.99);
    eps_ = (float)attrs.number("epsilon", 1e-30, 1e30, 1e-3);
    center_ = attrs.flag("center", true);
    scale_ = attrs.flag("scale", true);
    trainable_ = attrs.flag("trainable", true);
    out_shape_ = inputs[0];
    int i = 0;
    if (scale_) { gamma_ = i++; param_specs_.push_back({"gamma", {c_}, trainable_}); }
    if (center_) { beta_ = i++; param_specs_.push_back({"beta", {c_}, trainable_}); }
    mean_ = i++;
    var_ = i++;
    param_specs_.push_back({"moving_mean", {c_}, false});
    param_specs_.push_back({"moving_variance", {c_}, false});
    batch_mean_.resize(c_);
    batch_var_.resize(c_);
}

void BatchNorm::reserve(int rows) { y_.resize((long)rows * output_size()); }

const float* BatchNorm::forward(const ForwardArgs& args) {
    x_ = args.in[0];
    const long rows = (long)args.rows * cells_;
    const float* gamma = scale_ ? params[gamma_] : nullptr;
    const float* beta = center_ ? params[beta_] : nullptr;
    trained_ = args.training && trainable_;
    if (trained_) {
        batch_norm_forward_train(rows, c_, x_, gamma, beta, eps_, batch_mean_.data(), batch_var_.data(), y_.data());
        batch_norm_update_moving(c_, momentum_, batch_mean_.data(), batch_var_.data(), params[mean_], params[var_]);
    } else {
        batch_norm_forward_infer(rows, c_, x_, gamma, beta, params[mean_], params[var_], eps_, y_.data());
    }
    return y_.data();
}

void BatchNorm::backward(BackwardArgs& args) {
    const long rows = (long)args.rows * cells_;
    const float* gamma = scale_ ? params[gamma_] : nullptr;
    float* dgamma = scale_ && trainable_ ? grads[gamma_] : nullptr;
    float* dbeta = center_ && trainable_ ? grads[beta_] : nullptr;
    InputGrad& in = args.in[0];
    if (trained_)
        batch_norm_backward_train(rows, c_, x_, batch_mean_.data(), batch_var_.data(), gamma, eps_, args.dout, in.d,
                                  dgamma, dbeta, in.accumulate);
    else
        batch_norm_backward_infer(rows, c_, x_, gamma, params[mean_], params[var_], eps_, args.dout, in.d, dgamma,
                                  dbeta, in.accumulate);
}

PMDL_REGISTER_LAYER("batch_normalization", BatchNorm);

}  // namespace pmdl
