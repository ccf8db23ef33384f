"""Merge layers (Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum): Keras' shape rules and
errors, forward passes against float64 NumPy, and gradients through them against finite differences."""

import numpy as np
import pytest

import finite_differences
import pyminidl as tf
from pyminidl import layers as L

OPS = {  # class -> float64 reference over a list of arrays
    L.Add: lambda xs: sum(xs),
    L.Subtract: lambda xs: xs[0] - xs[1],
    L.Multiply: lambda xs: np.prod(xs, axis=0),
    L.Average: lambda xs: sum(xs) / len(xs),
    L.Maximum: lambda xs: np.max(xs, axis=0),
    L.Minimum: lambda xs: np.min(xs, axis=0),
}
FUNCTIONS = {L.Add: L.add, L.Subtract: L.subtract, L.Multiply: L.multiply, L.Average: L.average,
             L.Maximum: L.maximum, L.Minimum: L.minimum, L.Concatenate: L.concatenate}


def _inputs(*shapes):
    return [tf.keras.Input(shape=s, name=f"in{i}") for i, s in enumerate(shapes)]


# --- shapes and errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", list(OPS))
def test_elementwise_shapes(cls):
    a, b = _inputs((3,), (3,))
    assert cls()([a, b]).shape == (None, 3)
    a, b = _inputs((4, 3), (4, 3))
    assert cls()([a, b]).shape == (None, 4, 3)


@pytest.mark.parametrize("cls", list(OPS))
def test_elementwise_broadcast_rule(cls):
    # Keras: size-1 axes stretch, shorter shapes align with the trailing axes; pyminidl's C++ layers do not
    # broadcast, so those shapes are a clear error, and the rule itself is checked on the shapes alone
    layer = cls()
    assert layer.compute_output_shape([(1,), (3,)]) == (3,)
    assert layer.compute_output_shape([(4, 3), (3,)]) == (4, 3)
    assert layer.compute_output_shape([(4, 1), (1, 3)]) == (4, 3)
    a, b = _inputs((1,), (3,))
    with pytest.raises(NotImplementedError, match=r"pyminidl merges inputs of one shape; broadcasting "
                                                  r"\[\(None, 1\), \(None, 3\)\] is not supported"):
        cls()([a, b])


@pytest.mark.parametrize("cls", list(OPS))
def test_elementwise_incompatible_shapes(cls):
    a, b = _inputs((3,), (2,))
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes \(3,\) and \(2,\)"):
        cls()([a, b])


@pytest.mark.parametrize("cls", [L.Add, L.Multiply, L.Average, L.Maximum, L.Minimum])
def test_three_inputs(cls):
    a, b, c = _inputs((2,), (2,), (2,))
    assert cls()([a, b, c]).shape == (None, 2)


def test_subtract_needs_exactly_two_inputs():
    a, b, c = _inputs((2,), (2,), (2,))
    with pytest.raises(ValueError, match=r"A `Subtract` layer should be called on exactly 2 inputs"):
        L.Subtract()([a, b, c])


@pytest.mark.parametrize("cls", list(FUNCTIONS))
def test_merge_needs_a_list_of_at_least_two(cls):
    (a,) = _inputs((2,))
    with pytest.raises(ValueError, match=r"should be called on a list of inputs"):
        cls()(a)
    with pytest.raises(ValueError, match=r"exactly 2 inputs" if cls is L.Subtract else r"at least 2 inputs. Got 1 inputs"):
        cls()([a])


def test_concatenate_shapes_and_axes():
    a, b = _inputs((2,), (3,))
    assert L.Concatenate()([a, b]).shape == (None, 5)
    a, b = _inputs((4, 2), (4, 3))
    assert L.concatenate([a, b]).shape == (None, 4, 5)
    assert L.Concatenate(axis=2)([a, b]).shape == (None, 4, 5)
    a, b = _inputs((4, 2), (1, 2))
    assert L.Concatenate(axis=1)([a, b]).shape == (None, 5, 2)
    assert L.Concatenate(axis=-2)([a, b]).shape == (None, 5, 2)


def test_concatenate_mismatch_names_the_shapes():
    a, b = _inputs((4, 2), (3, 3))
    with pytest.raises(ValueError, match=r"A `Concatenate` layer requires inputs with matching shapes except for "
                                         r"the concatenation axis. Received: input_shape=\[\(None, 4, 2\), "
                                         r"\(None, 3, 3\)\]"):
        L.Concatenate()([a, b])
    a, b = _inputs((2,), (2, 1))
    with pytest.raises(ValueError, match=r"matching shapes except for the concatenation axis"):
        L.Concatenate()([a, b])


@pytest.mark.parametrize("axis", [0, 3, -4])
def test_concatenate_axis_out_of_range(axis):
    a, b = _inputs((4, 2), (4, 2))
    with pytest.raises(ValueError, match=rf"axis={axis} is out of range"):
        L.Concatenate(axis=axis)([a, b])


def test_concatenate_axis_must_be_an_integer():
    with pytest.raises(TypeError, match=r"axis must be an integer, got 'last'"):
        L.Concatenate(axis="last")


@pytest.mark.parametrize("cls", list(FUNCTIONS))
def test_functions_are_the_layers(cls):
    a, b = _inputs((2,), (2,))
    out = FUNCTIONS[cls]([a, b], name="merged")
    layer = out._keras_history[0]
    assert type(layer) is cls and layer.name == "merged"


@pytest.mark.parametrize("cls", list(FUNCTIONS))
def test_config_round_trip_and_registry(cls):
    layer = cls(axis=1, name="m") if cls is L.Concatenate else cls(name="m")
    config = L.serialize(layer)
    assert config["class_name"] == cls.__name__ and L.REGISTRY[cls.__name__] is cls
    again = L.deserialize(config)
    assert type(again) is cls and again.get_config() == layer.get_config()
    if cls is L.Concatenate:
        assert again.axis == 1


def test_input_shape_of_a_merge_layer_is_a_list():
    a, b = _inputs((2,), (3,))
    out = L.Concatenate(name="cat")([a, b])
    layer = out._keras_history[0]
    assert layer.input_shape == [(None, 2), (None, 3)] and layer.output_shape == (None, 5)
    assert layer.weights == [] and layer.count_params() == 0


# --- forward passes -----------------------------------------------------------------------------------
def _data(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(7,) + s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("cls", list(OPS))
@pytest.mark.parametrize("count", [2, 3])
def test_elementwise_forward_matches_numpy(cls, count):
    if cls is L.Subtract and count == 3:
        pytest.skip("Subtract takes two inputs")
    shapes = [(5,)] * count
    ins = _inputs(*shapes)
    model = tf.keras.Model(ins, cls()(ins))
    xs = _data(shapes)
    expected = OPS[cls]([x.astype(np.float64) for x in xs])
    np.testing.assert_allclose(model.predict(xs), expected, rtol=1e-6, atol=1e-6)
    # eager: the layer alone on arrays
    np.testing.assert_allclose(cls()(xs), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shapes,axis", [([(2,), (3,)], -1), ([(2,), (3,), (1,)], 1), ([(4, 2), (4, 3)], -1),
                                         ([(4, 2), (1, 2)], 1)])
def test_concatenate_forward_matches_numpy(shapes, axis):
    ins = _inputs(*shapes)
    model = tf.keras.Model(ins, L.Concatenate(axis=axis)(ins))
    xs = _data(shapes)
    expected = np.concatenate(xs, axis=axis)
    np.testing.assert_array_equal(model.predict(xs), expected)
    np.testing.assert_array_equal(L.Concatenate(axis=axis)(xs), expected)


# --- gradients through the merge layers ------------------------------------------------------------------
def _forward64(cls, weights, xs):
    (k1, b1), (k2, b2), (k3, b3) = weights[0:2], weights[2:4], weights[4:6]
    h1 = np.tanh(xs[0] @ k1 + b1)
    h2 = np.tanh(xs[1] @ k2 + b2)
    merged = np.concatenate([h1, h2], axis=1) if cls is L.Concatenate else OPS[cls]([h1, h2])
    return merged @ k3 + b3


@pytest.mark.parametrize("cls", list(FUNCTIONS))
def test_gradients_through_merge_match_finite_differences(cls):
    a, b = _inputs((3,), (2,))
    h1 = L.Dense(4, activation="tanh")(a)
    h2 = L.Dense(4, activation="tanh")(b)
    out = L.Dense(2)(cls()([h1, h2]))
    model = tf.keras.Model([a, b], out)
    rng = np.random.default_rng(5)
    weights = [rng.normal(scale=0.7, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    xs, y = _data([(3,), (2,)], seed=2), rng.normal(size=(7, 2)).astype(np.float32)
    model.compile(optimizer=tf.optimizers.SGD(learning_rate=0.0), loss="mse")
    model.fit(xs, y, batch_size=7, epochs=1, shuffle=False, verbose=0)
    grads = [np.array(g) for g in model._net.gradients()]
    x64, y64 = [x.astype(np.float64) for x in xs], y.astype(np.float64)
    w64 = [w.astype(np.float64) for w in weights]
    for t, w in enumerate(w64):
        def loss_of(wt, t=t):
            return np.mean((_forward64(cls, w64[:t] + [wt] + w64[t + 1:], x64) - y64) ** 2)
        np.testing.assert_allclose(grads[t], finite_differences.gradient(loss_of, w), rtol=2e-4, atol=2e-6,
                                   err_msg=f"weight tensor {t}")
