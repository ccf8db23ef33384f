"""Pooling kernels (cpp/layers/pooling.*) through their test hooks: Keras' values from KERAS_REFERENCE §13
(padded cells never count, 'same' averages over the real cells, NaN skipped by max pooling), float64
references, and input gradients by finite differences."""

import numpy as np
import pytest

from pyminidl import _core

import conv_reference as ref
import finite_differences

CASES = [  # (x shape, pool, strides, padding)
    ((2, 6, 5, 3), (2, 2), (2, 2), "valid"),
    ((1, 5, 5, 2), (2, 2), (2, 2), "same"),    # odd input: a ragged last window
    ((2, 6, 6, 1), (3, 3), (2, 2), "same"),    # even input, overlapping windows
    ((1, 7, 4, 2), (3, 2), (1, 1), "valid"),
    ((1, 1, 9, 2), (1, 2), (1, 2), "same"),    # 1-D
]


def test_keras_same_padding_values():
    x = -np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)
    y = _core._pool2d_forward("max", x, (2, 2), (2, 2), "same")
    np.testing.assert_array_equal(y[0, :, :, 0], [[-1, -3], [-7, -9]])
    y = _core._pool2d_forward("avg", -x, (2, 2), (2, 2), "same")
    np.testing.assert_array_equal(y[0, :, :, 0], [[3, 4.5], [7.5, 9]])
    x5 = np.arange(5, dtype=np.float32).reshape(1, 1, 5, 1)
    assert _core._pool2d_forward("max", x5, (1, 2), (1, 2), "valid").shape == (1, 1, 2, 1)


def test_max_pooling_skips_nan():
    x = np.array([[np.nan, 2, 5, 6], [np.nan] * 4], np.float32).reshape(1, 2, 4, 1)
    y = _core._pool2d_forward("max", x, (1, 4), (1, 4), "valid")
    assert y[0, 0, 0, 0] == 6
    assert y[0, 1, 0, 0] == np.float32(-3.4028235e38)
    dx = _core._pool2d_backward("max", x, np.ones((1, 2, 1, 1), np.float32), (1, 4), (1, 4), "valid")
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 0, 0, 1], [0, 0, 0, 0]])  # an all-NaN window: no gradient
    assert np.isnan(_core._pool2d_forward("avg", x, (1, 4), (1, 4), "valid")[0, 0, 0, 0])


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape,pool,strides,padding", CASES)
def test_forward_and_gradient(kind, shape, pool, strides, padding):
    rng = np.random.default_rng(6)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float32) / 7  # distinct: the max is unique
    y = _core._pool2d_forward(kind, x, pool, strides, padding)
    want = ref.pool2d(x, pool, strides, padding, kind)
    np.testing.assert_allclose(y, want, rtol=1e-6)
    r = rng.normal(size=want.shape)
    dx = _core._pool2d_backward(kind, x, r.astype(np.float32), pool, strides, padding)
    g = finite_differences.gradient(lambda v: (ref.pool2d(v, pool, strides, padding, kind) * r).sum(), x, h=1e-4)
    np.testing.assert_allclose(dx, g, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_global_pooling(kind):
    rng = np.random.default_rng(7)
    x = rng.permutation(2 * 7 * 3).reshape(2, 7, 3).astype(np.float32)
    y = _core._global_pool(kind, x)
    f = (lambda v: v.max(axis=1)) if kind == "max" else (lambda v: v.mean(axis=1))
    np.testing.assert_allclose(y, f(x.astype(np.float64)), rtol=1e-6)
    r = rng.normal(size=y.shape)
    dx = _core._global_pool(kind, x, r.astype(np.float32))
    g = finite_differences.gradient(lambda v: (f(v) * r).sum(), x, h=1e-3)
    np.testing.assert_allclose(dx, g, rtol=1e-4, atol=1e-6)


def test_global_max_propagates_nan_and_shares_ties():
    x = np.array([[[1, np.nan], [3, 2], [3, 0]]], np.float32)  # (1, 3 cells, 2 channels)
    y = _core._global_pool("max", x)
    assert y[0, 0] == 3 and np.isnan(y[0, 1])
    dx = _core._global_pool("max", x, np.array([[4, 1]], np.float32))
    np.testing.assert_array_equal(dx[0, :, 0], [0, 2, 2])  # TF's reduce_max gradient: ties share it
    assert np.isnan(dx[0, :, 1]).all()
