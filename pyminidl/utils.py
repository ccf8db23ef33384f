"""Helpers from keras.utils plus the train/test split the tutorials take from scikit-learn."""

import random

import numpy as np

from pyminidl import _check
from pyminidl.data_adapters import PyDataset, Sequence  # noqa: F401  (keras.utils.Sequence)
from pyminidl.preprocessing.sequence import pad_sequences  # noqa: F401  (keras.utils.pad_sequences)


def set_random_seed(seed):
    """Seed Python's, NumPy's and pyminidl's generators so a whole fit is reproducible."""
    seed = _check.integer("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels: shape (n,) -> (n, num_classes)."""
    y = np.asarray(y)
    if y.size == 0:
        raise ValueError("to_categorical: y must not be empty")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating) or y.dtype == bool):
        raise TypeError(f"to_categorical: y must hold integer class labels, got dtype {y.dtype}")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    labels = y.astype(np.int64)
    if np.any(labels != y) or np.any(labels < 0):
        raise ValueError("to_categorical: labels must be non-negative integers, got values like "
                         f"{y.ravel()[np.flatnonzero((labels != y) | (labels < 0))[0]]!r}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    num_classes = _check.integer("num_classes", num_classes, minimum=1)
    if labels.max() >= num_classes:
        raise ValueError(f"to_categorical: label {int(labels.max())} does not fit num_classes={num_classes}")
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


def train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True):
    """Split arrays into random train and test subsets (scikit-learn's call shape).

    Returns [a_train, a_test, b_train, b_test, ...]. test_size is a fraction in (0, 1) or a count;
    the default is 0.25. random_state makes the permutation reproducible.
    """
    if not arrays:
        raise ValueError("train_test_split: at least one array is required")
    arrays = [np.asarray(a) if not isinstance(a, np.ndarray) else a for a in arrays]
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if a.ndim == 0 or len(a) != n:
            raise ValueError(f"train_test_split: all arrays need the same number of samples; array 0 has {n}, "
                             f"array {i} has {len(a) if a.ndim else 'no axis'}")
    if n < 2:
        raise ValueError(f"train_test_split: need at least 2 samples, got {n}")
    n_test = _split_count("test_size", test_size, n) if test_size is not None else None
    n_train = _split_count("train_size", train_size, n) if train_size is not None else None
    if n_test is None:
        n_test = n - n_train if n_train is not None else int(np.ceil(0.25 * n))
    if n_train is None:
        n_train = n - n_test
    if n_train <= 0 or n_test <= 0 or n_train + n_test > n:
        raise ValueError(f"train_test_split: test_size={test_size!r}, train_size={train_size!r} leave "
                         f"{n_train} train and {n_test} test samples out of {n}")
    if shuffle:  # scikit-learn's ShuffleSplit: the same rows for the same random_state
        if random_state is None:
            rng = np.random  # the global generator, so set_random_seed makes it reproducible
        elif isinstance(random_state, np.random.RandomState):
            rng = random_state
        else:
            rng = np.random.RandomState(random_state)
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:n_test + n_train]
    else:  # scikit-learn keeps the order: the first rows train, the next ones test
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    out = []
    for a in arrays:
        out += [a[train], a[test]]
    return out


def _split_count(name, value, n):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a float in (0, 1) or a positive integer, got {value!r}")
    if isinstance(value, (float, np.floating)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must be in (0, 1) when it is a fraction, got {value!r}")
        return int(np.ceil(value * n)) if name == "test_size" else int(np.floor(value * n))
    if not 0 < value < n:
        raise ValueError(f"{name} must be between 1 and {n - 1} samples, got {value!r}")
    return int(value)
