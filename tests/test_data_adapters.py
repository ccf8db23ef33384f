"""Generators and keras.utils.Sequence in fit/evaluate/predict, and Keras 2's removed methods: the same
numbers as the equivalent arrays, Keras 2's messages."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import layers, models


def make_model(units=1, loss="mse", metrics=None, activation=None):
    tf.set_random_seed(5)
    model = models.Sequential([layers.Dense(4, input_shape=(3,), activation="tanh"),
                               layers.Dense(units, activation=activation)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1), loss=loss, metrics=metrics or [])
    return model


def data(n=40):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 3).astype(np.float32)
    return x, x.sum(axis=1, keepdims=True)


def looping_generator(x, y, batch_size):
    while True:
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]


class Batches(tf.keras.utils.Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size, self.epochs_ended = x, y, batch_size, 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_generator_trains_exactly_like_the_arrays_unshuffled():
    x, y = data()  # 40 samples, batches of 16: 16, 16, 8 (the short batch stays short)
    reference = make_model().fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    model = make_model()
    hist = model.fit(looping_generator(x, y, 16), steps_per_epoch=3, epochs=3, verbose=0).history
    np.testing.assert_allclose(hist["loss"], reference["loss"], rtol=1e-6)
    assert model.history.params["steps"] == 3


def test_sequence_trains_like_the_arrays_and_gets_on_epoch_end():
    x, y = data()
    reference = make_model().fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    seq = Batches(x, y, 8)
    hist = make_model().fit(seq, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(hist["loss"], reference["loss"], rtol=1e-6)
    assert seq.epochs_ended == 2
    shuffled = make_model().fit(Batches(x, y, 8), epochs=2, verbose=0).history  # batch order shuffled
    assert shuffled["loss"] != hist["loss"] and np.isfinite(shuffled["loss"]).all()


def test_validation_generator_and_history_keys():
    x, y = data()
    model = make_model(metrics=["mae"])
    hist = model.fit(looping_generator(x, y, 10), steps_per_epoch=4, epochs=2, verbose=0,
                     validation_data=looping_generator(x[:20], y[:20], 5), validation_steps=4).history
    assert list(hist) == ["loss", "mae", "val_loss", "val_mae"]
    last = model.evaluate(x[:20], y[:20], verbose=0)
    assert hist["val_loss"][-1] == pytest.approx(last[0], rel=1e-6)


def test_evaluate_and_predict_on_generators_and_sequences():
    x, y = data()
    model = make_model()
    model.fit(x, y, epochs=1, verbose=0)
    assert model.evaluate(looping_generator(x, y, 8), steps=5, verbose=0) == \
        pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    assert model.evaluate(Batches(x, y, 8), verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    np.testing.assert_array_equal(model.predict(Batches(x, y, 8)), model.predict(x))
    xs_only = (x[i:i + 8] for i in range(0, 40, 8))
    np.testing.assert_array_equal(model.predict(xs_only, steps=5), model.predict(x))


def test_generator_running_out_stops_with_keras_warning():
    x, y = data()
    once = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 40, 8))  # 5 batches in all
    model = make_model()
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        hist = model.fit(once, steps_per_epoch=5, epochs=3, verbose=0)
    assert len(hist.history["loss"]) == 1


@pytest.mark.parametrize("kwargs, match", [
    ({}, r"`steps_per_epoch=None` is only valid for a generator based on the `keras.utils.Sequence` class"),
    ({"steps_per_epoch": 2, "batch_size": 8}, "`batch_size` is not supported when x is a generator"),
    ({"steps_per_epoch": 2, "validation_split": 0.2}, "validation_split is only supported for arrays"),
    ({"steps_per_epoch": 2, "validation_data": iter([])}, "`validation_steps=None` is only valid"),
    ({"steps_per_epoch": 0}, "steps_per_epoch must be a positive integer, got 0"),
])
def test_generator_argument_errors(kwargs, match):
    x, y = data()
    with pytest.raises(ValueError, match=match):
        make_model().fit(looping_generator(x, y, 8), verbose=0, **kwargs)


def test_bad_batches_are_named():
    x, y = data()
    with pytest.raises(ValueError, match="every batch must be a tuple"):
        make_model().fit(iter([x[:8]]), steps_per_epoch=1, verbose=0)
    with pytest.raises(ValueError, match="as many targets as samples"):
        make_model().fit(iter([(x[:8], y[:7])]), steps_per_epoch=1, verbose=0)
    with pytest.raises(NotImplementedError, match="steps_per_epoch/validation_steps apply to generator"):
        make_model().fit(x, y, steps_per_epoch=3, verbose=0)


def test_uneven_batches_warn_and_train():
    x, y = data()
    uneven = iter([(x[:8], y[:8]), (x[8:12], y[8:12]), (x[12:20], y[12:20])])
    with pytest.warns(UserWarning, match=r"batches of different sizes \(\[4, 8\]\) are trained in batches of 8"):
        make_model().fit(uneven, steps_per_epoch=3, verbose=0)


# --- Keras 2's removed methods ------------------------------------------------------------------------------
def test_fit_evaluate_predict_generator_warn_and_run():
    x, y = data()
    model = make_model()
    with pytest.warns(UserWarning, match=r"`Model.fit_generator` is deprecated.*Please use `Model.fit`"):
        hist = model.fit_generator(looping_generator(x, y, 8), steps_per_epoch=5, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    with pytest.warns(UserWarning, match="evaluate_generator"):
        value = model.evaluate_generator(looping_generator(x, y, 8), steps=5)
    assert value == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    with pytest.warns(UserWarning, match="predict_generator"):
        out = model.predict_generator(Batches(x, y, 8))
    np.testing.assert_array_equal(out, model.predict(x))


def test_predict_classes_and_proba():
    x, _ = data()
    multi = make_model(units=3, loss="categorical_crossentropy", activation="softmax")
    with pytest.warns(UserWarning, match=r"np.argmax\(model.predict\(x\), axis=-1\)"):
        classes = multi.predict_classes(x)
    np.testing.assert_array_equal(classes, np.argmax(multi.predict(x), axis=-1))
    binary = make_model(loss="binary_crossentropy", activation="sigmoid")
    with pytest.warns(UserWarning, match=r"\(model.predict\(x\) > 0.5\).astype\(\"int32\"\)"):
        labels = binary.predict_classes(x)
    assert labels.dtype == np.int32 and labels.shape == (40, 1)
    np.testing.assert_array_equal(labels, (binary.predict(x) > 0.5).astype("int32"))
    with pytest.warns(UserWarning, match="predict_proba"):
        np.testing.assert_array_equal(binary.predict_proba(x), binary.predict(x))
    with pytest.warns(UserWarning) as record:
        make_model().predict_proba(x * 100)
    assert any("invalid probability values" in str(w.message) for w in record)
