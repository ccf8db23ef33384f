"""Softmax, ReLU, LeakyReLU, ELU layers: outputs against float64 NumPy, Keras' names, configs and errors."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import layers as L

X = np.linspace(-3, 8, 24).reshape(4, 6)


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


CASES = [
    (lambda: L.Softmax(), _softmax),
    (lambda: L.ReLU(), lambda x: np.maximum(x, 0)),
    (lambda: L.ReLU(max_value=6), lambda x: np.clip(x, 0, 6)),
    (lambda: L.ReLU(negative_slope=0.1), lambda x: np.where(x >= 0, x, 0.1 * x)),
    (lambda: L.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x)),  # the layer's default slope is 0.3
    (lambda: L.LeakyReLU(alpha=0.05), lambda x: np.where(x >= 0, x, 0.05 * x)),
    (lambda: L.LeakyReLU(negative_slope=0.2), lambda x: np.where(x >= 0, x, 0.2 * x)),
    (lambda: L.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (lambda: L.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
]


@pytest.mark.parametrize("make, reference", CASES)
def test_layer_output_matches_float64(make, reference):
    model = tf.keras.Sequential([tf.keras.Input(shape=(6,)), make()])
    np.testing.assert_allclose(model(X).numpy(), reference(X), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("make, reference", CASES)
def test_config_round_trip(make, reference):
    layer = make()
    again = L.deserialize(L.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == layer.get_config()
    model = tf.keras.Sequential([tf.keras.Input(shape=(6,)), again])
    np.testing.assert_allclose(model.predict(X), reference(X), rtol=2e-6, atol=1e-7)


def test_keras_names_and_config_keys():
    assert [L.ReLU().name, L.LeakyReLU().name, L.ELU().name, L.Softmax().name] == \
        ["re_lu", "leaky_re_lu", "elu", "softmax"]
    assert L.ReLU().get_config() == {"name": "re_lu_1", "trainable": True, "max_value": None,
                                     "negative_slope": 0.0, "threshold": 0.0}
    assert L.LeakyReLU(alpha=0.1).get_config()["negative_slope"] == 0.1
    assert L.ELU(alpha=2).get_config()["alpha"] == 2.0
    assert L.Softmax().get_config()["axis"] == -1


def test_softmax_layer_trains_as_output_like_dense_softmax():
    # Dense(3) + Softmax() must train exactly as Dense(3, activation='softmax') (same fused loss path).
    x = np.random.rand(32, 4).astype(np.float32)
    y = tf.keras.utils.to_categorical(np.random.randint(0, 3, 32), 3)
    histories = []
    for separate in (True, False):
        tf.set_random_seed(7)
        out = [L.Dense(3), L.Softmax()] if separate else [L.Dense(3, activation="softmax")]
        model = tf.keras.Sequential([tf.keras.Input(shape=(4,))] + out)
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        histories.append(model.fit(x, y, epochs=3, verbose=0, shuffle=False).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-6)


def test_leaky_relu_hidden_layer_learns():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    model = tf.keras.Sequential([L.Dense(8, input_shape=(2,)), L.LeakyReLU(alpha=0.1),
                                 L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    model.fit(x, y, epochs=300, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.1


@pytest.mark.parametrize("make, error, match", [
    (lambda: L.ReLU(max_value=-1), ValueError, "max_value of a ReLU layer cannot be a negative value"),
    (lambda: L.ReLU(negative_slope=-0.1), ValueError, "negative_slope .* cannot be a negative value"),
    (lambda: L.ReLU(threshold=-1), ValueError, "threshold .* cannot be a negative value"),
    (lambda: L.ReLU(max_value=4), NotImplementedError, r"ReLU\(max_value=4.0, negative_slope=0.0"),
    (lambda: L.ReLU(threshold=1.0), NotImplementedError, "threshold=1.0"),
    (lambda: L.ReLU(max_value=6, negative_slope=0.1), NotImplementedError, "max_value=6.0, negative_slope=0.1"),
    (lambda: L.LeakyReLU(alpha=-0.1), ValueError, "negative_slope=-0.1"),
    (lambda: L.LeakyReLU(negative_slope="big"), TypeError, "negative_slope must be a number, got 'big'"),
    (lambda: L.ELU(alpha=None), TypeError, "alpha must be a number, got None"),
    (lambda: L.Softmax(axis=0), NotImplementedError, "axis=0"),
])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
