"""Optimizers: 50 training steps of pyminidl vs a float64 NumPy MLP with Keras 3's update rules
(KERAS_REFERENCE §1), plus clipping, weight decay, schedules, defaults, iterations and argument errors."""

import numpy as np
import pytest

import pyminidl
from pyminidl import optimizers
from pyminidl.layers import Dense
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop, schedules

from optimizer_reference import RefOptimizer
from thread_counts import train_on_1_and_2_threads

# --- float64 reference MLP ----------------------------------------------------------------------------

ACT = {
    None: (lambda z: z, lambda z, a: np.ones_like(z)),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z, a: 1 - a**2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))), lambda z, a: np.where(z > 0, 1.0, a + 1)),
}


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ref_grads(layers, loss, ws, x, y):
    """Gradients of the batch-mean loss; ws = [W0, b0, W1, b1, ...]; layers = [(units, act), ...]."""
    acts, zs, a = [x], [], x
    for i, (_, act) in enumerate(layers):
        z = a @ ws[2 * i] + ws[2 * i + 1]
        a = _softmax(z) if act == "softmax" else ACT[act][0](z)
        zs.append(z)
        acts.append(a)
    n, p = len(x), acts[-1]
    if loss == "mse":
        dz = 2 * (p - y) / p.shape[1] * ACT[layers[-1][1]][1](zs[-1], p)
    elif loss == "binary_crossentropy":  # sigmoid output: from the logits
        dz = (p - y) / p.shape[1]
    else:  # softmax output with (sparse) categorical cross-entropy
        dz = p - (np.eye(p.shape[1])[y.astype(int).reshape(-1)] if loss.startswith("sparse") else y)
    dz = dz / n
    grads = [None] * len(ws)
    for i in reversed(range(len(layers))):
        grads[2 * i] = acts[i].T @ dz
        grads[2 * i + 1] = dz.sum(axis=0)
        if i:
            dz = (dz @ ws[2 * i].T) * ACT[layers[i - 1][1]][1](zs[i - 1], acts[i])
    return grads


def ref_train(layers, loss, weights, x, y, ref_opt, batch_size, epochs):
    ws = [w.astype(np.float64) for w in weights]
    x64, y64 = x.astype(np.float64), np.asarray(y, np.float64)
    for _ in range(epochs):
        for start in range(0, len(x), batch_size):
            sl = slice(start, start + batch_size)
            ws = ref_opt.step(ws, ref_grads(layers, loss, ws, x64[sl], y64[sl]))
    return ws


# --- the networks -------------------------------------------------------------------------------------

NETS = {  # name -> (input dim, [(units, activation)], loss)
    "tanh-mse": (4, [(6, "tanh"), (1, None)], "mse"),
    "wide-relu-tanh": (300, [(300, "relu"), (70, "tanh"), (10, "softmax")], "categorical_crossentropy"),
    "relu-softmax-cce": (5, [(8, "relu"), (3, "softmax")], "categorical_crossentropy"),
    "deep-sigmoid-bce": (3, [(5, "sigmoid"), (4, "tanh"), (2, "sigmoid")], "binary_crossentropy"),
    "elu-sparse": (4, [(6, "elu"), (3, "softmax")], "sparse_categorical_crossentropy"),
}


def _setup(net, n, seed=0):
    in_dim, layers, loss = NETS[net]
    rng = np.random.default_rng(seed)
    model = Sequential([Dense(u, activation=a) for u, a in layers])
    model.build((None, in_dim))
    weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    x = rng.normal(size=(n, in_dim)).astype(np.float32)
    k = layers[-1][0]
    if loss == "mse":
        y = rng.normal(size=(n, k)).astype(np.float32)
    elif loss == "binary_crossentropy":
        y = rng.integers(0, 2, size=(n, k)).astype(np.float32)
    elif loss == "categorical_crossentropy":
        y = np.eye(k, dtype=np.float32)[rng.integers(0, k, size=n)]
    else:
        y = rng.integers(0, k, size=n)
    return model, layers, loss, weights, x, y


def _assert_close(model, ref_ws, rtol=1e-5):
    """Each weight within rtol relative, or rtol times its tensor's largest magnitude (entries near 0)."""
    for got, want in zip(model.get_weights(), ref_ws):
        scale = np.max(np.abs(want))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


OPTIMIZERS = {  # name -> (pyminidl optimizer factory, reference kwargs)
    "sgd": (lambda: SGD(learning_rate=0.1), dict(kind="sgd", lr=0.1)),
    "sgd-momentum": (lambda: SGD(0.05, momentum=0.9), dict(kind="sgd", lr=0.05, momentum=0.9)),
    "sgd-nesterov": (lambda: SGD(0.03, momentum=0.8, nesterov=True),
                     dict(kind="sgd", lr=0.03, momentum=0.8, nesterov=True)),
    "sgd-weight-decay": (lambda: SGD(0.1, weight_decay=0.05), dict(kind="sgd", lr=0.1, weight_decay=0.05)),
    "rmsprop": (lambda: RMSprop(0.01), dict(kind="rmsprop", lr=0.01)),
    "rmsprop-eps": (lambda: RMSprop(0.01, epsilon=1e-3), dict(kind="rmsprop", lr=0.01, epsilon=1e-3)),
    "rmsprop-momentum": (lambda: RMSprop(0.005, momentum=0.6), dict(kind="rmsprop", lr=0.005, momentum=0.6)),
    "rmsprop-centered": (lambda: RMSprop(0.005, rho=0.8, centered=True),
                         dict(kind="rmsprop", lr=0.005, rho=0.8, centered=True)),
    "rmsprop-centered-momentum": (lambda: RMSprop(0.005, momentum=0.5, centered=True),
                                  dict(kind="rmsprop", lr=0.005, momentum=0.5, centered=True)),
    "adam": (lambda: Adam(0.01), dict(kind="adam", lr=0.01)),
    "adam-betas": (lambda: Adam(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4),
                   dict(kind="adam", lr=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4)),
    "amsgrad": (lambda: Adam(0.01, amsgrad=True), dict(kind="adam", lr=0.01, amsgrad=True)),
    "adamw": (lambda: AdamW(0.01, weight_decay=0.1), dict(kind="adamw", lr=0.01, weight_decay=0.1)),
    "adamw-amsgrad": (lambda: AdamW(0.01, amsgrad=True), dict(kind="adamw", lr=0.01, weight_decay=0.004,
                                                               amsgrad=True)),
    "adagrad": (lambda: Adagrad(0.1), dict(kind="adagrad", lr=0.1)),
    "adagrad-init": (lambda: Adagrad(0.05, initial_accumulator_value=0.5),
                     dict(kind="adagrad", lr=0.05, initial_accumulator_value=0.5)),
    "adagrad-eps": (lambda: Adagrad(0.05, epsilon=0.05), dict(kind="adagrad", lr=0.05, epsilon=0.05)),
    "nadam": (lambda: Nadam(0.01), dict(kind="nadam", lr=0.01)),
    "nadam-betas": (lambda: Nadam(0.005, beta_1=0.85, beta_2=0.95), dict(kind="nadam", lr=0.005, beta_1=0.85,
                                                                           beta_2=0.95)),
    "adamax": (lambda: Adamax(0.01), dict(kind="adamax", lr=0.01)),
    "adamax-betas": (lambda: Adamax(0.02, beta_1=0.8, beta_2=0.95, epsilon=1e-3, weight_decay=0.01),
                     dict(kind="adamax", lr=0.02, beta_1=0.8, beta_2=0.95, epsilon=1e-3, weight_decay=0.01)),
    "sgd-clipnorm": (lambda: SGD(0.1, momentum=0.5, clipnorm=0.05),
                     dict(kind="sgd", lr=0.1, momentum=0.5, clipnorm=0.05)),
    "sgd-clipvalue": (lambda: SGD(0.1, clipvalue=0.02), dict(kind="sgd", lr=0.1, clipvalue=0.02)),
    "adam-global-clipnorm": (lambda: Adam(0.01, global_clipnorm=0.05), dict(kind="adam", lr=0.01,
                                                                             global_clipnorm=0.05)),
    "rmsprop-clipnorm": (lambda: RMSprop(0.01, clipnorm=0.05), dict(kind="rmsprop", lr=0.01, clipnorm=0.05)),
}


SMALL_NETS = sorted(n for n in NETS if NETS[n][0] < 100)


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize("net", SMALL_NETS)
def test_50_steps_match_float64_keras_rules(net, opt):
    model, layers, loss, weights, x, y = _setup(net, n=24, seed=len(opt))
    make, ref_kwargs = OPTIMIZERS[opt]
    model.compile(optimizer=make(), loss=loss)
    model.fit(x, y, batch_size=12, epochs=25, shuffle=False, verbose=0)  # 2 steps x 25 epochs
    assert model.optimizer.iterations == 50
    ref_ws = ref_train(layers, loss, weights, x, y, RefOptimizer(**ref_kwargs), 12, 25)
    moved = max(np.max(np.abs(w - w0)) for w, w0 in zip(ref_ws, weights))
    assert moved > 1e-3  # the comparison is not trivially satisfied
    _assert_close(model, ref_ws)


@pytest.mark.parametrize("threads", [1, 2])
def test_wide_layers_match_float64_keras_rules(threads):
    """Batches of 300 through 300-wide layers: every GEMM schedule runs (shared A, blocked, transposed).
    SGD with momentum: Adam's float64 comparison is ill-conditioned on the near-zero gradients of wide
    relu layers (its step is ~lr whatever the gradient's size), so Adam is checked on the small nets."""
    model, layers, loss, weights, x, y = _setup("wide-relu-tanh", n=600, seed=5)
    make, ref_kwargs = OPTIMIZERS["sgd-momentum"]
    model.compile(optimizer=make(), loss=loss)
    pyminidl.set_num_threads(threads)
    model.fit(x, y, batch_size=300, epochs=3, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 6
    ref_ws = ref_train(layers, loss, weights, x, y, RefOptimizer(**ref_kwargs), 300, 3)
    assert max(np.max(np.abs(w - w0)) for w, w0 in zip(ref_ws, weights)) > 1e-3
    _assert_close(model, ref_ws, rtol=1e-4)


@pytest.mark.parametrize("opt", ["sgd-nesterov", "rmsprop-centered-momentum", "adam", "nadam", "adagrad", "adamax"])
def test_uneven_batches_and_split_fits(opt):
    """70 samples in batches of 32 (32, 32, 6); two fits continue the optimizer state (incl. Nadam's u_product)."""
    model, layers, loss, weights, x, y = _setup("relu-softmax-cce", n=70, seed=3)
    make, ref_kwargs = OPTIMIZERS[opt]
    model.compile(optimizer=make(), loss=loss)
    model.fit(x, y, batch_size=32, epochs=7, shuffle=False, verbose=0)
    model.fit(x, y, batch_size=32, epochs=10, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 51
    _assert_close(model, ref_train(layers, loss, weights, x, y, RefOptimizer(**ref_kwargs), 32, 17))


@pytest.mark.parametrize("opt", ["rmsprop-centered-momentum", "amsgrad", "adamw-amsgrad", "adagrad-init", "nadam",
                                 "sgd-nesterov", "adamax"])
def test_updates_split_over_threads_give_the_same_bits(opt):
    """~200k parameters: past the size from which the update runs on both threads (every rule's own limit),
    each slice must update its parameters and every state slot exactly as one thread does."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 300)).astype(np.float32)
    y = rng.normal(size=(64, 40)).astype(np.float32)

    def make_model():
        model = Sequential([Dense(512, activation="tanh", input_shape=(300,)), Dense(80, activation="tanh"), Dense(40)])
        model.compile(optimizer=OPTIMIZERS[opt][0](), loss="mse")
        return model

    w0, (trained, _) = train_on_1_and_2_threads(
        make_model, lambda m: m.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0))
    assert sum(w.size for w in w0) > 1 << 17
    assert max(np.max(np.abs(w - v)) for w, v in zip(trained, w0)) > 1e-3  # the weights moved


# --- single-step hand values --------------------------------------------------------------------------

def _one_weight_model(w0):
    model = Sequential([Dense(1, use_bias=False)])
    model.build((None, 1))
    model.set_weights([np.array([[w0]], np.float32)])
    return model


def test_weight_decay_alone_shrinks_by_lr_times_wd():
    model = _one_weight_model(1.0)  # x = 0 -> zero gradient
    model.compile(optimizer=SGD(learning_rate=0.1, weight_decay=0.5), loss="mse")
    model.fit(np.zeros((1, 1)), np.zeros((1, 1)), batch_size=1, verbose=0)
    assert model.get_weights()[0][0, 0] == pytest.approx(0.95, rel=1e-7)


@pytest.mark.parametrize("make,want", [
    (lambda: Adam(learning_rate=1e-3), 1.0 - 0.001),          # first Adam step ~ lr * sign(g)
    (lambda: Adagrad(learning_rate=0.1), 1.0 - 0.1 * 2 / np.sqrt(0.1 + 4 + 1e-7)),
    (lambda: RMSprop(learning_rate=0.01), 1.0 - 0.01 * 2 / np.sqrt(0.1 * 4 + 1e-7)),  # eps inside the sqrt
    (lambda: SGD(learning_rate=0.1, clipnorm=0.5), 1.0 - 0.05),
    (lambda: SGD(learning_rate=0.1, clipvalue=0.25), 1.0 - 0.025),
    (lambda: SGD(learning_rate=0.1, global_clipnorm=1.5), 1.0 - 0.15),
    (lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True), 1.0 - 0.1 * 2 * 1.9),
    (lambda: Adamax(learning_rate=0.1), 1.0 - 0.1 * 2 / (2 + 1e-7)),  # m = 0.1*g, u = |g|, lr / (1 - 0.9)
])
def test_first_step_hand_values(make, want):
    """w = 1, x = 1, y = 0, mse: gradient 2."""
    model = _one_weight_model(1.0)
    model.compile(optimizer=make(), loss="mse")
    model.fit(np.ones((1, 1)), np.zeros((1, 1)), batch_size=1, verbose=0)
    assert model.get_weights()[0][0, 0] == pytest.approx(want, rel=1e-6)


def test_clipnorm_is_per_tensor_and_global_clipnorm_is_joint():
    """g = (3, 4) split over kernel (3) and bias (4): clipnorm 1 clips each to norm 1; global scales both by 1/5."""
    for opt, want in ((SGD(1.0, clipnorm=1.0), (-1.0, -1.0)), (SGD(1.0, global_clipnorm=1.0), (-0.6, -0.8))):
        model = Sequential([Dense(1)])
        model.build((None, 1))
        model.set_weights([np.zeros((1, 1), np.float32), np.zeros(1, np.float32)])
        model.compile(optimizer=opt, loss="mse")
        # one sample x = 0.75, y = 2: dL/dp = -4, kernel grad = -3, bias grad = -4
        model.fit(np.array([[0.75]]), np.array([[2.0]]), batch_size=1, verbose=0)
        kernel, bias = model.get_weights()
        assert (-kernel[0, 0], -bias[0]) == pytest.approx(want, rel=1e-6)


# --- learning rates and schedules ---------------------------------------------------------------------

@pytest.mark.parametrize("schedule,expected", [
    (schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5), lambda s: 0.1 * 0.5 ** (s / 4)),
    (schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True),
     lambda s: 0.1 * 0.5 ** (s // 4)),
    (schedules.InverseTimeDecay(0.2, decay_steps=3, decay_rate=0.7), lambda s: 0.2 / (1 + 0.7 * s / 3)),
    (schedules.InverseTimeDecay(0.2, decay_steps=3, decay_rate=0.7, staircase=True),
     lambda s: 0.2 / (1 + 0.7 * (s // 3))),
    (schedules.PiecewiseConstantDecay([3, 7], [0.1, 0.05, 0.01]),
     lambda s: 0.1 if s <= 3 else (0.05 if s <= 7 else 0.01)),
])
def test_schedule_values_and_training(schedule, expected):
    for step in range(12):
        assert schedule(step) == pytest.approx(expected(step), rel=1e-6)
    model, layers, loss, weights, x, y = _setup("tanh-mse", n=24, seed=7)
    model.compile(optimizer=SGD(learning_rate=schedule, momentum=0.5), loss=loss)
    model.fit(x, y, batch_size=6, epochs=3, shuffle=False, verbose=0)  # 12 steps, schedule sees 0..11
    ref = RefOptimizer("sgd", momentum=0.5, schedule=expected)
    _assert_close(model, ref_train(layers, loss, weights, x, y, ref, 6, 3))
    assert model.optimizer.current_learning_rate() == pytest.approx(expected(12), rel=1e-6)


def test_changing_learning_rate_between_fits():
    model, layers, loss, weights, x, y = _setup("tanh-mse", n=24, seed=8)
    model.compile(optimizer=Adam(learning_rate=0.05), loss=loss)
    model.fit(x, y, batch_size=12, epochs=5, shuffle=False, verbose=0)
    model.optimizer.learning_rate = 0.005
    model.fit(x, y, batch_size=12, epochs=5, shuffle=False, verbose=0)
    ref = RefOptimizer("adam", schedule=lambda s: 0.05 if s < 10 else 0.005)
    _assert_close(model, ref_train(layers, loss, weights, x, y, ref, 12, 10))
    assert model.optimizer.learning_rate == pytest.approx(0.005)


def test_lr_alias_means_learning_rate():
    opt = SGD(lr=0.1)
    assert opt.learning_rate == pytest.approx(0.1)
    model, layers, loss, weights, x, y = _setup("tanh-mse", n=24, seed=9)
    model.compile(optimizer=opt, loss=loss)
    model.fit(x, y, batch_size=24, epochs=3, shuffle=False, verbose=0)
    _assert_close(model, ref_train(layers, loss, weights, x, y, RefOptimizer("sgd", lr=0.1), 24, 3))


def test_learning_rate_is_stored_as_float32():
    assert SGD(learning_rate=0.01).learning_rate == float(np.float32(0.01))


# --- defaults, iterations, errors ---------------------------------------------------------------------

@pytest.mark.parametrize("name,cls,attrs", [
    ("sgd", SGD, dict(learning_rate=0.01, momentum=0.0, nesterov=False)),
    ("rmsprop", RMSprop, dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)),
    ("adam", Adam, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)),
    ("adagrad", Adagrad, dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)),
    ("adamw", AdamW, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, weight_decay=0.004)),
    ("nadam", Nadam, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    ("adamax", Adamax, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    ("Adam", Adam, {}), ("RMSprop", RMSprop, {}), ("SGD", SGD, {}),   # case-insensitive lookup
])
def test_defaults(name, cls, attrs):
    opt = optimizers.get(name)
    assert type(opt) is cls
    for key, value in attrs.items():
        assert getattr(opt, key) == pytest.approx(value, rel=1e-6), key
    assert opt.clipnorm is None and opt.clipvalue is None and opt.global_clipnorm is None


def test_compile_default_optimizer_is_rmsprop():
    model = Sequential([Dense(1)])
    model.compile(loss="mse")
    assert type(model.optimizer) is RMSprop


def test_iterations_count_batches():
    model, *_, x, y = _setup("tanh-mse", n=70)
    model.compile(optimizer="sgd", loss="mse")
    assert model.optimizer.iterations == 0
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert model.optimizer.iterations == 6


@pytest.mark.parametrize("make,match", [
    (lambda: SGD(learning_rate=-0.1), "learning_rate"),
    (lambda: Adam(learning_rate=-1e-3), "learning_rate"),
    (lambda: SGD(momentum=1.5), "momentum"),
    (lambda: SGD(momentum=-0.1), "momentum"),
    (lambda: RMSprop(rho=2.0), "rho"),
    (lambda: Adam(beta_1=1.0), "beta_1"),
    (lambda: Adam(epsilon=-1.0), "epsilon"),
    (lambda: AdamW(weight_decay=None), "weight_decay"),
    (lambda: SGD(clipnorm=1.0, clipvalue=1.0), "Only one of"),
    (lambda: Adam(clipnorm=1.0, global_clipnorm=1.0), "Only one of"),
    (lambda: SGD(learning_rate=0.1, foo=1), "not recognized"),
    (lambda: optimizers.get("adamm"), "Did you mean 'adam'"),
    (lambda: optimizers.get("rmsporp"), "Did you mean 'rmsprop'"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1]), "len"),
])
def test_bad_hyperparameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_negative_learning_rate_assignment_raises():
    opt = SGD()
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the loss is inf
def test_global_clipnorm_with_infinite_norm_makes_every_gradient_nan():
    """Keras: an inf/NaN global norm turns all gradients NaN, also the finite ones (KERAS_REFERENCE §1)."""
    model = Sequential([Dense(2)])
    model.build((None, 2))
    model.set_weights([np.array([[3e38, 0.0], [0.0, 1.0]], np.float32), np.zeros(2, np.float32)])
    model.compile(optimizer=SGD(0.1, global_clipnorm=1.0), loss="mse")
    model.fit(np.array([[10.0, 1.0]]), np.zeros((1, 2)), batch_size=1, verbose=0)
    assert all(np.isnan(w).all() for w in model.get_weights())


def test_adamax_slots_are_keras_variables():
    """Keras' Adamax keeps "momentum" (m) and "norm" (u), both from 0; after one step u = |g|."""
    model = _one_weight_model(1.0)
    model.compile(optimizer=Adamax(), loss="mse")
    model.fit(np.ones((1, 1)), np.zeros((1, 1)), batch_size=1, verbose=0)  # g = 2
    assert model._net.slot_names() == ["momentum", "norm"]
    m, u = model._net.slots()
    assert m[0] == pytest.approx(0.2, rel=1e-6) and u[0] == pytest.approx(2.0, rel=1e-6)
