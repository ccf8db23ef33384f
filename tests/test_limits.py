"""Poisoned numbers and sizes that overflow: every float is checked as the float32 the core stores, every
shape product in Python integers against the core's 32-bit sizes, thread counts and memory before use."""

import re

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import _check, _core
from pyminidl import layers as L
from pyminidl.optimizers import schedules


BIG = 1e39  # finite as a Python float, inf as float32


@pytest.mark.parametrize("make", [
    lambda: tf.optimizers.Adam(learning_rate=BIG),
    lambda: tf.optimizers.Adam(epsilon=BIG),
    lambda: tf.optimizers.SGD(momentum=0.5, clipnorm=BIG),
    lambda: tf.optimizers.SGD(clipvalue=1e-46),                 # float32 0: "off" in C++, not a clip of ~0
    lambda: tf.optimizers.Adam(beta_1=0.999999999),             # float32 1.0: bias correction 1 / 0
    lambda: tf.optimizers.Adam(weight_decay=-BIG),
    lambda: tf.optimizers.Adagrad(initial_accumulator_value=BIG),
    lambda: tf.optimizers.RMSprop(rho=BIG),
    lambda: schedules.ExponentialDecay(BIG, 10, 0.9),
    lambda: schedules.ExponentialDecay(0.1, BIG, 0.9),
    lambda: schedules.PiecewiseConstantDecay([10], [0.1, BIG]),
    lambda: L.Dropout(0.99999999999),                           # float32 1.0: keep probability 0
    lambda: tf.losses.Huber(delta=BIG),
    lambda: tf.initializers.Constant(BIG),
])
def test_floats_are_checked_as_the_float32_the_core_stores(make):
    with pytest.raises(ValueError, match=r"must be a finite number.*got"):
        make()


def test_the_float32_check_names_the_stored_value():
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number in \[0\.0, inf\), got 1e\+39 "
                                         r"\(as float32: inf\)"):
        tf.optimizers.Adam(learning_rate=BIG)
    assert _check.number("x", 3.4e38) == 3.4e38  # the largest float32 range still passes, as given


def _compiled():
    model = tf.Sequential([L.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def test_class_weight_and_sample_weight_reject_the_same_poisoned_value():
    x, y = np.ones((4, 3), np.float32), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"class_weight\[0\] must be a finite number"):
        _compiled().fit(x, y, class_weight={0: BIG, 1: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight contains NaN or infinite values: 1 of 4 as float32"):
        _compiled().fit(x, y, sample_weight=np.array([1.0, BIG, 1.0, 1.0]), verbose=0)


def test_state_checkers_bound_what_files_may_restore():
    assert _check.state_count("iterations", 12) == 12
    for bad in (2**63 - 1, -1, _check.MAX_STEPS + 1):
        with pytest.raises(ValueError, match=r"iterations must be an integer in \[0, \d+\], got"):
            _check.state_count("iterations", bad)
    with pytest.raises(TypeError, match="iterations must be an integer"):
        _check.state_count("iterations", 1.5)
    assert _check.state_number("nadam_u_product", 0.25, 0.0, 1.0) == 0.25
    for bad in (float("nan"), float("inf"), 1.5, -0.1):
        with pytest.raises(ValueError, match="nadam_u_product must be a finite number in"):
            _check.state_number("nadam_u_product", bad, 0.0, 1.0)
    with pytest.raises(ValueError, match="slot contains NaN or infinite values: 1 of 2"):
        _check.float32_array("slot", [1.0, np.nan])


def test_the_largest_allowed_iteration_count_trains_without_overflow():
    model = tf.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile(optimizer="nadam", loss="mse")
    model._net.iterations = _check.MAX_STEPS
    model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


@pytest.mark.parametrize("shape,elements", [((4, 5, 5581, 8681, 49477, 384773), 4 * 5 * 5581 * 8681 * 49477 * 384773),
                                            ((65536, 65536), 2**32)])
def test_shape_products_past_the_core_limit_are_a_clear_error(shape, elements):
    # The first product wraps to 4 in int64 (np.prod): it used to build a model with 4 inputs.
    with pytest.raises(ValueError, match=re.escape(f"input_shape {shape!r} has {elements} elements per sample; "
                                                   f"the limit is {_check.MAX_SIZE}")):
        tf.Sequential([L.Flatten(input_shape=shape), L.Dense(1)])


def test_a_shape_product_inferred_from_data_is_checked_too():
    x = np.broadcast_to(np.float32(1), (1, 65536, 65536))  # 4 bytes of data, 2**32 features per sample
    model = tf.Sequential([L.Flatten(), L.Dense(1)])
    # On the models package, Sequential makes its InputLayer from the data's shape first: that one refuses it.
    with pytest.raises(ValueError, match=r"(Layer 'flatten\w*': (input|output) shape|input_shape) "
                                         r"\(65536, 65536\).* the limit is"):
        model.predict(x)


@pytest.mark.parametrize("batch_size", [2**31 - 1, 51, 50, 2**31 - 2])
def test_batch_size_larger_than_the_data_trains_one_batch(batch_size):
    x = np.random.RandomState(0).rand(50, 3).astype(np.float32)
    y = x @ np.array([[1.0], [2.0], [3.0]], np.float32)
    model = tf.Sequential([L.Dense(1, input_shape=(3,))])
    model.compile(optimizer=tf.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=batch_size, epochs=3, verbose=0)
    assert model.optimizer.iterations == 3  # one step per epoch
    assert np.all(np.isfinite(history.history["loss"])) and history.history["loss"][0] > 0
    reference = tf.Sequential([L.Dense(1, input_shape=(3,))])
    reference.compile(optimizer=tf.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    reference.set_weights(model.get_weights())
    assert model.evaluate(x, y, batch_size=batch_size, verbose=0) == reference.evaluate(x, y, batch_size=50, verbose=0)
    np.testing.assert_array_equal(model.predict(x, batch_size=batch_size), reference.predict(x, batch_size=50))


@pytest.fixture
def restore_threads():
    n = tf.get_num_threads()
    yield
    tf.set_num_threads(n)


def test_set_num_threads_is_bounded(restore_threads):
    # libgomp ended the process (exit code 1, no exception) when it could not create 5000 threads.
    limit = _core.max_num_threads()
    assert 8 <= limit <= 1024
    with pytest.raises(ValueError, match=r"num_threads must be between 1 and \d+ \(4 per core, at least 8\), got 5000"):
        tf.set_num_threads(5000)
    with pytest.raises(ValueError, match=r"n must be an integer <= 2147483647, got 1099511627776"):
        tf.set_num_threads(2**40)
    with pytest.raises(ValueError, match=r"num_threads must be between 1 and \d+ .*got 1073741824"):
        _core.set_num_threads(2**40)  # the core's own check: clamped, never a pybind11 type error
    tf.set_num_threads(limit)  # the most allowed runs (threads are created, or fewer are used)
    model = tf.Sequential([L.Dense(64, activation="relu", input_shape=(512,)), L.Dense(1)])
    x = np.random.RandomState(0).rand(2048, 512).astype(np.float32)
    assert np.all(np.isfinite(model.predict(x)))
    assert 1 <= tf.get_num_threads() <= limit


def _tampered(tmp_path, iterations=None, u_product=None):
    """A saved Nadam model whose model.weights.h5 (Keras' layout: optimizer/vars/0 is the iteration count, the
    last variable Nadam's u_product) carries the given optimizer state."""
    import io
    import zipfile

    import h5py
    model = tf.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile(optimizer="nadam", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    src, dst = tmp_path / "good.keras", tmp_path / "bad.keras"
    model.save(src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "model.weights.h5":
                buffer = io.BytesIO(data)
                with h5py.File(buffer, "r+") as f:
                    group = f["optimizer/vars"]
                    for name, value in (("0", iterations), (str(len(group) - 1), u_product)):
                        if value is not None:
                            del group[name]
                            group.create_dataset(name, data=value)
                data = buffer.getvalue()
            zout.writestr(info, data)
    return dst


@pytest.mark.parametrize("state,match", [
    ({"iterations": np.int64(2**63 - 1)},
     r"iteration count must be an integer in \[0, \d+\], got 9223372036854775807"),
    ({"iterations": np.int64(-1)}, r"iteration count must be an integer in"),
    ({"u_product": np.float64("nan")}, r"u_product must be a finite number in \[0\.0, 1\.0\], got nan"),
    ({"u_product": np.float64(1e300)}, r"u_product must be a finite number"),
])
def test_poisoned_optimizer_state_in_a_file_is_refused(tmp_path, state, match):
    with pytest.raises(ValueError, match=match):
        tf.models.load_model(_tampered(tmp_path, **state))


def test_poisoned_optimizer_hyperparameters_in_a_file_are_refused(tmp_path):
    import json
    import zipfile
    model = tf.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zin, zipfile.ZipFile(tmp_path / "bad.keras", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "config.json":
                data = data.replace(b'"learning_rate": 0.001', b'"learning_rate": 1e39')
                assert b"1e39" in data
            zout.writestr(info, data)
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number"):
        tf.models.load_model(tmp_path / "bad.keras")


def test_the_core_bounds_the_training_state_it_is_given():
    model = tf.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile(optimizer="nadam", loss="mse")
    with pytest.raises(ValueError, match=r"iterations must be an integer in \[0, 2\*\*53\]"):
        model._net.iterations = 2**63 - 1
    with pytest.raises(ValueError, match=r"nadam_u_product must be a finite number in \[0, 1\]"):
        model._net.nadam_u_product = float("nan")


def test_the_core_refuses_input_shapes_past_its_sizes():
    with pytest.raises(ValueError, match=r"at most 2147483647 elements per sample, got \(65536, 65536\)"):
        _core.Network([("flatten", [0], {}), ("dense", [1], {"units": 1})], [(65536, 65536)], 0)


@pytest.mark.parametrize("member", ["model.weights.h5", "config.json", "metadata.json"])
def test_a_file_with_duplicate_members_is_refused(tmp_path, member):
    import warnings
    import zipfile
    model = tf.Sequential([L.Dense(1, input_shape=(2,))])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zin, zipfile.ZipFile(tmp_path / "bad.keras", "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns "Duplicate name"
            zout.writestr(zin.getinfo(member), zin.read(member))
    with pytest.raises(ValueError, match=f"holds member {re.escape(repr(member))} twice"):
        tf.models.load_model(tmp_path / "bad.keras")
    with pytest.raises(ValueError, match="twice"):
        model.load_weights(tmp_path / "bad.keras")


def _available():
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return info["MemAvailable"] + info.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        pytest.skip("this system does not say how much memory is available")


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_a_model_that_cannot_fit_in_memory_is_refused_before_allocating():
    # Before: the kernel's overcommit let the core fill 1.2 GB page by page before MemoryError.
    units = 40000  # a 1.6e9-float kernel (within the core's int sizes); 32 GB per layer with gradient and slots
    layers = int(_available() // (20 * units * units)) + 2
    before = _rss()
    with pytest.raises(MemoryError, match=r"the network needs [\d.]+ GiB \(\d+ bytes\), but only [\d.]+ GiB"):
        tf.Sequential([L.Dense(units, input_shape=(units,))] + [L.Dense(units) for _ in range(layers - 1)])
    assert _rss() - before < 64 << 20


def test_predict_checks_its_output_fits_in_memory(monkeypatch):
    from pyminidl import _chunks
    monkeypatch.setattr(_chunks, "FIRST_WORK", 1)  # the chunked path for any size
    model = tf.Sequential([L.Dense(3, input_shape=(2,))])
    with pytest.raises(MemoryError, match=r"predict's output \(100 rows of 3 floats\) needs"):
        _core._require_memory(_available() + (1 << 30), "predict's output (100 rows of 3 floats)")
    assert model.predict(np.ones((100, 2), np.float32), batch_size=10).shape == (100, 3)
