"""The word-index processing imdb and reuters share: Keras' shuffle, index shift, maxlen filter and vocabulary cut."""

import numpy as np

from pyminidl import _check


def check_arguments(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from):
    """Keras' loaders take None or an integer for most of these; anything else is a clear error here."""
    def optional(name, value, minimum):
        return None if value is None else _check.integer(name, value, minimum=minimum)
    num_words = optional("num_words", num_words, 0)
    skip_top = _check.integer("skip_top", skip_top, minimum=0)
    maxlen = optional("maxlen", maxlen, 0)
    seed = optional("seed", seed, 0)
    start_char = optional("start_char", start_char, 0)
    oov_char = optional("oov_char", oov_char, 0)
    index_from = _check.integer("index_from", index_from, minimum=0)
    return num_words, skip_top, maxlen, seed, start_char, oov_char, index_from


def shuffled(rng, x, y):
    """Permute x and y together with rng.shuffle, consuming rng exactly as Keras does."""
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], y[indices]


def shift(xs, start_char, index_from):
    """Prefix start_char (when not None) and add index_from to every word index."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in x] for x in xs]


def drop_long(maxlen, xs, labels):
    """Keep the sequences strictly shorter than maxlen (Keras' remove_long_seq; start_char counts)."""
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], np.asarray(labels)[keep]


def cut_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside [skip_top, num_words) become oov_char, or are dropped when oov_char is None. With num_words
    None or 0 the bound is the largest index present, which (as in Keras) is itself outside the bound."""
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(lists):
    """A 1-D object array of lists (np.array(lists, dtype=object) would build a 2-D array if all had one length)."""
    array = np.empty(len(lists), dtype=object)
    for i, x in enumerate(lists):
        array[i] = x
    return array
