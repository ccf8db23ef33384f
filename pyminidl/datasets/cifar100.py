"""keras.datasets.cifar100: 50,000 training and 10,000 test colour images, 32x32x3 uint8, 100 classes in 20
superclasses."""

import numpy as np

from pyminidl.datasets import _cifar, _files
from pyminidl import _api


def load_data(label_mode="fine"):
    """(x_train, y_train), (x_test, y_test): uint8 images (n, 32, 32, 3) and int64 labels (n, 1), 0..99 for
    label_mode 'fine' or 0..19 for 'coarse', as keras.datasets.cifar100.load_data."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"label_mode must be one of 'fine', 'coarse', got {label_mode!r}")
    path = _files.get_file("cifar-100-python-target_archive")
    (x_train, y_train), (x_test, y_test) = _cifar.load_batches(
        path, ["cifar-100-python/train", "cifar-100-python/test"], label_mode + "_labels")
    return ((_cifar.channels_last(x_train), np.reshape(y_train, (len(y_train), 1))),
            (_cifar.channels_last(x_test), np.reshape(y_test, (len(y_test), 1))))


# load_data (and get_word_index, ...): what keras.datasets.cifar100 has
__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
