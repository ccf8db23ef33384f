// Batch normalization kernels over the last axis (Keras' axis=-1) of rows x c activations, any rank
// flattened to rows (KERAS_REFERENCE §14): training uses the batch's mean and biased variance and moves
// the moving statistics by `momentum`; inference uses the moving statistics. gamma/beta may be nullptr
// (scale=False / center=False). The output is y = x * a + b with a = gamma / sqrt(var + eps) and
// b = beta - mean * a, tf.nn.batch_normalization's form. Sums are taken in double, split over channels
// (never over rows), so results do not depend on the thread count.
#pragma once

namespace pmdl {

// Training forward: mean and var (biased) of each channel over the rows into mean/var, y normalized.
void batch_norm_forward_train(long rows, int c, const float* x, const float* gamma, const float* beta, float eps,
                              float* mean, float* var, float* y);

// moving = moving * momentum + batch * (1 - momentum), Keras' assign, for the mean and the variance.
void batch_norm_update_moving(int c, float momentum, const float* mean, const float* var, float* moving_mean,
                              float* moving_var);

// Inference forward with the moving statistics.
void batch_norm_forward_infer(long rows, int c, const float* x, const float* gamma, const float* beta,
                              const float* moving_mean, const float* moving_var, float eps, float* y);

// Training backward through the batch statistics (mean, var from the forward): dx overwritten (may be
// nullptr; added to with accumulate), dgamma / dbeta overwritten when not nullptr.
void batch_norm_backward_train(long rows, int c, const float* x, const float* mean, const float* var,
                               const float* gamma, float eps, const float* dy, float* dx, float* dgamma,
                               float* dbeta, bool accumulate = false);

// Inference backward (statistics constant): dx = dy * gamma / sqrt(moving_var + eps); dgamma, dbeta as above.
void batch_norm_backward_infer(long rows, int c, const float* x, const float* gamma, const float* moving_mean,
                               const float* moving_var, float eps, const float* dy, float* dx, float* dgamma,
                               float* dbeta, bool accumulate = false);

}  // namespace pmdl

#include "layer.h"

namespace pmdl {

// The layer kind "batch_normalization" over the last axis of any input shape. Attributes: momentum,
// epsilon, center, scale, trainable (0: Keras' frozen layer, always in inference mode, gamma and beta
// not trained). Parameters in Keras' order: gamma (scale), beta (center), moving_mean, moving_variance,
// the last two non-trainable; training-mode forwards update them (Keras 3's formulas, batch_norm.h).
class BatchNorm : public Layer {
public:
    BatchNorm(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    int c_ = 0;
    long cells_ = 1;  // rows of c channels per sample
    float momentum_ = 0.99f, eps_ = 1e-3f;
    bool center_ = true, scale_ = true, trainable_ = true;
    bool trained_ = false;  // the last forward used the batch statistics
    int gamma_ = -1, beta_ = -1, mean_ = 0, var_ = 1;  // parameter indices (-1: absent)
    Floats y_;
    std::vector<float> batch_mean_, batch_var_;
    const float* x_ = nullptr;
};

}  // namespace pmdl
