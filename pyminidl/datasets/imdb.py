"""keras.datasets.imdb: 25,000 training and 25,000 test movie reviews as word-index lists, labelled 0/1."""

import json

import numpy as np

from pyminidl.datasets import _files, _safe_pickle, _sequences
from pyminidl import _api


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """(x_train, y_train), (x_test, y_test), as keras.datasets.imdb.load_data.

    x: 1-D object arrays of lists of word indices: start_char, then each word's frequency rank + index_from;
    ranks outside [skip_top, num_words) become oov_char (or are dropped when oov_char is None). maxlen keeps only
    the reviews shorter than maxlen. Both sets are shuffled with np.random.RandomState(seed). y: int labels,
    1 positive. The file comes from Keras' origin into $KERAS_HOME/datasets (default ~/.keras/datasets).
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
    num_words, skip_top, maxlen, seed, start_char, oov_char, index_from = _sequences.check_arguments(
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    arrays = _safe_pickle.load_npz(_files.get_file("imdb.npz", path))
    rng = np.random.RandomState(seed)
    x_train, labels_train = _sequences.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = _sequences.shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train = _sequences.shift(x_train, start_char, index_from)
    x_test = _sequences.shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _sequences.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")
    xs = _sequences.cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return ((_sequences.object_array(xs[:idx]), labels[:idx]), (_sequences.object_array(xs[idx:]), labels[idx:]))


def get_word_index(path="imdb_word_index.json"):
    """{word: frequency rank (1 = most frequent)}; add index_from (3) to match load_data's indices."""
    with open(_files.get_file("imdb_word_index.json", path), encoding="utf-8") as f:
        return json.load(f)


# load_data (and get_word_index, ...): what keras.datasets.imdb has
__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
