"""Poisoned numbers and sizes that overflow: every float is checked as the float32 the core stores, every
shape product in Python integers against the core's 32-bit sizes, thread counts and memory before use."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import _core
from pyminidl import layers as L


@pytest.fixture
def restore_threads():
    n = tf.get_num_threads()
    yield
    tf.set_num_threads(n)


def test_set_num_threads_is_bounded(restore_threads):
    # libgomp ended the process (exit code 1, no exception) when it could not create 5000 threads.
    limit = _core.max_num_threads()
    assert 8 <= limit <= 1024
    with pytest.raises(ValueError, match=r"num_threads must be between 1 and \d+ \(4 per core, at least 8\), got 5000"):
        tf.set_num_threads(5000)
    with pytest.raises(ValueError, match=r"n must be an integer <= 2147483647, got 1099511627776"):
        tf.set_num_threads(2**40)
    with pytest.raises(ValueError, match=r"num_threads must be between 1 and \d+ .*got 1073741824"):
        _core.set_num_threads(2**40)  # the core's own check: clamped, never a pybind11 type error
    tf.set_num_threads(limit)  # the most allowed runs (threads are created, or fewer are used)
    model = tf.Sequential([L.Dense(64, activation="relu", input_shape=(512,)), L.Dense(1)])
    x = np.random.RandomState(0).rand(2048, 512).astype(np.float32)
    assert np.all(np.isfinite(model.predict(x)))
    assert 1 <= tf.get_num_threads() <= limit
