"""predict() and evaluate() over many rows in chunks of about 0.1 s, so that Ctrl-C (KeyboardInterrupt) is
seen between two chunks, as fit() sees it between its chunks of batches: a C++ call holds the signal until
it returns. Rows are independent in inference, so the chunks give the same outputs as one call."""

import time

import numpy as np

from pyminidl import _core

_CHUNK_SECONDS = 0.1
# Multiply-adds (rows x parameters: a dense network's work per row is about its parameter count) done in one
# call, a few milliseconds: smaller inputs skip the chunking, larger ones start with a chunk this size, which
# measures the speed for the next ones.
FIRST_WORK = 1 << 26


def small(net, n):
    """True when n rows are cheap enough for one call."""
    return n * max(1, net.num_params) <= FIRST_WORK


def _run(net, n, call):
    """call(start, stop) over [0, n) in chunks lasting about _CHUNK_SECONDS each."""
    start, rows = 0, max(1, FIRST_WORK // max(1, net.num_params))
    while start < n:
        stop = min(n, start + rows)
        began = time.perf_counter()
        call(start, stop)
        per_row = max(time.perf_counter() - began, 1e-9) / (stop - start)
        start = stop
        rows = max(1, int(_CHUNK_SECONDS / per_row))


def predict(net, xs, batch_size):
    """net.predict(xs, batch_size) for checked float32 inputs (one array per model input), in chunks when
    there are many rows."""
    n = len(xs[0])
    if small(net, n):
        return net.predict(xs, batch_size)
    _core._require_memory(4 * n * net.output_dim, f"predict's output ({n} rows of {net.output_dim} floats)")
    out = np.empty((n,) + tuple(net.output_shape), dtype=np.float32)

    def chunk(start, stop):
        out[start:stop] = net.predict([x[start:stop] for x in xs], batch_size)

    _run(net, n, chunk)
    return out


def evaluate(net, xs, y, w, batch_size):
    """net.evaluate(xs, y, w, batch_size) (means of loss and metrics over the rows), in chunks when there are
    many rows: each chunk's means weighted by its rows (the metrics are sums over rows divided by n)."""
    n = len(xs[0])
    if small(net, n):
        return net.evaluate(xs, y, w, batch_size)
    sums = None

    def chunk(start, stop):
        nonlocal sums
        means = np.asarray(net.evaluate([x[start:stop] for x in xs], y[start:stop],
                                        None if w is None else w[start:stop], batch_size), dtype=np.float64)
        sums = means * (stop - start) if sums is None else sums + means * (stop - start)

    _run(net, n, chunk)
    return list(sums / n)
