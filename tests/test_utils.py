"""utils (to_categorical, train_test_split, set_random_seed) and the Keras-shaped surface the tutorials print:
summary(), fit's progress lines, History, evaluate/predict return types, model.weights and get/set_weights."""

import io
import re
import sys

import numpy as np
import pytest

import pyminidl as tf
from pyminidl.utils import set_random_seed, to_categorical, train_test_split

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
XOR_Y = np.array([0, 1, 1, 0], dtype="float32")


# --- to_categorical ---------------------------------------------------------------------------------

def test_to_categorical_matches_eye():
    y = np.random.RandomState(0).randint(0, 7, size=50)
    out = to_categorical(y)
    assert out.dtype == np.float32 and out.shape == (50, 7)
    np.testing.assert_array_equal(out, np.eye(7, dtype=np.float32)[y])


def test_to_categorical_num_classes_lists_and_column_vectors():
    np.testing.assert_array_equal(to_categorical([0, 2, 1], num_classes=5), np.eye(5)[[0, 2, 1]])
    np.testing.assert_array_equal(to_categorical(np.array([[1], [0], [2]])), np.eye(3)[[1, 0, 2]])
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])  # whole floats are fine
    assert to_categorical([1, 0], dtype="int64").dtype == np.int64
    assert tf.keras.utils.to_categorical is to_categorical


@pytest.mark.parametrize("labels", [[0, -1, 2], [-3], [0.5, 1.0], [0, 1.2, 2]])
def test_to_categorical_rejects_negative_and_fractional_labels(labels):
    with pytest.raises(ValueError, match="non-negative integers"):
        to_categorical(labels)


def test_to_categorical_other_errors():
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="empty"):
        to_categorical([])
    with pytest.raises(TypeError):
        to_categorical(["a", "b"])


# --- train_test_split -------------------------------------------------------------------------------

def test_train_test_split_sizes():
    x = np.arange(300).reshape(150, 2)
    y = np.arange(150)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=13)
    assert x_train.shape == (120, 2) and x_test.shape == (30, 2) and y_train.shape == (120,) and y_test.shape == (30,)
    assert [len(a) for a in train_test_split(y, test_size=7, random_state=0)] == [143, 7]
    assert [len(a) for a in train_test_split(np.arange(10), test_size=0.25)] == [7, 3]  # test rounds up
    assert [len(a) for a in train_test_split(np.arange(10))] == [7, 3]  # default test_size 0.25
    assert [len(a) for a in train_test_split(np.arange(10), train_size=0.5)] == [5, 5]
    assert [len(a) for a in train_test_split(np.arange(10), train_size=4, test_size=3)] == [4, 3]


def test_train_test_split_is_reproducible_and_a_partition():
    x = np.arange(150)
    a = train_test_split(x, test_size=0.2, random_state=13)
    b = train_test_split(x, test_size=0.2, random_state=13)
    c = train_test_split(x, test_size=0.2, random_state=14)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])
    assert sorted(np.concatenate(a).tolist()) == list(range(150))
    assert not np.array_equal(a[0], np.sort(a[0]))  # shuffled
    train, test = train_test_split(x, test_size=0.2, shuffle=False)
    np.testing.assert_array_equal(train, np.arange(120))
    np.testing.assert_array_equal(test, np.arange(120, 150))


def test_train_test_split_draws_rows_like_scikit_learn():
    # scikit-learn's ShuffleSplit: permutation = RandomState(random_state).permutation(n); the first n_test rows
    # of it test, the next n_train train. Tutorials printing "the same" split as with sklearn rely on this.
    x = np.arange(150)
    train, test = train_test_split(x, test_size=0.2, random_state=13)
    order = np.random.RandomState(13).permutation(150)
    np.testing.assert_array_equal(test, order[:30])
    np.testing.assert_array_equal(train, order[30:])
    train2, test2 = train_test_split(x, test_size=0.2, random_state=np.random.RandomState(13))
    np.testing.assert_array_equal(test2, test)


def test_train_test_split_without_random_state_follows_set_random_seed():
    set_random_seed(5)
    first = train_test_split(np.arange(40), test_size=0.25)
    set_random_seed(5)
    again = train_test_split(np.arange(40), test_size=0.25)
    np.testing.assert_array_equal(first[1], again[1])


def test_train_test_split_keeps_rows_paired():
    x = np.arange(100, dtype=np.float32).reshape(50, 2)  # row i is [2i, 2i+1]
    y = np.arange(50)
    labels = [f"row{i}" for i in range(50)]  # a list is split too
    x_train, x_test, y_train, y_test, l_train, l_test = train_test_split(x, y, labels, test_size=0.3, random_state=1)
    for xs, ys, ls in ((x_train, y_train, l_train), (x_test, y_test, l_test)):
        np.testing.assert_array_equal(xs[:, 0], 2 * ys)
        np.testing.assert_array_equal(xs[:, 1], 2 * ys + 1)
        assert [str(s) for s in ls] == [f"row{i}" for i in ys]
    assert x_train.dtype == np.float32


@pytest.mark.parametrize("test_size", [0.0, 1.0, 1.5, -0.2, 0, 10, 11, -1])
def test_train_test_split_bad_test_size(test_size):
    with pytest.raises(ValueError):
        train_test_split(np.arange(10), test_size=test_size)


@pytest.mark.parametrize("test_size", ["0.2", True, [0.2]])
def test_train_test_split_test_size_of_wrong_type(test_size):
    with pytest.raises(TypeError):
        train_test_split(np.arange(10), test_size=test_size)


def test_train_test_split_other_errors():
    with pytest.raises(ValueError, match="same number of samples"):
        train_test_split(np.arange(10), np.arange(9))
    with pytest.raises(ValueError):
        train_test_split()
    with pytest.raises(ValueError):
        train_test_split(np.arange(10), train_size=8, test_size=3)


# --- set_random_seed --------------------------------------------------------------------------------

def _seeded_fit(seed):
    set_random_seed(seed)
    model = tf.keras.models.Sequential([tf.keras.layers.Dense(4, input_dim=2, activation="tanh"),
                                        tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(np.tile(XOR_X, (8, 1)), np.tile(XOR_Y, 8), epochs=5, batch_size=4, verbose=0)
    return model.get_weights(), history.history["loss"]


def test_set_random_seed_makes_fits_bit_identical():
    weights_a, loss_a = _seeded_fit(7)
    weights_b, loss_b = _seeded_fit(7)
    assert loss_a == loss_b
    for a, b in zip(weights_a, weights_b):
        assert a.tobytes() == b.tobytes()
    weights_c, loss_c = _seeded_fit(8)
    assert loss_c != loss_a
    assert not np.array_equal(weights_c[0], weights_a[0])


def test_set_random_seed_checks_its_argument():
    assert tf.keras.utils.set_random_seed is set_random_seed is tf.set_random_seed
    with pytest.raises((TypeError, ValueError)):
        set_random_seed(-1)
    with pytest.raises((TypeError, ValueError)):
        set_random_seed("1")


# --- summary() of the tutorial models (Keras 2, TF <= 2.6 layout) -------------------------------------

RULE, DOUBLE = "_" * 65, "=" * 65
HEADER = "Layer (type)                 Output Shape              Param #   "


def _summary_text(model, capsys):
    model.summary()
    out = capsys.readouterr().out
    lines = []
    model.summary(print_fn=lines.append)
    assert out == "\n".join(lines) + "\n"
    return lines


def test_summary_regression(capsys):
    model = tf.keras.models.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    assert _summary_text(model, capsys) == [
        'Model: "sequential"', RULE, HEADER, DOUBLE,
        "dense (Dense)                (None, 1)                 3         ",
        DOUBLE, "Total params: 3", "Trainable params: 3", "Non-trainable params: 0", RULE]
    assert model.count_params() == 3


def test_summary_xor(capsys):
    model = tf.keras.models.Sequential()
    model.add(tf.keras.layers.Dense(2, input_dim=2, activation="sigmoid"))
    model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
    assert _summary_text(model, capsys) == [
        'Model: "sequential"', RULE, HEADER, DOUBLE,
        "dense (Dense)                (None, 2)                 6         ", RULE,
        "dense_1 (Dense)              (None, 1)                 3         ",
        DOUBLE, "Total params: 9", "Trainable params: 9", "Non-trainable params: 0", RULE]


def test_summary_iris(capsys):
    model = tf.keras.models.Sequential([
        tf.keras.layers.Dense(32, activation="relu", input_shape=(4,)),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(3, activation="softmax"),
    ])
    lines = _summary_text(model, capsys)
    assert lines == [
        'Model: "sequential"', RULE, HEADER, DOUBLE,
        "dense (Dense)                (None, 32)                160       ", RULE,
        "dense_1 (Dense)              (None, 32)                1056      ", RULE,
        "dense_2 (Dense)              (None, 32)                1056      ", RULE,
        "dense_3 (Dense)              (None, 3)                 99        ",
        DOUBLE, "Total params: 2,371", "Trainable params: 2,371", "Non-trainable params: 0", RULE]
    assert all(len(line) == 65 for line in lines[1:-4])


def test_summary_names_continue_across_models(capsys):
    tf.keras.models.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    second = tf.keras.models.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    lines = _summary_text(second, capsys)
    assert lines[0] == 'Model: "sequential_1"'
    assert lines[4].startswith("dense_1 (Dense)")


# --- fit progress output -----------------------------------------------------------------------------

def _xor_model(metrics=("accuracy",)):
    model = tf.keras.models.Sequential([tf.keras.layers.Dense(2, input_dim=2, activation="sigmoid"),
                                        tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=tf.keras.optimizers.SGD(lr=0.1), loss="mse", metrics=list(metrics))
    return model


NUM = r"\d+\.\d{4}(?:e[-+]\d+)?"
TIME = r"\d+(?:s|ms|us)"
BAR_LINE = re.compile(rf"^(\d+)/\1 \[={{30}}\] - \d+s {TIME}/step - loss: {NUM} - accuracy: {NUM}$")
EPOCH_LINE = re.compile(rf"^(\d+)/\1 - \d+s - loss: {NUM} - accuracy: {NUM} - {TIME}/epoch - {TIME}/step$")


def test_fit_verbose_1_prints_epoch_headers_and_bars(capsys):
    _xor_model().fit(XOR_X, XOR_Y, epochs=3, batch_size=2, verbose=1)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert len(lines) == 6
    for line in lines[1::2]:
        assert BAR_LINE.match(line), line
        assert line.startswith("2/2 [==============================] - 0s ")
    assert captured.err == ""


def test_fit_default_verbosity_is_the_bar(capsys):
    _xor_model().fit(XOR_X, XOR_Y, epochs=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and BAR_LINE.match(lines[0]) and lines[0].startswith("1/1 [")


def test_fit_single_epoch_has_no_epoch_header(capsys):
    _xor_model().fit(XOR_X, XOR_Y, epochs=1, batch_size=1, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out
    assert BAR_LINE.match(out.splitlines()[0]) and out.startswith("4/4 ")


def test_fit_verbose_2_prints_one_line_per_epoch(capsys):
    _xor_model().fit(XOR_X, XOR_Y, epochs=2, batch_size=3, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    for line in lines[1::2]:
        assert EPOCH_LINE.match(line), line
        assert line.startswith("2/2 - 0s - loss: ")


def test_fit_verbose_0_is_silent(capsys):
    _xor_model().fit(XOR_X, XOR_Y, epochs=50, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_fit_progress_shows_validation_values(capsys):
    x = np.tile(XOR_X, (5, 1))
    y = np.tile(XOR_Y, 5)
    _xor_model().fit(x, y, epochs=1, batch_size=4, validation_split=0.2, verbose=1)
    line = capsys.readouterr().out.splitlines()[0]
    assert re.match(rf"^4/4 \[={{30}}\] - \d+s {TIME}/step - loss: {NUM} - accuracy: {NUM} - val_loss: {NUM} - "
                    rf"val_accuracy: {NUM}$", line), line


# --- History -----------------------------------------------------------------------------------------

def test_history_keys_and_values():
    x = np.tile(XOR_X, (5, 1))
    y = np.tile(XOR_Y, 5)
    model = _xor_model()
    history = model.fit(x, y, epochs=4, batch_size=4, validation_split=0.25, verbose=0)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    for values in history.history.values():
        assert len(values) == 4 and all(type(v) is float for v in values)
    assert history.epoch == [0, 1, 2, 3]
    assert history.params["epochs"] == 4 and history.params["steps"] == 4  # 15 training rows / 4
    assert model.history is history
    assert list(model.fit(x, y, epochs=2, verbose=0).history) == ["loss", "accuracy"]


# --- evaluate / predict ------------------------------------------------------------------------------

def test_evaluate_return_types(capsys):
    model = _xor_model(metrics=())
    loss = model.evaluate(XOR_X, XOR_Y, verbose=0)
    assert type(loss) is float
    model = _xor_model()
    values = model.evaluate(XOR_X, XOR_Y, verbose=0)
    assert isinstance(values, list) and len(values) == 2 and all(type(v) is float for v in values)
    assert model.metrics_names == ["loss", "accuracy"]
    logs = model.evaluate(XOR_X, XOR_Y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] and logs["loss"] == values[0] and logs["accuracy"] == values[1]
    assert 0.0 <= values[1] <= 1.0
    assert capsys.readouterr().out == ""
    model.evaluate(XOR_X, XOR_Y, batch_size=2, verbose=2)
    line = capsys.readouterr().out.strip()
    assert EPOCH_LINE.match(line) and line.startswith("2/2 - "), line


@pytest.mark.parametrize("x", [
    XOR_X.astype(np.float64), XOR_X.astype(np.int64), XOR_X.astype(np.int32), XOR_X.tolist(), XOR_X,
    np.asfortranarray(XOR_X.astype(np.float64)),
], ids=["float64", "int64", "int32", "list", "float32", "fortran"])
def test_predict_returns_float32_rows(x):
    model = _xor_model()
    out = model.predict(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (4, 1)
    np.testing.assert_array_equal(out, model.predict(XOR_X))
    np.testing.assert_array_equal(out, model.predict(XOR_X, batch_size=1))


def test_predict_width_follows_units():
    model = tf.keras.models.Sequential([tf.keras.layers.Dense(5, input_shape=(3,), activation="softmax")])
    out = model.predict(np.ones((7, 3)))
    assert out.shape == (7, 5) and out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)


# --- model.weights, get_weights, set_weights ---------------------------------------------------------

def test_model_weights_variables():
    model = _xor_model()
    names = [v.name for v in model.weights]
    assert names == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"]
    assert [v.shape for v in model.weights] == [(2, 2), (2,), (2, 1), (1,)]
    assert all(v.dtype == "float32" for v in model.weights)
    kernel = model.weights[0]
    value = kernel.numpy()
    assert isinstance(value, np.ndarray) and value.dtype == np.float32 and value.shape == (2, 2)
    value[...] = 99  # numpy() is a copy
    assert not np.any(kernel.numpy() == 99)
    np.testing.assert_array_equal(model.weights[1].numpy(), np.zeros(2, np.float32))  # biases start at zero
    text = repr(model.weights[1])
    assert text == "<Variable 'dense/bias:0' shape=(2,) dtype=float32, numpy=array([0., 0.], dtype=float32)>"
    assert repr(kernel).startswith("<Variable 'dense/kernel:0' shape=(2, 2) dtype=float32, numpy=\narray([[")
    assert repr(kernel).endswith("]], dtype=float32)>")


def test_model_weights_follow_training():
    model = _xor_model()
    before = [v.numpy() for v in model.weights]
    variables = model.weights
    model.fit(XOR_X, XOR_Y, epochs=3, batch_size=1, verbose=0)
    for var, old, new in zip(variables, before, model.get_weights()):
        assert not np.array_equal(var.numpy(), old)
        np.testing.assert_array_equal(var.numpy(), new)


def test_get_set_weights_round_trip():
    source = _xor_model()
    source.fit(XOR_X, XOR_Y, epochs=5, batch_size=1, verbose=0)
    target = _xor_model()
    assert not np.array_equal(target.predict(XOR_X), source.predict(XOR_X))
    weights = source.get_weights()
    assert [w.dtype for w in weights] == [np.float32] * 4
    target.set_weights(weights)
    np.testing.assert_array_equal(target.predict(XOR_X), source.predict(XOR_X))
    weights[0][...] = 0  # get_weights returns copies
    assert not np.array_equal(source.get_weights()[0], weights[0])
    target.set_weights([w.astype(np.float64).tolist() for w in source.get_weights()])  # cast from lists/float64
    for a, b in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_set_weights_errors_leave_weights_untouched():
    model = _xor_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="length 3, but the layer was expecting 4 weights"):
        model.set_weights(before[:3])
    bad = [before[0].T.copy(), before[1], np.zeros((3, 1)), before[3]]  # (2,2).T is fine; (3,1) is not
    with pytest.raises(ValueError, match=r"weight shape \(2, 1\) .* provided weight shape \(3, 1\)"):
        model.set_weights([w + 1 for w in before[:2]] + bad[2:])
    with pytest.raises(TypeError):
        model.set_weights(before[0])
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    layer = model.layers[0]
    with pytest.raises(ValueError):
        layer.set_weights([np.zeros((2, 2))])
    layer.set_weights([np.ones((2, 2)), np.full(2, 0.5)])
    np.testing.assert_array_equal(model.weights[0].numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(model.get_weights()[1], [0.5, 0.5])


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_1_redraws_a_live_bar_on_a_terminal(monkeypatch):
    """On a terminal, a long epoch shows Keras' running bar ('ETA') before the final line replaces it."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    x = np.random.RandomState(0).rand(120000, 64).astype(np.float32)
    model = tf.Sequential([tf.layers.Dense(256, activation="relu", input_shape=(64,)), tf.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=1)
    text = terminal.getvalue()
    live = re.findall(r"\r *(\d+)/15000 \[[=>.]{30}\] - ETA: \d+s - loss: [0-9.e+-]+", text)
    assert live, text[:500]
    assert all(0 < int(n) < 15000 for n in live)
    final = text.rsplit("\r", 1)[-1]
    assert re.match(r"15000/15000 \[={30}\] - \d+s \d+us/step - loss: [0-9.e+-]+ *\n$", final), final


def test_verbose_1_prints_no_live_bar_when_not_a_terminal(capsys):
    x = np.random.RandomState(0).rand(64, 4).astype(np.float32)
    model = tf.Sequential([tf.layers.Dense(1, input_shape=(4,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, :1], epochs=1, verbose=1)
    assert "\r" not in capsys.readouterr().out
