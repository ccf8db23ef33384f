"""CIFAR batches, read straight from the verified archive: each member is a pickled dict {b'data': uint8
(n, 3072) in channel-major order, b'labels' (or b'fine_labels'/b'coarse_labels'): list of ints, ...}."""

import io
import tarfile

import numpy as np

from pyminidl.datasets import _safe_pickle


def load_batches(archive_path, members, label_key):
    """[(data (n, 3, 32, 32) uint8, labels list)] of the named tar members, unpickled with the restricted
    unpickler (bytes keys, as the batches were pickled by Python 2). One pass over the compressed stream (the
    members are not in order in the archive, and seeking back in a .gz means decompressing again); no file is
    extracted to disk."""
    found = {}
    with tarfile.open(archive_path, "r|*") as archive:
        for info in archive:
            if info.name in members and info.isfile():
                found[info.name] = archive.extractfile(info).read()
    batches = []
    for member in members:
        where = f"{archive_path} (member {member})"
        if member not in found:
            raise ValueError(f"{where} is missing from the archive (or is not a regular file)")
        batch = _safe_pickle.load_pickle(io.BytesIO(found.pop(member)), where, encoding="bytes")
        batches.append(_data_and_labels(batch, label_key, where))
    return batches


def _data_and_labels(batch, label_key, where):
    if type(batch) is not dict:
        raise ValueError(f"{where} holds a {type(batch).__name__}, expected a dict")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{where} lacks 'data' or {label_key!r}; keys are {sorted(batch)}")
    data = np.asarray(batch["data"])
    labels = batch[label_key]
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{where}: expected uint8 data (n, 3072) and n labels, got {data.dtype} {data.shape} and "
                         f"{len(labels)} labels")
    return data.reshape(len(data), 3, 32, 32), labels


def channels_last(x):
    """(n, 3, 32, 32) -> (n, 32, 32, 3), Keras' default image_data_format; contiguous for the C++ core."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
