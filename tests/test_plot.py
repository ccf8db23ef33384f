"""plot_history: one panel per metric, training and validation curves holding the History's numbers."""

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pyminidl import layers, models  # noqa: E402
from pyminidl.plot import plot_history  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def history():
    x = np.random.RandomState(0).rand(40, 3).astype(np.float32)
    y = (x.sum(axis=1) > 1.5).astype(np.float32)
    model = models.Sequential([layers.Dense(4, input_shape=(3,), activation="relu"),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=8, verbose=0, validation_split=0.25)


def test_one_panel_per_metric_with_train_and_val_curves(history, tmp_path):
    path = tmp_path / "history.png"
    fig = plot_history(history, path=path, title="run 1")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, key in zip(fig.axes, ["loss", "accuracy"]):
        train, val = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_array_equal(train.get_ydata(), history.history[key])
        np.testing.assert_array_equal(val.get_ydata(), history.history["val_" + key])
        assert ax.get_xlabel() == "epoch"
    assert fig._suptitle.get_text() == "run 1"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_selected_metrics_and_a_plain_dict():
    logs = {"loss": [3.0, 2.0, 1.5], "mae": [1.0, 0.8, 0.7]}
    fig = plot_history(logs, metrics="mae")
    assert len(fig.axes) == 1
    (line,) = fig.axes[0].get_lines()  # no val_mae in the logs: only the training curve
    np.testing.assert_array_equal(line.get_ydata(), logs["mae"])
    fig = plot_history(logs, metrics=["loss", "mae"])
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]


def test_epochs_follow_initial_epoch():
    class FakeHistory:
        history = {"loss": [1.0, 0.5]}
        epoch = [3, 4]

    fig = plot_history(FakeHistory())
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [4, 5])


@pytest.mark.parametrize("history_arg, kwargs, error, match", [
    ({}, {}, TypeError, "history must be the History"),
    ([1, 2], {}, TypeError, "history must be the History"),
    ({"loss": "abc"}, {}, ValueError, r"history\['loss'\] must be a list of numbers"),
    ({"loss": [1.0]}, {"metrics": ["accuracy"]}, ValueError, r"\['accuracy'\] are not in the history"),
    ({"loss": [1.0]}, {"metrics": 3}, TypeError, "metrics must be a key"),
    ({"loss": [1.0]}, {"path": 3}, TypeError, "path must be a file name"),
])
def test_bad_arguments(history_arg, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_history(history_arg, **kwargs)


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r'pip install "pyminidl\[plot\]"'):
        plot_history({"loss": [1.0]})
