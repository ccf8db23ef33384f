"""keras.datasets.fashion_mnist: 60,000 training and 10,000 test clothing images (10 classes), 28x28 uint8."""

import gzip

import numpy as np

from pyminidl.datasets import _files
from pyminidl import _api

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")


def _read_idx(path, magic, item_shape):
    """An IDX file (gzip): big-endian magic, one count per dimension, then uint8 values."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = 4 * (1 + 1 + len(item_shape))
    found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if found != magic:
        raise ValueError(f"{path} is not an IDX file of magic number {magic}, got {found}")
    count = int.from_bytes(data[4:8], "big")
    values = np.frombuffer(data, np.uint8, offset=header)
    if values.size != count * int(np.prod(item_shape)):
        raise ValueError(f"{path} announces {count} items of shape {item_shape} but holds {values.size} bytes")
    return values.reshape((count,) + item_shape)


def load_data():
    """(x_train, y_train), (x_test, y_test): uint8 images (n, 28, 28) and uint8 labels 0..9 (CLASS_NAMES), as
    keras.datasets.fashion_mnist.load_data; four .gz files in $KERAS_HOME/datasets/fashion-mnist."""
    paths = {name: _files.get_file(name) for name in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                                                      "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")}
    y_train = _read_idx(paths["train-labels-idx1-ubyte.gz"], 2049, ())
    x_train = _read_idx(paths["train-images-idx3-ubyte.gz"], 2051, (28, 28))
    y_test = _read_idx(paths["t10k-labels-idx1-ubyte.gz"], 2049, ())
    x_test = _read_idx(paths["t10k-images-idx3-ubyte.gz"], 2051, (28, 28))
    return (x_train, y_train), (x_test, y_test)


# load_data (and get_word_index, ...): what keras.datasets.fashion_mnist has
__all__ = _api.public(globals(), extra={"CLASS_NAMES"})
__dir__ = _api.dir_function(__all__)
