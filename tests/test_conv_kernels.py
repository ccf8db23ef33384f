"""The convolution kernels (cpp/layers/conv2d.*, window.*) through their test hooks: forward against a
float64 direct convolution, input and kernel gradients against central finite differences, Keras'
padding arithmetic, and results that do not depend on the thread count."""

import numpy as np
import pytest

from pyminidl import _core

import conv_reference as ref
import finite_differences
from thread_counts import same_on_1_2_3_threads

CASES = [  # (x shape, kernel (kh, kw, f), strides, dilation, padding)
    ((2, 7, 6, 3), (3, 2, 4), (1, 1), (1, 1), "valid"),
    ((1, 7, 7, 2), (3, 3, 3), (2, 2), (1, 1), "same"),    # odd input, stride 2
    ((2, 8, 6, 2), (4, 3, 2), (2, 2), (1, 1), "same"),    # even input, even kernel: odd padding after
    ((1, 10, 9, 2), (3, 3, 2), (1, 1), (2, 2), "same"),   # dilation
    ((1, 9, 8, 2), (3, 2, 3), (1, 1), (2, 3), "valid"),
    ((3, 5, 5, 1), (1, 1, 4), (1, 1), (1, 1), "valid"),   # 1x1: the input is the patch matrix
    ((1, 1, 11, 3), (1, 3, 2), (1, 2), (1, 1), "same"),   # Conv1D as a height-1 window
    ((2, 6, 5, 3), (2, 2, 2), (3, 2), (1, 1), "valid"),
]


@pytest.mark.parametrize("n,k,s,d,out", [(7, 2, 1, 1, (0, 1)), (7, 4, 2, 1, (1, 2)), (8, 3, 2, 1, (0, 1)),
                                         (8, 4, 2, 1, (1, 1)), (10, 3, 1, 2, (2, 2))])
def test_same_padding_matches_the_keras_table(n, k, s, d, out):
    # KERAS_REFERENCE §12's checked cases; the reference's padding then pins the C++ one down below.
    assert ref.axis(n, k, s, d, "same")[1:] == out
    x = np.random.default_rng(0).normal(size=(1, 1, n, 1)).astype(np.float32)
    kernel = np.random.default_rng(1).normal(size=(1, k, 1, 1)).astype(np.float32)
    z, _ = _core._conv2d_forward(x, kernel, None, (1, s), (1, d), "same")
    np.testing.assert_allclose(z, ref.conv2d(x, kernel, None, (1, s), (1, d), "same"), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,kern,strides,dilation,padding", CASES)
def test_forward_matches_float64(shape, kern, strides, dilation, padding):
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=(kern[0], kern[1], shape[3], kern[2])).astype(np.float32)
    bias = rng.normal(size=kern[2]).astype(np.float32)
    z, y = _core._conv2d_forward(x, kernel, bias, strides, dilation, padding, _core.Act.relu)
    want = ref.conv2d(x, kernel, bias, strides, dilation, padding)
    np.testing.assert_allclose(z, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y, np.maximum(want, 0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,kern,strides,dilation,padding", CASES)
def test_gradients_match_finite_differences(shape, kern, strides, dilation, padding):
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=(kern[0], kern[1], shape[3], kern[2])).astype(np.float32)
    out = ref.conv2d(x, kernel, None, strides, dilation, padding)
    r = rng.normal(size=out.shape)  # the loss sum(out * r): its gradient with respect to out is r
    dx, dk, db = _core._conv2d_backward(x, kernel, r.astype(np.float32), strides, dilation, padding)
    gx = finite_differences.gradient(lambda v: (ref.conv2d(v, kernel, None, strides, dilation, padding) * r).sum(), x)
    gk = finite_differences.gradient(lambda v: (ref.conv2d(x, v, None, strides, dilation, padding) * r).sum(), kernel)
    np.testing.assert_allclose(dx, gx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dk, gk, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, r.sum(axis=(0, 1, 2)), rtol=1e-4, atol=1e-4)


def test_large_problem_is_chunked_and_thread_count_independent():
    # Many chunks of the patch matrix and several kernel-gradient groups; every thread count gives the same bits.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(9, 20, 17, 8)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 8, 24)).astype(np.float32)
    bias = rng.normal(size=24).astype(np.float32)
    dz = rng.normal(size=(9, 20, 17, 24)).astype(np.float32)
    z, dx, dk, db = same_on_1_2_3_threads(
        lambda: _core._conv2d_forward(x, kernel, bias, (1, 1), (1, 1), "same")[:1] +
        tuple(_core._conv2d_backward(x, kernel, dz, (1, 1), (1, 1), "same")))
    np.testing.assert_allclose(z, ref.conv2d(x, kernel, bias, padding="same"), rtol=1e-4, atol=1e-4)
    # Linear in x and in the kernel: the reference gradients are the adjoint convolutions, checked here
    # through <dz, conv(x, dk-direction)> identities instead of finite differences over 24k entries.
    v = rng.normal(size=x.shape)
    assert np.isclose((dx * v).sum(), (ref.conv2d(v, kernel, padding="same") * dz).sum(), rtol=1e-4)
    w = rng.normal(size=kernel.shape)
    assert np.isclose((dk * w).sum(), (ref.conv2d(x, w, padding="same") * dz).sum(), rtol=1e-4)
    np.testing.assert_allclose(db, dz.astype(np.float64).sum(axis=(0, 1, 2)), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("shape,kern,strides,dilation,padding", [
    ((5, 23, 19, 3), (3, 3, 40), (1, 1), (1, 1), "same"),   # 27 taps; 40 filters: two panels and a partial one
    ((4, 30, 21, 1), (3, 3, 17), (2, 1), (1, 2), "valid"),  # mnist_convnet's first layer's 9 taps, strided, dilated
    ((3, 1, 700, 4), (1, 5, 8), (1, 1), (1, 1), "same"),    # Conv1D-shaped: one row of windows, half a panel
])
def test_short_patch_path_is_exact_and_thread_count_independent(shape, kern, strides, dilation, padding):
    # Windows of at most 32 taps are read from the image by patch_product.cpp (no patch matrix); windows over
    # the border from zero-padded copies. Several chunks of 1,024 rows and kernel-gradient groups; every thread
    # count gives the same bits, and a sample's outputs are the same alone as in the batch.
    rng = np.random.default_rng(8)
    x = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=(kern[0], kern[1], shape[3], kern[2])).astype(np.float32)
    bias = rng.normal(size=kern[2]).astype(np.float32)
    want = ref.conv2d(x, kernel, bias, strides, dilation, padding)
    dz = rng.normal(size=want.shape).astype(np.float32)
    z, y, dx, dk, db = same_on_1_2_3_threads(
        lambda: _core._conv2d_forward(x, kernel, bias, strides, dilation, padding, _core.Act.relu) +
        tuple(_core._conv2d_backward(x, kernel, dz, strides, dilation, padding)))
    np.testing.assert_allclose(z, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(y, np.where(z < 0, 0, z))
    alone, _ = _core._conv2d_forward(x[-1:], kernel, bias, strides, dilation, padding)
    np.testing.assert_array_equal(alone, z[-1:])
    v = rng.normal(size=x.shape)
    assert np.isclose((dx * v).sum(), (ref.conv2d(v, kernel, None, strides, dilation, padding) * dz).sum(), rtol=1e-4)
    w = rng.normal(size=kernel.shape)
    assert np.isclose((dk * w).sum(), (ref.conv2d(x, w, None, strides, dilation, padding) * dz).sum(), rtol=1e-4)
    np.testing.assert_allclose(db, dz.astype(np.float64).sum(axis=(0, 1, 2)), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("channels", [5, 8])
def test_kernel_gradient_reads_patches_in_place_around_the_bias_row(channels):
    # The kernel gradient's GEMM (patchesᵀ · dz with a row of ones for the bias) reads the patch chunk in place
    # and packs only the 6-row panel holding the ones row: 45 taps put it inside a panel with 3 patch rows,
    # 72 taps in a panel of its own.
    rng = np.random.default_rng(9)
    x = rng.normal(size=(6, 12, 11, channels)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, channels, 20)).astype(np.float32)
    dz = rng.normal(size=(6, 12, 11, 20)).astype(np.float32)
    _, dk, db = _core._conv2d_backward(x, kernel, dz, (1, 1), (1, 1), "same")
    patches = np.zeros((6, 12, 11, 3, 3, channels))
    padded = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)))
    for i in range(3):
        for j in range(3):
            patches[:, :, :, i, j, :] = padded[:, i:i + 12, j:j + 11, :]
    want = patches.reshape(-1, 9 * channels).T @ dz.reshape(-1, 20).astype(np.float64)
    np.testing.assert_allclose(dk.reshape(9 * channels, 20), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, dz.astype(np.float64).sum(axis=(0, 1, 2)), rtol=1e-4, atol=1e-4)


def test_softmax_over_channels_and_batch_one():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 4, 4, 2)).astype(np.float32)
    kernel = rng.normal(size=(2, 2, 2, 5)).astype(np.float32)
    z, y = _core._conv2d_forward(x, kernel, None, (1, 1), (1, 1), "valid", _core.Act.softmax)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_bad_windows_raise():
    x = np.zeros((1, 3, 3, 1), np.float32)
    with pytest.raises(ValueError, match="larger than the input"):
        _core._conv2d_forward(x, np.zeros((4, 1, 1, 1), np.float32), None, (1, 1), (1, 1), "valid")
    with pytest.raises(ValueError, match="strides must be positive integers, got 0"):
        _core._conv2d_forward(x, np.zeros((1, 1, 1, 1), np.float32), None, (0, 1), (1, 1), "valid")
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same', got 'full'"):
        _core._conv2d_forward(x, np.zeros((1, 1, 1, 1), np.float32), None, (1, 1), (1, 1), "full")


def test_timing_hook_for_the_benchmark():
    """benchmarks/conv_layers.py's hook: three medians, positive; nonsense repeats refused by name."""
    x = np.ones((2, 6, 6, 3), np.float32)
    kernel = np.ones((3, 3, 3, 4), np.float32)
    times = _core._conv2d_time(x, kernel, (1, 1), (1, 1), "same", repeats=3)
    assert len(times) == 3 and all(t > 0 for t in times)
    with pytest.raises(ValueError, match="repeats .* got 0"):
        _core._conv2d_time(x, kernel, (1, 1), (1, 1), "same", repeats=0)
