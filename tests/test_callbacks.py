"""Callbacks: Keras 3's algorithms on fake logs, and their effect inside fit on tiny models."""

import csv
import math

import numpy as np
import pytest

import pyminidl
from pyminidl import callbacks, layers, models, optimizers
from pyminidl.callbacks import CallbackList


class FakeModel:
    """Just what the monitoring callbacks touch: stop_training and the weights."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(1, np.float32)]
        self._metric_keys = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [w.copy() for w in weights]


def drive(cb, values, key="val_loss", model=None):
    """Feed one value per epoch; returns the epoch index after which training stopped (or None)."""
    model = model or FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        if isinstance(model, FakeModel):
            model.weights = [np.array([epoch], np.float32)]  # the weights 'are' the epoch they ended
        cb.on_epoch_end(epoch, {key: value})
        if model.stop_training:
            stopped = epoch
            break
    cb.on_train_end()
    return stopped


def tiny_model(optimizer="sgd", metrics=None, units=1, loss="mse"):
    model = models.Sequential([layers.Dense(4, input_shape=(3,), activation="tanh"), layers.Dense(units)])
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics or [])
    return model


def tiny_data(n=40):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 3).astype(np.float32)
    return x, x.sum(axis=1, keepdims=True)


# --- EarlyStopping --------------------------------------------------------------------------------------
def test_early_stopping_worked_case_patience_0():
    assert drive(callbacks.EarlyStopping(patience=0), [1.0, 0.9, 0.95]) == 2


def test_early_stopping_worked_case_patience_2():
    assert drive(callbacks.EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.96]) == 3


def test_early_stopping_never_stops_after_the_first_epoch():
    cb = callbacks.EarlyStopping(patience=0, min_delta=10.0)
    assert drive(cb, [1.0, 1.0]) == 1  # epoch 0 is guarded (epoch > 0), epoch 1 stops


def test_early_stopping_min_delta_and_max_mode():
    assert drive(callbacks.EarlyStopping(patience=0, min_delta=-0.2), [1.0, 0.85, 0.7]) == 1  # |min_delta|
    assert drive(callbacks.EarlyStopping(patience=0, min_delta=0.2), [1.0, 0.79, 0.58]) is None
    assert drive(callbacks.EarlyStopping(monitor="val_acc", mode="max", patience=0), [0.5, 0.6, 0.6],
                 key="val_acc") == 2


def test_early_stopping_baseline_keeps_counting_until_beaten():
    # Improvements that do not beat the baseline do not reset the count; the first epoch still returns early.
    assert drive(callbacks.EarlyStopping(patience=2, baseline=0.5), [1.0, 1.2, 1.3]) == 1
    assert drive(callbacks.EarlyStopping(patience=2), [1.0, 1.2, 1.3]) == 2
    assert drive(callbacks.EarlyStopping(patience=1, baseline=0.5), [1.0, 0.4, 0.45, 0.46]) == 2


def test_early_stopping_start_from_epoch():
    cb = callbacks.EarlyStopping(patience=0, start_from_epoch=2)
    assert drive(cb, [1.0, 2.0, 3.0, 4.0, 5.0]) == 3


def test_early_stopping_messages_and_restore(capsys):
    model = FakeModel()
    cb = callbacks.EarlyStopping(patience=2, verbose=1, restore_best_weights=True)
    assert drive(cb, [1.0, 0.5, 0.7, 0.8], model=model) == 3
    out = capsys.readouterr().out
    assert out == "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    assert model.weights[0][0] == 1  # the weights as they were at the end of epoch index 1


def test_early_stopping_restores_even_without_a_stop(capsys):
    model = FakeModel()
    cb = callbacks.EarlyStopping(patience=5, verbose=1, restore_best_weights=True)
    assert drive(cb, [1.0, 0.5, 0.7], model=model) is None
    assert capsys.readouterr().out == "Restoring model weights from the end of the best epoch: 2.\n"
    assert model.weights[0][0] == 1


def test_early_stopping_auto_mode_uses_the_compiled_metric():
    model = tiny_model(metrics=["accuracy"], units=2, loss="categorical_crossentropy")
    cb = callbacks.EarlyStopping(monitor="val_accuracy", patience=0)
    assert drive(cb, [0.5, 0.6, 0.55], key="val_accuracy", model=model) == 2
    assert cb.monitor_op == "max"
    model = tiny_model(metrics=["mae"])
    cb = callbacks.EarlyStopping(monitor="mae", patience=0)
    assert drive(cb, [0.5, 0.4, 0.45], key="mae", model=model) == 2


def test_early_stopping_auto_mode_unknown_metric_raises():
    cb = callbacks.EarlyStopping(monitor="val_mystery")
    with pytest.raises(ValueError, match="val_mystery.*mode='max'"):
        drive(cb, [1.0], key="val_mystery")


def test_early_stopping_missing_monitor_warns_and_skips():
    cb = callbacks.EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available metrics are: loss"):
        assert drive(cb, [1.0, 2.0, 3.0], key="loss") is None


@pytest.mark.parametrize("kwargs, match", [
    ({"patience": -1}, "patience"), ({"mode": "best"}, "mode"), ({"monitor": ""}, "monitor"),
    ({"min_delta": "x"}, "min_delta"), ({"start_from_epoch": 1.5}, "start_from_epoch"),
])
def test_early_stopping_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        callbacks.EarlyStopping(**kwargs)


def test_early_stopping_in_fit_stops_and_restores():
    x, y = tiny_data()
    model = tiny_model()
    cb = callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=100.0, restore_best_weights=True)
    hist = model.fit(x, y, epochs=10, batch_size=8, verbose=0, callbacks=[cb])
    assert hist.epoch == [0, 1]
    assert cb.stopped_epoch == 1 and cb.best_epoch == 0
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), cb.best_weights))


# --- ModelCheckpoint --------------------------------------------------------------------------------------
def test_model_checkpoint_formats_path_and_saves_every_epoch(tmp_path, capsys):
    x, y = tiny_data()
    model = tiny_model()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{loss:.2f}.keras")
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0,
                     callbacks=[callbacks.ModelCheckpoint(pattern, verbose=1)])
    expected = [pattern.format(epoch=i + 1, loss=loss) for i, loss in enumerate(hist.history["loss"])]
    assert sorted(str(p) for p in tmp_path.iterdir()) == sorted(expected)
    assert capsys.readouterr().out == "".join(f"\nEpoch {i + 1}: saving model to {p}\n"
                                              for i, p in enumerate(expected))
    last = models.load_model(expected[-1])
    assert all(np.array_equal(a, b) for a, b in zip(last.get_weights(), model.get_weights()))


def test_model_checkpoint_save_best_only(tmp_path, capsys):
    path = str(tmp_path / "best.weights.h5")
    model = tiny_model()
    cb = callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True, save_weights_only=True,
                                   verbose=1)
    cb.set_model(model)
    cb.on_epoch_end(0, {"val_loss": 0.5})
    saved = model.get_weights()
    model.set_weights([w + 1 for w in saved])
    cb.on_epoch_end(1, {"val_loss": 0.7})
    out = capsys.readouterr().out
    assert out == (f"\nEpoch 1: val_loss improved from inf to 0.50000, saving model to {path}\n"
                   "\nEpoch 2: val_loss did not improve from 0.50000\n")
    model.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), saved))


def test_model_checkpoint_mode_auto_maximizes_accuracy():
    # One rule for all monitoring callbacks (callbacks/monitoring.py): decided from the compiled metrics.
    cb = callbacks.ModelCheckpoint("m.keras", monitor="val_accuracy")
    cb.set_model(tiny_model(metrics=["accuracy"], units=2, loss="categorical_crossentropy"))
    assert cb._set_monitor_op() == "max" and cb._worst() == -math.inf
    for cls in (callbacks.ModelCheckpoint, callbacks.ReduceLROnPlateau, callbacks.EarlyStopping):
        cb = cls("m.keras", monitor="val_mystery") if cls is callbacks.ModelCheckpoint else cls(monitor="val_mystery")
        cb.set_model(tiny_model())
        with pytest.raises(ValueError, match=f"{cls.__name__} callback received monitor='val_mystery'.*mode='max'"):
            cb._set_monitor_op()


@pytest.mark.parametrize("name, weights_only, kind", [
    ("m.keras", False, "zip"), ("m.h5", False, "model_config"), ("w.weights.h5", True, "layers"),
    ("w.h5", True, "layer_names"),
])
def test_model_checkpoint_picks_the_format_from_the_name(tmp_path, name, weights_only, kind):
    import zipfile

    import h5py

    model = tiny_model()
    x, y = tiny_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(str(tmp_path / name), save_weights_only=weights_only)])
    path = tmp_path / name
    if kind == "zip":
        assert zipfile.is_zipfile(path)
    else:
        with h5py.File(path, "r") as f:
            assert kind in f.attrs or kind in f
    other = tiny_model()
    other.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(other.get_weights(), model.get_weights()))


@pytest.mark.parametrize("kwargs", [
    {"filepath": "model.h5x"}, {"filepath": "model"}, {"filepath": "w.weights.h5"},
    {"filepath": "model.keras", "save_weights_only": True}, {"filepath": "w.weights.h5", "mode": "up"},
])
def test_model_checkpoint_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="filepath|mode"):
        callbacks.ModelCheckpoint(**kwargs)


def test_model_checkpoint_unknown_key_in_path(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m-{val_auc:.2f}.keras"))
    cb.set_model(tiny_model())
    with pytest.raises(KeyError, match="val_auc"):
        cb.on_epoch_end(0, {"loss": 1.0})


# --- TerminateOnNaN ---------------------------------------------------------------------------------------
def test_terminate_on_nan_direct(capsys):
    model = FakeModel()
    cb = callbacks.TerminateOnNaN()
    cb.set_model(model)
    cb.on_train_batch_end(3, {"loss": 1.0})
    assert not model.stop_training
    cb.on_train_batch_end(4, {"loss": float("inf")})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 4: Invalid loss, terminating training\n"
    with pytest.raises(RuntimeError, match="batch 2"):
        raising = callbacks.TerminateOnNaN(raise_error=True)
        raising.set_model(FakeModel())
        raising.on_train_batch_end(2, {"loss": float("nan")})


def test_terminate_on_nan_in_fit_records_the_epoch(capsys):  # and no "diverged" warning: it was handled
    x, y = tiny_data(64)
    model = tiny_model(optimizer=optimizers.SGD(learning_rate=1e30))
    hist = model.fit(x, y * 1e6, epochs=5, batch_size=8, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    out = capsys.readouterr().out
    assert out.startswith("Batch ") and out.endswith(": Invalid loss, terminating training\n")
    batch = int(out.split()[1].rstrip(":"))
    assert hist.epoch == [0] and not math.isfinite(hist.history["loss"][0])
    assert model.optimizer.iterations == batch + 1  # stopped right after the bad batch


# --- ReduceLROnPlateau --------------------------------------------------------------------------------------
def test_reduce_lr_on_plateau_reduces_cools_down_and_floors():
    model = tiny_model(optimizer=optimizers.SGD(learning_rate=0.1))
    cb = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2, min_lr=0.02)
    cb.set_model(model)
    cb.on_train_begin()
    lrs = []
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        lrs.append(logs["learning_rate"])  # the rate in force during that epoch, as Keras 3 logs it
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02])
    assert model.optimizer.learning_rate == pytest.approx(0.02)
    assert model._net.current_learning_rate() == pytest.approx(0.02)  # pushed to the C++ network


def test_reduce_lr_on_plateau_in_fit(capsys):
    x, y = tiny_data()
    model = tiny_model(optimizer=optimizers.SGD(learning_rate=0.01))
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=100.0, verbose=1)
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[cb])
    assert hist.history["learning_rate"] == pytest.approx([0.01, 0.01, 0.005])  # before each epoch's cut
    out = capsys.readouterr().out
    assert out.startswith("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.00499999")
    assert model.optimizer.learning_rate == pytest.approx(0.0025)


@pytest.mark.parametrize("kwargs, match", [
    ({"factor": 1.0}, "factor"), ({"factor": -0.1}, "factor"), ({"patience": -2}, "patience"),
    ({"mode": "lowest"}, "mode"), ({"min_lr": -1}, "min_lr"), ({"bogus": 1}, "bogus"),
])
def test_reduce_lr_on_plateau_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        callbacks.ReduceLROnPlateau(**kwargs)


# --- LambdaCallback --------------------------------------------------------------------------------------
def test_lambda_callback_calls_the_given_hooks():
    x, y = tiny_data(16)
    seen = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append(("train_begin", logs)),
        on_epoch_end=lambda epoch, logs: seen.append(("epoch_end", epoch, sorted(logs))),
        on_train_batch_end=lambda batch, logs: seen.append(("batch_end", batch)),
        on_train_end=lambda logs: seen.append(("train_end",)))
    model = tiny_model()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[cb])
    assert seen == [("train_begin", {}), ("batch_end", 0), ("batch_end", 1), ("epoch_end", 0, ["loss"]),
                    ("batch_end", 0), ("batch_end", 1), ("epoch_end", 1, ["loss"]), ("train_end",)]


def test_lambda_callback_counts_only_the_hooks_given():
    model = tiny_model()

    def flags(cb):
        cbs = CallbackList([cb], model, {})
        return cbs.needs_batches, cbs.needs_epochs

    assert flags(callbacks.LambdaCallback(on_train_begin=print, on_train_end=print)) == (False, False)
    assert flags(callbacks.LambdaCallback(on_epoch_end=print)) == (False, True)
    assert flags(callbacks.LambdaCallback(on_train_batch_begin=print)) == (True, False)
    assert flags(callbacks.LambdaCallback(on_batch_end=print)) == (True, False)
    assert flags(callbacks.LambdaCallback(on_test_end=print)) == (False, False)
    assert flags(callbacks.CSVLogger("x.csv")) == (False, True)
    assert flags(callbacks.TerminateOnNaN()) == (True, False)


def test_lambda_callback_bad_arguments():
    with pytest.raises(ValueError, match="on_epoch_finish"):
        callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="on_epoch_end must be a function, got 3"):
        callbacks.LambdaCallback(on_epoch_end=3)


# --- CSVLogger --------------------------------------------------------------------------------------------
def test_csv_logger_writes_and_appends(tmp_path):
    x, y = tiny_data()
    path = tmp_path / "log.csv"
    model = tiny_model(metrics=["mae"])
    h1 = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25,
                   callbacks=[callbacks.CSVLogger(str(path))])
    h2 = model.fit(x, y, epochs=1, batch_size=8, verbose=0, validation_split=0.25,
                   callbacks=[callbacks.CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    got = [float(v) for v in rows[3][1:]]
    assert got == [h2.history[k][0] for k in rows[0][1:]]
    assert float(rows[2][1]) == h1.history["loss"][1]


def test_csv_logger_separator_and_missing_validation(tmp_path):
    path = tmp_path / "log.tsv"
    cb = callbacks.CSVLogger(path, separator="\t")
    cb.set_model(FakeModel())
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 0.5})
    cb.on_train_end()
    assert path.read_bytes() == b"epoch\tloss\tval_loss\r\n0\t0.5\tNA\r\n"
    with pytest.raises(ValueError, match="separator"):
        callbacks.CSVLogger(path, separator="::")


# --- interaction with fit ------------------------------------------------------------------------------------
class StopAt(callbacks.Callback):
    def __init__(self, batch=None, epoch=None):
        super().__init__()
        self.batch, self.epoch = batch, epoch
        if batch is not None:
            self.on_train_batch_end = self._batch_end

    def _batch_end(self, batch, logs=None):
        if batch == self.batch:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.stop_training = True


def test_stop_training_after_the_current_batch():
    x, y = tiny_data(40)
    model = tiny_model()
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[StopAt(batch=2)])
    assert hist.epoch == [0] and model.optimizer.iterations == 3


def test_stop_training_after_the_current_epoch():
    x, y = tiny_data(40)
    model = tiny_model()
    hist = model.fit(x, y, epochs=10, batch_size=8, verbose=0, callbacks=[StopAt(epoch=1)])
    assert hist.epoch == [0, 1] and model.optimizer.iterations == 10


class OnlyTrainBegin(callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.began = True


@pytest.mark.parametrize("make_callbacks", [
    lambda: [OnlyTrainBegin()],
    lambda: [callbacks.EarlyStopping(monitor="loss", patience=1000)],
    lambda: [callbacks.LambdaCallback(on_train_end=lambda logs: None)],
    lambda: [callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)],
])
def test_callbacks_do_not_change_the_numbers(make_callbacks):
    x, y = tiny_data(64)

    def train(cbs):
        pyminidl.set_random_seed(42)
        model = tiny_model(optimizer="adam")
        model.fit(x, y, epochs=30, batch_size=8, verbose=0, callbacks=cbs)
        return model.get_weights()

    plain = train(None)
    with_callbacks = train(make_callbacks())
    assert all(np.array_equal(a, b) for a, b in zip(plain, with_callbacks))


def test_builtin_callbacks_keep_the_fast_path():
    model = tiny_model()
    cbs = CallbackList([OnlyTrainBegin(), callbacks.History(), callbacks.ProgbarLogger()], model, {})
    assert not cbs.needs_batches and not cbs.needs_epochs
