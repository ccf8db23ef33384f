"""Models used as layers of other models (nested), and layers shared between models: one set of weights,
whichever model trained them last (models/model.py: each network takes the weights over when it runs)."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import layers as L


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _base_model():
    inp = tf.keras.Input(shape=(3,), name="features")
    h = L.Dense(5, activation="tanh", name="hidden")(inp)
    return tf.keras.Model(inp, L.Dense(4, name="logits")(h), name="base")


def _base_forward(model, x):
    k1, b1, k2, b2 = [w.astype(np.float64) for w in model.get_weights()]
    return np.tanh(x @ k1 + b1) @ k2 + b2


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int32) + 2 * (x[:, 1] > 0).astype(np.int32)


def test_functional_model_inside_sequential_shares_weights():
    base = _base_model()
    kernel_var = base.get_layer("hidden").kernel  # a reference a user keeps
    outer = tf.keras.Sequential([base, L.Activation("softmax")])
    assert outer.input_shape == (None, 3) and outer.output_shape == (None, 4)
    assert outer.layers[0] is base and outer.count_params() == base.count_params() == 3 * 5 + 5 + 5 * 4 + 4
    x, y = _data()
    np.testing.assert_allclose(outer.predict(x), _softmax(_base_forward(base, x)), rtol=1e-5, atol=1e-6)
    before = base.get_weights()
    outer.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    outer.fit(x, y, epochs=3, verbose=0)
    after = base.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))  # the inner model sees the training
    np.testing.assert_array_equal(kernel_var.numpy(), after[0])
    np.testing.assert_allclose(base.predict(x), _base_forward(base, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outer.predict(x), _softmax(base.predict(x).astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_model_called_on_a_tensor():
    base = _base_model()
    inp = tf.keras.Input(shape=(3,), name="x")
    out = L.Activation("softmax", name="probs")(base(inp))
    outer = tf.keras.Model(inp, out, name="outer")
    assert [layer.name for layer in outer.layers] == ["x", "base", "probs"]
    assert len(outer.weights) == 4 and all(a is b for a, b in zip(outer.weights, base.weights))
    x, _ = _data(8)
    np.testing.assert_allclose(outer.predict(x), _softmax(_base_forward(base, x)), rtol=1e-5, atol=1e-6)
    config = outer.get_config()
    assert config["layers"][1]["class_name"] == "Functional"
    assert config["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["x", 0, 0]
    again = tf.keras.Model.from_config(config)
    assert again.get_config() == config
    again.set_weights(outer.get_weights())
    np.testing.assert_array_equal(again.predict(x), outer.predict(x))


def test_sequential_called_on_a_tensor():
    seq = tf.keras.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dense(2)], name="block")
    a, b = tf.keras.Input((3,), name="a"), tf.keras.Input((3,), name="b")
    out = L.Dense(1)(L.concatenate([seq(a), b]))
    model = tf.keras.Model([a, b], out)
    xa, xb = _data(6)[0], _data(6, seed=1)[0]
    k, bias = model.layers[-1].get_weights()
    expected = np.concatenate([seq.predict(xa), xb], axis=1).astype(np.float64) @ k + bias
    np.testing.assert_allclose(model.predict([xa, xb]), expected, rtol=1e-5, atol=1e-6)


def test_encoder_shares_the_autoencoders_training():
    inp = tf.keras.Input(shape=(3,))
    code = L.Dense(2, activation="tanh", name="code")(inp)
    decoded = L.Dense(3, name="decoded")(code)
    autoencoder = tf.keras.Model(inp, decoded)
    encoder = tf.keras.Model(inp, code)
    x, _ = _data(64)
    encoder.predict(x)  # the encoder's network holds the weights now
    autoencoder.compile(optimizer="adam", loss="mse")
    first = autoencoder.fit(x, x, epochs=5, verbose=0).history["loss"]
    kernel, bias = autoencoder.get_layer("code").get_weights()
    np.testing.assert_allclose(encoder.predict(x), np.tanh(x.astype(np.float64) @ kernel + bias), rtol=1e-5,
                               atol=1e-6)
    again = autoencoder.fit(x, x, epochs=1, verbose=0).history["loss"]  # continues from the trained weights
    assert again[0] < first[0]


def test_nested_model_save_and_load(tmp_path):
    base = _base_model()
    outer = tf.keras.Sequential([base, L.Activation("softmax")])
    outer.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _data()
    outer.fit(x, y, epochs=1, verbose=0)
    outer.save(tmp_path / "nested.keras")
    loaded = tf.keras.models.load_model(tmp_path / "nested.keras")
    assert type(loaded.layers[0]).__name__ == "Functional"
    np.testing.assert_array_equal(loaded.predict(x), outer.predict(x))


def test_feature_extractor_from_a_sequential_model():
    # Model(inputs=model.input, outputs=model.get_layer(...).output): Sequential builds a symbolic graph too
    seq = tf.keras.Sequential([L.Dense(5, activation="relu", input_shape=(3,), name="features"), L.Dense(2)])
    assert seq.input.shape == (None, 3) and seq.output.shape == (None, 2)
    extractor = tf.keras.Model(inputs=seq.input, outputs=seq.get_layer("features").output)
    assert [layer.name for layer in extractor.layers] == [seq.input.name, "features"]
    x, y = _data(32)
    seq.compile(optimizer="adam", loss="mse")
    seq.fit(x, np.stack([y, -y], axis=1).astype(np.float32), epochs=2, verbose=0)
    kernel, bias = seq.get_layer("features").get_weights()
    np.testing.assert_allclose(extractor.predict(x), np.maximum(x.astype(np.float64) @ kernel + bias, 0),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(AttributeError, match=r"Layer 'lonely' has never been called and thus has no defined output"):
        L.Dense(1, name="lonely").output


def test_nested_model_output_reference_counts_its_own_node():
    # Keras 3 writes a nested functional model's calls from 1 in input_layers/output_layers (not in inbound_nodes)
    base = _base_model()
    inp = tf.keras.Input(shape=(3,), name="x")
    outer = tf.keras.Model(inp, base(inp), name="outer")
    config = outer.get_config()
    assert config["output_layers"] == ["base", 1, 0]
    again = tf.keras.Model.from_config(config)
    assert again.get_config() == config and again.output_shape == (None, 4)
    with pytest.raises(ValueError, match=r"names node 0 / tensor 0 of layer 'base', which does not exist"):
        tf.keras.Model.from_config({**config, "output_layers": ["base", 0, 0]})


def test_keras2_config_with_a_nested_model():
    # Keras 2 (tf_keras) counts every nested model's calls from 1, in inbound_nodes too
    inner = {"class_name": "Functional", "name": "inner", "config": {
        "name": "inner", "layers": [
            {"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [None, 3], "name": "in"},
             "inbound_nodes": []},
            {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2},
             "inbound_nodes": [[["in", 0, 0, {}]]]}],
        "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]},
        "inbound_nodes": [[["x", 0, 0, {}]]]}
    config = {"name": "model", "layers": [
        {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [None, 3], "name": "x"},
         "inbound_nodes": []},
        inner,
        {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 1},
         "inbound_nodes": [[["inner", 1, 0, {}]]]}],
        "input_layers": [["x", 0, 0]], "output_layers": [["out", 0, 0]]}
    model = tf.keras.Model.from_config(config)
    assert [layer.name for layer in model.layers] == ["x", "inner", "out"] and model.output_shape == (None, 1)


def test_training_argument_on_symbolic_calls():
    # base_model(x, training=False) is fine where no layer depends on the mode; with Dropout it is refused
    base = _base_model()
    inp = tf.keras.Input(shape=(3,))
    model = tf.keras.Model(inp, base(inp, training=False))
    assert model.output_shape == (None, 4)
    with pytest.raises(NotImplementedError, match=r"'drop' was called with training=True: pyminidl runs Dropout"):
        L.Dropout(0.5, name="drop")(inp, training=True)
    seq = tf.keras.Sequential([L.Dense(2, input_shape=(3,)), L.Dropout(0.1)], name="with_dropout")
    with pytest.raises(NotImplementedError, match=r"'with_dropout' was called with training=False"):
        seq(inp, training=False)
    assert L.Dropout(0.5)(inp).shape == (None, 3)


def test_predict_fast_path_follows_weights_taken_back_and_forth():
    # predict() skips the per-layer ownership check while no layer anywhere moved (layers/base.py's
    # attach_count); every switch between the two models must still show the other's training.
    inp = tf.keras.Input(shape=(3,))
    code = L.Dense(2, activation="tanh", name="code")(inp)
    autoencoder = tf.keras.Model(inp, L.Dense(3, name="decoded")(code))
    encoder = tf.keras.Model(inp, code)
    autoencoder.compile(optimizer="sgd", loss="mse")
    x, _ = _data(16)
    one = np.ascontiguousarray(x[:1])  # float32, C order: the fast path's input
    for _ in range(3):
        assert encoder.predict(one).shape == (1, 2)
        autoencoder.fit(x, x, epochs=1, verbose=0)
        kernel, bias = autoencoder.get_layer("code").get_weights()
        for _ in range(2):  # the second call runs on the fast path
            np.testing.assert_allclose(encoder.predict(one), np.tanh(one.astype(np.float64) @ kernel + bias),
                                       rtol=1e-5, atol=1e-6)
