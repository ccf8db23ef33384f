"""keras.datasets.reuters: 11,228 Reuters newswires as word-index lists, labelled with 46 topics."""

import json

import numpy as np

from pyminidl import _check
from pyminidl.datasets import _files, _safe_pickle, _sequences
from pyminidl import _api

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """(x_train, y_train), (x_test, y_test), as keras.datasets.reuters.load_data.

    One shuffle (np.random.RandomState(seed)) of all newswires, then the same index processing as imdb, then the
    last test_split of them are the test set. x: 1-D object arrays of lists of word indices; y: topic 0..45.
    """
    num_words, skip_top, maxlen, seed, start_char, oov_char, index_from = _sequences.check_arguments(
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    test_split = _check.number("test_split", test_split, 0, 1)
    arrays = _safe_pickle.load_npz(_files.get_file("reuters.npz", path))
    xs, labels = _sequences.shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = _sequences.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.drop_long(maxlen, xs, labels)
    xs = _sequences.cut_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((_sequences.object_array(xs[:idx]), np.array(labels[:idx])),
            (_sequences.object_array(xs[idx:]), np.array(labels[idx:])))


def get_word_index(path="reuters_word_index.json"):
    """{word: frequency rank (1 = most frequent)}; add index_from (3) to match load_data's indices."""
    with open(_files.get_file("reuters_word_index.json", path), encoding="utf-8") as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, indexed as load_data's labels."""
    return LABEL_NAMES


# load_data (and get_word_index, ...): what keras.datasets.reuters has
__all__ = _api.public(globals(), extra={"LABEL_NAMES"})
__dir__ = _api.dir_function(__all__)
