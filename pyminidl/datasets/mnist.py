"""keras.datasets.mnist: 60,000 training and 10,000 test handwritten digits, 28x28 uint8."""

from pyminidl.datasets import _files, _safe_pickle
from pyminidl import _api


def load_data(path="mnist.npz"):
    """(x_train, y_train), (x_test, y_test): uint8 images (n, 28, 28) with values 0..255 and uint8 labels 0..9,
    as keras.datasets.mnist.load_data; mnist.npz is fetched into $KERAS_HOME/datasets (default ~/.keras/datasets)."""
    f = _safe_pickle.load_npz(_files.get_file("mnist.npz", path))
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


# load_data (and get_word_index, ...): what keras.datasets.mnist has
__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
