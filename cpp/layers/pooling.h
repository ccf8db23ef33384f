// Pooling kernels, channels last: windowed max and average (MaxPooling1D/2D, AveragePooling1D/2D: a 1-D
// window has height 1) and the global ones (GlobalMax/AveragePooling1D/2D over all spatial cells).
// Forward passes keep what their backward needs (the max's position); threads split images or
// channels, never a sum, so results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "window.h"

namespace pmdl {

// y (g.rows() x g.c) = the max over each window's real cells (padding never counts). NaN is skipped as
// TF's CPU kernel does; a window of NaN only gives the lowest float32 (KERAS_REFERENCE §13). argmax
// receives, per output, the offset within its image of the input cell taken (-1: none, no gradient).
void maxpool_forward(const Window& g, const float* x, float* y, int32_t* argmax);
// dx = dy routed to the cells argmax names, added in window order where windows overlap. Every backward
// here overwrites dx, or adds to it with accumulate (another consumer of the input wrote it first).
void maxpool_backward(const Window& g, const float* dy, const int32_t* argmax, float* dx, bool accumulate = false);

// y = the mean over each window's real cells (Keras divides by the real cells only under 'same').
void avgpool_forward(const Window& g, const float* x, float* y);
void avgpool_backward(const Window& g, const float* dy, float* dx, bool accumulate = false);

// Global pooling of n samples of `cells` spatial cells x c channels into n x c.
void global_avgpool_forward(int n, long cells, int c, const float* x, float* y);
void global_avgpool_backward(int n, long cells, int c, const float* dy, float* dx, bool accumulate = false);
// The max propagates NaN (tf.reduce_max); its gradient is shared equally by the cells equal to the max,
// as TF's reduce_max gradient does (NaN max: NaN gradient for the channel).
void global_maxpool_forward(int n, long cells, int c, const float* x, float* y);
void global_maxpool_backward(int n, long cells, int c, const float* x, const float* y, const float* dy, float* dx,
                             bool accumulate = false);

}  // namespace pmdl

#include "layer.h"

namespace pmdl {

// The layer kinds "max_pooling2d", "average_pooling2d" (input (h, w, c)) and "max_pooling1d",
// "average_pooling1d" (input (steps, c)). Attributes: pool_size, strides (one entry per spatial axis),
// padding (0 valid, 1 same).
class Pooling : public Layer {
public:
    Pooling(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    long floats_per_row() const override { return 3 * output_size() + (max_ ? output_size() : 0); }
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    Window window(int rows) const { Window g = geometry_; g.n = rows; return g; }
    Window geometry_;
    bool max_ = true;
    Floats y_;
    std::vector<int32_t> argmax_;
};

// The layer kinds "global_max_pooling2d", "global_average_pooling2d", "global_max_pooling1d",
// "global_average_pooling1d": (..., c) -> (c,), or (1, 1, c) / (1, c) with keepdims (same floats).
class GlobalPooling : public Layer {
public:
    GlobalPooling(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;

private:
    bool max_ = true;
    long cells_ = 0;
    int c_ = 0;
    Floats y_;
    const float* x_ = nullptr;
};

}  // namespace pmdl
