"""The functional API: keras.Input, layers called on symbolic tensors, keras.Model(inputs, outputs) — forward
passes against float64 NumPy, equality with the Sequential equivalent (predictions and training trajectory),
several inputs, configs, saving, and clear errors for what is not a graph pyminidl can run."""

import json

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import layers as L


def _two_input_model():
    a = tf.keras.Input(shape=(4,), name="a")
    b = tf.keras.Input(shape=(3,), name="b")
    d1 = L.Dense(2, activation="relu", name="d1")(a)
    cat = L.Concatenate(name="cat")([d1, b])
    out = L.Dense(1, activation="sigmoid", name="out")(cat)
    return tf.keras.Model(inputs=[a, b], outputs=out, name="two")


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- symbolic tensors and nodes ---------------------------------------------------------------------------
def test_input_is_a_symbolic_tensor():
    x = tf.keras.Input(shape=(4,), name="a")
    assert isinstance(x, tf.keras.layers.KerasTensor)
    assert x.shape == (None, 4) and x.dtype == "float32" and x.name == "a" and x.ndim == 2
    assert repr(x) == "<KerasTensor shape=(None, 4), dtype=float32, sparse=False, ragged=False, name=a>"
    layer, node_index, tensor_index = x._keras_history
    assert isinstance(layer, L.InputLayer) and (node_index, tensor_index) == (0, 0) and layer.name == "a"
    assert tf.keras.Input((5,)).name == "input_layer"  # Keras 3's automatic name (counter per prefix)
    assert tf.Input(shape=(2, 3), dtype="int32").dtype == "int32"
    assert tf.keras.Input((5,)).name == "input_layer_2"


def test_symbolic_tensor_has_no_values():
    x = tf.keras.Input(shape=(4,))
    with pytest.raises(TypeError, match=r"symbolic and has no values"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"cannot be used as a boolean"):
        bool(x)


def test_calling_a_layer_records_a_node_and_infers_the_shape():
    x = tf.keras.Input(shape=(4,))
    dense = L.Dense(3)
    y = dense(x)
    assert y.shape == (None, 3) and y._keras_history == (dense, 0, 0)
    assert dense.input_shape == (None, 4) and dense.output_shape == (None, 3)
    z = L.Flatten()(tf.keras.Input(shape=(2, 3)))
    assert z.shape == (None, 6)
    node = dense._inbound_nodes[0]
    assert node.input_tensors == [x] and node.output_tensors == [y]


def test_layer_on_a_mix_of_tensors_and_arrays_is_refused():
    x = tf.keras.Input(shape=(2,))
    with pytest.raises(TypeError, match=r"mix of symbolic tensors"):
        L.Add()([x, np.ones((1, 2))])


def test_model_layers_follow_keras_order():
    model = _two_input_model()
    assert [layer.name for layer in model.layers] == ["a", "d1", "b", "cat", "out"]
    assert model.get_layer("cat") is model.layers[3] and model.get_layer(index=-1).name == "out"
    with pytest.raises(ValueError, match=r"No such layer: nope. Existing layers are: \['a', 'd1', 'b', 'cat', 'out'\]"):
        model.get_layer("nope")
    assert [t.name for t in model.inputs] == ["a", "b"] and model.outputs[0].shape == (None, 1)
    assert model.input_shape == [(None, 4), (None, 3)] and model.output_shape == (None, 1)
    assert model.input_names == ["a", "b"]
    with pytest.raises(ValueError, match=r"Was asked to retrieve layer at index 5 but model only has 5 layers"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match=r"Provide only a layer name or a layer index. Received: index=0, name=cat"):
        model.get_layer("cat", 0)
    with pytest.raises(ValueError, match=r"Provide either a layer name or layer index"):
        model.get_layer()


def test_model_names_and_classes():
    model = _two_input_model()
    assert isinstance(model, tf.keras.Model) and isinstance(model, tf.models.Model)
    assert tf.Model is tf.keras.Model is tf.models.Model is tf.keras.models.Model
    assert type(model).__name__ == "Functional" and repr(model) == "<Functional name=two, built=True>"
    a = tf.keras.Input((2,))
    assert tf.keras.Model(a, L.Dense(1)(a)).name == "functional"
    assert isinstance(tf.keras.Sequential([L.Dense(1, input_shape=(2,))]), tf.keras.Model)


# --- forward passes, weights -------------------------------------------------------------------------------
def test_two_input_forward_matches_numpy():
    model = _two_input_model()
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(9, 4)).astype(np.float32), rng.normal(size=(9, 3)).astype(np.float32)
    k1, b1, k2, b2 = [w.astype(np.float64) for w in model.get_weights()]
    b1 = b1 + 0.5  # a bias that matters: set through the layer's Variable
    model.get_layer("d1").bias.assign(b1)
    h = np.maximum(xa @ k1 + b1, 0)
    expected = _sigmoid(np.concatenate([h, xb], axis=1) @ k2 + b2)
    np.testing.assert_allclose(model.predict([xa, xb]), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict({"b": xb, "a": xa}), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model([xa, xb]), expected, rtol=1e-5, atol=1e-6)
    assert model.predict([xa, xb]).dtype == np.float32 and model.predict([xa, xb]).shape == (9, 1)


def test_weights_count_params_and_set_weights():
    model = _two_input_model()
    assert [w.shape for w in model.weights] == [(4, 2), (2,), (5, 1), (1,)]
    assert [w.path for w in model.weights] == ["d1/kernel", "d1/bias", "out/kernel", "out/bias"]
    assert model.count_params() == 8 + 2 + 5 + 1
    new = [np.full(w.shape, i + 1, np.float32) for i, w in enumerate(model.weights)]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=r"weight list of length 1, but the layer was expecting 4 weights"):
        model.set_weights(new[:1])


def test_eager_layer_call_matches_numpy():
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    dense = L.Dense(2, activation="tanh")
    y = dense(x)  # builds the layer, initializes its weights
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(y, np.tanh(x.astype(np.float64) @ kernel + bias), rtol=1e-5, atol=1e-6)
    dense.set_weights([np.ones((3, 2)), np.array([0.5, -0.5])])
    np.testing.assert_allclose(dense(x), np.tanh(x.sum(axis=1, keepdims=True) + [0.5, -0.5]), rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match=r"training=True"):
        dense(x, training=True)


def test_layer_built_in_a_model_keeps_its_weights_when_called_eagerly():
    model = _two_input_model()
    d1 = model.get_layer("d1")
    x = np.ones((2, 4), np.float32)
    kernel, bias = d1.get_weights()
    np.testing.assert_allclose(d1(x), np.maximum(x @ kernel + bias, 0), rtol=1e-6)
    with pytest.raises(ValueError, match=r"built for input shape \(None, 4\), but it received input shape \(None, 5\)"):
        d1(np.ones((2, 5), np.float32))


# --- the same model as Sequential ----------------------------------------------------------------------------
def _chain_pair():
    seq = tf.keras.Sequential([L.Dense(8, activation="tanh", input_shape=(3,)), L.Dropout(0.25),
                               L.Dense(8, activation="relu"), L.Dense(2, activation="softmax")])
    x = inp = tf.keras.Input(shape=(3,))
    for layer in (L.Dense(8, activation="tanh"), L.Dropout(0.25), L.Dense(8, activation="relu"),
                  L.Dense(2, activation="softmax")):
        x = layer(x)
    fun = tf.keras.Model(inp, x)
    fun.set_weights(seq.get_weights())
    return seq, fun


def test_functional_equals_sequential_predictions_and_training():
    seq, fun = _chain_pair()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int32)
    np.testing.assert_array_equal(fun.predict(x), seq.predict(x))
    histories = []
    for model in (seq, fun):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        tf.set_random_seed(7)  # the same shuffles and dropout masks
        histories.append(model.fit(x, y, batch_size=16, epochs=4, validation_split=0.25, verbose=0).history)
    assert histories[0] == histories[1]
    for a, b in zip(seq.get_weights(), fun.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert seq.evaluate(x, y, verbose=0) == fun.evaluate(x, y, verbose=0)


def test_two_input_model_learns_a_task_of_both_inputs():
    rng = np.random.default_rng(4)
    xa = rng.normal(size=(512, 2)).astype(np.float32)
    xb = rng.normal(size=(512, 1)).astype(np.float32)
    y = ((xa[:, 0] > 0) != (xb[:, 0] > 0)).astype(np.float32)  # XOR of one feature of each input
    a = tf.keras.Input(shape=(2,), name="a")
    b = tf.keras.Input(shape=(1,), name="b")
    h = L.Dense(16, activation="relu")(L.concatenate([a, b]))
    out = L.Dense(1, activation="sigmoid")(L.Dense(16, activation="relu")(h))
    model = tf.keras.Model([a, b], out)
    model.compile(optimizer=tf.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    hist = model.fit({"a": xa, "b": xb}, y, epochs=40, batch_size=32, verbose=0,
                     validation_data=({"a": xa[:64], "b": xb[:64]}, y[:64]))
    assert hist.history["accuracy"][-1] > 0.95 and hist.history["val_accuracy"][-1] > 0.9
    loss, acc = model.evaluate([xa, xb], y, verbose=0)
    assert acc > 0.95 and loss < hist.history["loss"][0]


def test_list_and_dict_inputs_train_identically():
    rng = np.random.default_rng(5)
    xa, xb = rng.normal(size=(40, 4)).astype(np.float32), rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.random(40).round().astype(np.float32)
    results = []
    for as_dict in (False, True):
        tf.clear_session()
        tf.set_random_seed(11)
        model = _two_input_model()
        model.compile("sgd", "binary_crossentropy")
        x = {"a": xa, "b": xb} if as_dict else [xa, xb]
        results.append(model.fit(x, y, epochs=3, verbose=0, validation_split=0.2).history)
    assert results[0] == results[1]


# --- bad inputs ---------------------------------------------------------------------------------------------
def test_targets_keyed_by_output_name_or_in_a_list():
    rng = np.random.default_rng(8)
    xs, y = [rng.normal(size=(16, 4)), rng.normal(size=(16, 3))], rng.random(16).round()
    histories = []
    for targets in (y, {"out": y}, [y]):
        tf.clear_session()
        tf.set_random_seed(2)
        model = _two_input_model()
        assert model.output_names == ["out"]
        model.compile("sgd", "binary_crossentropy")
        histories.append(model.fit(xs, targets, epochs=2, verbose=0, validation_data=(xs, targets)).history)
    assert histories[0] == histories[1] == histories[2]
    with pytest.raises(ValueError, match=r"y: the data dictionary has keys \['o'\], but the model's output is named "
                                         r"'out'"):
        model.fit(xs, {"o": y}, verbose=0)


def test_inputs_given_as_a_dict_are_matched_by_key():
    # Keras 3 flattens a dict of inputs in sorted key order and matches data by the dict's keys
    a, b = tf.keras.Input(shape=(2,), name="in_a"), tf.keras.Input(shape=(3,), name="in_b")
    model = tf.keras.Model(inputs={"z_second": a, "first": b}, outputs=L.Dense(1)(L.concatenate([a, b])))
    assert [t.name for t in model.inputs] == ["in_b", "in_a"] and set(model.input) == {"first", "z_second"}
    xa, xb = np.ones((4, 2), np.float32), np.zeros((4, 3), np.float32)
    by_key = model.predict({"z_second": xa, "first": xb})
    np.testing.assert_array_equal(model.predict([xb, xa]), by_key)
    with pytest.raises(ValueError, match=r'Missing data for input "z_second"'):
        model.predict({"first": xb, "in_a": xa})
    config = model.get_config()
    assert config["input_layers"] == {"first": ["in_b", 0, 0], "z_second": ["in_a", 0, 0]}
    again = tf.keras.Model.from_config(config)
    again.set_weights(model.get_weights())
    np.testing.assert_array_equal(again.predict({"z_second": xa, "first": xb}), by_key)


def test_wrong_number_of_inputs():
    model = _two_input_model()
    xa, xb = np.ones((3, 4)), np.ones((3, 3))
    with pytest.raises(ValueError, match=r"the model has 2 inputs \['a', 'b'\], but the list holds 3 arrays"):
        model.predict([xa, xb, xb])
    with pytest.raises(ValueError, match=r"the model has 2 inputs \['a', 'b'\]: pass a list of 2 arrays .* got a "
                                         r"single array of shape \(3, 4\)"):
        model.predict(xa)
    with pytest.raises(ValueError, match=r'Missing data for input "b". You passed a data dictionary with keys '
                                         r"\['a'\]. Expected the following keys: \['a', 'b'\]"):
        model.predict({"a": xa})
    with pytest.raises(ValueError, match=r"keys \['c'\] that are not inputs"):
        model.predict({"a": xa, "b": xb, "c": xb})


def test_mismatched_shapes_and_lengths():
    model = _two_input_model()
    with pytest.raises(ValueError, match=r"x\['b'\]: the model expects input shape \(None, 3,\), got an array of "
                                         r"shape \(3, 2\)"):
        model.predict([np.ones((3, 4)), np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"x\['a'\] has 3 samples but x\['b'\] has 4"):
        model.predict([np.ones((3, 4)), np.ones((4, 3))])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"x has 3 samples but y has 5"):
        model.fit([np.ones((3, 4)), np.ones((3, 3))], np.ones(5), verbose=0)


def test_graph_disconnected():
    a, b = tf.keras.Input((2,), name="a"), tf.keras.Input((2,), name="b")
    out = L.Dense(1)(L.add([a, b]))
    with pytest.raises(ValueError, match=r'Graph disconnected: cannot obtain value for tensor .*name=b> at layer '
                                         r'"add"'):
        tf.keras.Model(inputs=a, outputs=out)


def test_inputs_must_come_from_keras_input():
    a = tf.keras.Input((2,))
    h = L.Dense(3, name="h")(a)
    with pytest.raises(ValueError, match=r"Model inputs must come from keras.Input; inputs\[0\] is .* the output of "
                                         r"layer 'h'"):
        tf.keras.Model(h, L.Dense(1)(h))
    with pytest.raises(TypeError, match=r"Model outputs must be symbolic tensors"):
        tf.keras.Model(a, np.ones((1, 2)))
    with pytest.raises(NotImplementedError, match=r"subclassing keras.Model .* is not supported"):
        type("MyModel", (tf.keras.Model,), {})()


def test_several_outputs_name_the_limitation():
    a = tf.keras.Input((2,))
    with pytest.raises(NotImplementedError, match=r"pyminidl models have one output; got 2 outputs"):
        tf.keras.Model(a, [L.Dense(1)(a), L.Dense(2)(a)])


def test_layer_shared_within_one_model_is_refused():
    a, b = tf.keras.Input((2,)), tf.keras.Input((2,))
    shared = L.Dense(3, name="shared")
    out = L.add([shared(a), shared(b)])
    with pytest.raises(NotImplementedError, match=r"Layer 'shared' is used twice in one model"):
        tf.keras.Model([a, b], out)


def test_duplicate_layer_names():
    a = tf.keras.Input((2,))
    out = L.Dense(1, name="x")(L.Dense(2, name="x")(a))
    with pytest.raises(ValueError, match=r'The name "x" is used 2 times in the model'):
        tf.keras.Model(a, out)


def test_model_called_on_tensors_of_the_wrong_shape():
    model = _two_input_model()
    with pytest.raises(ValueError, match=r"Model 'two' expects 2 input\(s\) \['a', 'b'\], but it was called on 1"):
        model(tf.keras.Input((4,)))
    with pytest.raises(ValueError, match=r'Input 1 of layer "two" is incompatible with the layer: expected '
                                         r"shape=\(None, 3\), found shape=\(None, 2\)"):
        model([tf.keras.Input((4,)), tf.keras.Input((2,))])


# --- configs and files --------------------------------------------------------------------------------------
def test_config_layout_is_keras_functional():
    model = _two_input_model()
    config = model.get_config()
    json.dumps(config)  # plain JSON
    assert config["name"] == "two" and config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == ["out", 0, 0]
    by_name = {entry["name"]: entry for entry in config["layers"]}
    assert [entry["name"] for entry in config["layers"]] == ["a", "d1", "b", "cat", "out"]
    assert by_name["a"]["inbound_nodes"] == [] and by_name["a"]["class_name"] == "InputLayer"
    assert by_name["a"]["config"] == {"batch_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False,
                                      "name": "a", "optional": False}
    cat_args = by_name["cat"]["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in cat_args] == [["d1", 0, 0], ["b", 0, 0]]
    assert cat_args[0] == {"class_name": "__keras_tensor__",
                           "config": {"shape": [None, 2], "dtype": "float32", "keras_history": ["d1", 0, 0]}}
    assert by_name["out"]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["cat", 0, 0]


def test_config_round_trip():
    model = _two_input_model()
    config = json.loads(json.dumps(model.get_config()))
    again = tf.keras.Model.from_config(config)
    assert type(again).__name__ == "Functional" and again.get_config() == model.get_config()
    again.set_weights(model.get_weights())
    xs = [np.ones((2, 4), np.float32), np.ones((2, 3), np.float32)]
    np.testing.assert_array_equal(again.predict(xs), model.predict(xs))
    assert L.deserialize(L.serialize(model)).get_config() == model.get_config()


def test_keras2_inbound_nodes_are_read():
    config = {"name": "model", "layers": [
        {"class_name": "InputLayer", "name": "input_1",
         "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "input_1"}, "inbound_nodes": []},
        {"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 2},
         "inbound_nodes": [[["input_1", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]}
    model = tf.keras.Model.from_config(config)
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)


def test_save_and_load_round_trip(tmp_path):
    model = _two_input_model()
    rng = np.random.default_rng(6)
    xs = [rng.normal(size=(20, 4)).astype(np.float32), rng.normal(size=(20, 3)).astype(np.float32)]
    y = rng.random(20).round()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(xs, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = tf.keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded).__name__ == "Functional" and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(xs), model.predict(xs))
    assert loaded.optimizer.iterations == model.optimizer.iterations
    tf.set_random_seed(1)
    h1 = model.fit(xs, y, epochs=1, verbose=0, shuffle=False).history
    h2 = loaded.fit(xs, y, epochs=1, verbose=0, shuffle=False).history
    assert h1 == h2
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = _two_input_model()
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(fresh.predict(xs), model.predict(xs))


def test_model_from_json_and_clone_model():
    model = _two_input_model()
    xs = [np.ones((2, 4), np.float32), np.full((2, 3), 0.5, np.float32)]
    for again in (tf.keras.models.model_from_json(model.to_json()), tf.keras.models.clone_model(model)):
        assert again is not model and again.get_config() == model.get_config()
        assert all(a is not b for a, b in zip(again.layers, model.layers))
        again.set_weights(model.get_weights())
        np.testing.assert_array_equal(again.predict(xs), model.predict(xs))
    seq = tf.keras.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(1)])
    clone = tf.keras.models.clone_model(seq)
    assert clone.get_config() == seq.get_config()
    assert not np.array_equal(clone.get_weights()[0], seq.get_weights()[0])  # freshly initialized
    with pytest.raises(ValueError, match=r"json_string must be the JSON text of model.to_json\(\)"):
        tf.keras.models.model_from_json("{not json")
    with pytest.raises(ValueError, match=r"json_string does not describe a model"):
        tf.keras.models.model_from_json('{"class_name": "Dense", "config": {"units": 1}}')
