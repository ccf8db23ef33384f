"""Ctrl-C during predict and evaluate: KeyboardInterrupt within a fraction of a second, as in fit.

They run large inputs in chunks of about 0.1 s (pyminidl/_chunks.py); before, one C++ call held the signal
until the whole input was done (a 60,000 x 2048 predict took 27 s to react). As tests/test_interrupt.py:
a child process works, the parent sends SIGINT and the child reports when the interrupt reached it.
Chunked results equal one call's (rows are independent in inference).
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import _chunks
from pyminidl import layers as L

SANITIZED = bool(os.environ.get("PYMINIDL_SANITIZED"))
LIMIT = 5.0 if SANITIZED else 2.0

CHILD = r"""
import json, signal, sys, time
import numpy as np
import pyminidl as tf
from pyminidl import layers as L

signal.signal(signal.SIGINT, signal.default_int_handler)
mode = sys.argv[1]
x = np.random.RandomState(0).rand(100000, 256).astype(np.float32)  # ~1e12 FLOP: many seconds of work
y = x[:, :1].copy()
model = tf.Sequential([L.Dense(2048, activation="relu", input_shape=(256,)), L.Dense(2048, activation="relu"),
                       L.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.predict(x[:64])
print("ready", flush=True)
try:
    if mode == "predict":
        model.predict(x)
    else:
        model.evaluate(x, y, verbose=0)
    print(json.dumps({"interrupted": False}), flush=True)
    sys.exit(0)
except KeyboardInterrupt:
    caught = time.monotonic()
print(json.dumps({"interrupted": True, "caught": caught,
                  "predict_ok": bool(np.isfinite(model.predict(x[:100])).all()),
                  "evaluate_ok": bool(np.isfinite(model.evaluate(x[:100], y[:100], verbose=0)).all())}), flush=True)
"""


@pytest.mark.parametrize("mode", ["predict", "evaluate"])
def test_ctrl_c_stops_predict_and_evaluate_quickly(mode):
    with subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, cwd=os.path.dirname(os.path.abspath(__file__))) as proc:
        try:
            line = proc.stdout.readline()
            assert line.strip() == "ready", line + proc.stderr.read()
            time.sleep(0.5)
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["interrupted"], f"{mode} finished before the interrupt arrived"
    latency = report["caught"] - sent
    print(f"{mode}: KeyboardInterrupt {latency * 1000:.0f} ms after SIGINT")
    assert 0 <= latency < LIMIT, report
    assert report["predict_ok"] and report["evaluate_ok"], report


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(_chunks, "FIRST_WORK", 64 * 200)  # chunk even small inputs, from 64 rows
    monkeypatch.setattr(_chunks, "_CHUNK_SECONDS", 1e-6)  # then chunks of one row


@pytest.mark.parametrize("batch_size", [None, 7, 32, 1000])
def test_chunked_predict_and_evaluate_equal_one_call(small_chunks, batch_size):
    rng = np.random.RandomState(0)
    x = rng.rand(1001, 6).astype(np.float32)
    y = rng.randint(0, 3, 1001)
    w = rng.rand(1001).astype(np.float32)
    model = tf.Sequential([L.Dense(16, activation="tanh", input_shape=(6,)), L.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    whole_p = model._net.predict(x, 256 if batch_size is None else batch_size)
    whole_e = model._net.evaluate(x, y.reshape(-1, 1).astype(np.float32), w, 32 if batch_size is None else batch_size)
    np.testing.assert_array_equal(model.predict(x, batch_size=batch_size), whole_p)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=w, batch_size=batch_size, verbose=0), whole_e,
                               rtol=1e-12)


