"""The benchmark's plain-NumPy network (benchmarks/numpy_mlp.py) does the same work as pyminidl: from the same
starting weights, without shuffling, both end a few steps later at the same weights and report the same losses."""

import sys
from pathlib import Path

import numpy as np
import pytest

import pyminidl as tf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from numpy_mlp import NumpyMLP  # noqa: E402
from workloads import train_flops  # noqa: E402

CASES = {  # workload of issue 3 -> (inputs, layers, loss, optimizer, hyperparameters, samples, batch, epochs)
    "xor_sgd": (2, [(2, "sigmoid"), (1, "sigmoid")], "mse", "sgd", {"learning_rate": 0.1}, 4, 1, 5),
    "blood_fat_rmsprop": (2, [(1, "linear")], "mse", "rmsprop", {"learning_rate": 0.001}, 25, 32, 20),
    "iris_adam": (4, [(32, "relu"), (32, "relu"), (32, "relu"), (3, "softmax")], "categorical_crossentropy",
                  "adam", {"learning_rate": 0.001}, 120, 32, 3),  # 120 = 3 full batches and a short one
    "mnist_shaped_adam": (784, [(512, "relu"), (512, "relu"), (10, "softmax")], "categorical_crossentropy",
                          "adam", {"learning_rate": 0.001}, 512, 256, 1),
}


def _data(inputs, units, n, loss, rng):
    x = rng.normal(size=(n, inputs)).astype(np.float32)
    if loss == "mse":
        return x, rng.normal(size=(n, units)).astype(np.float32)
    return x, np.eye(units, dtype=np.float32)[rng.integers(0, units, n)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_numpy_reference_matches_pyminidl(case):
    inputs, layers, loss, opt, opt_args, n, batch, epochs = CASES[case]
    x, y = _data(inputs, layers[-1][0], n, loss, np.random.default_rng(0))
    model = tf.keras.Sequential([tf.keras.layers.Input((inputs,))] +
                                [tf.keras.layers.Dense(u, activation=a) for u, a in layers])
    model.compile(optimizer=tf.keras.optimizers.get(opt).__class__(**opt_args), loss=loss)
    reference = NumpyMLP(model.get_weights(), [a for _, a in layers], loss, opt, **opt_args)

    history = model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    ref_losses = reference.fit(x, y, epochs=epochs, batch_size=batch, shuffle=False)

    for got, want in zip(model.get_weights(), reference.params):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(history.history["loss"], ref_losses, rtol=1e-4)


def test_numpy_reference_shuffles_every_epoch():
    x, y = _data(2, 1, 8, "mse", np.random.default_rng(1))
    a = NumpyMLP([np.ones((2, 1)), np.zeros(1)], ["linear"], "mse", "sgd", learning_rate=0.1)
    b = NumpyMLP([np.ones((2, 1)), np.zeros(1)], ["linear"], "mse", "sgd", learning_rate=0.1)
    a.fit(x, y, epochs=2, batch_size=2, shuffle=False)
    b.fit(x, y, epochs=2, batch_size=2, shuffle=True, rng=np.random.default_rng(2))
    assert not np.allclose(a.params[0], b.params[0])


def test_train_flops_counts_the_gemms_of_a_step():
    # 784-512-10 on 256 rows: layer 1 forward + weight gradient, layer 2 all three GEMMs, 2·m·n·k each.
    expected = 2 * (2 * 256 * 784 * 512) + 3 * (2 * 256 * 512 * 10)
    assert train_flops(784, [(512, "relu"), (10, "softmax")], 256, 1) == expected


def test_share_of_the_peak_measured_alongside_each_run():
    import types

    from report import peak_alongside

    w = types.SimpleNamespace(key="d", flops=100e9)
    result = {"workload": w, "times": {"pyminidl": [0.5, 1.0, 0.4], "numpy": [1.0, 1.0, 1.0]},
              "peaks_alongside": [400.0, 200.0, 500.0]}  # runs at 200, 100 and 250 GFLOP/s: 50% each
    line = peak_alongside(result)
    assert result["share_of_peak_alongside"] == pytest.approx(0.5)
    assert "200-500 GFLOP/s (median 400)" in line and "50%-50%, median 50%" in line
    assert peak_alongside({"workload": w, "times": {"pyminidl": [1.0]}, "peaks_alongside": None}) is None
