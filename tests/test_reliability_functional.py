"""Issue 18's reliability behaviour on functional models (the merge of reliab onto the models package):
the busy guard lives on Model/Trainer, so a functional model is protected as a Sequential one; the chunked
predict/evaluate handle several inputs."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import _chunks, _guard
from pyminidl import layers as L


def _two_inputs():
    a = tf.keras.Input(shape=(4,), name="a")
    b = tf.keras.Input(shape=(3,), name="b")
    h = L.Concatenate()([L.Dense(8, activation="relu")(a), b])
    out = L.Dense(3, activation="softmax")(h)
    model = tf.keras.Model(inputs=[a, b], outputs=out, name="two")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _data(n=64):
    rng = np.random.RandomState(0)
    return [rng.rand(n, 4).astype(np.float32), rng.rand(n, 3).astype(np.float32)], rng.randint(0, 3, n)


@pytest.mark.parametrize("call", ["compile", "load_weights", "fit"])
def test_a_functional_model_refuses_changes_from_a_callback_of_its_fit(tmp_path, call):
    model, (x, y) = _two_inputs(), _data()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)

    class Change(tf.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if call == "compile":
                self.model.compile(optimizer="sgd", loss="mse")
            elif call == "load_weights":
                self.model.load_weights(path)
            else:
                self.model.fit(x, y, verbose=0)

    with pytest.raises(_guard.ModelBusyError, match=rf"{call}\(\) cannot run while fit\(\) is using this model"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[Change()])
    model.fit(x, y, epochs=1, verbose=0)  # not left busy


def test_a_functional_model_may_evaluate_and_predict_from_a_callback_of_its_fit():
    model, (x, y) = _two_inputs(), _data()
    seen = []

    class Read(tf.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((self.model.evaluate(x, y, verbose=0), self.model.predict(x).shape))

    model.fit(x, y, epochs=2, verbose=0, callbacks=[Read()])
    assert len(seen) == 2 and seen[0][1] == (64, 3)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(_chunks, "FIRST_WORK", 64 * 100)  # chunk even small inputs
    monkeypatch.setattr(_chunks, "_CHUNK_SECONDS", 1e-6)  # then chunks of one row


@pytest.mark.parametrize("as_dict", [False, True])
def test_chunked_predict_and_evaluate_of_several_inputs_equal_one_call(small_chunks, as_dict):
    model, (x, y) = _two_inputs(), _data(501)
    w = np.random.RandomState(1).rand(501).astype(np.float32)
    whole_p = model._net.predict(x, 256)
    whole_e = model._net.evaluate(x, y.reshape(-1, 1).astype(np.float32), w, 32)
    given = {"a": x[0], "b": x[1]} if as_dict else x
    assert not _chunks.small(model._net, 501)
    np.testing.assert_array_equal(model.predict(given), whole_p)
    np.testing.assert_array_equal(model.predict(given, batch_size=256), whole_p)
    np.testing.assert_allclose(model.evaluate(given, y, sample_weight=w, verbose=0), whole_e, rtol=1e-12)


def test_predict_fast_path_leaves_large_inputs_to_the_chunks(small_chunks, monkeypatch):
    # predict()'s fast path (C++ predict_fast) declines inputs above _chunks.FIRST_WORK, so that they run
    # in chunks where Ctrl-C is seen; below it, one call.
    model, (x, _) = _two_inputs(), _data(501)
    model.predict(x)  # takes the weights: later calls may use the fast path
    calls = []
    real = _chunks.predict
    monkeypatch.setattr(_chunks, "predict", lambda *a: calls.append(1) or real(*a))
    assert model._net.predict_fast(x, 256, _chunks.FIRST_WORK) is None
    whole = model._net.predict(x, 256)
    np.testing.assert_array_equal(model.predict(x), whole)
    assert calls == [1]
    np.testing.assert_array_equal(model._net.predict_fast(x, 256, 1e12), whole)
