"""pad_sequences as Keras writes it (KERAS_REFERENCE §15): lists of ids of different lengths -> one array."""

import numbers

import numpy as np

from pyminidl import _check
from pyminidl import _api


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or cuts) each sequence to `maxlen` (default: the longest) with `value`, before ('pre', Keras'
    default) or after ('post'); `truncating` says which end of a longer sequence is dropped ('pre' keeps
    the end). Returns an array (len(sequences), maxlen, ...) of `dtype` (float values are cast by it)."""
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be iterable, got {type(sequences).__name__}")
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood: use "pre" or "post"')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood: use "pre" or "post"')
    lengths, sample_shape, first_nonempty = [], (), True
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {s!r}") from None
        if len(s) and first_nonempty:  # Keras takes the shape of one element from the first non-empty one
            sample_shape = np.asarray(s).shape[1:]
            first_nonempty = False
    if maxlen is None:
        maxlen = max(lengths, default=0)
    else:
        maxlen = _check.integer("maxlen", maxlen, minimum=0)
    is_str_dtype = np.issubdtype(np.dtype(dtype), np.str_) if dtype is not object else False
    if isinstance(value, str) and dtype is not object and not is_str_dtype:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
                         "You should set `dtype=object` for variable length strings.")
    if not isinstance(value, (str, numbers.Number)):
        raise TypeError(f"value must be a number (or a string with dtype=object), got {value!r}")
    out = np.full((len(lengths), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {i} is different from "
                             f"expected shape {tuple(sample_shape)}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out


__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
