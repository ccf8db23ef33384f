"""layer.trainable = False and model.trainable = False (freezing, Keras' transfer-learning idiom): the frozen
weights leave the optimizer's array (C++ Layer::freeze), gradients still flow through them to the layers
before, and the weight lists and summary() count them as Keras does. Checked against float64 NumPy SGD steps
whose gradients come from central differences."""

import numpy as np
import pytest

import finite_differences
import pyminidl as tf
from pyminidl import _core
from pyminidl import layers as L


def _chain(seed=0):
    inp = tf.keras.Input(shape=(3,), name="x")
    a = L.Dense(4, activation="tanh", name="a")(inp)
    b = L.Dense(4, activation="tanh", name="b")(a)
    model = tf.keras.Model(inp, L.Dense(2, name="c")(b))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.6, size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _forward64(w, x):
    ka, ba, kb, bb, kc, bc = w
    return np.tanh(np.tanh(x @ ka + ba) @ kb + bb) @ kc + bc


def _data(n=8, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 2)).astype(np.float32)


def test_a_frozen_middle_layer_passes_gradients_and_keeps_its_weights():
    model = _chain()
    model.get_layer("b").trainable = False
    model.compile(optimizer=tf.optimizers.SGD(learning_rate=0.1), loss="mse")
    before = [w.astype(np.float64) for w in model.get_weights()]
    x, y = _data()
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    after = model.get_weights()
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    for t, w in enumerate(before):
        def loss_of(wt, t=t):
            return np.mean((_forward64(before[:t] + [wt] + before[t + 1:], x64) - y64) ** 2)
        expected = w if t in (2, 3) else w - 0.1 * finite_differences.gradient(loss_of, w)
        np.testing.assert_allclose(after[t], expected, rtol=1e-4, atol=1e-5, err_msg=f"weight {t}")
    np.testing.assert_array_equal(after[2], before[2].astype(np.float32))  # exactly untouched
    assert [w.path for w in model.trainable_weights] == ["a/kernel", "a/bias", "c/kernel", "c/bias"]
    assert [w.path for w in model.non_trainable_weights] == ["b/kernel", "b/bias"]


def test_frozen_first_layer_trains_the_rest_like_a_model_on_its_features():
    model = _chain(seed=2)
    model.get_layer("a").trainable = False
    model.compile(optimizer="adam", loss="mse")
    x, y = _data(32, seed=3)
    features = tf.keras.Model(model.input, model.get_layer("a").output).predict(x)
    inp = tf.keras.Input(shape=(4,))
    head = tf.keras.Model(inp, L.Dense(2)(L.Dense(4, activation="tanh")(inp)))
    head.set_weights(model.get_weights()[2:])
    head.compile(optimizer="adam", loss="mse")
    frozen = model.get_layer("a").get_weights()
    h1 = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    h2 = head.fit(features, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-6)
    for got, want in zip(model.get_weights()[2:], head.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for got, want in zip(model.get_layer("a").get_weights(), frozen):
        np.testing.assert_array_equal(got, want)


def test_a_frozen_base_model_inside_another():
    inner_in = tf.keras.Input(shape=(3,))
    base = tf.keras.Model(inner_in, L.Dense(4, activation="relu", name="base_dense")(inner_in), name="base")
    base.trainable = False
    outer = tf.keras.Sequential([base, L.Dense(2, name="head")])
    outer.compile(optimizer="sgd", loss="mse")
    lines = []
    outer.summary(print_fn=lines.append)
    assert lines[-4:-1] == ["Total params: 26", "Trainable params: 10", "Non-trainable params: 16"]
    frozen, head = base.get_weights(), outer.get_layer("head").get_weights()
    x, y = _data(16)
    outer.fit(x, y, epochs=2, verbose=0)
    for got, want in zip(base.get_weights(), frozen):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(outer.get_layer("head").get_weights()[0], head[0])
    # unfrozen again: takes effect at the next fit (as a recompile would), the base now trains
    base.trainable = True
    outer.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(base.get_weights()[0], frozen[0])


def test_a_frozen_model_does_not_change_and_still_reports_its_loss():
    model = _chain()
    model.trainable = False
    model.compile(optimizer="adam", loss="mse")
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 6
    before = model.get_weights()
    x, y = _data()
    hist = model.fit(x, y, epochs=3, verbose=0).history
    assert hist["loss"][0] == pytest.approx(hist["loss"][-1], rel=1e-6) and np.isfinite(hist["loss"][0])
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_freezing_in_the_c_core():
    net = _core.Network([("dense", [0], {"units": 2, "trainable": 0}), ("dense", [1], {"units": 1})], [(3,)], 1)
    assert [t for _, _, t in net.layer_weights(0)] == [False, False]
    assert net.num_trainable_params == 3 and net.num_params == 11
    with pytest.raises(ValueError, match=r"layer 0: dense: attribute 'trainable' must be in \[0, 1\], got 2"):
        _core.Network([("dense", [0], {"units": 2, "trainable": 2})], [(3,)], 1)
