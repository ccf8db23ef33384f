"""ONNX export of functional and nested models: several inputs (graph inputs named after the Input layers), merge
layers, models used as layers, a small convnet and a text model; onnxruntime against predict() (1e-5)."""

import numpy as np
import pytest

import pyminidl
from pyminidl import layers
from pyminidl.models import Model, Sequential

onnx = pytest.importorskip("onnx", reason="ONNX export needs the onnx package (pip install 'pyminidl[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="checking the exported file needs onnxruntime (the test extra)")

from onnx_check import check, randomize  # noqa: E402  (after the skips)


def test_two_input_functional_model_with_concatenate(tmp_path):
    a, b = layers.Input(shape=(4,), name="a"), layers.Input(shape=(3,), name="b")
    x = layers.Dense(8, activation="relu")(a)
    out = layers.Dense(2, activation="softmax")(layers.concatenate([x, b]))
    model = Model(inputs=[a, b], outputs=out)
    session = check(model, tmp_path)
    assert [i.name for i in session.get_inputs()] == ["a", "b"]
    assert [i.shape for i in session.get_inputs()] == [["batch", 4], ["batch", 3]]


@pytest.mark.parametrize("kind", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"])
def test_merge_layers(tmp_path, kind):
    a, b = layers.Input(shape=(5,), name="left"), layers.Input(shape=(5,), name="right")
    inputs = [layers.Dense(5)(a), b] if kind == "Subtract" else [a, layers.Dense(5)(b), layers.Dense(5)(a)]
    model = Model([a, b], getattr(layers, kind)()(inputs))
    check(model, tmp_path)


@pytest.mark.parametrize("axis", [1, 2, -1, -2])
def test_concatenate_axis(tmp_path, axis):
    a, b = layers.Input(shape=(3, 4)), layers.Input(shape=(3, 4))
    model = Model([a, b], layers.Concatenate(axis=axis)([a, layers.Activation("tanh")(b)]))
    check(model, tmp_path)


def test_dict_inputs_are_named_by_their_keys(tmp_path):
    a, b = layers.Input(shape=(2,), name="first"), layers.Input(shape=(2,), name="second")
    model = Model({"y": a, "x": b}, layers.Dense(1)(layers.add([a, b])))
    randomize(model)
    pyminidl.onnx.export(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x", "y"]
    xa, xb = np.ones((3, 2), np.float32), np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(session.run(None, {"y": xa, "x": xb})[0],
                               model.predict({"y": xa, "x": xb}, verbose=0), rtol=1e-5, atol=1e-5)


def test_branches(tmp_path):
    inp = layers.Input(shape=(6,), name="features")
    x = layers.Dense(6, activation="tanh")(layers.Dense(6)(inp))
    y = layers.Dense(6, activation="sigmoid")(inp)
    model = Model(inp, layers.Dense(3)(layers.multiply([x, y])))
    session = check(model, tmp_path)
    assert session.get_inputs()[0].name == "features"


def test_nested_models(tmp_path):
    block = Sequential([layers.Input(shape=(4,)), layers.Dense(6, activation="relu"), layers.Dense(4)],
                       name="block")
    a, b = layers.Input(shape=(4,)), layers.Input(shape=(2,))
    inner = Model([a, b], layers.concatenate([layers.Dense(3)(a), b]), name="inner")
    x, y = layers.Input(shape=(4,), name="x"), layers.Input(shape=(2,), name="y")
    z = inner([block(x), y])
    model = Model([x, y], layers.Dense(2)(layers.add([z, layers.Dense(5)(x)])))
    check(model, tmp_path)
    outer = Sequential([layers.Input(shape=(4,)), block, layers.Dense(3), Sequential([layers.Dense(2)])])
    check(outer, tmp_path)


def test_small_convnet(tmp_path):
    model = Sequential([layers.Input(shape=(12, 12, 3)), layers.Conv2D(8, 3, padding="same", use_bias=False),
                        layers.BatchNormalization(), layers.Activation("relu"), layers.MaxPooling2D(),
                        layers.Conv2D(8, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                        layers.Dense(5, activation="softmax")])
    check(model, tmp_path)


def test_trained_convnet(tmp_path):
    model = Sequential([layers.Input(shape=(8, 8, 1)), layers.Rescaling(1 / 4), layers.Conv2D(4, 3),
                        layers.BatchNormalization(), layers.ReLU(), layers.AveragePooling2D(2, padding="same"),
                        layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.RandomState(3)
    model.fit(rng.rand(40, 8, 8, 1).astype(np.float32) * 4, rng.randint(0, 3, 40), epochs=2, verbose=0)
    check(model, tmp_path, randomize_weights=False)


def test_text_model(tmp_path):
    model = Sequential([layers.Input(shape=(10,)), layers.Embedding(50, 8), layers.GlobalAveragePooling1D(),
                        layers.Dense(4, activation="relu"), layers.Dense(1, activation="sigmoid")])
    check(model, tmp_path, ints=50)


def test_text_conv_model(tmp_path):
    ids = layers.Input(shape=(12,), name="tokens")
    x = layers.Embedding(30, 6)(ids)
    x = layers.Conv1D(4, 3, padding="causal", activation="relu")(x)
    x = layers.concatenate([layers.GlobalMaxPooling1D()(x), layers.GlobalAveragePooling1D()(x)])
    check(Model(ids, layers.Dense(2)(x)), tmp_path, ints=30)


def test_autoencoder_shapes(tmp_path):
    model = Sequential([layers.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                        layers.MaxPooling2D(), layers.ZeroPadding2D(1), layers.Conv2D(2, 3), layers.UpSampling2D(),
                        layers.Conv2D(1, 3, padding="same", activation="sigmoid"), layers.Reshape((64,))])
    check(model, tmp_path)


def test_functional_input_name_and_refusals(tmp_path):
    inp = layers.Input(shape=(3,), name="features")
    model = Model(inp, layers.Dense(2)(inp))
    pyminidl.onnx.export(model, tmp_path / "m.onnx", input_name="x")
    assert onnx.load(str(tmp_path / "m.onnx")).graph.input[0].name == "x"
    with pytest.raises(ValueError, match="input and output names must be distinct"):
        pyminidl.onnx.export(model, tmp_path / "n.onnx", input_name="output")
    with pytest.raises(ValueError, match="supports Sequential and functional models, got int"):
        pyminidl.onnx.export(type("int", (), {"built": True, "name": "m"})(), tmp_path / "n.onnx")
