"""NaN and ±inf through every activation, forward and backward, as TensorFlow's CPU kernels give them.

The expected values are worked out by hand from TF's definitions (tensorflow/core/kernels/relu_op_functor.h
for relu, relu6, leaky_relu, elu and selu and their gradients; Keras 3's formulas under TF autodiff for the
others; KERAS_REFERENCE.md section 13 for what was run on TF 2.21). One NaN in the data must reach the loss,
so that evaluate, predict and TerminateOnNaN see it.
"""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import _core
from pyminidl import layers as L

NAN, INF = np.nan, np.inf
SCALE, SCALE_ALPHA = 1.0507009873554805, 1.7580993408473768

# name -> (alpha, f(NaN), f(inf), f(-inf), f'(NaN), f'(inf), f'(-inf)); f' is dz for dy = 1.
SPECIAL = {
    "linear": (0.0, NAN, INF, -INF, 1, 1, 1),
    "relu": (0.0, NAN, INF, 0, 0, 1, 0),                 # tf.nn.relu passes NaN; ReluGrad = dy * (x > 0)
    "sigmoid": (0.0, NAN, 1, 0, NAN, 0, 0),
    "tanh": (0.0, NAN, 1, -1, NAN, 0, 0),
    "elu": (1.0, NAN, INF, -1, 1, 1, 0),                  # EluGrad: y < 0 ? (y + 1) dy : dy
    "selu": (0.0, NAN, INF, -SCALE_ALPHA, SCALE, SCALE, 0),  # SeluGrad: y < 0 ? dy (y + scale alpha) : dy scale
    "softplus": (0.0, NAN, INF, 0, NAN, 1, 0),
    "softsign": (0.0, NAN, NAN, NAN, NAN, 0, 0),          # x / (|x| + 1): inf / inf
    "swish": (0.0, NAN, INF, NAN, NAN, NAN, NAN),         # x sigmoid(x): -inf * 0; s (1 + x (1 - s))
    "gelu": (0.0, NAN, INF, NAN, NAN, NAN, NAN),          # x/2 (1 + erf): -inf * 0; x * pdf: inf * 0
    "gelu_approximate": (0.0, NAN, INF, NAN, NAN, NAN, NAN),
    "leaky_relu": (0.2, NAN, INF, -INF, 0.2, 1, 0.2),      # x > 0 ? x : alpha x; grad x > 0 ? dy : alpha dy
    "relu6": (0.0, NAN, 6, 0, 0, 0, 0),                    # Relu6Grad: dy * (0 < x < 6)
    "hard_sigmoid": (0.0, NAN, 1, 0, 0, 0, 0),
    "exponential": (0.0, NAN, INF, 0, NAN, INF, 0),
    "mish": (0.0, NAN, INF, NAN, NAN, NAN, NAN),          # x tanh(softplus x): -inf * 0
    "hard_swish": (0.0, NAN, INF, NAN, NAN, NAN, NAN),    # x relu6(x + 3) / 6: -inf * 0; x * relu6'(.): inf * 0
}


def test_every_elementwise_activation_is_covered():
    names = {name for name in _core.Act.__members__ if name != "softmax"}
    assert names == set(SPECIAL)


def _forward(name, alpha, z):
    return _core.act_forward(getattr(_core.Act, name), alpha, np.asarray(z, np.float32))


def _backward(name, alpha, z, dy):
    z = np.asarray(z, np.float32)
    return _core.act_backward(getattr(_core.Act, name), alpha, z, _forward(name, alpha, z), np.asarray(dy, np.float32))


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_nan_and_inf_forward_and_backward_as_tensorflow(name):
    alpha, *want = SPECIAL[name]
    # Special values amid ordinary ones, in rows long enough for the vector loops and their scalar tails.
    z = np.tile(np.array([NAN, INF, -INF, 0.5, -0.5], np.float32), (3, 7))
    y = _forward(name, alpha, z)
    dz = _backward(name, alpha, z, np.ones_like(z))
    for k in range(3):
        np.testing.assert_allclose(y[:, k::5], want[k], rtol=1e-6, atol=1e-6, err_msg=f"{name}({z[0, k]})")
        np.testing.assert_allclose(dz[:, k::5], want[3 + k], rtol=1e-6, atol=1e-6, err_msg=f"{name}'({z[0, k]})")
    assert np.all(np.isfinite(y[:, 3::5])) and np.all(np.isfinite(dz[:, 3::5]))  # neighbours untouched


@pytest.mark.parametrize("name", sorted(SPECIAL))
@pytest.mark.parametrize("dy", [NAN, INF])
def test_a_nonfinite_gradient_is_never_hidden(name, dy):
    # TF multiplies (relu: dy * (x > 0)), so NaN * 0 and inf * 0 give NaN: a NaN loss reaches every weight.
    alpha = SPECIAL[name][0]
    z = np.full((2, 19), -1.0, np.float32)
    z[1] = 1.0
    dz = _backward(name, alpha, z, np.full_like(z, dy))
    assert np.all(np.isnan(dz) | np.isinf(dz)), (name, dz)


@pytest.mark.parametrize("row,want", [
    ([NAN, -1.0, 7.0], [NAN, 0.0, 0.0]),        # KERAS_REFERENCE.md section 13, ran on TF 2.21
    ([7.0, -1.0, NAN], [NAN, 0.0, 0.0][::-1]),  # wherever the NaN is
    ([INF, 1.0, 2.0], [NAN, 0.0, 0.0]),         # inf - inf
    ([-INF, 0.0, 0.0], [0.0, 0.5, 0.5]),
    ([NAN, NAN, NAN], [NAN, NAN, NAN]),
])
def test_softmax_keeps_nan_where_it_was(row, want):
    z = np.array([row, [1.0, 2.0, 3.0]], np.float32)
    y = _forward("softmax", 0.0, z)
    np.testing.assert_allclose(y[0], want, atol=1e-7)
    np.testing.assert_allclose(y[1].sum(), 1.0, rtol=1e-6)  # the other row is untouched


def _model(activation):
    model = tf.Sequential([L.Dense(8, activation=activation, input_shape=(4,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("activation", ["relu", "relu6", "leaky_relu", "hard_sigmoid", "elu", "tanh"])
def test_one_nan_input_reaches_predict_evaluate_and_terminate_on_nan(activation):
    x = np.random.RandomState(0).rand(64, 4).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    x[5, 2] = np.nan
    model = _model(activation)
    assert np.isnan(model.predict(x)[5, 0]) and np.all(np.isfinite(np.delete(model.predict(x), 5, axis=0)))
    with pytest.warns(RuntimeWarning, match="NaN or infinite"):
        assert np.isnan(model.evaluate(x, y, verbose=0))
    with pytest.warns(RuntimeWarning, match="NaN or infinite"):
        history = model.fit(x, y, epochs=5, batch_size=64, shuffle=False, verbose=0,
                            callbacks=[tf.callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])  # stopped at once


def _pooling(name):
    layer = getattr(L, name, None)
    if layer is None:
        pytest.skip(f"layers.{name} is not in this build (the conv helper adds pooling)")
    return layer


def _predict_layer(layer, x):
    model = tf.Sequential([L.InputLayer(input_shape=x.shape[1:]), layer, L.Flatten()])
    return model.predict(x.astype(np.float32))


def test_max_pooling_skips_nan_as_tensorflow_cpu():
    # KERAS_REFERENCE.md section 13 (TF 2.21 CPU): window [NaN, 2, 5, 6] -> 6; an all-NaN window -> lowest float32.
    pool = _pooling("MaxPooling2D")
    x = np.array([[NAN, 2.0, NAN, NAN], [5.0, 6.0, NAN, NAN]]).reshape(1, 2, 4, 1)
    got = _predict_layer(pool(pool_size=(2, 2)), x).reshape(-1)
    np.testing.assert_array_equal(got, [6.0, np.finfo(np.float32).min])
    pool1 = _pooling("MaxPooling1D")
    x1 = np.array([NAN, 3.0, INF, NAN, -INF, -INF]).reshape(1, 6, 1)
    np.testing.assert_array_equal(_predict_layer(pool1(pool_size=2), x1).reshape(-1), [3.0, INF, -INF])


@pytest.mark.parametrize("name,kwargs", [("AveragePooling2D", {"pool_size": (2, 2)}), ("GlobalMaxPooling2D", {}),
                                         ("GlobalAveragePooling2D", {})])
def test_other_pooling_propagates_nan(name, kwargs):
    pool = _pooling(name)
    x = np.arange(8, dtype=np.float64).reshape(1, 2, 2, 2)
    x[0, 0, 1, 0] = NAN
    got = _predict_layer(pool(**kwargs), x).reshape(-1)
    assert np.isnan(got[0]) and np.isfinite(got[1]), got


@pytest.mark.parametrize("clip", [{"clipvalue": 0.5}, {"clipnorm": 0.5}, {"global_clipnorm": 0.5}])
def test_gradient_clipping_passes_nan_to_the_weights(clip):
    # tf.clip_by_value / clip_by_norm of NaN is NaN: a NaN gradient must not be clipped into a finite step.
    x = np.random.RandomState(1).rand(16, 4).astype(np.float32)
    x[3, 1] = np.nan
    model = tf.Sequential([L.Dense(3, activation="relu", input_shape=(4,)), L.Dense(1)])
    model.compile(optimizer=tf.optimizers.SGD(0.1, **clip), loss="mse")
    with pytest.warns(RuntimeWarning):
        model.fit(x, np.ones((16, 1), np.float32), epochs=1, batch_size=16, verbose=0)
    assert np.isnan(model.get_weights()[0]).any()
