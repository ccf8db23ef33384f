"""Stress: fit with callbacks that call every public model method at random, while threads do the same.

Every call must either work or raise a clear error (ModelBusyError, ValueError, TypeError: the model is busy,
or the random arguments/architecture do not fit); anything else, a crash, or a sanitizer report fails. Each
fit must train the network the model holds (a callback's pop() + add() used to leave fit training a network
the model no longer had), and the model must train normally afterwards.

The quick case runs in the normal suite; the 30 s one is marked slow (CI runs it, also under ASan + UBSan:
tools/sanitize.sh -m slow). PYMINIDL_STRESS_SECONDS overrides the duration of the slow one.
"""

import os
import random
import threading
import time

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import _guard, metrics as metrics_module
from pyminidl import layers as L

CLEAR_ERRORS = (_guard.ModelBusyError, ValueError, TypeError)


def _data(n=96):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 4).astype(np.float32)
    return x, (x[:, 0] > x[:, 1]).astype(np.int64) + (x[:, 2] > 0.5)


def _model():
    model = tf.Sequential([L.Dense(8, activation="relu", input_shape=(4,)), L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Chaos:
    """Random calls of every public model method, with valid and invalid arguments."""

    def __init__(self, model, seed, tmp_path):
        self.model, self.rng, self.tmp = model, random.Random(seed), tmp_path
        self.x, self.y = _data()
        self.unexpected = []
        self.calls = 0

    def actions(self):
        m, r, x, y = self.model, self.rng, self.x, self.y
        path = str(self.tmp / f"chaos_{threading.get_ident()}_{r.randrange(3)}")
        metrics = r.choice([[], ["accuracy"], ["accuracy", "sparse_categorical_accuracy"], ["mae", "mse", "accuracy"]])
        return [
            lambda: m.compile(optimizer=r.choice(["adam", "sgd", "nadam"]), metrics=metrics,
                              loss=r.choice(["sparse_categorical_crossentropy", "categorical_crossentropy"])),
            lambda: m.add(L.Dense(r.choice([2, 3, 5]), activation=r.choice(["relu", "softmax", None]))),
            lambda: m.pop(),
            lambda: m.build((None, r.choice([4, 5]))),
            lambda: m.fit(x, y, epochs=1, batch_size=r.choice([8, 32]), verbose=0),
            lambda: m.evaluate(x, y, verbose=0),
            lambda: m.predict(x[: r.randrange(1, 50)], verbose=0),
            lambda: m(x[:3]),
            lambda: m.set_weights(m.get_weights()),
            lambda: m.set_weights([w[:1] for w in m.get_weights()]),  # wrong shapes
            lambda: m.get_weights(),
            lambda: m.count_params(),
            lambda: m.summary(print_fn=lambda line: None),
            lambda: m.get_config(),
            lambda: m.get_layer(index=r.randrange(-3, 3)),
            lambda: (m.layers, m.weights, m.built, m.input_shape, m.output_shape, m.metrics_names),
            lambda: m.save(path + ".keras"),
            lambda: m.save_weights(path + ".weights.h5"),
            lambda: m.load_weights(path + ".weights.h5"),
            lambda: setattr(m, "stop_training", r.random() < 0.05),
            lambda: setattr(m.optimizer, "learning_rate", r.choice([1e-3, 1e-2])),
        ]

    def one(self):
        action = self.rng.choice(self.actions())
        self.calls += 1
        try:
            action()
        except CLEAR_ERRORS:
            pass
        except (FileNotFoundError, IndexError) as e:  # a file another call has not written; get_layer's index
            if not isinstance(e, FileNotFoundError) and "index" not in str(e):
                self.unexpected.append(repr(e))
        except Exception as e:  # noqa: BLE001  anything else is a bug
            self.unexpected.append(f"{type(e).__name__}: {e}")


class ChaosCallback(tf.callbacks.Callback):
    def __init__(self, chaos, rate):
        super().__init__()
        self.chaos, self.rate = chaos, rate
        self.lost = []

    def on_train_begin(self, logs=None):
        self.net = self.model._net

    def on_train_batch_begin(self, batch, logs=None):
        if self.chaos.rng.random() < self.rate:
            self.chaos.one()

    def on_epoch_end(self, epoch, logs=None):
        self.chaos.one()

    def on_train_end(self, logs=None):
        if self.model._net is not self.net:
            self.lost.append("fit trained a network the model no longer holds")


def _stress(seconds, tmp_path):
    model = _model()
    x, y = _data()
    stop = time.monotonic() + seconds
    # On a loaded machine every fit of the first seconds may end in a clear error (the other threads change the
    # model under it): the run goes on, up to a minute more, until one fit has finished.
    give_up = stop + 60.0
    done = threading.Event()
    thread_chaos = [Chaos(model, seed, tmp_path) for seed in (1, 2)]

    def worker(chaos):
        while not done.is_set() or chaos.calls == 0:
            chaos.one()

    threads = [threading.Thread(target=worker, args=(c,)) for c in thread_chaos]
    for t in threads:
        t.start()
    main = Chaos(model, 0, tmp_path)
    callback = ChaosCallback(main, rate=0.3)
    fits = 0
    try:
        while time.monotonic() < stop or (fits == 0 and time.monotonic() < give_up):
            try:
                model.fit(x, y, epochs=main.rng.choice([1, 3]), batch_size=main.rng.choice([8, 16, 96]), verbose=0,
                          callbacks=[callback])
                fits += 1
            except CLEAR_ERRORS:
                pass
    finally:
        done.set()
        for t in threads:
            t.join()
    problems = main.unexpected + [p for c in thread_chaos for p in c.unexpected] + callback.lost
    assert not problems, problems[:10]
    assert fits > 0 and main.calls > 0 and all(c.calls > 0 for c in thread_chaos)

    # Afterwards the model trains normally once it has its architecture back.
    while model.layers:
        model.pop()
    model.add(L.Dense(8, activation="relu", input_shape=(4,)))
    model.add(L.Dense(3, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(np.isfinite(w).all() and not np.array_equal(w, b) for w, b in zip(model.get_weights(), before))


def test_stress_quick(tmp_path):
    _stress(3.0, tmp_path)


@pytest.mark.slow
def test_stress_30_seconds(tmp_path):
    _stress(float(os.environ.get("PYMINIDL_STRESS_SECONDS", "30")), tmp_path)


def test_compile_from_a_callback_during_fit_is_refused_clearly():
    model, (x, y) = _model(), _data()

    class Recompile(tf.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                               metrics=["accuracy", "mae", "mse", "sparse_categorical_accuracy"])

    with pytest.raises(_guard.ModelBusyError, match=r"compile\(\) cannot run while fit\(\) is using this model "
                                                     r"\(it was called from a callback of that call\)"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[Recompile()])
    model.fit(x, y, epochs=1, verbose=0)  # the model is not left busy


def test_pop_and_add_in_a_callback_cannot_lose_training():
    model, (x, y) = _model(), _data()

    class Swap(tf.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.pop()
            self.model.add(L.Dense(3, activation="softmax"))

    with pytest.raises(_guard.ModelBusyError, match=r"pop\(\) cannot run while fit\(\) is using this model"):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[Swap()])


def test_pop_on_a_compiled_model_does_not_warn_about_another_model(recwarn):
    model = _model()
    model.add(L.Dense(3, activation="softmax"))
    model.pop()
    assert not [w for w in recwarn if "another model" in str(w.message)]


def test_compile_from_another_thread_during_fit_is_refused():
    model, (x, y) = _model(), _data(4096)
    started, errors = threading.Event(), []

    class Signal(tf.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            started.set()

    def other():
        started.wait(60)
        try:
            model.compile(optimizer="adam", loss="categorical_crossentropy")
        except _guard.ModelBusyError as e:
            errors.append(str(e))

    thread = threading.Thread(target=other)
    thread.start()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[Signal()])
    thread.join()
    assert errors and "in another thread" in errors[0], errors
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.loss.__class__.__name__ == "SparseCategoricalCrossentropy"


def test_the_core_refuses_an_epoch_whose_compile_changed():
    # Below the Python guard: compile() (with more metrics, another loss) between begin_epoch and
    # train_batches used to write past the epoch's sums; the C++ core now ends the epoch at compile.
    model, (x, y) = _model(), _data()
    net = model._net
    xs, labels = [x], y.astype(np.float32).reshape(-1, 1)
    net.begin_epoch(len(x), 8, 1)
    net.train_batches(xs, labels, None, 0, 1)
    codes = [metrics_module.resolve("sparse_categorical_accuracy", model.loss, 3)[1]] * 4
    net.compile(model.loss._config(), codes, model.optimizer._config())
    with pytest.raises(RuntimeError, match="no epoch is open"):
        net.train_batches(xs, labels, None, 1, 1)
    assert net.epoch_logs() == [0.0] * 5
    net.begin_epoch(len(x), 8, 1)
    net.train_batches(xs, labels, None, 0, net.epoch_batches)
    assert np.all(np.isfinite(net.epoch_logs()))


@pytest.mark.parametrize("loss,metric", [("sparse_categorical_crossentropy", "mse"),
                                         ("categorical_crossentropy", "sparse_categorical_accuracy")])
def test_the_core_refuses_metrics_that_read_the_other_target_layout(loss, metric):
    # A sparse loss's targets are one label per row: mse would read n x 3 floats from an n x 1 array.
    model = _model()
    net = model._net
    with pytest.raises(ValueError, match=f"metric {metric} needs"):  # the core's compile takes MetricConfigs
        net.compile(tf.losses.get(loss)._config(), [tf._core.MetricConfig(getattr(tf._core.Metric, metric))],
                    model.optimizer._config())
