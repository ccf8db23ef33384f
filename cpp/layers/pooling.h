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
