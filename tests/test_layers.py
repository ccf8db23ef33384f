"""Layers beyond Dense: Dropout (active in fit only), Activation, Flatten, Input — against hand-computed values."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import layers as L


def _dropout_probe(rate, units=400):
    """x=1 -> Dense(units, kernel 1) -> Dropout(rate) -> Dense(1, kernel 1): the output counts kept units."""
    model = tf.Sequential([L.Dense(units, input_shape=(1,), kernel_initializer="ones"), L.Dropout(rate),
                           L.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=tf.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_is_off_in_predict_and_evaluate(rate):
    model = _dropout_probe(rate)
    x, y = np.ones((3, 1), np.float32), np.zeros((3, 1), np.float32)
    np.testing.assert_array_equal(model.predict(x), np.full((3, 1), 400.0, np.float32))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(400.0**2)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_masks_and_rescales_in_fit(rate):
    model = _dropout_probe(rate)
    x, y = np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32)
    loss = model.fit(x, y, epochs=1, verbose=0).history["loss"][0]
    # d loss / d last kernel = 2 * prediction * h: zero exactly for dropped units, 2*pred/(1-rate) for kept ones.
    grad = model._net.gradients()[2].ravel()
    kept = np.count_nonzero(grad)
    prediction = kept / (1.0 - rate)
    assert loss == pytest.approx(prediction**2, rel=1e-5)
    np.testing.assert_allclose(grad[grad != 0], 2 * prediction / (1.0 - rate), rtol=1e-5)
    assert abs(kept - 400 * (1 - rate)) < 5 * np.sqrt(400 * rate * (1 - rate))  # binomial, 5 sigma


def _dropout_masks(rate, steps, units, seed):
    tf.set_random_seed(seed)
    model = _dropout_probe(rate, units)
    masks = []
    for _ in range(steps):  # one step each; the kept units are those with a gradient
        model.fit(np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), epochs=1, verbose=0)
        masks.append(model._net.gradients()[2].ravel() != 0)
    return np.array(masks)


def test_dropout_masks_are_independent_draws():
    # The masks come from a counter-based generator (a hash of each unit's index under a key per step):
    # check the keep rate, that steps and neighbouring units are uncorrelated, and that seeds reproduce.
    rate, keep = 0.3, 0.7
    masks = _dropout_masks(rate, steps=24, units=4096, seed=3)
    n = masks.size
    assert abs(masks.mean() - keep) < 5 * np.sqrt(keep * rate / n)
    pairs = [masks[:, :-1] & masks[:, 1:], masks[:-1] & masks[1:]]  # neighbouring units, consecutive steps
    for both in pairs:
        assert abs(both.mean() - keep**2) < 5 * np.sqrt(keep**2 * (1 - keep**2) / both.size)
    assert len({m.tobytes() for m in masks}) == len(masks)
    np.testing.assert_array_equal(_dropout_masks(rate, steps=3, units=4096, seed=3), masks[:3])
    assert not np.array_equal(_dropout_masks(rate, steps=3, units=4096, seed=4), masks[:3])


def test_dropout_rate_zero_is_identity_in_fit():
    model = _dropout_probe(0.0)
    model.fit(np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32), epochs=1, verbose=0)
    np.testing.assert_allclose(model._net.gradients()[2].ravel(), 2 * 400.0)


@pytest.mark.parametrize("name", ["relu", "tanh", "softmax", "sigmoid"])
def test_activation_layer_equals_dense_activation(name):
    x = np.random.RandomState(0).randn(7, 5).astype(np.float32)
    fused = tf.Sequential([L.Dense(4, activation=name, input_shape=(5,))])
    split = tf.Sequential([L.Dense(4, input_shape=(5,)), L.Activation(name)])
    split.set_weights(fused.get_weights())
    np.testing.assert_allclose(split.predict(x), fused.predict(x), rtol=1e-6, atol=1e-7)
    assert split.layers[1].count_params() == 0 and split.layers[1].output_shape == (None, 4)


def test_flatten_reshapes_images():
    images = np.random.RandomState(1).rand(6, 8, 8).astype(np.float32)
    model = tf.Sequential([L.Flatten(input_shape=(8, 8)), L.Dense(3)])
    assert model.layers[0].output_shape == (None, 64)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict(images), images.reshape(6, 64) @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_input_gives_the_model_its_shape():
    model = tf.Sequential([tf.keras.Input(shape=(3,)), L.Dense(2)])
    assert model.built and model.input_shape == (None, 3) and model.output_shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["dense"]
