"""Dense stacks through Sequential: predict vs a float64 NumPy forward pass, and the gradients of the last
training step (model._net.gradients()) vs central finite differences of the float64 loss."""

import math

import numpy as np
import pytest

import pyminidl
from pyminidl.layers import Activation, Dense, Dropout
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD

import finite_differences

_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


ACT = {
    None: lambda x: x, "linear": lambda x: x, "relu": lambda x: np.maximum(x, 0), "tanh": np.tanh,
    "sigmoid": _sigmoid, "softmax": _softmax, "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "swish": lambda x: x * _sigmoid(x), "softplus": _softplus, "mish": lambda x: x * np.tanh(_softplus(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
}


# A stack is a list of ("dense", units, activation, use_bias) / ("act", activation) / ("drop", rate).
def _model(stack, in_dim):
    layers = []
    for spec in stack:
        if spec[0] == "dense":
            layers.append(Dense(spec[1], activation=spec[2], use_bias=spec[3]))
        elif spec[0] == "act":
            layers.append(Activation(spec[1]))
        else:
            layers.append(Dropout(spec[1]))
    model = Sequential(layers)
    model.build((None, in_dim))
    return model


def _random_weights(model, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=0.6, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    return [w.astype(np.float64) for w in weights]


def ref_forward(stack, weights, x):
    """float64 forward pass; returns (output pre-activation z, output p, activation of the last layer)."""
    a, z, act, k = np.asarray(x, np.float64), None, None, 0
    for spec in stack:
        if spec[0] == "dense":
            z = a @ weights[k]
            k += 1
            if spec[3]:
                z = z + weights[k]
                k += 1
            act = spec[2]
        elif spec[0] == "act":
            z, act = a, spec[1]
        else:
            z, act = a, None
        a = ACT[act](z)
    return z, a, act


def ref_loss(loss, stack, weights, x, y):
    """Mean per-sample loss (Keras' sum_over_batch_size) in float64, logits recovered as Keras does."""
    z, p, act = ref_forward(stack, weights, x)
    if loss == "mse":
        per = np.mean((p - y) ** 2, axis=1)
    elif loss == "binary_crossentropy":
        assert act == "sigmoid"
        per = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=1)
    else:
        assert act == "softmax"
        m = z.max(axis=1, keepdims=True)
        logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        if loss == "sparse_categorical_crossentropy":
            y = np.eye(z.shape[1])[y.astype(int).reshape(-1)]
        per = -np.sum(y * logp, axis=1)
    return per.mean()


FORWARD_CASES = [  # (in_dim, stack)
    (4, [("dense", 3, None, True)]),
    (4, [("dense", 3, None, False)]),
    (1, [("dense", 1, "sigmoid", True)]),
    (7, [("dense", 16, "relu", True), ("dense", 5, "softmax", True)]),
    (5, [("dense", 8, "tanh", False), ("dense", 8, "elu", True), ("dense", 2, "selu", True)]),
    (3, [("dense", 6, "gelu", True), ("dense", 6, "leaky_relu", True), ("dense", 4, "swish", True)]),
    (6, [("dense", 9, "mish", True), ("dense", 3, "softsign", True), ("dense", 1, "softplus", True)]),
    (6, [("dense", 4, None, True), ("act", "relu"), ("drop", 0.5), ("dense", 3, None, True), ("act", "softmax")]),
    (40, [("dense", 33, "relu", True), ("dense", 17, "tanh", True), ("dense", 10, None, True)]),  # past tiles
]


@pytest.mark.parametrize("in_dim,stack", FORWARD_CASES)
@pytest.mark.parametrize("rows", [1, 13, 300])  # 300 > predict's internal batch of 256
def test_predict_matches_float64(in_dim, stack, rows):
    model = _model(stack, in_dim)
    weights = _random_weights(model, seed=in_dim + len(stack))
    x = np.random.default_rng(rows).normal(size=(rows, in_dim)).astype(np.float32)
    got = model.predict(x)
    assert got.dtype == np.float32 and got.shape == (rows, model.output_shape[-1])
    np.testing.assert_allclose(got, ref_forward(stack, weights, x)[1], rtol=2e-5, atol=2e-6)


# Layers big enough for every GEMM schedule, whose epilogue adds the bias and applies the activation
# block by block: shared A (k > 256), blocked (k <= 256), the narrow product computed transposed (n = 10).
LARGE_STACK = [("dense", 300, "relu", True), ("dense", 200, "gelu", False), ("dense", 70, "elu", True),
               ("dense", 40, "tanh", True), ("dense", 10, "softmax", True)]


def _scaled_weights(model, rng, bias_scale):
    """Kernels ~ N(0, 1/fan_in) (activations stay O(1) through wide layers), biases ~ N(0, bias_scale^2)."""
    weights = [rng.normal(scale=1 / np.sqrt(w.shape[0]) if w.ndim == 2 else bias_scale, size=w.shape).astype(np.float32)
               for w in model.get_weights()]
    model.set_weights(weights)
    return weights


@pytest.mark.parametrize("threads", [1, 2])
def test_predict_of_large_layers_matches_float64(threads):
    model = _model(LARGE_STACK, 600)
    rng = np.random.default_rng(0)
    weights = _scaled_weights(model, rng, bias_scale=0.5)
    x = rng.normal(size=(300, 600)).astype(np.float32)
    pyminidl.set_num_threads(threads)
    got = model.predict(x)
    ref = ref_forward(LARGE_STACK, [w.astype(np.float64) for w in weights], x)[1]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("in_dim,stack", FORWARD_CASES + [(600, LARGE_STACK)])
def test_a_rows_outputs_do_not_depend_on_the_rows_around_it(in_dim, stack):
    """predict and evaluate run at least 256 rows per forward pass whatever batch size they are given: exact
    only because a row's outputs are the same bits alone, in a short batch or in a long one."""
    model = _model(stack, in_dim)
    rng = np.random.default_rng(in_dim)
    _scaled_weights(model, rng, bias_scale=0.5)
    x = rng.normal(size=(300, in_dim)).astype(np.float32)
    whole = model.predict(x)
    for rows in (slice(0, 1), slice(7, 8), slice(299, 300), slice(0, 13), slice(250, 300)):
        np.testing.assert_array_equal(model.predict(x[rows]), whole[rows])
        np.testing.assert_array_equal(model.predict(x[rows], batch_size=1), whole[rows])
    y = rng.normal(size=whole.shape).astype(np.float32)
    model.compile(optimizer="sgd", loss="mse")
    losses = [model.evaluate(x, y, batch_size=b, verbose=0) for b in (1, 32, 300)]
    assert losses == pytest.approx([losses[0]] * 3, rel=1e-12)  # only the double sums' grouping differs
    assert losses[0] == pytest.approx(np.mean((whole.astype(np.float64) - y) ** 2), rel=1e-6)


def test_wide_layers_keep_predictions_exact_whatever_the_rows_per_pass():
    """30,000 units: the rows per forward pass fall under 256 (the workspace cap), still the same bits."""
    model = _model([("dense", 30000, "tanh", True), ("dense", 3, None, True)], 2)
    weights = _scaled_weights(model, np.random.default_rng(1), bias_scale=0.5)
    x = np.random.default_rng(2).normal(size=(400, 2)).astype(np.float32)
    whole = model.predict(x)
    for batch_size in (1, 187, 400):
        np.testing.assert_array_equal(model.predict(x, batch_size=batch_size), whole)
    ref = ref_forward([("dense", 30000, "tanh", True), ("dense", 3, None, True)],
                      [w.astype(np.float64) for w in weights], x)[1]
    np.testing.assert_allclose(whole, ref, rtol=1e-4, atol=1e-5)


def test_predict_of_default_initialised_model():
    model = _model([("dense", 5, "relu", True), ("dense", 2, None, True)], 3)
    x = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    weights = [w.astype(np.float64) for w in model.get_weights()]
    assert np.all(weights[1] == 0) and np.all(weights[3] == 0)  # zero biases
    np.testing.assert_allclose(model.predict(x), np.maximum(x @ weights[0], 0) @ weights[2], rtol=1e-5, atol=1e-6)


GRAD_CASES = [  # (loss, in_dim, stack, output dim / classes)
    ("mse", 3, [("dense", 2, None, True)], 2),
    ("mse", 4, [("dense", 5, "relu", True), ("dense", 1, None, True)], 1),
    ("mse", 4, [("dense", 5, "tanh", False), ("dense", 3, "sigmoid", True)], 3),
    ("mse", 3, [("dense", 4, None, True), ("act", "tanh"), ("drop", 0.0), ("dense", 2, None, False)], 2),
    ("binary_crossentropy", 4, [("dense", 6, "relu", True), ("dense", 1, "sigmoid", True)], 1),
    ("binary_crossentropy", 3, [("dense", 5, "tanh", True), ("dense", 2, None, True), ("act", "sigmoid")], 2),
    ("categorical_crossentropy", 5, [("dense", 6, "tanh", True), ("dense", 3, "softmax", True)], 3),
    ("categorical_crossentropy", 4, [("dense", 7, "relu", True), ("drop", 0.0), ("dense", 4, "softmax", False)], 4),
    ("categorical_crossentropy", 3, [("dense", 4, "elu", True), ("dense", 3, None, True), ("act", "softmax")], 3),
    ("sparse_categorical_crossentropy", 4, [("dense", 5, "gelu", True), ("dense", 3, "softmax", True)], 3),
]


def _targets(loss, rows, k, rng):
    if loss == "mse":
        return rng.normal(size=(rows, k)).astype(np.float32)
    if loss == "binary_crossentropy":
        return rng.integers(0, 2, size=(rows, k)).astype(np.float32)
    labels = rng.integers(0, k, size=rows)
    return labels if loss == "sparse_categorical_crossentropy" else np.eye(k, dtype=np.float32)[labels]


@pytest.mark.parametrize("loss,in_dim,stack,k", GRAD_CASES)
@pytest.mark.parametrize("lr", [0.0, 0.3])
def test_gradients_match_finite_differences(loss, in_dim, stack, k, lr):
    rows = 9
    rng = np.random.default_rng(in_dim * 10 + k)
    model = _model(stack, in_dim)
    weights = _random_weights(model, seed=k + len(stack))
    x = rng.normal(size=(rows, in_dim)).astype(np.float32)
    y = _targets(loss, rows, k, rng)
    model.compile(optimizer=SGD(learning_rate=lr), loss=loss)
    hist = model.fit(x, y, batch_size=rows, epochs=1, shuffle=False, verbose=0)
    y64 = np.asarray(y, np.float64)
    assert hist.history["loss"][0] == pytest.approx(ref_loss(loss, stack, weights, x, y64), rel=1e-5)
    grads = [np.array(g) for g in model._net.gradients()]
    assert [g.shape for g in grads] == [w.shape for w in weights]
    for t, w in enumerate(weights):
        def loss_of(wt, t=t):
            return ref_loss(loss, stack, weights[:t] + [wt] + weights[t + 1:], x, y64)
        fd = finite_differences.gradient(loss_of, w)
        np.testing.assert_allclose(grads[t], fd, rtol=2e-4, atol=2e-6, err_msg=f"weight tensor {t}")
    # one SGD step: w1 = w0 - lr * g
    for w0, g, w1 in zip(weights, grads, model.get_weights()):
        np.testing.assert_allclose(w1, (w0 - lr * g).astype(np.float32), rtol=1e-6, atol=1e-7)


def _backprop_float64(weights, x, y):
    """Gradients of mse through Dense(300, relu) -> Dense(200, tanh, no bias) -> Dense(70, sigmoid) -> Dense(10)."""
    w1, b1, w2, w3, b3, w4, b4 = weights
    z1 = x @ w1 + b1
    a1 = np.maximum(z1, 0)
    a2 = np.tanh(a1 @ w2)
    a3 = 1 / (1 + np.exp(-(a2 @ w3 + b3)))
    p = a3 @ w4 + b4
    d4 = 2 * (p - y) / p.size
    d3 = (d4 @ w4.T) * a3 * (1 - a3)
    d2 = (d3 @ w3.T) * (1 - a2 ** 2)
    d1 = (d2 @ w2.T) * (z1 > 0)
    return [x.T @ d1, d1.sum(0), a1.T @ d2, a2.T @ d3, d3.sum(0), a3.T @ d4, d4.sum(0)]


@pytest.mark.parametrize("threads", [1, 2])
def test_gradients_of_large_layers_match_float64(threads):
    # Big enough for every GEMM schedule; the input gradients get the activation's derivative in the
    # GEMM's epilogue, block by block.
    stack = [("dense", 300, "relu", True), ("dense", 200, "tanh", False), ("dense", 70, "sigmoid", True),
             ("dense", 10, None, True)]
    model = _model(stack, 600)
    rng = np.random.default_rng(1)
    weights = _scaled_weights(model, rng, bias_scale=0.3)
    x = rng.normal(size=(300, 600)).astype(np.float32)
    y = rng.normal(size=(300, 10)).astype(np.float32)
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    pyminidl.set_num_threads(threads)
    model.fit(x, y, batch_size=300, epochs=1, shuffle=False, verbose=0)
    ref = _backprop_float64([w.astype(np.float64) for w in weights], x.astype(np.float64), y.astype(np.float64))
    for t, (g, r) in enumerate(zip(model._net.gradients(), ref)):
        err = np.abs(np.asarray(g, np.float64) - r).max()
        assert err <= 1e-4 * np.abs(r).max(), f"tensor {t}: max error {err:.3g} of max {np.abs(r).max():.3g}"


def test_gradient_is_a_batch_mean_with_sample_weights():
    """The gradient of sum_i w_i l_i / N (Keras' divisor is N, not sum w)."""
    stack = [("dense", 3, "tanh", True), ("dense", 1, None, True)]
    model = _model(stack, 2)
    weights = _random_weights(model, seed=4)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 2)).astype(np.float32)
    y = rng.normal(size=(6, 1)).astype(np.float32)
    sw = np.array([0.0, 1.0, 2.0, 0.5, 1.0, 3.0], np.float32)
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    model.fit(x, y, sample_weight=sw, batch_size=6, epochs=1, shuffle=False, verbose=0)

    def loss(ws):
        p = ref_forward(stack, ws, x)[1]
        return np.sum(sw * np.mean((p - y) ** 2, axis=1)) / 6

    g_bias = np.array(model._net.gradients()[3])
    fd = []
    for s in (+1, -1):
        ws = [v.copy() for v in weights]
        ws[3] = ws[3] + s * 1e-6
        fd.append(loss(ws))
    assert g_bias[0] == pytest.approx((fd[0] - fd[1]) / 2e-6, rel=1e-4)
