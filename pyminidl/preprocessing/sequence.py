"""`pad_sequences` (keras.preprocessing.sequence, also keras.utils): ragged lists of ids to one array."""

import numpy as np

from pyminidl import _check


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or cut) each sequence to `maxlen` (default: the longest), as Keras does.

    padding/truncating 'pre' work at the start (Keras' default: the end of a long sequence is kept),
    'post' at the end. Values are cast to `dtype`, so floats truncate with the default int32.
    """
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise ValueError(f"sequences must be a list of sequences, got {type(sequences).__name__}")
    for name, arg in (("padding", padding), ("truncating", truncating)):
        if arg not in ("pre", "post"):
            raise ValueError(f'{name} must be "pre" or "post", got {arg!r}')
    rows = []
    for i, seq in enumerate(sequences):
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
            raise ValueError(f"sequences[{i}] must be a sequence of numbers, got {seq!r:.80}")
        rows.append(np.asarray(seq))
    longest = max((len(r) for r in rows), default=0)
    maxlen = longest if maxlen is None else _check.integer("maxlen", maxlen, minimum=0)
    inner = next((r.shape[1:] for r in rows if len(r)), ())
    out = np.full((len(rows), maxlen) + inner, value, dtype=dtype)
    for i, r in enumerate(rows):
        if not len(r) or not maxlen:
            continue
        if r.shape[1:] != inner:
            raise ValueError(f"sequences[{i}] has inner shape {r.shape[1:]}, the others {inner}")
        kept = r[-maxlen:] if truncating == "pre" else r[:maxlen]
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
