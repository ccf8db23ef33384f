"""model(x) and the tf.* helpers: TensorFlow's dtypes, repr and `.numpy()`, values from float64 NumPy."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl.tensor import Tensor


def test_model_call_returns_a_float32_tensor_equal_to_predict():
    model = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(4,), activation="tanh")])
    x = np.random.rand(5, 4)  # float64 in, float32 out, as tf.keras
    out = model(x)
    assert isinstance(out, Tensor) and isinstance(out, np.ndarray)
    assert out.dtype == np.float32 and out.shape == (5, 3)
    np.testing.assert_array_equal(out.numpy(), model.predict(x))
    assert type(out.numpy()) is np.ndarray
    np.testing.assert_array_equal(model(x, training=False), out)
    with pytest.raises(NotImplementedError, match="training=True"):
        model(x, training=True)


def test_repr_is_tensorflows():
    t = tf.constant([[0.42488742], [0.37710112]])
    assert repr(t) == ("<tf.Tensor: shape=(2, 1), dtype=float32, numpy=\narray([[0.42488742],\n"
                       "       [0.37710112]], dtype=float32)>")
    assert repr(tf.constant(2.3025851)) == "<tf.Tensor: shape=(), dtype=float32, numpy=2.3025851>"
    assert repr(tf.constant([1, 2])) == "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>"
    assert tf.constant(2.5).numpy() == np.float32(2.5) and np.ndim(tf.constant(2.5).numpy()) == 0


def test_print_is_tensorflows():
    assert str(tf.constant([[1.5, 2], [3, 4]])) == ("tf.Tensor(\n[[1.5 2. ]\n [3.  4. ]], shape=(2, 2), "
                                                     "dtype=float32)")
    assert str(tf.constant(2.5)) == "tf.Tensor(2.5, shape=(), dtype=float32)"
    assert str(tf.constant([1, 2])) == "tf.Tensor([1 2], shape=(2,), dtype=int32)"
    assert f"{tf.constant(2.5):.2f}" == "2.50"


def test_constant_and_convert_to_tensor_dtypes():
    assert tf.constant([1, 2]).dtype == np.int32
    assert tf.constant([1.0, 2]).dtype == np.float32
    assert tf.constant(np.array([1.0])).dtype == np.float64  # NumPy data keeps its dtype
    assert tf.constant(3, shape=(2, 2)).tolist() == [[3, 3], [3, 3]]
    assert tf.constant([1, 2], dtype="float32").dtype == np.float32
    t = tf.constant([1.0])
    assert tf.convert_to_tensor(t) is t
    assert tf.convert_to_tensor([[1, 2]]).shape == (1, 2)
    with pytest.raises(TypeError, match="numbers"):
        tf.constant(["a"])


def test_argmax_and_reductions():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert tf.argmax(x).tolist() == [1, 0, 1]  # TF's default axis is 0
    assert tf.argmax(x, axis=1).dtype == np.int64 and tf.argmax(x, axis=1).tolist() == [1, 0]
    assert tf.reduce_mean(x).numpy() == pytest.approx(x.mean())
    np.testing.assert_allclose(tf.reduce_mean(x, axis=0), x.mean(axis=0))
    assert tf.reduce_mean(x, axis=1, keepdims=True).shape == (2, 1)
    assert tf.reduce_mean(tf.constant([1, 2])).numpy() == 1  # integer mean, truncated as TF does
    assert tf.reduce_sum(x, axis=[0, 1]).numpy() == pytest.approx(18.0)


def test_nn_functions_take_and_return_tensors():
    logits = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    p = tf.nn.softmax(tf.constant(logits))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p.numpy(), e / e.sum(axis=1, keepdims=True), rtol=1e-6)
    assert isinstance(p, Tensor) and p.dtype == np.float32
    np.testing.assert_allclose(tf.nn.softmax(logits, axis=0), np.exp(logits) / np.exp(logits).sum(0), rtol=1e-6)
    np.testing.assert_allclose(tf.nn.sigmoid(logits).numpy(), 1 / (1 + np.exp(-logits)), rtol=1e-6)
    np.testing.assert_array_equal(tf.nn.relu(np.array([-1.0, 2.0])).numpy(), [0.0, 2.0])


def test_loss_object_called_directly():
    logits = np.array([[2.0, -1.0, 0.5]])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    value = loss_fn(np.array([2]), logits)
    expected = -(0.5 - np.log(np.exp(logits).sum()))
    assert isinstance(value, Tensor) and value.shape == ()
    assert value.numpy() == pytest.approx(expected, rel=1e-6)
    uniform = loss_fn(np.array([0]), np.zeros((1, 10)))
    assert uniform.numpy() == pytest.approx(np.log(10), rel=1e-6)  # the quickstart's ~2.3
