"""ONNX export of every layer class, in each configuration: onnxruntime's output equals predict()'s (1e-5) at
batch sizes 1 and 5, with random weights (non-trivial BatchNormalization statistics). Models: test_onnx_models.py."""

import numpy as np
import pytest

import pyminidl
from pyminidl import layers

onnx = pytest.importorskip("onnx", reason="ONNX export needs the onnx package (pip install 'pyminidl[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="checking the exported file needs onnxruntime (the test extra)")

from onnx_check import check, seq  # noqa: E402  (after the skips)


CONV2D = [dict(), dict(padding="same"), dict(strides=2), dict(strides=(2, 1), padding="same"),
          dict(dilation_rate=2), dict(dilation_rate=(1, 2), padding="same"), dict(use_bias=False),
          dict(activation="relu"), dict(activation="tanh", padding="same", kernel_size=(2, 4))]


@pytest.mark.parametrize("kwargs", CONV2D, ids=str)
def test_conv2d(tmp_path, kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    check(seq((7, 8, 3), layers.Conv2D(4, **kwargs)), tmp_path)


CONV1D = [dict(), dict(padding="same"), dict(padding="causal"), dict(padding="causal", dilation_rate=2),
          dict(strides=2, padding="same"), dict(dilation_rate=3), dict(use_bias=False, activation="sigmoid"),
          dict(kernel_size=4, padding="same", strides=3)]


@pytest.mark.parametrize("kwargs", CONV1D, ids=str)
def test_conv1d(tmp_path, kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    check(seq((10, 3), layers.Conv1D(5, **kwargs)), tmp_path)


POOL = [dict(), dict(pool_size=3), dict(pool_size=3, padding="same"), dict(pool_size=2, strides=1),
        dict(pool_size=(2, 3), strides=(1, 2), padding="same"), dict(pool_size=2, padding="same")]


@pytest.mark.parametrize("kind", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("kwargs", POOL, ids=str)
def test_pooling2d(tmp_path, kind, kwargs):
    kwargs = {"pool_size": 2, **kwargs}
    check(seq((7, 9, 2), getattr(layers, kind)(**kwargs)), tmp_path)


@pytest.mark.parametrize("kind", ["MaxPooling1D", "AveragePooling1D"])
@pytest.mark.parametrize("kwargs", [dict(pool_size=2), dict(pool_size=3, padding="same"),
                                    dict(pool_size=2, strides=1, padding="same"), dict(pool_size=4, strides=3)],
                         ids=str)
def test_pooling1d(tmp_path, kind, kwargs):
    check(seq((11, 3), getattr(layers, kind)(**kwargs)), tmp_path)


@pytest.mark.parametrize("kind", ["GlobalMaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling2D",
                                  "GlobalAveragePooling2D"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(tmp_path, kind, keepdims):
    shape = (6, 3) if kind.endswith("1D") else (5, 4, 3)
    check(seq(shape, getattr(layers, kind)(keepdims=keepdims)), tmp_path)


@pytest.mark.parametrize("shape", [(6,), (5, 4), (4, 5, 3)])
@pytest.mark.parametrize("kwargs", [dict(), dict(center=False), dict(scale=False),
                                    dict(center=False, scale=False, epsilon=0.1)], ids=str)
def test_batch_normalization(tmp_path, shape, kwargs):
    check(seq(shape, layers.BatchNormalization(**kwargs)), tmp_path)


def test_embedding(tmp_path):
    check(seq((6,), layers.Embedding(11, 4)), tmp_path, ints=11)
    check(seq((3, 2), layers.Embedding(7, 3)), tmp_path, ints=7)


@pytest.mark.parametrize("padding", [1, (2, 1), ((1, 0), (0, 3))], ids=str)
def test_zero_padding2d(tmp_path, padding):
    check(seq((3, 4, 2), layers.ZeroPadding2D(padding)), tmp_path)


@pytest.mark.parametrize("size", [2, (3, 1), (1, 2)], ids=str)
def test_up_sampling2d(tmp_path, size):
    check(seq((3, 4, 2), layers.UpSampling2D(size)), tmp_path)


@pytest.mark.parametrize("shape, target", [((12,), (3, 4)), ((3, 4), (-1,)), ((2, 3, 4), (4, -1, 2))], ids=str)
def test_reshape_and_flatten(tmp_path, shape, target):
    check(seq(shape, layers.Reshape(target), layers.Flatten()), tmp_path)


ACTIVATION_LAYERS = [("ReLU", {}), ("ReLU", {"max_value": 6}), ("ReLU", {"negative_slope": 0.1}),
                     ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.05}), ("ELU", {}), ("ELU", {"alpha": 0.5}),
                     ("Softmax", {}), ("PReLU", {}), ("PReLU", {"shared_axes": [1]})]


@pytest.mark.parametrize("kind, kwargs", ACTIVATION_LAYERS, ids=str)
def test_activation_layers(tmp_path, kind, kwargs):
    shape = (4, 3) if kwargs.get("shared_axes") else (6,)
    check(seq(shape, getattr(layers, kind)(**kwargs)), tmp_path)


def test_prelu_on_images(tmp_path):
    check(seq((3, 4, 2), layers.PReLU(shared_axes=[1, 2])), tmp_path)
    check(seq((3, 4, 2), layers.PReLU()), tmp_path)


@pytest.mark.parametrize("kwargs", [dict(scale=1 / 255), dict(scale=2.0, offset=-1.0)], ids=str)
def test_rescaling(tmp_path, kwargs):
    check(seq((3, 2), layers.Rescaling(**kwargs)), tmp_path)


@pytest.mark.parametrize("axis", [-1, None, (1,), (1, 2)], ids=str)
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_adapted(tmp_path, axis, invert):
    norm = layers.Normalization(axis=axis, invert=invert)
    norm.adapt(np.random.RandomState(2).randn(50, 3, 4).astype(np.float32) * 3 + 1)
    check(seq((3, 4), norm), tmp_path, randomize_weights=False)


def test_normalization_given_numbers(tmp_path):
    check(seq((5,), layers.Normalization(mean=2.0, variance=9.0)), tmp_path)
    check(seq((5,), layers.Normalization(mean=-1.0, variance=0.25, invert=True)), tmp_path)


def test_inference_identity_layers(tmp_path):
    check(seq((6,), layers.GaussianNoise(0.5), layers.Dense(4), layers.AlphaDropout(0.3),
              layers.ActivityRegularization(l1=0.1), layers.Dropout(0.5)), tmp_path)


def test_every_registered_layer_class_has_a_converter():
    from pyminidl.layers import REGISTRY
    from pyminidl.onnx import converters

    import pyminidl.models  # noqa: F401  (registers the model classes)

    # pyminidl's own classes (other tests register custom ones); Model(inputs, outputs) builds a Functional
    own = {name for name, cls in REGISTRY.items() if cls.__module__.startswith("pyminidl.")}
    assert sorted(own - {"Model"} - set(converters.CONVERTERS)) == []


def test_a_layer_without_a_converter_is_refused_by_name(tmp_path, monkeypatch):
    from pyminidl.onnx import converters

    monkeypatch.delitem(converters.CONVERTERS, "Conv2D")
    model = seq((5, 5, 1), layers.Conv2D(2, 3, name="my_conv"))
    with pytest.raises(ValueError, match="layer 'my_conv' of class Conv2D has no ONNX converter"):
        pyminidl.onnx.export(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
