"""Helpers from keras.utils plus the train/test split the tutorials take from scikit-learn."""

import random
from typing import Any, List, Optional, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from pyminidl import _api, _check
from pyminidl.data_adapters import PyDataset, Sequence  # noqa: F401  (keras.utils.Sequence)
from pyminidl.preprocessing.sequence import pad_sequences  # noqa: F401  (keras.utils.pad_sequences)


def set_random_seed(seed: int) -> None:
    """Seeds Python's, NumPy's and pyminidl's generators, so that a whole fit is reproducible.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError, ValueError: if `seed` is not a non-negative integer.

    Examples:

    >>> import pyminidl as tf
    >>> tf.keras.utils.set_random_seed(1)
    """
    seed = _check.integer("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def to_categorical(y: ArrayLike, num_classes: Optional[int] = None, dtype: DTypeLike = "float32") -> np.ndarray:
    """Converts integer class labels to one-hot rows: shape `(n,)` becomes `(n, num_classes)`.

    Args:
        y: class labels, non-negative integers (a trailing axis of size 1 is dropped).
        num_classes: the number of classes. Defaults to the largest label plus one.
        dtype: the dtype of the result.

    Returns:
        The one-hot array.

    Raises:
        ValueError: if `y` is empty, holds negative or fractional labels, or a label that is not below
            `num_classes`.
        TypeError: if `y` does not hold numbers.

    Examples:

    >>> import pyminidl as tf
    >>> tf.keras.utils.to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
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


def train_test_split(*arrays: ArrayLike, test_size: Union[float, int, None] = None,
                     train_size: Union[float, int, None] = None,
                     random_state: Union[int, np.random.RandomState, None] = None,
                     shuffle: bool = True) -> List[np.ndarray]:
    """Splits arrays into random train and test subsets, with scikit-learn's call shape.

    Args:
        *arrays: arrays with the same number of samples (first axis).
        test_size: a fraction in (0, 1) or a count of test samples. Defaults to 0.25 (or the complement of
            `train_size`).
        train_size: a fraction in (0, 1) or a count of training samples. Defaults to the complement of
            `test_size`.
        random_state: a seed or a `RandomState`, for a reproducible split. Defaults to NumPy's global
            generator (which `set_random_seed` seeds).
        shuffle: whether to permute the samples first; without it the first rows train, the next ones test.

    Returns:
        `[a_train, a_test, b_train, b_test, ...]`.

    Raises:
        ValueError: if the arrays differ in length, or the sizes leave no training or test sample.
        TypeError: if a size is neither a fraction nor an integer.

    Examples:

    >>> import numpy as np, pyminidl as tf
    >>> x_train, x_test = tf.utils.train_test_split(np.arange(8), test_size=0.25, random_state=0)
    >>> len(x_train), len(x_test)
    (6, 2)
    """
    if not arrays:
        raise ValueError("train_test_split: at least one array is required")
    arrs = [np.asarray(a) for a in arrays]
    n = len(arrs[0])
    for i, a in enumerate(arrs):
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
            rng: Any = np.random  # the global generator, so set_random_seed makes it reproducible
        elif isinstance(random_state, np.random.RandomState):
            rng = random_state
        else:
            rng = np.random.RandomState(random_state)
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:n_test + n_train]
    else:  # scikit-learn keeps the order: the first rows train, the next ones test
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    out = []
    for a in arrs:
        out += [a[train], a[test]]
    return out


def _split_count(name: str, value: Any, n: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a float in (0, 1) or a positive integer, got {value!r}")
    if isinstance(value, (float, np.floating)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must be in (0, 1) when it is a fraction, got {value!r}")
        return int(np.ceil(value * n)) if name == "test_size" else int(np.floor(value * n))
    if not 0 < value < n:
        raise ValueError(f"{name} must be between 1 and {n - 1} samples, got {value!r}")
    return int(value)


# keras.utils.pad_sequences, keras.utils.Sequence and PyDataset are defined elsewhere
__all__ = _api.public(globals(), extra={"pad_sequences", "PyDataset", "Sequence"})
__dir__ = _api.dir_function(__all__)
