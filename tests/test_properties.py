"""Property-based tests of the C++ entry points: random shapes, sizes and values against float64 NumPy.

Kernels (gemm with every transpose, activations, losses) and the network (predict/evaluate) are compared with a
float64 reference under float32 error bounds; malformed shapes must raise ValueError, never crash. Example counts
are chosen so the whole file runs in well under 20 s.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pyminidl
from pyminidl import _core, layers

EPS32 = float(np.finfo(np.float32).eps)
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.function_scoped_fixture], derandomize=True)

dims = st.integers(0, 70) | st.sampled_from([1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 127, 130])
values = st.floats(-4.0, 4.0, width=32, allow_subnormal=False)


def matrix(draw, rows, cols):
    kind = draw(st.sampled_from(["random", "hypothesis", "zeros", "int"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.RandomState(seed)
    if kind == "random":
        return (rng.standard_normal((rows, cols)) * draw(st.sampled_from([1e-3, 1.0, 1e3]))).astype(np.float32)
    if kind == "zeros":
        return np.zeros((rows, cols), np.float32)
    if kind == "int":
        return rng.randint(-3, 4, (rows, cols)).astype(np.float32)
    if rows * cols > 64:  # hypothesis-drawn arrays only for small shapes: they are slow to generate
        return rng.uniform(-4, 4, (rows, cols)).astype(np.float32)
    return draw(hnp.arrays(np.float32, (rows, cols), elements=values))


@st.composite
def gemm_case(draw):
    m, n, k = draw(dims), draw(dims), draw(dims)
    ta, tb = draw(st.booleans()), draw(st.booleans())
    a = matrix(draw, *((k, m) if ta else (m, k)))
    b = matrix(draw, *((n, k) if tb else (k, n)))
    with_c = draw(st.booleans())
    c = matrix(draw, m, n) if with_c else None
    alpha = draw(st.sampled_from([1.0, -1.0, 0.5, 0.0, 2.5]))
    beta = draw(st.sampled_from([0.0, 1.0, -0.5])) if with_c else 0.0
    return a, b, c, ta, tb, alpha, beta


@settings(FAST, max_examples=1000)
@given(gemm_case())
def test_gemm_matches_float64(case):
    a, b, c, ta, tb, alpha, beta = case
    opa = (a.T if ta else a).astype(np.float64)
    opb = (b.T if tb else b).astype(np.float64)
    c0 = None if c is None else c.astype(np.float64)
    ref = alpha * opa @ opb + (beta * c0 if c0 is not None else 0.0)
    got = _core.gemm(a, b, None if c is None else c.copy(), ta, tb, alpha, beta)
    assert got.shape == ref.shape and got.dtype == np.float32
    k = opa.shape[1]
    scale = abs(alpha) * (np.abs(opa) @ np.abs(opb)) + (abs(beta) * np.abs(c0) if c0 is not None else 0.0)
    bound = 2 * (k + 2) * EPS32 * scale + 1e-30
    assert np.all(np.abs(got - ref) <= bound), float(np.max(np.abs(got - ref) - bound))


@settings(FAST, max_examples=100)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.booleans(), st.booleans())
def test_gemm_in_place_and_views(m, n, k, ta, tb):
    rng = np.random.RandomState(m * 10000 + n * 100 + k)
    a_big = rng.standard_normal((2 * max(m, k), 2 * max(m, k))).astype(np.float32)
    a = a_big[: (k if ta else m), : (m if ta else k)][::1, ::1]
    a_strided = np.ascontiguousarray(a.T).T  # Fortran-ordered view: pybind copies, results must not change
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    c = rng.standard_normal((m, n)).astype(np.float32)
    c_in = c.copy()
    out = _core.gemm(a, b, c_in, ta, tb, 1.0, 1.0)
    assert np.shares_memory(out, c_in) or np.array_equal(out, c_in)
    np.testing.assert_array_equal(out, c_in)  # updated in place
    np.testing.assert_array_equal(_core.gemm(a_strided, b, c.copy(), ta, tb, 1.0, 1.0), out)


# --- activations -------------------------------------------------------------------------------------------------
def _np_act(name, alpha, z):
    z = z.astype(np.float64)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    softplus = np.logaddexp(0.0, z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return {
        "linear": z, "relu": np.maximum(z, 0), "sigmoid": sig(z), "tanh": np.tanh(z),
        "elu": np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0))),
        "selu": 1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772 * np.expm1(np.minimum(z, 0))),
        "softplus": softplus, "softsign": z / (1 + np.abs(z)), "swish": z * sig(z),
        "gelu": 0.5 * z * (1 + np.vectorize(math.erf)(z / math.sqrt(2))) if z.size else z,
        "leaky_relu": np.where(z >= 0, z, alpha * z), "relu6": np.clip(z, 0, 6),
        "hard_sigmoid": np.clip(z / 6 + 0.5, 0, 1), "exponential": np.exp(z), "mish": z * np.tanh(softplus),
    }[name]


ACTS = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign", "swish", "gelu",
        "leaky_relu", "relu6", "hard_sigmoid", "exponential", "mish"]


@settings(FAST, max_examples=500)
@given(st.sampled_from(ACTS), st.floats(0.0, 2.0, width=32), st.integers(0, 40), st.integers(1, 40),
       st.integers(0, 2**32 - 1), st.sampled_from([0.1, 3.0, 20.0]))
def test_act_forward_matches_float64(name, alpha, rows, cols, seed, spread):
    z = (np.random.RandomState(seed).standard_normal((rows, cols)) * spread).astype(np.float32)
    if name == "exponential":
        z = np.clip(z, -40, 40)
    got = _core.act_forward(getattr(_core.Act, name), alpha, z)
    ref = _np_act(name, alpha, z)
    assert got.shape == z.shape
    np.testing.assert_allclose(got, ref, rtol=2e-5, atol=2e-6 * max(1.0, spread))


# --- losses ------------------------------------------------------------------------------------------------------
def _np_loss(kind, p, y, delta):
    p, y = p.astype(np.float64), y.astype(np.float64)
    e = p - y
    if kind == "mse":
        return (e**2).mean(axis=1)
    if kind == "mae":
        return np.abs(e).mean(axis=1)
    if kind == "huber":
        a = np.abs(e)
        return np.where(a <= delta, 0.5 * e**2, delta * (a - 0.5 * delta)).mean(axis=1)
    q = np.clip(p, 1e-7, 1 - 1e-7)
    if kind == "binary_crossentropy":
        return -(y * np.log(q) + (1 - y) * np.log(1 - q)).mean(axis=1)
    q = np.clip(p / p.sum(axis=1, keepdims=True), 1e-7, 1 - 1e-7)
    return -(y * np.log(q)).sum(axis=1)


@settings(FAST, max_examples=500)
@given(st.sampled_from(["mse", "mae", "huber", "binary_crossentropy", "categorical_crossentropy"]),
       st.integers(0, 40), st.integers(1, 20), st.integers(0, 2**32 - 1), st.booleans(),
       st.floats(0.1, 3.0))
def test_loss_batch_matches_float64(kind, rows, cols, seed, weighted, delta):
    rng = np.random.RandomState(seed)
    if kind in ("binary_crossentropy", "categorical_crossentropy"):
        p = rng.uniform(0.01, 0.99, (rows, cols)).astype(np.float32)
        y = (rng.rand(rows, cols) < 0.5).astype(np.float32)
    else:
        p = rng.standard_normal((rows, cols)).astype(np.float32)
        y = rng.standard_normal((rows, cols)).astype(np.float32)
    w = rng.uniform(0, 2, rows).astype(np.float32) if weighted else None
    cfg = _core.LossConfig()
    cfg.kind = getattr(_core.Loss, kind)
    cfg.huber_delta = delta
    total, grad = _core.loss_batch(cfg, _core.Act.linear, 0.0, p, p, y, w, 1.0)
    per_row = _np_loss(kind, p, y, np.float32(delta))
    ref = float(np.sum(per_row * (w if w is not None else 1.0)))
    assert grad.shape == p.shape and np.all(np.isfinite(grad))
    assert math.isclose(total, ref, rel_tol=1e-4, abs_tol=1e-4 * max(1, rows))


@settings(FAST, max_examples=200)
@given(st.integers(0, 30), st.integers(2, 12), st.integers(0, 2**32 - 1))
def test_sparse_and_fused_softmax_losses_agree(rows, cols, seed):
    rng = np.random.RandomState(seed)
    z = (rng.standard_normal((rows, cols)) * 3).astype(np.float32)
    labels = rng.randint(0, cols, rows)
    onehot = np.eye(cols, dtype=np.float32)[labels]
    p = _core.act_forward(_core.Act.softmax, 0.0, z)
    cfg_s, cfg_c = _core.LossConfig(), _core.LossConfig()
    cfg_s.kind, cfg_c.kind = _core.Loss.sparse_categorical_crossentropy, _core.Loss.categorical_crossentropy
    ts, gs = _core.loss_batch(cfg_s, _core.Act.softmax, 0.0, z, p, labels.reshape(-1, 1).astype(np.float32))
    tc, gc = _core.loss_batch(cfg_c, _core.Act.softmax, 0.0, z, p, onehot)
    zz = z.astype(np.float64)
    ref = float(np.sum(np.log(np.exp(zz - zz.max(1, keepdims=True)).sum(1)) + zz.max(1) - zz[np.arange(rows), labels]))
    assert math.isclose(ts, ref, rel_tol=1e-5, abs_tol=1e-4) and math.isclose(tc, ref, rel_tol=1e-5, abs_tol=1e-4)
    np.testing.assert_allclose(gs, gc, atol=1e-6)
    np.testing.assert_allclose(gs, p - onehot, atol=1e-5)


# --- the network ---------------------------------------------------------------------------------------------------
NET_ACTS = ["linear", "relu", "tanh", "sigmoid", "softplus", "elu", "swish", "softmax"]


@st.composite
def network_case(draw):
    widths = draw(st.lists(st.integers(1, 48), min_size=2, max_size=4))
    acts = [draw(st.sampled_from(NET_ACTS)) for _ in widths[1:]]
    bias = [draw(st.booleans()) for _ in widths[1:]]
    rows = draw(st.integers(1, 90))
    batch = draw(st.one_of(st.none(), st.integers(1, 100)))
    seed = draw(st.integers(0, 2**32 - 1))
    return widths, acts, bias, rows, batch, seed


@settings(FAST, max_examples=150)
@given(network_case())
def test_network_predict_and_evaluate_match_numpy(case):
    widths, acts, bias, rows, batch, seed = case
    pyminidl.set_random_seed(seed % 2**31)
    model = pyminidl.Sequential([layers.Dense(w, activation=a, use_bias=b)
                                 for w, a, b in zip(widths[1:], acts, bias)])
    model.build((None, widths[0]))
    model.compile("sgd", "mse")
    rng = np.random.RandomState(seed)
    x = rng.standard_normal((rows, widths[0])).astype(np.float32)
    h = x.astype(np.float64)
    for layer, act in zip(model.layers, acts):
        ws = layer.get_weights()
        h = h @ ws[0].astype(np.float64) + (ws[1].astype(np.float64) if len(ws) == 2 else 0.0)
        h = _np_act(act, 1.0, h)
    got = model.predict(x, batch_size=batch)
    np.testing.assert_allclose(got, h, rtol=1e-4, atol=1e-5)
    y = rng.standard_normal(h.shape).astype(np.float32)
    loss = model.evaluate(x, y, batch_size=batch, verbose=0)
    assert math.isclose(loss, float(np.mean((h - y) ** 2)), rel_tol=1e-4, abs_tol=1e-5)


# --- malformed shapes at the boundary: ValueError, never a crash -----------------------------------------------
shapes = st.lists(st.integers(0, 6), min_size=0, max_size=3).map(tuple)


@settings(FAST, max_examples=300)
@given(shapes, shapes, st.booleans(), st.booleans())
def test_gemm_bad_shapes_raise(sa, sb, ta, tb):
    a, b = np.ones(sa, np.float32), np.ones(sb, np.float32)
    ok = len(sa) == 2 and len(sb) == 2 and (sa[0] if ta else sa[1]) == (sb[1] if tb else sb[0])
    if ok:
        assert _core.gemm(a, b, None, ta, tb).shape == ((sa[1] if ta else sa[0]), (sb[0] if tb else sb[1]))
    else:
        with pytest.raises(ValueError):
            _core.gemm(a, b, None, ta, tb)


@settings(FAST, max_examples=300)
@given(shapes, shapes, shapes, st.sampled_from(["mse", "categorical_crossentropy", "sparse_categorical_crossentropy"]))
def test_kernel_bad_shapes_raise(sz, sy, sdy, kind):
    z, y, dy = np.ones(sz, np.float32), np.ones(sy, np.float32), np.ones(sdy, np.float32)
    if len(sz) != 2:
        with pytest.raises(ValueError):
            _core.act_forward(_core.Act.relu, 0.0, z)
    if not (len(sz) == 2 and sy == sz and sdy == sz):
        with pytest.raises(ValueError):
            _core.act_backward(_core.Act.tanh, 0.0, z, y, dy)
    cfg = _core.LossConfig()
    cfg.kind = getattr(_core.Loss, kind)
    want_y = (sz[0], 1) if (len(sz) == 2 and kind.startswith("sparse")) else sz
    if not (len(sz) == 2 and sy == want_y):
        with pytest.raises(ValueError):
            _core.loss_batch(cfg, _core.Act.linear, 0.0, z, z, y)


@settings(FAST, max_examples=300)
@given(shapes, shapes, st.integers(-2, 40))
def test_network_bad_shapes_raise(sx, sy, batch):
    net = _core.Network([_spec(2)], [(3,)], 1)
    cfg, opt = _core.LossConfig(), _core.OptimizerConfig()
    cfg.kind, opt.kind = _core.Loss.mse, _core.Opt.sgd
    net.compile(cfg, [], opt)
    x, y = np.zeros(sx, np.float32), np.zeros(sy, np.float32)
    good_x = len(sx) == 2 and sx[1] == 3
    good_y = good_x and sy == (sx[0], 2)
    if not good_x or batch <= 0:
        with pytest.raises(ValueError):
            net.predict(x, batch)
    else:
        assert net.predict(x, batch).shape == (sx[0], 2)
    if not (good_y and batch > 0 and sx[0] > 0):
        with pytest.raises(ValueError):
            net.evaluate(x, y, None, batch)
        with pytest.raises(ValueError):
            net.fit_epochs(x, y, None, batch, 1, 1)
    else:
        assert len(net.evaluate(x, y, None, batch)) == 1
        train, _ = net.fit_epochs(x, y, None, batch, 2, 1)
        assert train.shape == (2, 1) and np.all(np.isfinite(train))


def _spec(n_out):
    return ("dense", [0], {"units": n_out, "activation": int(_core.Act.linear), "use_bias": 1})
