"""Training the same model on 1 and on 2 threads, for the tests that want the same bits from both."""

import numpy as np

import pyminidl


def train_on_1_and_2_threads(make_model, fit):
    """make_model() builds and compiles a model (seeded alike each time), fit(model) trains it; once on one
    thread, once on two. Returns the initial weights (1 thread) and each run's trained weights, after
    checking that the two runs' weights are bitwise equal. The thread count is restored."""
    saved = pyminidl.get_num_threads()
    trained = []
    try:
        for threads in (1, 2):
            pyminidl.set_num_threads(threads)
            pyminidl.set_random_seed(1)
            model = make_model()
            if threads == 1:
                initial = model.get_weights()
            fit(model)
            trained.append(model.get_weights())
    finally:
        pyminidl.set_num_threads(saved)
    for a, b in zip(*trained):
        np.testing.assert_array_equal(a, b)
    return initial, trained


def same_on_1_2_3_threads(compute):
    """compute() returns a tuple of arrays; it is run on 1, 2 and 3 threads, and every array must come out
    bitwise the same. Returns the 1-thread result. The thread count is restored."""
    saved = pyminidl.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            pyminidl.set_num_threads(threads)
            results.append(tuple(compute()))
    finally:
        pyminidl.set_num_threads(saved)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
    return results[0]
