"""model.save / models.load_model / save_weights / load_weights in Keras' formats: round trips are bit-identical,
and training resumes with the same next step. File names, modes and temporaries: test_saving_paths.py."""

import zipfile

import numpy as np
import pytest

import pyminidl
from pyminidl import layers, losses, models, optimizers
from pyminidl.models import Sequential
from pyminidl.optimizers import schedules

OPTIMIZERS = [
    lambda: "sgd",
    lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    lambda: optimizers.SGD(learning_rate=0.05, momentum=0.5, nesterov=True, clipnorm=1.0),
    lambda: "rmsprop",
    lambda: optimizers.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True, clipvalue=0.5),
    lambda: "adam",
    lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True, global_clipnorm=2.0),
    lambda: optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.02, 5, 0.5, staircase=True)),
    lambda: optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([3, 8], [0.1, 0.05, 0.01])),
    lambda: optimizers.RMSprop(learning_rate=schedules.InverseTimeDecay(0.01, 4, 0.5)),
    lambda: "adamw",
    lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    lambda: "adagrad",
    lambda: optimizers.Adagrad(learning_rate=0.05, initial_accumulator_value=0.5),
    lambda: "nadam",
    lambda: optimizers.Nadam(learning_rate=0.01, beta_1=0.8),
    lambda: "adamax",
]


def make_model(optimizer="adam"):
    model = Sequential([
        layers.Dense(6, input_shape=(4,), activation="relu", name="hidden"),
        layers.Dropout(0.25),
        layers.Dense(5, activation="tanh", use_bias=False),
        layers.Activation("elu"),
        layers.Dense(3, activation="softmax", kernel_initializer="he_normal"),
    ])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy", "mse"])
    return model


def data(n=60):
    rng = np.random.RandomState(3)
    x = rng.rand(n, 4).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[(x.sum(axis=1) * 2).astype(int) % 3]
    return x, y


def same_weights(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


MODEL_NAMES = ["a.keras", "a.h5"]


def configs_equal(a, b):
    """Equal configs, except that a declared input shape comes back as the model's input (as in Keras 3)."""
    def strip(config):
        for layer in config["layers"]:
            layer["config"].pop("input_shape", None)
        return config
    return strip(a.get_config()) == strip(b.get_config()) and a.input_shape == b.input_shape


# --- round trips ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_resumed_training_is_bit_identical(tmp_path, make_optimizer, name):
    x, y = data()
    a = make_model(make_optimizer())
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / name
    a.save(path)
    pyminidl.set_random_seed(99)
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)

    b = models.load_model(path)
    assert b.optimizer.iterations == 8 and type(b.optimizer) is type(a.optimizer)
    pyminidl.set_random_seed(99)
    b.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert same_weights(a.get_weights(), b.get_weights())
    assert b.optimizer.iterations == a.optimizer.iterations == 16
    if name.endswith(".keras"):  # tf_keras' layout has no Nadam product: it is rebuilt from the step count
        assert b._net.nadam_u_product == a._net.nadam_u_product


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_round_trip_restores_everything(tmp_path, name):
    x, y = data()
    model = make_model(optimizers.SGD(learning_rate=0.1, momentum=0.9, name="my_sgd"))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.optimizer.learning_rate = 0.02  # as ReduceLROnPlateau would
    path = str(tmp_path / name)
    model.save(path)
    loaded = models.load_model(path)
    assert configs_equal(loaded, model)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.learning_rate == pytest.approx(0.02)
    assert isinstance(loaded.loss, losses.CategoricalCrossentropy)
    assert loaded.metrics_names == ["loss", "accuracy", "mse"]
    assert same_weights(loaded.get_weights(), model.get_weights())
    assert same_weights(loaded._net.slots(), model._net.slots())
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("loss, units, y", [
    (losses.BinaryCrossentropy(from_logits=True), 1, np.array([0.0, 1.0, 1.0, 0.0])),
    (losses.Huber(delta=2.0), 1, np.ones(4)),
    (losses.SparseCategoricalCrossentropy(from_logits=True), 3, np.array([0, 1, 2, 1])),
    ("mae", 1, np.ones(4)),
    (losses.mean_squared_error, 1, np.ones(4)),
])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_losses_and_metrics_round_trip(tmp_path, loss, units, y, name):
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    model = Sequential([layers.Dense(units, input_shape=(2,))])
    model.compile(optimizer="sgd", loss=loss, metrics=[losses.mean_squared_error] if units == 1 else ["accuracy"])
    model.save(tmp_path / name)
    loaded = models.load_model(tmp_path / name)
    assert type(loaded.loss) is type(model.loss) and loaded.loss.get_config() == model.loss.get_config()
    assert loaded.metrics_names == model.metrics_names
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_load_model_without_compile(tmp_path, name):
    model = make_model()
    model.save(tmp_path / name)
    loaded = models.load_model(tmp_path / name, compile=False)
    assert not loaded.compiled and loaded.built
    assert same_weights(loaded.get_weights(), model.get_weights())


def test_uncompiled_and_unbuilt_models_round_trip(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    model.save(tmp_path / "a.keras")
    loaded = models.load_model(tmp_path / "a.keras")
    assert not loaded.compiled and same_weights(loaded.get_weights(), model.get_weights())

    unbuilt = Sequential([layers.Dense(3), layers.Dense(1)])
    unbuilt.compile(optimizer="adam", loss="mse")
    unbuilt.save(tmp_path / "b.keras")
    loaded = models.load_model(tmp_path / "b.keras")
    assert not loaded.built and loaded.compiled and loaded.get_weights() == []
    loaded.fit(np.ones((4, 2)), np.ones(4), verbose=0)  # builds on first use, like the original would


def test_model_built_by_fit_round_trips(tmp_path):
    model = Sequential([layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones(4), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.input_shape == (None, 2) and same_weights(loaded.get_weights(), model.get_weights())


def test_from_config_builds_a_fresh_model():
    model = make_model()
    clone = Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config() and clone.built and not clone.compiled
    with pytest.raises(ValueError, match="config must be a dict"):
        Sequential.from_config([1, 2])


@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5", "m.keras"])
def test_save_and_load_weights(tmp_path, name):
    model = make_model()
    path = tmp_path / name
    if name.endswith(".keras"):
        model.save(path)
    else:
        model.save_weights(path)
    other = make_model()
    assert not same_weights(other.get_weights(), model.get_weights())
    other.load_weights(path)
    assert same_weights(other.get_weights(), model.get_weights())
    unbuilt = Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.load_weights(path)


def test_load_weights_restores_the_optimizer_state_as_keras_does(tmp_path):
    x, y = data()
    a = make_model("adam")
    a.fit(x, y, epochs=1, batch_size=16, verbose=0)
    a.save_weights(tmp_path / "w.weights.h5")
    b = make_model("adam")
    b.fit(x[:2], y[:2], epochs=1, verbose=0)  # builds b's optimizer state
    b.load_weights(tmp_path / "w.weights.h5")
    assert b.optimizer.iterations == a.optimizer.iterations
    assert same_weights(b._net.slots(), a._net.slots())
    c = make_model("sgd")  # no slots: the state does not fit and is skipped, as Keras 3 warns and skips
    with pytest.warns(UserWarning, match="Skipping the optimizer state"):
        c.load_weights(tmp_path / "w.weights.h5")
    assert same_weights(c.get_weights(), a.get_weights())


def test_load_weights_into_a_different_model(tmp_path):
    make_model().save_weights(tmp_path / "w.weights.h5")
    small = Sequential([layers.Dense(6, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"w\.weights\.h5: it holds weights for layers/dense_1/vars.*differ"):
        small.load_weights(tmp_path / "w.weights.h5")
    deeper = Sequential([layers.Dense(6, input_shape=(4,)), layers.Dense(5), layers.Dense(3), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"layer 'dense_\d+' \(Dense\) expects 2 variables, but the file holds 1"):
        deeper.load_weights(tmp_path / "w.weights.h5")
    wide = Sequential([layers.Dense(7, input_shape=(4,), activation="relu"), layers.Dropout(0.25),
                       layers.Dense(5, use_bias=False), layers.Activation("elu"), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"shape \(4, 6\).*\(4, 7\)"):
        wide.load_weights(tmp_path / "w.weights.h5")
    before = wide.get_weights()
    assert same_weights(wide.get_weights(), before)  # nothing half-assigned


def test_keras_layout_of_the_files(tmp_path):
    import h5py

    model = make_model("adam")
    model.fit(*data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        assert sorted(f["layers"]) == ["activation", "dense", "dense_1", "dense_2", "dropout"]
        assert f["layers/dense/vars"].attrs["name"] == "hidden"
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.get_weights()[0])
        assert f["optimizer/vars/0"][()] == model.optimizer.iterations and f["optimizer/vars/0"].dtype == np.int64
        assert len(f["optimizer/vars"]) == 2 + 2 * len(model.weights)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        def text(names):
            return [n.decode() if isinstance(n, bytes) else n for n in names]
        assert text(f["model_weights"].attrs["layer_names"]) == [layer.name for layer in model.layers]
        assert text(f["model_weights/hidden"].attrs["weight_names"]) == ["hidden/kernel:0", "hidden/bias:0"]
        names = text(f["optimizer_weights"].attrs["weight_names"])
        assert names[:3] == ["iteration:0", "Adam/m/hidden/kernel:0", "Adam/v/hidden/kernel:0"]


# --- conv, pooling, BatchNormalization (non-trainable moving statistics), Embedding: all three formats ----------
def _convnet():
    model = Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Conv2D(2, 3), layers.Flatten(),
                        layers.Dense(3, activation="softmax")])
    rng = np.random.default_rng(3)
    return model, rng.normal(size=(16, 8, 8, 1)).astype("float32"), np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]


def _embedding():
    model = Sequential([layers.Input((5,)), layers.Embedding(10, 3), layers.Flatten(),
                        layers.Dense(1, activation="sigmoid")])
    rng = np.random.default_rng(4)
    return model, rng.integers(0, 10, (16, 5)).astype("float32"), rng.integers(0, 2, (16, 1)).astype("float32")


def _functional_conv():
    x = layers.Input((8, 8, 1))
    h = layers.AveragePooling2D(2)(layers.BatchNormalization()(layers.Conv2D(3, 3)(x)))
    model = models.Model(x, layers.Dense(2)(layers.Flatten()(h)))
    rng = np.random.default_rng(5)
    return model, rng.normal(size=(16, 8, 8, 1)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")


@pytest.mark.parametrize("make", [_convnet, _embedding, _functional_conv])
@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_conv_bn_embedding_models_round_trip_and_resume(tmp_path, make, name):
    model, x, y = make()
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / name
    model.save(path)
    loaded = models.load_model(path)
    for a, b in zip(loaded.get_weights(), model.get_weights()):  # moving statistics included
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [_convnet, _embedding, _functional_conv])
@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5"])
def test_conv_bn_embedding_weights_round_trip(tmp_path, make, name):
    model, x, y = make()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save_weights(tmp_path / name)
    other, _, _ = make()
    other.load_weights(tmp_path / name)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_regularizers_constraints_and_new_layers_round_trip(tmp_path, name):
    # Issue 15's weight rules and layers through issue 17's files: configs and weights come back, training resumes.
    def make():
        return Sequential([layers.Dense(6, input_shape=(4,), kernel_regularizer=pyminidl.regularizers.L2(0.01),
                                        kernel_constraint=pyminidl.constraints.MaxNorm(2.0),
                                        activity_regularizer=pyminidl.regularizers.L1(0.001)),
                           layers.PReLU(), layers.GaussianNoise(0.1), layers.Dense(2)])
    x, y = data(32)
    model = make()
    model.compile("adam", "mse")
    model.fit(x, y[:, :2], epochs=2, verbose=0)
    model.save(tmp_path / name)
    loaded = models.load_model(tmp_path / name)
    assert loaded.layers[0].kernel_regularizer.get_config() == {"l2": 0.01}
    assert loaded.layers[0].activity_regularizer.get_config() == {"l1": 0.001}
    assert type(loaded.layers[0].kernel_constraint) is pyminidl.constraints.MaxNorm
    assert same_weights(loaded.get_weights(), model.get_weights())
    np.testing.assert_allclose([float(v) for v in loaded.losses], [float(v) for v in model.losses])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
