"""Threads: concurrent predict equals serial predict, and training does not depend on the thread count.

The C++ core releases the GIL around compute and serialises each network's use of its workspaces with a
per-network mutex, so Python threads may share a model. GEMM threads split the output, never the reduction,
so results are bit-identical for any thread count, and a seed fixes a whole fit.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import layers as L


@pytest.fixture
def restore_threads():
    n = tf.get_num_threads()
    yield
    tf.set_num_threads(n)


def _model(widths, seed=0, out=3, act="relu"):
    tf.set_random_seed(seed)
    model = tf.Sequential([L.Dense(widths[1], activation=act, input_shape=(widths[0],))]
                          + [L.Dense(w, activation=act) for w in widths[2:]]
                          + [L.Dense(out, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("widths,rows", [((32, 64, 64), 500), ((4, 8), 7)], ids=["gil_released", "tiny"])
def test_concurrent_predict_equals_serial(widths, rows):
    model = _model(widths)
    rng = np.random.RandomState(1)
    inputs = [rng.standard_normal((rows + i, widths[0])).astype(np.float32) for i in range(16)]
    sizes = [None, 7, 64]  # results may differ by an ulp between batch sizes (GEMM paths), never by thread
    serial = {(i, b): model.predict(x, batch_size=b) for i, x in enumerate(inputs) for b in sizes}
    barrier = threading.Barrier(8)

    def work(k):
        barrier.wait()
        out = []
        for rep in range(3):
            for i in range(k, 16, 8):
                b = sizes[(i + rep) % 3]
                out.append(((i, b), model.predict(inputs[i], batch_size=b)))
            out.append(((k, None), model(inputs[k])))
        return out

    with ThreadPoolExecutor(8) as pool:
        results = [r for part in pool.map(work, range(8)) for r in part]
    assert len(results) == 8 * 3 * 3
    for key, got in results:
        np.testing.assert_array_equal(got, serial[key])


def test_predict_while_training_in_another_thread():
    model = _model((16, 64, 64))
    rng = np.random.RandomState(2)
    x = rng.standard_normal((2048, 16)).astype(np.float32)
    y = tf.utils.to_categorical(rng.randint(0, 3, 2048), 3)
    errors = []

    def train():
        try:
            model.fit(x, y, epochs=3, batch_size=32, verbose=0)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=train)
    t.start()
    outputs = []
    while t.is_alive() and len(outputs) < 500:
        outputs.append(model.predict(x[:100]))
    t.join()
    assert not errors
    assert outputs and all(o.shape == (100, 3) and np.all(np.isfinite(o)) for o in outputs)
    assert np.allclose(np.sum(outputs[-1], axis=1), 1.0, atol=1e-5)
    assert len(model.history.history["loss"]) == 3


def _train(threads, seed):
    tf.set_num_threads(threads)
    model = _model((256, 512, 512), seed=seed, out=10)
    rng = np.random.RandomState(3)
    x = rng.standard_normal((1024, 256)).astype(np.float32)
    y = tf.utils.to_categorical(rng.randint(0, 10, 1024), 10)
    history = model.fit(x, y, epochs=2, batch_size=256, verbose=0, validation_split=0.25)
    return model.get_weights(), history.history, model.predict(x[:300])


def test_training_is_bit_identical_for_1_and_2_threads_and_per_seed(restore_threads):
    w1, h1, p1 = _train(1, seed=5)
    w2, h2, p2 = _train(2, seed=5)
    w3, h3, p3 = _train(2, seed=5)
    for a, b, c in zip(w1, w2, w3):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)
    assert h1 == h2 == h3
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(p2, p3)
    w4, h4, _ = _train(2, seed=6)
    assert not np.array_equal(w4[0], w1[0]) and h4 != h1  # the seed matters
