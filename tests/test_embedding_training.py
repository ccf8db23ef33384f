"""Training an Embedding table as Keras 3 on TensorFlow does (KERAS_REFERENCE §15): the table's gradient has
one row per lookup, and the optimizers clip, square (RMSprop, Adam, Adagrad, Nadam) or take the absolute value
(Adamax) of each row before the rows of a repeated id are added up. Checked against a float64 NumPy model with
Keras 3's rules over several steps (tests/optimizer_reference.py), and against values Keras 3.15 printed."""

import numpy as np
import pytest

from pyminidl.layers import Dense, Embedding, Flatten
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop

from optimizer_reference import RefOptimizer, RowSlices
from thread_counts import train_on_1_and_2_threads

VOCAB, LENGTH, DIM, OUT = 6, 5, 3, 2  # batches of 8 x 5 ids over 6 rows: most ids repeat within a batch


def ref_grads(ws, ids, y):
    """Gradients of the batch-mean squared error of Embedding -> Flatten -> Dense(OUT), the table's as slices."""
    table, kernel, bias = ws
    flat = table[ids].reshape(len(ids), -1)
    p = flat @ kernel + bias
    dz = 2 * (p - y) / p.size
    return [RowSlices(ids.ravel(), (dz @ kernel.T).reshape(-1, DIM)), flat.T @ dz, dz.sum(axis=0)]


def _model(weights):
    model = Sequential([Embedding(VOCAB, DIM, input_shape=(LENGTH,)), Flatten(), Dense(OUT)])
    model.set_weights(weights)
    return model


OPTIMIZERS = {  # name -> (pyminidl optimizer, reference kwargs)
    "sgd-momentum": (lambda: SGD(0.1, momentum=0.9), dict(kind="sgd", lr=0.1, momentum=0.9)),
    "rmsprop": (lambda: RMSprop(0.01), dict(kind="rmsprop", lr=0.01)),
    "rmsprop-centered-momentum": (lambda: RMSprop(0.01, momentum=0.5, centered=True),
                                  dict(kind="rmsprop", lr=0.01, momentum=0.5, centered=True)),
    "adam": (lambda: Adam(0.01), dict(kind="adam", lr=0.01)),
    "amsgrad": (lambda: Adam(0.01, amsgrad=True), dict(kind="adam", lr=0.01, amsgrad=True)),
    "adamw": (lambda: AdamW(0.01, weight_decay=0.1), dict(kind="adamw", lr=0.01, weight_decay=0.1)),
    "adagrad": (lambda: Adagrad(0.1), dict(kind="adagrad", lr=0.1)),
    "nadam": (lambda: Nadam(0.01), dict(kind="nadam", lr=0.01)),
    "adamax": (lambda: Adamax(0.01), dict(kind="adamax", lr=0.01)),
    # clipping acts on each lookup's row, and the norms count every lookup
    "sgd-clipvalue": (lambda: SGD(0.1, clipvalue=0.01), dict(kind="sgd", lr=0.1, clipvalue=0.01)),
    "sgd-clipnorm": (lambda: SGD(0.1, clipnorm=0.05), dict(kind="sgd", lr=0.1, clipnorm=0.05)),
    "rmsprop-clipvalue": (lambda: RMSprop(0.01, clipvalue=0.01), dict(kind="rmsprop", lr=0.01, clipvalue=0.01)),
    "adam-clipnorm": (lambda: Adam(0.01, clipnorm=0.05), dict(kind="adam", lr=0.01, clipnorm=0.05)),
    "adam-global-clipnorm": (lambda: Adam(0.01, global_clipnorm=0.05), dict(kind="adam", lr=0.01,
                                                                             global_clipnorm=0.05)),
}


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_steps_match_float64_keras3_rules_on_lookup_rows(opt):
    rng = np.random.default_rng(len(opt))
    weights = [rng.normal(scale=0.5, size=s).astype(np.float32) for s in [(VOCAB, DIM), (LENGTH * DIM, OUT), (OUT,)]]
    ids = rng.integers(0, VOCAB, size=(24, LENGTH))
    y = rng.normal(size=(24, OUT)).astype(np.float32)
    model = _model(weights)
    make, ref_kwargs = OPTIMIZERS[opt]
    model.compile(optimizer=make(), loss="mse")
    model.fit(ids.astype(np.float32), y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    ref, ws = RefOptimizer(**ref_kwargs), [w.astype(np.float64) for w in weights]
    for _ in range(3):
        for start in range(0, 24, 8):
            ws = ref.step(ws, ref_grads(ws, ids[start:start + 8], y[start:start + 8].astype(np.float64)))
    assert np.max(np.abs(ws[0] - weights[0])) > 1e-3  # the table moved
    for got, want in zip(model.get_weights(), ws):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.max(np.abs(want)))


# One row (value 0) looked up twice; Dense kernel [[1], [k]], no bias, target 1: the lookups' gradients are -2 and
# -2k. Keras 3.15 printed these tables after one step (its Adam takes 1 - 0.999 in float32: 7e-6 off float64).
# Merging the lookups first would give RMSprop 0.0316 for k = 3 (velocity 0.1 * 8^2 instead of 0.1 * (2^2 + 6^2)),
# Adamax -0.01 for k = -3 (|-2 + 6| instead of 2 + 6), and RMSprop with clipvalue=1 0.0316 (-8 clipped once
# instead of -2 and -6 clipped each).
@pytest.mark.parametrize("make,k,want", [(lambda: RMSprop(0.01), 3.0, 0.04), (lambda: Adagrad(0.01), 3.0, 0.01263333),
                                         (lambda: Adam(0.01), 3.0, 0.01264902), (lambda: Adamax(0.01), -3.0, -0.005),
                                         (lambda: RMSprop(0.01, clipvalue=1.0), 3.0, 0.04472135)])
def test_a_row_looked_up_twice_keras3_values(make, k, want):
    model = Sequential([Embedding(1, 1, input_shape=(2,)), Flatten(), Dense(1, use_bias=False)])
    model.set_weights([np.zeros((1, 1), np.float32), np.array([[1.0], [k]], np.float32)])
    model.compile(optimizer=make(), loss="mse")
    model.fit(np.zeros((1, 2), np.float32), np.ones((1, 1), np.float32), batch_size=1, verbose=0)
    assert model.get_weights()[0][0, 0] == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("make", [lambda: Adam(0.01), lambda: RMSprop(0.01, clipnorm=0.01)])
def test_lookup_rows_split_over_threads_give_the_same_bits(make):
    """A 3000 x 128 table: the lookups' sums (two column blocks) and the update run on both threads, and every
    element must come out as one thread computes it."""
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 3000, size=(64, 10)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)

    def make_model():
        model = Sequential([Embedding(3000, 128, input_shape=(10,)), Flatten(), Dense(1)])
        model.compile(optimizer=make(), loss="mse")
        return model

    train_on_1_and_2_threads(make_model, lambda m: m.fit(ids, y, batch_size=32, epochs=2, shuffle=False, verbose=0))
