// Convolution kernels (Conv2D, and Conv1D as a window of height 1), channels last, Keras' kernel layout
// (kh, kw, in, filters), routed through our GEMM: each output position is a row of the patch matrix
// (window.h) times the kernel read as a (kh*kw*in) x filters matrix.
#pragma once

#include "../activations.h"
#include "window.h"

namespace pmdl {

// z = patches(x) · kernel (+ bias), y = act(z); x is g.n images (g.y.in, g.x.in, g.c), z and y are
// g.rows() x filters. y may be z (the activation in place: linear, relu); bias may be nullptr.
// Bias and an elementwise activation run in the GEMM's epilogue on each block while it is in cache.
void conv2d_forward(const Window& g, int filters, const float* x, const float* kernel, const float* bias, Act act,
                    float alpha, float* z, float* y);

// Input gradient: dx = col2im(dz · kernelᵀ), dx overwritten (g.n images), or added to with accumulate.
void conv2d_backward_data(const Window& g, int filters, const float* dz, const float* kernel, float* dx,
                          bool accumulate = false);

// Kernel and bias gradients: dkernel = patches(x)ᵀ · dz, dbias = column sums of dz (nullptr: none);
// both overwritten.
void conv2d_backward_filter(const Window& g, int filters, const float* x, const float* dz, float* dkernel,
                            float* dbias);

}  // namespace pmdl

#include "layer.h"

namespace pmdl {

// The layer kinds "conv2d" (input (h, w, c), kernel (kh, kw, c, filters)) and "conv1d" (input (steps, c),
// kernel (k, c, filters): a window of height 1). Attributes: filters, kernel_size, strides, dilation_rate
// (one entry per spatial axis), padding (0 valid, 1 same, 2 causal: conv1d only), activation, alpha,
// use_bias. The activation is reported to the graph (as Dense does): backward receives d loss / d z.
class Conv : public Layer {
public:
    Conv(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;
    ActInfo activation() const override { return {act_, alpha_, z_.data(), out_}; }

private:
    bool output_in_z() const { return act_ == Act::Linear || act_ == Act::Relu; }
    Window window(int rows) const { Window g = geometry_; g.n = rows; return g; }
    Window geometry_;  // n set per call
    int filters_ = 0;
    Act act_ = Act::Linear;
    float alpha_ = 0.0f;
    bool use_bias_ = true;
    Floats z_, a_;
    const float* x_ = nullptr;
    const float* out_ = nullptr;
};

}  // namespace pmdl
