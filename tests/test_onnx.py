"""ONNX export: the file onnxruntime runs computes what predict() computes (1e-5), for any batch size."""

import numpy as np
import pytest

import pyminidl
from pyminidl import layers
from pyminidl.models import Sequential

onnx = pytest.importorskip("onnx", reason="ONNX export needs the onnx package (pip install 'pyminidl[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="checking the exported file needs onnxruntime (the test extra)")

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu", "exponential",
               "leaky_relu", "relu6", "hard_sigmoid", "swish", "mish", "gelu"]


def run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def check(model, path, rows=(1, 7, 33), scale=2.0):
    rng = np.random.RandomState(0)
    for n in rows:  # the batch axis is dynamic
        x = (rng.randn(n, *model.input_shape[1:]) * scale).astype(np.float32)
        # rtol: exponential reaches 1e4, where float32 itself spaces values 1e-3 apart
        np.testing.assert_allclose(run(path, x), model.predict(x, verbose=0), rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dense_with_each_activation(tmp_path, activation):
    model = Sequential([layers.Dense(9, input_shape=(5,), activation=activation), layers.Dropout(0.3),
                        layers.Dense(4, activation=activation, use_bias=False)])
    path = pyminidl.onnx.export(model, tmp_path / "m.onnx")
    # exp(exp(x)) turns float32's rounding of the inner sum into relative errors of 1e-5 once x reaches ~60
    check(model, path, scale=0.3 if activation == "exponential" else 2.0)


def test_activation_layers_and_flatten(tmp_path):
    model = Sequential([layers.Flatten(input_shape=(3, 4)), layers.Dense(6), layers.Activation("relu"),
                        layers.Dropout(0.5), layers.Dense(3), layers.Activation("softmax")])
    model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    check(model, tmp_path / "m.onnx")


def test_trained_model_exports_its_trained_weights(tmp_path, capsys):
    model = Sequential([layers.Dense(8, input_shape=(4,), activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.RandomState(1)
    x = rng.rand(64, 4).astype(np.float32)
    model.fit(x, np.eye(3)[rng.randint(0, 3, 64)], epochs=3, verbose=0)
    model.export(tmp_path / "m.onnx", format="onnx")
    assert f"Saved artifact at '{tmp_path / 'm.onnx'}'." in capsys.readouterr().out
    check(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert proto.opset_import[0].version >= 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_refusals(tmp_path):
    unbuilt = Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        pyminidl.onnx.export(unbuilt, tmp_path / "m.onnx")
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="opset must be an integer >= 17, got 11"):
        pyminidl.onnx.export(model, tmp_path / "m.onnx", opset=11)
    with pytest.raises(TypeError, match="filepath must be a string or path, got 3"):
        pyminidl.onnx.export(model, 3)
    with pytest.raises(ValueError, match="format='onnx' only.*got format='tf_saved_model'"):
        model.export(tmp_path / "m")
    assert not (tmp_path / "m.onnx").exists()
