"""Losses: _core.loss_batch values vs float64 NumPy, gradients vs finite differences through the activation."""

import numpy as np
import pytest

from pyminidl import _core, losses

import finite_differences

Act, L = _core.Act, _core.Loss
EPS = 1e-7
TOP = float(np.float32(1 - EPS))  # Keras clips in float32: 0.99999988


def _act(name, z):
    if name == "linear":
        return z
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise KeyError(name)


def _logsoftmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def ref_per_sample(kind, z, p, y, from_logits=False, fused=False, delta=1.0):
    """Per-sample loss in float64. fused/from_logits: cross-entropies computed from the logits z."""
    if kind == "mse":
        return np.mean((p - y) ** 2, axis=1)
    if kind == "mae":
        return np.mean(np.abs(p - y), axis=1)
    if kind == "huber":
        a = np.abs(p - y)
        return np.mean(np.where(a <= delta, 0.5 * a**2, delta * (a - 0.5 * delta)), axis=1)
    logits = from_logits or fused
    x = z if fused else p  # from_logits with a linear output: p is z
    if kind == "binary_crossentropy":
        if logits:
            return np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))), axis=1)
        q = np.clip(x, EPS, TOP)
        return np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q)), axis=1)
    if kind == "sparse_categorical_crossentropy":
        y = np.eye(x.shape[1])[y[:, 0].astype(int)]
    if logits:
        return -np.sum(y * _logsoftmax(x), axis=1)
    q = np.clip(x / x.sum(axis=1, keepdims=True), EPS, TOP)
    return -np.sum(y * np.log(q), axis=1)


def _targets(kind, rows, cols, rng):
    if kind == "sparse_categorical_crossentropy":
        return rng.integers(0, cols, size=(rows, 1)).astype(np.float32)
    if kind == "categorical_crossentropy":
        return np.eye(cols, dtype=np.float32)[rng.integers(0, cols, size=rows)]
    if kind == "binary_crossentropy":
        y = rng.integers(0, 2, size=(rows, cols)).astype(np.float32)
        y[0] = 0.3  # soft labels are allowed
        return y
    return rng.normal(size=(rows, cols)).astype(np.float32)


def _cfg(kind, from_logits=False, delta=1.0):
    cfg = _core.LossConfig()
    cfg.kind, cfg.from_logits, cfg.huber_delta = getattr(L, kind), from_logits, delta
    return cfg


CASES = [  # (loss, output activation, from_logits, huber delta, cols)
    ("mse", "linear", False, 1.0, 3),
    ("mse", "tanh", False, 1.0, 2),
    ("mse", "softmax", False, 1.0, 4),
    ("mae", "linear", False, 1.0, 3),
    ("mae", "sigmoid", False, 1.0, 2),
    ("huber", "linear", False, 1.0, 3),
    ("huber", "linear", False, 0.5, 3),
    ("huber", "tanh", False, 0.3, 2),
    ("binary_crossentropy", "sigmoid", False, 1.0, 1),   # fused: from the logits
    ("binary_crossentropy", "sigmoid", False, 1.0, 3),
    ("binary_crossentropy", "linear", True, 1.0, 2),     # from_logits=True
    ("binary_crossentropy", "softmax", False, 1.0, 3),   # probabilities through softmax
    ("binary_crossentropy", "linear", False, 1.0, 2),    # plain probabilities
    ("categorical_crossentropy", "softmax", False, 1.0, 4),
    ("categorical_crossentropy", "linear", True, 1.0, 3),
    ("categorical_crossentropy", "sigmoid", False, 1.0, 3),  # renormalised probabilities
    ("sparse_categorical_crossentropy", "softmax", False, 1.0, 4),
    ("sparse_categorical_crossentropy", "linear", True, 1.0, 3),
    ("sparse_categorical_crossentropy", "sigmoid", False, 1.0, 3),
]


def _inputs(kind, act, cols, seed, rows=6):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=1.5, size=(rows, cols))
    if act == "linear" and kind == "binary_crossentropy":
        z = rng.uniform(0.05, 0.95, size=(rows, cols))  # probabilities given directly
    z = z.astype(np.float32)
    y = _targets(kind, rows, cols, rng)
    w = rng.uniform(0.2, 2.0, size=rows).astype(np.float32)
    return z, y, w


def _is_fused(kind, act, from_logits):
    return not from_logits and ((kind == "binary_crossentropy" and act == "sigmoid") or
                                (kind in ("categorical_crossentropy", "sparse_categorical_crossentropy")
                                 and act == "softmax"))


def _ref_total(kind, act, from_logits, delta, z, y, w, scale):
    z = np.asarray(z, np.float64)
    p = _act(act, z)
    per = ref_per_sample(kind, z, p, np.asarray(y, np.float64), from_logits, _is_fused(kind, act, from_logits),
                         delta)
    return float(np.sum(w * per) * scale)


@pytest.mark.parametrize("kind,act,from_logits,delta,cols", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_value_and_gradient(kind, act, from_logits, delta, cols, weighted):
    z, y, w = _inputs(kind, act, cols, seed=cols * 7 + len(kind))
    if kind in ("mae", "huber"):  # keep away from the kinks at e = 0 and |e| = delta
        p = _act(act, z.astype(np.float64))
        e = p - y
        y = np.where(np.abs(e) < 0.05, y - 0.2, y)
        y = np.where(np.abs(np.abs(p - y) - delta) < 0.05, y + 0.15, y).astype(np.float32)
    weights = w if weighted else None
    wref = w.astype(np.float64) if weighted else np.ones(len(z))
    scale = 0.25
    p = _core.act_forward(getattr(Act, act), 0.0, z)
    total, grad = _core.loss_batch(_cfg(kind, from_logits, delta), getattr(Act, act), 0.0, z, p, y, weights, scale)
    assert total == pytest.approx(_ref_total(kind, act, from_logits, delta, z, y, wref, 1.0), rel=2e-6, abs=1e-6)
    want = finite_differences.gradient(lambda zz: _ref_total(kind, act, from_logits, delta, zz, y, wref, scale), z)
    np.testing.assert_allclose(grad, want, rtol=2e-4, atol=2e-6)


@pytest.mark.parametrize("kind,act,z,y,want", [
    # probabilities clipped at 1e-7 (float32): Keras' saturation limits
    ("binary_crossentropy", "linear", [[0.0]], [[1.0]], 16.118095),
    ("binary_crossentropy", "linear", [[1.0]], [[0.0]], 15.942385),
    ("binary_crossentropy", "linear", [[0.5]], [[1.0]], np.log(2)),
    ("categorical_crossentropy", "linear", [[1.0, 0.0]], [[0.0, 1.0]], 16.118095),
    ("categorical_crossentropy", "linear", [[2.0, 6.0]], [[0.0, 1.0]], -np.log(0.75)),   # renormalised
    ("sparse_categorical_crossentropy", "linear", [[1.0, 0.0]], [[1.0]], 16.118095),
    # sigmoid/softmax outputs: computed from the logits, unclipped
    ("binary_crossentropy", "sigmoid", [[40.0]], [[0.0]], 40.0),
    ("binary_crossentropy", "sigmoid", [[-60.0]], [[1.0]], 60.0),
    ("categorical_crossentropy", "softmax", [[50.0, 0.0]], [[0.0, 1.0]], 50.0),
    ("sparse_categorical_crossentropy", "softmax", [[0.0, 0.0, 50.0]], [[1.0]], 50.0),
    ("mse", "linear", [[1.0, 3.0]], [[0.0, 0.0]], 5.0),
    ("mae", "linear", [[1.0, -3.0]], [[0.0, 0.0]], 2.0),
    ("huber", "linear", [[0.5, 3.0]], [[0.0, 0.0]], (0.125 + 2.5) / 2),
])
def test_hand_values(kind, act, z, y, want):
    z, y = np.array(z, np.float32), np.array(y, np.float32)
    p = _core.act_forward(getattr(Act, act), 0.0, z)
    total, _ = _core.loss_batch(_cfg(kind), getattr(Act, act), 0.0, z, p, y, None, 1.0)
    assert total == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("kind,act,z,y,want_grad", [
    ("binary_crossentropy", "sigmoid", [[40.0]], [[0.0]], [[1.0]]),                 # p - y
    ("categorical_crossentropy", "softmax", [[50.0, 0.0]], [[0.0, 1.0]], [[1.0, -1.0]]),
    ("sparse_categorical_crossentropy", "softmax", [[0.0, 0.0]], [[1.0]], [[0.5, -0.5]]),
    ("binary_crossentropy", "linear", [[0.0]], [[1.0]], [[0.0]]),                   # clipped: no gradient
])
def test_saturated_gradients(kind, act, z, y, want_grad):
    z, y = np.array(z, np.float32), np.array(y, np.float32)
    p = _core.act_forward(getattr(Act, act), 0.0, z)
    _, g = _core.loss_batch(_cfg(kind), getattr(Act, act), 0.0, z, p, y, None, 1.0)
    np.testing.assert_allclose(g, want_grad, atol=1e-6)


def test_softmax_cce_gradient_is_p_minus_y_times_weight_and_scale():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(4, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    w = np.array([1.0, 0.5, 2.0, 0.0], np.float32)
    p = _core.act_forward(Act.softmax, 0.0, z)
    _, g = _core.loss_batch(_cfg("categorical_crossentropy"), Act.softmax, 0.0, z, p, y, w, 0.5)
    np.testing.assert_allclose(g, (p - y) * w[:, None] * 0.5, atol=1e-7)


@pytest.mark.parametrize("cols,spread", [(2, 1.0), (10, 3.0), (10, 40.0), (1000, 5.0)])
def test_softmax_cce_value_from_the_softmax_output(cols, spread):
    # The fused loss takes log(sum exp) from the softmax output's largest entry, 1 / sum: check it against
    # log-sum-exp in float64, also with ties at the max and labels that are not one-hot.
    rng = np.random.default_rng(cols)
    z = (rng.normal(size=(8, cols)) * spread).astype(np.float32)
    z[0, :2] = z[0].max()
    y = rng.uniform(0.0, 1.0, size=(8, cols)).astype(np.float32)
    p = _core.act_forward(Act.softmax, 0.0, z)
    total, _ = _core.loss_batch(_cfg("categorical_crossentropy"), Act.softmax, 0.0, z, p, y, None, 1.0)
    zd = z.astype(np.float64)
    m = zd.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(zd - m).sum(axis=1, keepdims=True))
    assert total == pytest.approx(float(np.sum(y * (lse - zd))), rel=1e-6)


def test_sparse_label_out_of_range_raises():
    z = np.zeros((1, 3), np.float32)
    with pytest.raises((ValueError, IndexError)):
        _core.loss_batch(_cfg("sparse_categorical_crossentropy"), Act.softmax, 0.0, z, z, np.array([[3.0]], np.float32),
                         None, 1.0)


# --- Python loss objects ----------------------------------------------------------------------------

@pytest.mark.parametrize("name,y_true,y_pred,want", [
    ("mse", [[0.0, 1.0], [2.0, 2.0]], [[1.0, 1.0], [0.0, 2.0]], (0.5 + 2.0) / 2),
    ("MSE", [1.0, 2.0], [[1.5], [2.0]], 0.125),                          # rank fix: (n,) vs (n, 1)
    ("mean_squared_error", [[3.0]], [[1.0]], 4.0),
    ("mae", [[0.0, 1.0]], [[1.0, -1.0]], 1.5),
    ("huber", [[0.0, 0.0]], [[0.5, 3.0]], 1.3125),
    ("binary_crossentropy", [[1.0]], [[0.0]], 16.118095),
    ("bce", [1.0, 0.0], [[0.8], [0.4]], -(np.log(0.8) + np.log(0.6)) / 2),
    ("categorical_crossentropy", [[0, 1, 0]], [[0.2, 0.6, 0.2]], -np.log(0.6)),
    ("categorical_crossentropy", [[0, 1]], [[1.0, 3.0]], -np.log(0.75)),
    ("sparse_categorical_crossentropy", [1, 0], [[0.2, 0.8], [0.5, 0.5]], -(np.log(0.8) + np.log(0.5)) / 2),
    ("sparse_categorical_crossentropy", [[2]], [[0.1, 0.1, 0.8]], -np.log(0.8)),
])
def test_python_loss_by_name(name, y_true, y_pred, want):
    assert float(losses.get(name)(y_true, y_pred)) == pytest.approx(want, rel=1e-6)


def test_python_loss_sample_weight_divides_by_n_not_sum_of_weights():
    loss = losses.MeanSquaredError()
    got = loss([[0.0], [0.0], [0.0]], [[1.0], [2.0], [3.0]], sample_weight=[1.0, 0.5, 0.0])
    assert float(got) == pytest.approx((1.0 + 0.5 * 4.0 + 0.0) / 3)


@pytest.mark.parametrize("cls,y,z", [
    (losses.BinaryCrossentropy, [[1.0, 0.0]], [[2.0, -40.0]]),
    (losses.CategoricalCrossentropy, [[0.0, 1.0, 0.0]], [[1.0, -2.0, 0.5]]),
])
def test_python_loss_from_logits(cls, y, z):
    kind = {losses.BinaryCrossentropy: "binary_crossentropy",
            losses.CategoricalCrossentropy: "categorical_crossentropy"}[cls]
    zz = np.array(z, np.float64)
    want = ref_per_sample(kind, zz, zz, np.array(y, np.float64), from_logits=True).mean()
    assert float(cls(from_logits=True)(y, z)) == pytest.approx(want, rel=1e-6)


def test_python_loss_functions_and_unknown_name():
    assert float(losses.mse([[1.0]], [[3.0]])) == pytest.approx(4.0)
    assert isinstance(losses.get(losses.mse), losses.MeanSquaredError)
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        losses.get("msee")
