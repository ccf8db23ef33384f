"""Shared by tests/test_onnx_*.py: export a model, run it in onnxruntime at batch sizes 1 and 5, compare with
predict() (1e-5). Imported after the tests' importorskip of onnx and onnxruntime."""

import numpy as np

import pyminidl
from pyminidl import layers
from pyminidl.models import Sequential


def randomize(model, seed=0):
    """Random weights everywhere (variances positive), so that no converter passes by accident."""
    rng = np.random.RandomState(seed)
    for w in model.weights:
        value = rng.randn(*w.shape).astype(np.float32) * 0.5
        if "variance" in w.name:
            value = np.abs(value) + 0.5
        w.assign(value)


def inputs_for(model, n, rng, ints=None):
    if type(model).__name__ == "Functional":
        shapes = [tuple(t.shape[1:]) for t in model.inputs]
    else:
        shapes = [tuple(model.input_shape[1:])]
    if ints is not None:
        return [rng.randint(0, ints, (n, *s)).astype(np.float32) for s in shapes]
    return [rng.randn(n, *s).astype(np.float32) * 2 for s in shapes]


def check(model, tmp_path, ints=None, randomize_weights=True):
    if randomize_weights:
        randomize(model)
    import onnxruntime as ort

    path = pyminidl.onnx.export(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    rng = np.random.RandomState(1)
    for n in (1, 5):  # the batch axis is dynamic
        xs = inputs_for(model, n, rng, ints)
        expected = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        got = session.run(None, dict(zip(names, xs)))[0]
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    return session


def seq(shape, *stack):
    return Sequential([layers.Input(shape=shape), *stack])
