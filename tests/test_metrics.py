"""Metrics: _core.metric_batch vs hand-computed values, and Keras' shape-based resolution of 'accuracy'."""

import numpy as np
import pytest

import pyminidl
from pyminidl import _core, losses, metrics
from pyminidl.layers import Dense
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD

M = _core.Metric


def _batch(metric, p, y):
    return _core.metric_batch(metric, np.array(p, np.float32), np.array(y, np.float32))


@pytest.mark.parametrize("metric,p,y,want", [
    # binary: predicted class is p > 0.5 (strict), compared for equality with y
    (M.binary_accuracy, [[0.5]], [[0.0]], 1.0),
    (M.binary_accuracy, [[0.5]], [[1.0]], 0.0),
    (M.binary_accuracy, [[0.5000001]], [[1.0]], 1.0),
    (M.binary_accuracy, [[0.9], [0.1], [0.7], [0.2]], [[1], [1], [0], [0]], 2.0),
    (M.binary_accuracy, [[0.9]], [[0.7]], 0.0),                          # soft target never matches
    (M.binary_accuracy, [[0.9, 0.2, 0.6], [0.1, 0.1, 0.1]], [[1, 0, 0], [0, 0, 1]], 2 / 3 + 2 / 3),  # mean per row
    (M.binary_accuracy, [[-3.0], [7.0]], [[0.0], [1.0]], 2.0),           # regression outputs too
    # categorical: argmax(y) == argmax(p), first index wins ties
    (M.categorical_accuracy, [[0.5, 0.5, 0.0]], [[0, 1, 0]], 0.0),
    (M.categorical_accuracy, [[0.5, 0.5, 0.0]], [[1, 0, 0]], 1.0),
    (M.categorical_accuracy, [[0.1, 0.7, 0.2], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2]],
     [[0, 1, 0], [1, 0, 0], [1, 0, 0]], 2.0),
    (M.categorical_accuracy, [[0.2, 0.8]], [[0.4, 0.6]], 1.0),            # soft targets: argmax of y
    # sparse: argmax(p) == label
    (M.sparse_categorical_accuracy, [[0.1, 0.7, 0.2], [0.3, 0.3, 0.4], [0.4, 0.4, 0.2]], [[1], [0], [0]], 2.0),
    (M.sparse_categorical_accuracy, [[0.4, 0.4, 0.2]], [[1]], 0.0),
    # regression
    (M.mse, [[1.0, 3.0], [0.0, 0.0]], [[0.0, 0.0], [2.0, 0.0]], 5.0 + 2.0),
    (M.mae, [[1.0, -3.0], [0.5, 0.0]], [[0.0, 0.0], [0.0, 0.0]], 2.0 + 0.25),
])
def test_metric_batch_hand_values(metric, p, y, want):
    assert _batch(metric, p, y) == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("metric", [M.mse, M.mae, M.binary_accuracy, M.categorical_accuracy])
def test_metric_batch_matches_numpy(metric):
    rng = np.random.default_rng(int(metric))
    p = rng.uniform(size=(40, 4)).astype(np.float32)
    y = (rng.uniform(size=(40, 4)) > 0.5).astype(np.float32)
    pd, yd = p.astype(np.float64), y.astype(np.float64)
    want = {
        M.mse: np.mean((pd - yd) ** 2, axis=1).sum(),
        M.mae: np.mean(np.abs(pd - yd), axis=1).sum(),
        M.binary_accuracy: np.mean((pd > 0.5) == yd, axis=1).sum(),
        M.categorical_accuracy: np.sum(np.argmax(yd, 1) == np.argmax(pd, 1)),
    }[metric]
    assert _batch(metric, p, y) == pytest.approx(want, rel=1e-6)


# --- 'accuracy' resolution: shapes first ------------------------------------------------------------

@pytest.mark.parametrize("loss,out_dim,want", [
    ("mse", 1, M.binary_accuracy),
    ("binary_crossentropy", 1, M.binary_accuracy),
    ("binary_crossentropy", 3, M.categorical_accuracy),     # bce on 3 outputs: categorical, not binary
    ("categorical_crossentropy", 3, M.categorical_accuracy),
    ("sparse_categorical_crossentropy", 3, M.sparse_categorical_accuracy),
    ("mse", 4, M.categorical_accuracy),
])
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_resolve_accuracy(loss, out_dim, want, name):
    key, config = metrics.resolve(name, losses.get(loss), out_dim)
    assert (key, config.kind) == (name, want)


@pytest.mark.parametrize("name,want", [("mse", M.mse), ("mae", M.mae), ("mean_absolute_error", M.mae),
                                       ("binary_accuracy", M.binary_accuracy),
                                       ("categorical_accuracy", M.categorical_accuracy)])
def test_resolve_fixed_names(name, want):
    key, config = metrics.resolve(name, losses.get("mse"), 3)
    assert (key, config.kind) == (name, want)


def test_resolve_unknown_metric():
    with pytest.raises(ValueError, match="Did you mean"):
        metrics.resolve("accuracyy", losses.get("mse"), 1)


def _expected(kind, p, y):
    if kind == "binary":
        return np.mean(np.mean((p > 0.5) == y, axis=1))
    if kind == "categorical":
        return np.mean(np.argmax(p, 1) == np.argmax(y, 1))
    return np.mean(np.argmax(p, 1) == y.reshape(-1))


def _fit_logs(out_dim, act, loss, y, metric_names):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(len(y), 5)).astype(np.float32)
    model = Sequential([Dense(out_dim, activation=act, input_shape=(5,))])
    model.compile(optimizer=SGD(learning_rate=0.0), loss=loss, metrics=metric_names)
    p = model.predict(x).astype(np.float64)
    hist = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return hist.history, p


@pytest.mark.parametrize("out_dim,act,loss,target,kind", [
    (1, "sigmoid", "binary_crossentropy", "binary", "binary"),
    (1, None, "mse", "binary", "binary"),
    (3, "sigmoid", "binary_crossentropy", "onehot", "categorical"),
    (3, "softmax", "categorical_crossentropy", "onehot", "categorical"),
    (3, "softmax", "sparse_categorical_crossentropy", "labels", "sparse"),
])
def test_accuracy_resolved_in_fit(out_dim, act, loss, target, kind):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, out_dim if out_dim > 1 else 2, size=40)
    y = {"binary": labels.reshape(-1, 1).astype(np.float32),
         "onehot": np.eye(out_dim, dtype=np.float32)[labels] if out_dim > 1 else None,
         "labels": labels}[target]
    logs, p = _fit_logs(out_dim, act, loss, y, ["accuracy"])
    assert set(logs) == {"loss", "accuracy"}
    assert logs["accuracy"][0] == pytest.approx(_expected(kind, p, np.asarray(y, np.float64)), abs=1e-9)
    if kind == "categorical":  # the data tells binary and categorical accuracy apart
        assert abs(_expected("binary", p, y) - logs["accuracy"][0]) > 1e-3

def test_acc_key_is_kept_and_regression_metrics_keyed_as_written():
    y = np.array([0.0, 1.0, 0.7, 1.0] * 5, np.float32).reshape(-1, 1)
    logs, p = _fit_logs(1, None, "mse", y, ["acc", "mae", "mse"])
    assert set(logs) == {"loss", "acc", "mae", "mse"}
    assert logs["acc"][0] == pytest.approx(_expected("binary", p, y), abs=1e-9)  # 0.7 never matches
    assert logs["mae"][0] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-5)
    assert logs["mse"][0] == pytest.approx(np.mean((p - y) ** 2), rel=1e-5)
    assert logs["loss"][0] == pytest.approx(np.mean((p - y) ** 2), rel=1e-5)


def test_metrics_ignore_sample_weight():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = rng.integers(0, 2, size=(16, 1)).astype(np.float32)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(5,))])
    model.compile(optimizer=SGD(learning_rate=0.0), loss="binary_crossentropy", metrics=["accuracy"])
    p = model.predict(x).astype(np.float64)
    w = np.linspace(0.0, 2.0, 16).astype(np.float32)
    logs = model.fit(x, y, sample_weight=w, batch_size=16, epochs=1, shuffle=False, verbose=0).history
    assert logs["accuracy"][0] == pytest.approx(_expected("binary", p, y), abs=1e-9)


@pytest.mark.parametrize("metric, key, code", [
    (pyminidl.metrics.CategoricalAccuracy(), "categorical_accuracy", _core.Metric.categorical_accuracy),
    (pyminidl.metrics.BinaryAccuracy(name="acc_b"), "acc_b", _core.Metric.binary_accuracy),
    (pyminidl.metrics.MeanAbsoluteError, "mean_absolute_error", _core.Metric.mae),
    (pyminidl.metrics.MeanSquaredError(), "mean_squared_error", _core.Metric.mse),
])
def test_metric_objects_resolve_like_their_names(metric, key, code):
    got_key, config = pyminidl.metrics.resolve(metric, pyminidl.losses.get("mse"), 3)
    assert (got_key, config.kind) == (key, code)


def test_metric_object_in_compile_logs_under_its_name():
    x = np.eye(3, dtype=np.float32)
    model = pyminidl.Sequential([pyminidl.layers.Dense(3, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=[pyminidl.metrics.CategoricalAccuracy(name="cat_acc")])
    logs = model.evaluate(x, x, verbose=0, return_dict=True)
    expected = np.mean(np.argmax(model.predict(x), axis=1) == np.arange(3))
    assert list(logs) == ["loss", "cat_acc"] and logs["cat_acc"] == pytest.approx(expected)


def test_tf_nn_activation_spellings():
    model = pyminidl.Sequential([pyminidl.layers.Dense(4, activation=pyminidl.nn.relu, input_shape=(2,)),
                                 pyminidl.layers.Dense(2, activation=pyminidl.nn.softmax)])
    assert [layer.activation_name for layer in model.layers] == ["relu", "softmax"]
