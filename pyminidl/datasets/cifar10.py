"""keras.datasets.cifar10: 50,000 training and 10,000 test colour images, 32x32x3 uint8, 10 classes."""

import numpy as np

from pyminidl.datasets import _cifar, _files
from pyminidl import _api

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_FOLDER = "cifar-10-batches-py/"


def load_data():
    """(x_train, y_train), (x_test, y_test): uint8 images (n, 32, 32, 3) (channels last) and uint8 labels (n, 1)
    0..9 (CLASS_NAMES), as keras.datasets.cifar10.load_data. The archive is fetched into $KERAS_HOME/datasets
    as Keras 3 names it (cifar-10-batches-py-target_archive)."""
    path = _files.get_file("cifar-10-batches-py-target_archive")
    members = [f"{_FOLDER}data_batch_{i}" for i in range(1, 6)] + [f"{_FOLDER}test_batch"]
    batches = _cifar.load_batches(path, members, "labels")
    x_train = np.concatenate([data for data, _ in batches[:5]])
    y_train = np.concatenate([np.asarray(labels, dtype=np.int64) for _, labels in batches[:5]])
    x_test, y_test = batches[5]
    return ((_cifar.channels_last(x_train), y_train.astype(np.uint8).reshape(-1, 1)),
            (_cifar.channels_last(x_test), np.asarray(y_test).astype(np.uint8).reshape(-1, 1)))


# load_data (and get_word_index, ...): what keras.datasets.cifar10 has
__all__ = _api.public(globals(), extra={"CLASS_NAMES"})
__dir__ = _api.dir_function(__all__)
