"""No leaks: many build/compile/fit/predict/get_weights cycles leave the resident set where it was.

RSS comes from /proc/self/statm (Linux). After a warm-up (allocator pools, import caches, first-use code
paths), 1000 cycles must grow it by less than a few MB; a leak of even one weight buffer per cycle (a few KB
here) would add several MB.
"""

import ctypes
import gc
import os
import sys

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import layers as L

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
PAGE = os.sysconf("SC_PAGE_SIZE")
SANITIZED = bool(os.environ.get("PYMINIDL_SANITIZED"))  # ASan quarantines freed memory: RSS means little there


def _malloc_trim():
    """glibc's malloc_trim, or a no-op: freed heap memory (NumPy's temporaries too) goes back to the OS."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return lambda pad: 0


MALLOC_TRIM = _malloc_trim()


def rss_bytes():
    # Without the trim, glibc may keep the last few freed 8 MB blocks (its mmap threshold adapts upwards),
    # which is memory the allocator holds, not memory pyminidl leaks.
    MALLOC_TRIM(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def cycle(x, y, i):
    model = tf.Sequential([L.Dense(32, activation="relu", input_shape=(8,)), L.Dropout(0.1),
                           L.Dense(3, activation="softmax")])
    model.compile(optimizer=["adam", "sgd", "rmsprop"][i % 3], loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, validation_split=0.25 if i % 2 else 0.0)
    p = model.predict(x)
    w = model.get_weights()
    model.set_weights(w)
    model.evaluate(x, y, verbose=0)
    return float(p[0, 0]) + float(w[0][0, 0])


def test_thousand_cycles_do_not_leak():
    rng = np.random.RandomState(0)
    x = rng.rand(64, 8).astype(np.float32)
    y = tf.utils.to_categorical(rng.randint(0, 3, 64), 3)
    for i in range(100):  # warm-up
        cycle(x, y, i)
    gc.collect()
    start = rss_bytes()
    for i in range(1000):
        cycle(x, y, i)
    gc.collect()
    growth = rss_bytes() - start
    print(f"RSS growth over 1000 cycles: {growth / 2**20:.2f} MB", file=sys.stderr)
    if not SANITIZED:
        assert growth < 4 * 2**20, f"RSS grew by {growth / 2**20:.1f} MB over 1000 cycles"


def test_big_network_is_freed():
    """A 40 MB network (8 MB of weights plus gradients and optimizer slots), created and dropped 10 times,
    must not keep its memory each time."""
    x = np.zeros((4, 1000), np.float32)
    gc.collect()
    base = None
    for i in range(10):
        model = tf.Sequential([L.Dense(2000, input_shape=(1000,)), L.Dense(1)])
        model.compile("adam", "mse")
        model.predict(x)
        weights = model.weights  # views keep the network alive ...
        del model
        gc.collect()
        assert weights[0].numpy().shape == (1000, 2000)  # ... and stay valid after the model is gone
        del weights
        gc.collect()
        if i == 1:
            base = rss_bytes()
    growth = rss_bytes() - base
    print(f"RSS growth over 8 big networks: {growth / 2**20:.2f} MB", file=sys.stderr)
    if not SANITIZED:
        assert growth < 20 * 2**20, f"RSS grew by {growth / 2**20:.1f} MB: networks of ~40 MB are not freed"


def test_network_arrays_start_on_a_cache_line():
    """Parameters, gradients and optimizer slots are 64-byte aligned, so rows of 16k floats never straddle a line."""
    model = tf.Sequential([L.Dense(512, activation="relu", input_shape=(784,)), L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    net = model._net
    arrays = [net.weights()[0], net.gradients()[0], *net.slots()]
    assert [a.ctypes.data % 64 for a in arrays] == [0] * len(arrays)
    kernel = net.weights()[0]
    assert kernel.shape == (784, 512) and kernel.strides[0] % 64 == 0  # so every row starts on a line too
