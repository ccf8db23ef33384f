"""Graph shapes of the functional API on the C++ network, each against a float64 NumPy forward pass and its
gradients against central differences: a residual (skip) connection, a diamond (one tensor read by two
branches that merge again), a tensor merged with itself, three inputs, and a nested model inside a graph."""

import numpy as np
import pytest

import finite_differences
import pyminidl as tf
from pyminidl import layers as L


def _relu(z):
    return np.maximum(z, 0)


def _residual():
    inp = tf.keras.Input(shape=(4,), name="x")
    h = L.Dense(4, activation="tanh", name="h")(inp)
    r = L.Dense(4, name="r")(h)
    s = L.add([h, r], name="skip")  # h is read by r and by the add: its gradient has two contributions
    out = L.Dense(2, name="out")(L.Activation("relu", name="act")(s))
    return tf.keras.Model(inp, out)


def _residual64(w, xs):
    kh, bh, kr, br, ko, bo = w
    h = np.tanh(xs[0] @ kh + bh)
    return _relu(h + (h @ kr + br)) @ ko + bo


def _diamond():
    inp = tf.keras.Input(shape=(3,), name="x")
    top = L.Dense(5, activation="sigmoid", name="top")(inp)
    left = L.Dense(4, activation="tanh", name="left")(top)
    right = L.Dense(4, name="right")(top)
    joined = L.multiply([left, right], name="join")
    both = L.concatenate([joined, top], name="both")  # top again: three consumers in all
    return tf.keras.Model(inp, L.Dense(1, name="out")(both))


def _diamond64(w, xs):
    kt, bt, kl, bl, kr, br, ko, bo = w
    top = 1 / (1 + np.exp(-(xs[0] @ kt + bt)))
    left, right = np.tanh(top @ kl + bl), top @ kr + br
    return np.concatenate([left * right, top], axis=1) @ ko + bo


def _self_merge():
    inp = tf.keras.Input(shape=(3,))
    h = L.Dense(3, activation="tanh")(inp)
    return tf.keras.Model(inp, L.Dense(2)(L.multiply([h, h, L.add([h, h])])))


def _self_merge64(w, xs):
    k1, b1, k2, b2 = w
    h = np.tanh(xs[0] @ k1 + b1)
    return (h * h * (2 * h)) @ k2 + b2


def _three_inputs():
    a, b, c = (tf.keras.Input(shape=(3,), name=n) for n in "abc")
    ha = L.Dense(3, activation="relu", name="ha")(a)
    mx = L.maximum([ha, b, c], name="mx")
    mn = L.minimum([ha, b, c], name="mn")
    av = L.average([mx, mn, L.subtract([b, c], name="bc")], name="av")
    return tf.keras.Model([a, b, c], L.Dense(2, name="out")(av))


def _three_inputs64(w, xs):
    k1, b1, ko, bo = w
    a, b, c = xs
    ha = _relu(a @ k1 + b1)
    mx, mn = np.maximum(np.maximum(ha, b), c), np.minimum(np.minimum(ha, b), c)
    return ((mx + mn + (b - c)) / 3) @ ko + bo


def _nested():
    block_in = tf.keras.Input(shape=(3,))
    block = tf.keras.Model(block_in, L.Dense(3, activation="tanh", name="inner")(block_in), name="block")
    a, b = tf.keras.Input(shape=(3,), name="a"), tf.keras.Input(shape=(3,), name="b")
    s = L.add([block(a), b])
    return tf.keras.Model([a, b], L.Dense(1, name="out")(s))


def _nested64(w, xs):
    k1, b1, ko, bo = w
    return (np.tanh(xs[0] @ k1 + b1) + xs[1]) @ ko + bo


CASES = {"residual": (_residual, _residual64, [(4,)]), "diamond": (_diamond, _diamond64, [(3,)]),
         "self_merge": (_self_merge, _self_merge64, [(3,)]),
         "three_inputs": (_three_inputs, _three_inputs64, [(3,)] * 3), "nested": (_nested, _nested64, [(3,)] * 2)}


def _setup(case, seed=0):
    build, forward64, shapes = CASES[case]
    model = build()
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=0.6, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    xs = [rng.normal(size=(6,) + s).astype(np.float32) for s in shapes]
    return model, forward64, weights, xs


@pytest.mark.parametrize("case", list(CASES))
def test_forward_matches_float64_numpy(case):
    model, forward64, weights, xs = _setup(case)
    expected = forward64([w.astype(np.float64) for w in weights], [x.astype(np.float64) for x in xs])
    got = model.predict(xs if len(xs) > 1 else xs[0])
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # one sample alone gives the same bits as in the batch
    alone = model.predict([x[2:3] for x in xs] if len(xs) > 1 else xs[0][2:3])
    np.testing.assert_array_equal(alone, got[2:3])


@pytest.mark.parametrize("case", list(CASES))
def test_gradients_match_finite_differences(case):
    model, forward64, weights, xs = _setup(case, seed=1)
    y = np.random.default_rng(9).normal(size=(len(xs[0]), model.output_shape[-1])).astype(np.float32)
    model.compile(optimizer=tf.optimizers.SGD(learning_rate=0.0), loss="mse")
    model.fit(xs, y, batch_size=len(y), epochs=1, shuffle=False, verbose=0)
    grads = [np.array(g) for g in model._net.gradients()]
    assert len(grads) == len(weights)
    x64, y64 = [x.astype(np.float64) for x in xs], y.astype(np.float64)
    w64 = [w.astype(np.float64) for w in weights]
    for t, w in enumerate(w64):
        def loss_of(wt, t=t):
            return np.mean((forward64(w64[:t] + [wt] + w64[t + 1:], x64) - y64) ** 2)
        np.testing.assert_allclose(grads[t], finite_differences.gradient(loss_of, w), rtol=5e-4, atol=5e-6,
                                   err_msg=f"{case}: weight tensor {t} ({model.weights[t].path})")


def test_residual_training_step_is_the_float64_sgd_step():
    model, forward64, weights, xs = _setup("residual", seed=2)
    y = np.random.default_rng(3).normal(size=(6, 2)).astype(np.float32)
    model.compile(optimizer=tf.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(xs[0], y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    w64, x64, y64 = [w.astype(np.float64) for w in weights], [xs[0].astype(np.float64)], y.astype(np.float64)
    for t, (before, after) in enumerate(zip(w64, model.get_weights())):
        def loss_of(wt, t=t):
            return np.mean((forward64(w64[:t] + [wt] + w64[t + 1:], x64) - y64) ** 2)
        np.testing.assert_allclose(after, before - 0.1 * finite_differences.gradient(loss_of, before), rtol=1e-4,
                                   atol=1e-5)


def test_a_graph_model_learns():
    # y = relu-ish function of both inputs; the residual and merge paths must all train for the loss to drop
    model = _three_inputs()
    rng = np.random.default_rng(4)
    xs = [rng.normal(size=(256, 3)).astype(np.float32) for _ in range(3)]
    y = np.stack([xs[0].sum(1) - xs[2][:, 0], np.abs(xs[1][:, 1])], axis=1).astype(np.float32)
    model.compile(optimizer=tf.optimizers.Adam(0.02), loss="mse")
    hist = model.fit({"a": xs[0], "b": xs[1], "c": xs[2]}, y, epochs=30, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
