// Activation functions, forward and backward, over a row-major block of rows x cols.
#pragma once

namespace pmdl {

// Keras' activation names; the Python side maps strings to these values (pyminidl/activations.py).
enum class Act : int {
    Linear, Relu, Sigmoid, Tanh, Softmax, Elu, Selu, Softplus, Softsign, Swish, Gelu,
    LeakyRelu, Relu6, HardSigmoid, Exponential, Mish, GeluApprox,
};

// y = f(z). `alpha` is the slope of leaky_relu and the scale of elu; softmax works along each row.
void act_forward(Act act, float alpha, const float* z, float* y, int rows, int cols);

// Every activation but softmax works element by element, so it can run on any block of a layer.
bool act_is_elementwise(Act act);

// act_forward for an elementwise activation (the caller checks act_is_elementwise) on a rows x cols
// block inside larger row-major arrays (row strides ldz, ldy): the dense layers' GEMM epilogue.
void act_forward_block(Act act, float alpha, const float* z, long ldz, float* y, long ldy, int rows, int cols);

// dz = dy * f'(z), given z, y = f(z) and dy. dz may alias dy.
void act_backward(Act act, float alpha, const float* z, const float* y, const float* dy, float* dz,
                  int rows, int cols);

// d *= f'(z) in place for an elementwise activation, on a rows x cols block of row-major arrays that
// share the row stride ld: the dense layers' input-gradient GEMM epilogue.
void act_backward_block(Act act, float alpha, const float* z, const float* y, float* d, long ld, int rows, int cols);

}  // namespace pmdl
