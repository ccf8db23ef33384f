"""keras.datasets.boston_housing: 506 Boston suburbs (1970s), 13 features, median house price in k$.

Keras' warning stands: one of the 13 features encodes an ethically problematic assumption about race; use this
data set only to illustrate such issues.
"""

import numpy as np

from pyminidl import _check
from pyminidl.datasets import _files, _safe_pickle
from pyminidl import _api


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """(x_train, y_train), (x_test, y_test): x (n, 13) and y (n,) float64, shuffled with
    np.random.RandomState(seed), the last test_split of them the test set; as keras.datasets.boston_housing."""
    test_split = _check.number("test_split", test_split, 0, 1, high_open=True)
    seed = None if seed is None else _check.integer("seed", seed, minimum=0)
    f = _safe_pickle.load_npz(_files.get_file("boston_housing.npz", path))
    indices = np.arange(len(f["x"]))
    np.random.RandomState(seed).shuffle(indices)
    x, y = f["x"][indices], f["y"][indices]
    idx = int(len(x) * (1 - test_split))
    return (x[:idx], y[:idx]), (x[idx:], y[idx:])


# load_data (and get_word_index, ...): what keras.datasets.boston_housing has
__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
