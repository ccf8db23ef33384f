"""A 24-candidate GridSearchCV of KerasClassifier on one process against two Dask worker processes.

    pip install ".[dask]" && python benchmarks/grid_search.py [--repeats N] [--epochs N] [--quick]

Runs, taking turns, the same search (digits, 3-fold, 72 fits) in four ways and prints the median wall time of
each: in this process with pyminidl's default threads and with one thread; through joblib's own process pool
(loky, two processes of one thread); and on a dask.distributed LocalCluster of two worker processes with one
thread each, through joblib's dask backend. The cluster's start-up is timed apart: a real cluster is started
once and reused. Every way must find the same best parameters (random_state fixes each fit; results do not
depend on the thread count), and the script checks that they do. docs/scaling.md explains what the table shows.
"""

import argparse
import os
import statistics
import sys
import time

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import pyminidl as tf
from pyminidl.wrappers import KerasClassifier

GRID = {"kerasclassifier__model__hidden": [16, 32, 64, 128],
        "kerasclassifier__optimizer__learning_rate": [0.001, 0.003, 0.01],
        "kerasclassifier__batch_size": [16, 64]}  # 4 x 3 x 2 = 24 candidates


def build(meta, hidden=32):
    return tf.keras.Sequential([tf.keras.layers.Dense(hidden, activation="relu"),
                                tf.keras.layers.Dense(meta["n_classes_"], activation="softmax")])


def search(epochs, grid):
    clf = KerasClassifier(build, optimizer="adam", epochs=epochs, verbose=0, random_state=0)
    return GridSearchCV(make_pipeline(StandardScaler(), clf), grid, cv=3)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 repeat: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs = 1, 2
    import distributed

    x, y = tf.datasets.load_digits()
    n_candidates = int(np.prod([len(v) for v in GRID.values()]))
    default_threads = tf.get_num_threads()
    print(f"digits {x.shape}, {n_candidates} candidates x 3 folds = {3 * n_candidates} fits of {args.epochs} "
          f"epochs (+1 refit); {os.cpu_count()} CPUs, pyminidl {tf.__version__}, default threads {default_threads}")

    def in_process(threads):
        def run():
            tf.set_num_threads(threads)
            try:
                return search(args.epochs, GRID).fit(x, y)
            finally:
                tf.set_num_threads(default_threads)
        return run

    def loky():
        with joblib.parallel_backend("loky", n_jobs=2, inner_max_num_threads=1):
            return search(args.epochs, GRID).fit(x, y)

    start_time, cluster = timed(lambda: distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                                                 processes=True, dashboard_address=None,
                                                                 silence_logs=40))
    client = distributed.Client(cluster)
    client.run(tf.get_num_threads)  # workers import pyminidl before the first timing

    def dask():
        with joblib.parallel_backend("dask"):
            return search(args.epochs, GRID).fit(x, y)

    ways = {f"1 process, {default_threads} threads": in_process(default_threads),
            "1 process, 1 thread": in_process(1),
            "joblib loky, 2 processes x 1 thread": loky,
            "Dask LocalCluster, 2 workers x 1 thread": dask}
    times = {name: [] for name in ways}
    best = {}
    try:
        for r in range(args.repeats):
            order = list(ways)[r % len(ways):] + list(ways)[:r % len(ways)]  # rotate: no way always goes first
            for name in order:
                seconds, fitted = timed(ways[name])
                times[name].append(seconds)
                best[name] = (fitted.best_params_, round(float(fitted.best_score_), 6))
    finally:
        client.close()
        cluster.close()

    base = statistics.median(times[next(iter(ways))])
    print(f"\nDask cluster start-up (once, not in the times below): {start_time:.1f} s\n")
    print(f"| way | median s ({args.repeats} runs) | min s | fits/s | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med:.2f} | {min(ts):.2f} | {(3 * n_candidates + 1) / med:.1f} | {base / med:.2f}x |")
    results = set(repr(b) for b in best.values())
    print(f"\nbest parameters {'identical in every way' if len(results) == 1 else 'DIFFER'}: "
          f"{next(iter(best.values()))}")
    return 0 if len(results) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
