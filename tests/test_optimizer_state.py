"""The optimizer owns its state (cpp/optimizers.*, cpp/optimizer_rules.cpp): slots named and ordered as Keras'
variables, per-rule scalars, hyperparameters checked by the C++ table, and the Python classes derived from one
declaration (constructor, validation, get_config/from_config, the C++ mirror); saved state resumes exactly."""

import inspect
import json
import zipfile

import numpy as np
import pytest

import pyminidl
from pyminidl import _core, models, optimizers
from pyminidl.layers import Dense
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD, Adagrad, Adam, Nadam, RMSprop

CLASSES = sorted(set(optimizers._BY_NAME.values()), key=lambda c: c.__name__)


def _model(optimizer):
    model = Sequential([Dense(5, activation="tanh", input_shape=(3,)), Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _data(n=40):
    rng = np.random.default_rng(4)
    return rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 2)).astype(np.float32)


@pytest.mark.parametrize("make, names, init, scalars", [
    (lambda: SGD(), [], None, {}),
    (lambda: SGD(momentum=0.9), ["momentum"], 0.0, {}),
    (lambda: RMSprop(), ["velocity"], 0.0, {}),
    (lambda: RMSprop(momentum=0.5, centered=True), ["velocity", "momentum", "average_gradient"], 0.0, {}),
    (lambda: Adam(amsgrad=True), ["momentum", "velocity", "velocity_hat"], 0.0, {}),
    (lambda: Adagrad(initial_accumulator_value=0.25), ["accumulator"], 0.25, {}),
    (lambda: Nadam(), ["momentum", "velocity"], 0.0, {"u_product": 1.0}),
])
def test_slots_follow_keras_variables(make, names, init, scalars):
    net = _model(make())._net
    assert net.slot_names() == names and net.num_slots == len(names)
    n = net.num_trainable_params
    assert all(s.shape == (n,) and np.all(s == np.float32(init)) for s in net.slots())
    assert net.optimizer_scalars == scalars


def test_nadam_scalar_advances_with_the_momentum_schedule():
    model = _model(Nadam(beta_1=0.8))
    x, y = _data(8)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # 2 steps
    b1 = float(np.float32(0.8))  # the core holds beta_1 in a float, as Keras' variable
    want = np.prod([b1 * (1 - 0.5 * 0.96**t) for t in (1, 2)])
    assert model._net.optimizer_scalars["u_product"] == pytest.approx(want, rel=1e-15)
    assert model._net.nadam_u_product == model._net.optimizer_scalars["u_product"]
    model._net.nadam_u_product = 0.5  # the name used before optimizer_scalars still writes it
    assert model._net.optimizer_scalars == {"u_product": 0.5}


def test_nadam_u_product_of_other_rules_is_one():
    net = _model(Adam())._net
    net.nadam_u_product = 1.0
    assert net.nadam_u_product == 1.0
    with pytest.raises(ValueError, match="has no u_product, got 0.5"):
        net.nadam_u_product = 0.5


def _config(kind, **hyper):
    cfg = _core.OptimizerConfig()
    cfg.kind, cfg.hyper = _core.Opt.__members__[kind], hyper
    return cfg


@pytest.mark.parametrize("cfg, match", [
    (lambda: _config("sgd", momentum=1.5), "sgd: momentum must be in \\[0.0+, 1.0+\\], got 1.5"),
    (lambda: _config("sgd", momentom=0.9), "sgd has no hyperparameter 'momentom'"),
    (lambda: _config("adam", amsgrad=0.5), "adam: amsgrad must be 0 or 1, got 0.5"),
    (lambda: _config("adam", beta_1=1.0), "adam: beta_1 must be in .*\\), got 1"),
    (lambda: _config("nadam", amsgrad=1.0), "nadam has no hyperparameter 'amsgrad'"),
    (lambda: _config("rmsprop", epsilon=float("nan")), "rmsprop: epsilon must be"),
])
def test_core_checks_hyperparameters_before_changing_anything(cfg, match):
    model = _model(SGD(momentum=0.9))
    net = model._net
    x, y = _data(8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    before = [s.copy() for s in net.slots()]
    loss, metrics = model.loss._config(), []
    with pytest.raises(ValueError, match=match):
        net.compile(loss, metrics, cfg())
    assert net.iterations == 1 and net.slot_names() == ["momentum"]  # the old optimizer is intact
    np.testing.assert_array_equal(net.slots()[0], before[0])


def test_unknown_optimizer_code_is_refused():
    net = _model("sgd")._net
    cfg = _core.OptimizerConfig()
    cfg.kind = _core.Opt(len(_core.Opt.__members__))
    with pytest.raises(ValueError, match=f"unknown optimizer code {len(_core.Opt.__members__)}"):
        net.compile(_model("sgd").loss._config(), [], cfg)


def test_slot_views_survive_a_recompile():
    model = _model(Adam())
    old = model._net.slots()
    model.compile(optimizer=SGD(), loss="mse")  # no slots now; the old views still point at live memory
    assert model._net.slots() == [] and all(np.all(v == 0) for v in old)


# --- the Python classes, from one declaration each -------------------------------------------------

@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_declaration_drives_config_signature_and_mirror(cls):
    declared = list(cls._hyperparameters)
    opt = cls()
    config = opt.get_config()
    assert [k for k in config if k in declared] == declared
    for key, hyper in cls._hyperparameters.items():
        assert config[key] == hyper.default
    clone = cls.from_config(config)
    assert type(clone) is cls and clone.get_config() == config
    assert dict(opt._config().hyper) == {k: float(config[k]) for k in declared}
    params = list(inspect.signature(cls).parameters)
    assert params[:1 + len(declared)] == ["learning_rate", *declared]
    assert optimizers.get(cls._kind).__class__ is cls


def test_positional_arguments_follow_the_declaration():
    opt = SGD(0.1, 0.9, True)
    assert (opt.learning_rate, opt.momentum, opt.nesterov) == (pytest.approx(0.1), 0.9, True)
    assert Adam(0.002, 0.8).beta_1 == 0.8
    with pytest.raises(TypeError, match="at most 3 positional"):
        SGD(0.1, 0.9, True, 1)
    with pytest.raises(TypeError, match="multiple values for argument 'momentum'"):
        SGD(0.1, 0.9, momentum=0.5)


@pytest.mark.parametrize("make, match", [
    (lambda: Nadam(amsgrad=True), "not recognized"),   # Keras' Nadam has no amsgrad either
    (lambda: Nadam(beta_2=1.0), "beta_2"),
    (lambda: Adagrad(epsilon=-1e-7), "epsilon"),
    (lambda: SGD(nesterov=1), "nesterov must be True or False"),
])
def test_declared_checks_name_the_argument(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


# --- saved state -------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: Adam(0.01, amsgrad=True), lambda: Nadam(0.01),
                                  lambda: RMSprop(0.01, momentum=0.5)])
def test_saved_state_resumes_bit_identically(tmp_path, make):
    x, y = _data()
    a = _model(make())
    a.fit(x, y, batch_size=8, epochs=2, verbose=0)
    path = tmp_path / "m.keras"
    a.save(path)
    b = models.load_model(path)
    assert b._net.slot_names() == a._net.slot_names() and b._net.optimizer_scalars == a._net.optimizer_scalars
    for m in (a, b):
        pyminidl.set_random_seed(7)
        m.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for u, v in zip(a.get_weights() + a._net.slots(), b.get_weights() + b._net.slots()):
        np.testing.assert_array_equal(u, v)
    assert b.optimizer.iterations == 20


def test_files_of_pyminidl_0_1_own_format_are_refused_clearly(tmp_path):
    """pyminidl 0.1's own zip (arrays.json, "nadam_u_product") is no longer read: Keras' formats replaced it, and
    the refusal says how to convert such a file (docs/files.md, 'The old pyminidl zip format')."""
    old = tmp_path / "old.keras"
    meta = {"format": "pyminidl", "format_version": 1, "kind": "model", "pyminidl_version": "0.1.0"}
    arrays = {"dtype": "<f4", "arrays": [], "input_shape": [4],
              "optimizer": {"iterations": 5, "slots": 2, "nadam_u_product": 0.5}}
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        zf.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": []}}))
        zf.writestr("arrays.json", json.dumps(arrays))
        zf.writestr("arrays.bin", b"")
    with pytest.raises(ValueError, match="old.keras: .*pyminidl 0.1 in its own format.*save it again"):
        models.load_model(old)


def test_bad_saved_nadam_product_is_refused(tmp_path):
    import h5py

    x, y = _data()
    a = _model(Nadam(0.01))
    a.fit(x, y, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "w.weights.h5"
    a.save_weights(path)
    with h5py.File(path, "r+") as f:  # Keras' layout: the optimizer's u_product is its last variable
        group = f["optimizer/vars"]
        last = str(len(group) - 1)
        del group[last]
        group.create_dataset(last, data=np.float64(2.0))
    b = _model(Nadam(0.01))
    with pytest.raises(ValueError, match=r"u_product must be a finite number in \[0.0, 1.0\]"):
        b.load_weights(path)
