"""LearningRateScheduler, ModelCheckpoint(save_freq=N), a user's ProgbarLogger, TensorBoard's refusal
(KERAS_REFERENCE §19)."""

import os

import numpy as np
import pytest

from pyminidl import callbacks, layers, models, optimizers


def tiny_model(optimizer=None):
    model = models.Sequential([layers.Dense(4, input_shape=(3,), activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer or optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def tiny_data(n=40):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 3).astype(np.float32)
    return x, x.sum(axis=1, keepdims=True)


# --- LearningRateScheduler ------------------------------------------------------------------------------
def test_scheduler_sets_the_rate_each_epoch_and_logs_it(capsys):
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5

    model = tiny_model()
    hist = model.fit(*tiny_data(), epochs=3, verbose=0, callbacks=[callbacks.LearningRateScheduler(schedule)])
    assert [e for e, _ in seen] == [0, 1, 2]
    assert all(type(lr) is float for _, lr in seen)  # the current rate as a Python float
    assert [lr for _, lr in seen] == pytest.approx([0.1, 0.05, 0.025])
    assert hist.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    assert model._net.current_learning_rate() == pytest.approx(0.0125)  # reached the C++ network
    assert capsys.readouterr().out == ""


def test_scheduler_one_argument_and_verbose_prints_the_float32_value(capsys):
    model = tiny_model()
    cb = callbacks.LearningRateScheduler(lambda epoch: 0.05, verbose=1)
    model.fit(*tiny_data(), epochs=1, verbose=0, callbacks=[cb])
    assert capsys.readouterr().out == "\nEpoch 1: LearningRateScheduler setting learning rate to 0.05000000074505806.\n"


def test_scheduler_changes_training_like_a_fixed_rate():
    x, y = tiny_data()
    losses = []
    for cb in ([callbacks.LearningRateScheduler(lambda epoch, lr: 0.02)], []):
        np.random.seed(3)
        model = tiny_model(optimizers.SGD(learning_rate=0.02 if not cb else 0.5))
        losses.append(model.fit(x, y, epochs=2, verbose=0, shuffle=False, callbacks=cb).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)


@pytest.mark.parametrize("result, error", [(1, ValueError), ("0.1", ValueError), (None, ValueError),
                                           (float("nan"), ValueError), (np.float64(0.01), None)])
def test_scheduler_output_must_be_a_float(result, error):
    model = tiny_model()
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: result)
    if error is None:
        model.fit(*tiny_data(), epochs=1, verbose=0, callbacks=[cb])
        assert model.optimizer.learning_rate == pytest.approx(0.01)
        return
    with pytest.raises(error, match="The output of the `schedule` function"):
        model.fit(*tiny_data(), epochs=1, verbose=0, callbacks=[cb])


def test_scheduler_refuses_an_optimizer_built_on_a_schedule():
    decay = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    model = tiny_model(optimizers.SGD(learning_rate=decay))
    with pytest.raises(TypeError, match="LearningRateSchedule.*not settable"):
        model.fit(*tiny_data(), epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: lr)])
    with pytest.raises(TypeError, match="schedule must be a function"):
        callbacks.LearningRateScheduler(0.1)


# --- ModelCheckpoint(save_freq=N) ------------------------------------------------------------------------
def test_save_freq_counts_batches_over_the_whole_fit(tmp_path, capsys):
    # 40 samples, batch 8: 5 batches an epoch; every 3rd global batch -> 3, 6, 9 (§19: ck_01_3, ck_02_1, ck_02_4).
    pattern = str(tmp_path / "ck_{epoch:02d}_{batch}.keras")
    model = tiny_model()
    cb = callbacks.ModelCheckpoint(pattern, save_freq=3, monitor="loss", verbose=1)
    model.fit(*tiny_data(), epochs=2, batch_size=8, verbose=0, callbacks=[cb])
    assert sorted(os.listdir(tmp_path)) == ["ck_01_3.keras", "ck_02_1.keras", "ck_02_4.keras"]
    out = capsys.readouterr().out
    assert out.count("saving model to") == 3 and out.startswith(f"\nEpoch 1: saving model to {tmp_path}")


def test_save_freq_save_best_only_without_the_monitor_warns_and_skips(tmp_path):
    model = tiny_model()
    cb = callbacks.ModelCheckpoint(str(tmp_path / "b.keras"), save_freq=2, save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        model.fit(*tiny_data(), epochs=1, batch_size=8, verbose=0, callbacks=[cb])
    assert not os.listdir(tmp_path)


def test_epoch_checkpoints_keep_the_fast_path_and_period(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.keras"))
    assert "on_train_batch_end" not in vars(cb)  # only an int save_freq listens per batch
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), period=2)  # Keras 2's every-N-epochs
    tiny_model().fit(*tiny_data(), epochs=4, verbose=0, callbacks=[cb])
    assert sorted(os.listdir(tmp_path)) == ["m2.keras", "m4.keras"]


@pytest.mark.parametrize("save_freq", ["batch", 0, -3, 2.5, True])
def test_bad_save_freq(save_freq):
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("m.keras", save_freq=save_freq)


# --- ProgbarLogger, TensorBoard ------------------------------------------------------------------------
def test_a_users_progbar_logger_replaces_fits_own(capsys):
    model = tiny_model()
    model.fit(*tiny_data(), epochs=2, verbose=2, callbacks=[callbacks.ProgbarLogger()])
    out = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in out] == ["Epoch 1/2", "2/2", "Epoch 2/2", "2/2"]
    model.fit(*tiny_data(), epochs=1, verbose=0, callbacks=[callbacks.ProgbarLogger()])
    assert capsys.readouterr().out == ""  # it takes fit's verbose
    with pytest.raises(NotImplementedError, match="count_mode='samples'"):
        callbacks.ProgbarLogger(count_mode="samples")


def test_tensorboard_is_refused_with_the_alternative():
    with pytest.raises(NotImplementedError, match=r"TensorBoard is not supported by pyminidl.*CSVLogger"):
        callbacks.TensorBoard(log_dir="logs")
