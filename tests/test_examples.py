"""The examples run as a user runs them (a subprocess, headless) and reach the results they promise."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")  # the examples save figures; pip install ".[test]" brings it

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_example(name, out_dir):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("PYMINIDL_EXAMPLES_OUT", None)
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), "--out", str(out_dir)], capture_output=True,
                          text=True, env=env, timeout=600, cwd=str(out_dir))
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr
    return proc.stdout


def saved_figures(stdout, out_dir, expected):
    paths = [Path(p) for p in re.findall(r"^Saved figure: (.+)$", stdout, flags=re.M)]
    assert sorted(p.name for p in paths) == sorted(expected)
    for path in paths:
        assert path.parent == out_dir
        with open(path, "rb") as f:
            assert f.read(8) == PNG_MAGIC
        assert path.stat().st_size > 5000
    return paths


def number(pattern, stdout):
    match = re.search(pattern, stdout, flags=re.M)
    assert match, f"no line matching {pattern!r} in:\n{stdout[-2000:]}"
    return float(match.group(1))


def test_regression(tmp_path):
    out = run_example("regression.py", tmp_path)
    losses = [float(v) for v in re.findall(r"^Epoch +\d+/5000 - loss: ([\d.]+)$", out, flags=re.M)]
    assert len(losses) == 6
    assert losses[-1] < losses[0] / 10
    assert losses == sorted(losses, reverse=True)
    assert "Total params: 3" in out
    fat_100_44 = number(r"^weight 100 kg, age 44 years -> blood fat ([\d.]+)$", out)
    fat_60_25 = number(r"^weight 60 kg, age 25 years -> blood fat ([\d.]+)$", out)
    assert 250 < fat_100_44 < 500 and 100 < fat_60_25 < 350 and fat_60_25 < fat_100_44
    assert re.search(r"^Weights: \[.+\]$", out, flags=re.M) and re.search(r"^Bias: \[.+\]$", out, flags=re.M)
    saved_figures(out, tmp_path, ["regression_loss.png", "regression_plane.png"])


def test_xor(tmp_path):
    out = run_example("xor.py", tmp_path)
    assert "Rounded: [0, 1, 1, 0]" in out
    assert "Total params: 9" in out
    for name in ("dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"):
        assert f"<Variable '{name}'" in out
    saved_figures(out, tmp_path, ["xor_loss.png"])


def test_iris(tmp_path):
    out = run_example("iris.py", tmp_path)
    assert "Total params: 2,371" in out
    assert out.count("Epoch ") == 100 and "Epoch 100/100" in out
    assert re.search(r"^1/1 - \d+s - loss: [\d.]+ - accuracy: [\d.]+ - ", out, flags=re.M)
    assert number(r"^Test accuracy: ([\d.]+)$", out) >= 0.9
    saved_figures(out, tmp_path, ["iris_training.png"])


def test_digits(tmp_path):
    out = run_example("digits.py", tmp_path)
    assert re.search(r"^41/41 \[=+\] - \d+s \d+[mu]?s/step - loss: .* - val_accuracy: [\d.]+$", out, flags=re.M)
    assert number(r"^Test accuracy: ([\d.]+)$", out) >= 0.96
    saved_figures(out, tmp_path, ["digits_training.png", "digits_predictions.png"])


def test_breast_cancer(tmp_path):
    out = run_example("breast_cancer.py", tmp_path)
    assert "212 malignant, 357 benign" in out
    assert number(r"^Test accuracy: ([\d.]+)$", out) >= 0.94
    saved_figures(out, tmp_path, ["breast_cancer_training.png"])


def test_mnist_convnet(tmp_path):
    out = run_example("mnist_convnet.py", tmp_path)
    assert "Total params: 21,386" in out  # the example's layers on 16x16 inputs (Flatten: 2*2*64 = 256)
    assert number(r"^Test accuracy: ([\d.]+)$", out) >= 0.97
    saved_figures(out, tmp_path, ["mnist_convnet_training.png", "mnist_convnet_predictions.png"])


def test_text_classification(tmp_path):
    out = run_example("text_classification.py", tmp_path)
    assert number(r"^Accuracy:  ([\d.]+)$", out) >= 0.8
    assert number(r"^([\d.]+)  the movie was great", out) > 0.7
    saved_figures(out, tmp_path, ["text_classification_training.png", "text_classification_scores.png"])


def test_out_dir_from_environment(tmp_path):
    target = tmp_path / "nested" / "figures"
    env = dict(os.environ, PYMINIDL_EXAMPLES_OUT=str(target))
    proc = subprocess.run([sys.executable, str(EXAMPLES / "xor.py")], capture_output=True, text=True, env=env,
                          timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (target / "xor_loss.png").read_bytes()[:8] == PNG_MAGIC


def test_readme_xor_snippet_prints_xor(tmp_path):
    """The ten-line XOR of the README runs as written and prints [0. 1. 1. 0.]."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    proc = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[0. 1. 1. 0.]"


def test_quickstart_runs_as_tensorflows_beginner_tutorial(tmp_path):
    out = run_example("quickstart.py", tmp_path)
    import pyminidl
    assert out.startswith(f"TensorFlow version: {pyminidl.__version__}\n")
    untrained_loss = number(r"^(\d+\.\d+)$", out)  # loss_fn(y_train[:1], predictions).numpy()
    assert 1.0 < untrained_loss < 4.0  # about ln(10) for near-uniform logits
    epochs = re.findall(r"^47/47 \[=+\] - .* - loss: ([\d.]+) - accuracy: ([\d.]+)$", out, flags=re.M)
    assert len(epochs) == 5 and float(epochs[-1][0]) < float(epochs[0][0])
    assert number(r"^10/10 - \d+s - loss: [\d.]+ - accuracy: ([\d.]+)", out) > 0.8
    assert re.search(r"^tf.Tensor\(\n\[\[[\d.e\- \n\[\]]+\]\], shape=\(5, 10\), dtype=float32\)$", out, flags=re.M)
