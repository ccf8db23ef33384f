"""Losses as metrics, top-k, Precision, Recall and AUC (KERAS_REFERENCE §17): the C++ metrics against float64
NumPy re-implementations of Keras' formulas and hand values, and their keys and values in fit/evaluate logs."""

import numpy as np
import pytest

import pyminidl
from pyminidl import _core, backend, metrics
from pyminidl.layers import Dense
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD

EPS = 1e-7


def value(metric, p, y):
    """The C++ value of a metric object over one batch (what an epoch of that batch logs)."""
    return _core.metric_value(metric._config(), np.asarray(p, np.float32), np.asarray(y, np.float32))


def _data(seed=0, n=60, cols=1):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, size=(n, cols)).astype(np.float32)
    y = (rng.uniform(size=(n, cols)) < p).astype(np.float32)  # informative labels: AUC well above 0.5
    return p, y


# --- mean metrics ----------------------------------------------------------------------------------------

def test_mape_msle_cosine_against_float64():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 3.0, size=(30, 4)).astype(np.float32)
    y = rng.uniform(0.1, 3.0, size=(30, 4)).astype(np.float32)
    pd, yd = p.astype(np.float64), y.astype(np.float64)
    mape = np.mean(100 * np.mean(np.abs(yd - pd) / np.maximum(np.abs(yd), EPS), axis=1))
    msle = np.mean(np.mean((np.log1p(np.maximum(pd, EPS)) - np.log1p(np.maximum(yd, EPS))) ** 2, axis=1))
    cos = np.mean(np.sum(yd * pd, axis=1) / (np.linalg.norm(yd, axis=1) * np.linalg.norm(pd, axis=1)))
    assert value(metrics.MeanAbsolutePercentageError(), p, y) == pytest.approx(mape, rel=1e-6)
    assert value(metrics.MeanSquaredLogarithmicError(), p, y) == pytest.approx(msle, rel=1e-6)
    assert value(metrics.CosineSimilarity(), p, y) == pytest.approx(cos, rel=1e-6)


def test_mape_of_a_zero_label_divides_by_epsilon():
    assert value(metrics.MeanAbsolutePercentageError(), [[0.5]], [[0.0]]) == pytest.approx(100 * 0.5 / EPS, rel=1e-6)


@pytest.mark.parametrize("p,label,k,want", [
    ([0.1, 0.5, 0.2, 0.9, 0.3, 0.0], 1, 5, 1.0),
    ([0.1, 0.5, 0.2, 0.9, 0.3, 0.0], 5, 5, 0.0),   # the smallest of six is not in the top 5
    ([0.1, 0.5, 0.2, 0.9, 0.3, 0.0], 2, 2, 0.0),
    ([0.1, 0.5, 0.2, 0.9, 0.3, 0.0], 1, 2, 1.0),
    ([0.25, 0.25, 0.25, 0.25], 3, 1, 1.0),          # ties at the boundary count as hits
])
def test_top_k_hand_values(p, label, k, want):
    onehot = np.eye(len(p), dtype=np.float32)[[label]]
    assert value(metrics.TopKCategoricalAccuracy(k=k), [p], onehot) == want
    assert value(metrics.SparseTopKCategoricalAccuracy(k=k), [p], [[label]]) == want


def test_crossentropy_metrics_equal_their_losses_in_fit():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(48, 5)).astype(np.float32)
    labels = rng.integers(0, 3, size=48)
    for loss, act, y, out in [("binary_crossentropy", "sigmoid", labels.reshape(-1, 1) % 2, 1),
                              ("categorical_crossentropy", "softmax", np.eye(3)[labels], 3),
                              ("sparse_categorical_crossentropy", "softmax", labels, 3)]:
        model = Sequential([Dense(out, activation=act, input_shape=(5,))])
        model.compile(optimizer=SGD(0.0), loss=loss, metrics=[loss])
        p = model.predict(x).astype(np.float64)
        logs = model.fit(x, y.astype(np.float32), batch_size=16, epochs=1, shuffle=False, verbose=0).history
        assert logs[loss][0] == pytest.approx(logs["loss"][0], rel=1e-6)
        if out == 1:
            want = np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
        else:
            onehot = np.eye(3)[labels]
            want = np.mean(-np.sum(onehot * np.log(p), axis=1))
        assert logs[loss][0] == pytest.approx(want, rel=1e-5)


# --- Precision, Recall -----------------------------------------------------------------------------------

def test_precision_recall_hand_values():
    p = [[0.9], [0.5], [0.7], [0.2], [0.6]]
    y = [[1], [1], [0], [1], [1]]
    # predicted positive iff p > 0.5 (0.5 is negative): 0.9 (tp), 0.7 (fp), 0.6 (tp); fn: 0.5, 0.2
    assert value(metrics.Precision(), p, y) == pytest.approx(2 / 3)
    assert value(metrics.Recall(), p, y) == pytest.approx(2 / 4)
    assert value(metrics.Precision(thresholds=0.4), p, y) == pytest.approx(3 / 4)
    assert value(metrics.Precision(), [[0.1], [0.2]], [[1], [0]]) == 0.0  # no predicted positives


def test_precision_counts_every_output_entry():
    p, y = _data(3, 40, 3)
    pred = p > 0.5
    assert value(metrics.Precision(), p, y) == pytest.approx(np.sum(pred & (y == 1)) / np.sum(pred))
    assert value(metrics.Recall(), p, y) == pytest.approx(np.sum(pred & (y == 1)) / np.sum(y == 1))


# --- AUC ---------------------------------------------------------------------------------------------------

def keras_auc(p, y, T=200, curve="ROC", summation="interpolation"):
    """Keras' AUC in float64: counts at thresholds -eps, i/(T-1), 1+eps with p > t; Riemann sums or, for PR
    with interpolation, Davis & Goadrich (keras/src/metrics/confusion_metrics.py)."""
    p, y = np.asarray(p, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    t = np.array([-EPS] + [i / (T - 1) for i in range(1, T - 1)] + [1 + EPS])
    above = p[None, :] > t[:, None]
    tp, fp = (above * y).sum(1), (above * (1 - y)).sum(1)
    fn, tn = y.sum() - tp, (1 - y).sum() - fp
    div = lambda a, b: np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)  # noqa: E731  divide_no_nan
    if curve == "PR" and summation == "interpolation":
        dtp, pp = tp[:-1] - tp[1:], tp + fp
        slope = div(dtp, np.maximum(pp[:-1] - pp[1:], 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), div(pp[:-1], np.maximum(pp[1:], 0)), 1.0)
        return float(np.sum(div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))))
    if curve == "ROC":
        xs, ys = div(fp, fp + tn), div(tp, tp + fn)
    else:
        xs, ys = div(tp, tp + fn), div(tp, tp + fp)
    heights = {"interpolation": (ys[:-1] + ys[1:]) / 2, "minoring": np.minimum(ys[:-1], ys[1:]),
               "majoring": np.maximum(ys[:-1], ys[1:])}[summation]
    return float(np.sum((xs[:-1] - xs[1:]) * heights))


@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
@pytest.mark.parametrize("T", [200, 13])
def test_auc_against_keras_formula(curve, summation, T):
    p, y = _data(4, 300, 1)
    got = value(metrics.AUC(num_thresholds=T, curve=curve, summation_method=summation), p, y)
    assert got == pytest.approx(keras_auc(p, y, T, curve, summation), rel=1e-9, abs=1e-12)


def test_roc_auc_is_close_to_the_exact_area():
    p, y = _data(5, 500, 1)
    pos, neg = p[y == 1].astype(np.float64), p[y == 0].astype(np.float64)
    exact = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    got = value(metrics.AUC(), p, y)
    assert abs(got - exact) < 2e-3 and got != exact  # 200 buckets: close, not the exact ranking
    assert value(metrics.AUC(num_thresholds=5000), p, y) == pytest.approx(exact, abs=2e-4)


def test_auc_from_logits_applies_a_sigmoid():
    p, y = _data(6, 100, 1)
    logits = np.log(p / (1 - p)).astype(np.float32)
    assert value(metrics.AUC(from_logits=True), logits, y) == pytest.approx(value(metrics.AUC(), p, y), abs=1e-9)


def test_auc_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match='Invalid AUC curve value: "roc"'):
        metrics.AUC(curve="roc")
    with pytest.raises(NotImplementedError, match="multi_label"):
        metrics.AUC(multi_label=True)


# --- in fit and evaluate ------------------------------------------------------------------------------------

def test_keys_and_counter_names_as_keras():
    backend.clear_session()
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["binary_crossentropy", "mape", "msle", "cosine_similarity", metrics.AUC(), metrics.AUC(),
                           metrics.Precision(), metrics.Recall(), "acc"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 4)).astype(np.float32), rng.integers(0, 2, size=(20, 1)).astype(np.float32)
    hist = model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0)
    keys = ["loss", "binary_crossentropy", "mape", "msle", "cosine_similarity", "auc", "auc_1", "precision",
            "recall", "acc"]
    assert list(hist.history) == keys + ["val_" + k for k in keys]


def test_epoch_values_are_over_the_whole_epoch():
    """AUC, Precision and Recall of an epoch are of the epoch's counts, not a mean of batch values."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(90, 6)).astype(np.float32)
    y = (x[:, :1] + 0.8 * rng.normal(size=(90, 1)) > 0).astype(np.float32)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(6,))])
    model.compile(optimizer=SGD(0.0), loss="binary_crossentropy",
                  metrics=[metrics.AUC(name="auc"), metrics.Precision(name="p"), metrics.Recall(name="r"),
                           "top_k_categorical_accuracy"])
    p = model.predict(x)
    logs = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, validation_data=(x, y)).history
    for key, metric in (("auc", metrics.AUC()), ("p", metrics.Precision()), ("r", metrics.Recall())):
        want = value(metric, p, y)
        assert logs[key][0] == pytest.approx(want, rel=1e-6)
        assert logs["val_" + key][0] == pytest.approx(want, rel=1e-6)
    assert logs["auc"][0] == pytest.approx(keras_auc(p, y), rel=1e-6)
    ev = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert ev["auc"] == pytest.approx(keras_auc(p, y), rel=1e-6)


def test_standalone_metric_objects_accumulate():
    p, y = _data(8, 50, 1)
    m = metrics.AUC()
    m.update_state(y[:20], p[:20])
    m.update_state(y[20:], p[20:])
    assert float(m.result().numpy()) == pytest.approx(keras_auc(p, y), rel=1e-6)
    m.reset_state()
    assert float(m.result()) == 0.0
    r = metrics.Recall()
    assert float(r([[1], [1]], [[0.9], [0.2]])) == pytest.approx(0.5)


def test_sparse_metrics_need_the_sparse_loss():
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    with pytest.raises(ValueError, match="needs integer labels"):
        model.compile(loss="categorical_crossentropy", metrics=["sparse_top_k_categorical_accuracy"])
    with pytest.raises(ValueError, match="needs one-hot targets"):
        model.compile(loss="sparse_categorical_crossentropy", metrics=["mape"])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["sparse_top_k_categorical_accuracy"])


def test_bad_metric_config_is_refused_in_cpp():
    cfg = _core.MetricConfig(_core.Metric.auc)
    cfg.num_thresholds = 1
    with pytest.raises(ValueError, match="num_thresholds"):
        _core.metric_value(cfg, np.zeros((2, 1), np.float32), np.zeros((2, 1), np.float32))
    cfg = _core.MetricConfig(_core.Metric.top_k_categorical_accuracy)
    cfg.k = 0
    with pytest.raises(ValueError, match="k >= 1"):
        _core.metric_value(cfg, np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32))


def test_metric_classes_reach_tf_keras_metrics():
    for name in ("AUC", "Precision", "Recall", "TopKCategoricalAccuracy", "MeanAbsolutePercentageError",
                 "BinaryCrossentropy"):
        assert getattr(pyminidl.keras.metrics, name) is getattr(metrics, name)
