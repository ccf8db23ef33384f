"""What every reader and writer shares: one error type, size limits, checked zip members and HDF5 datasets, and
the atomic write that keeps the replaced file's mode and cleans up after interrupted saves.

Keras' safe_mode, made stricter: nothing from a file is executed or imported; every size is checked against the
bytes the file really has before anything is allocated; whatever goes wrong while reading a damaged or hostile
file surfaces as one ValueError that names the file.
"""

import contextlib
import io
import math
import os
import zipfile

import numpy as np

from pyminidl import _atomic

MAX_JSON_BYTES = 16 << 20  # config.json and metadata.json; real ones are a few kB
MAX_MEMBERS = 64  # a .keras zip holds three (four with assets)
MAX_NDIM = 8
MAX_RATIO = 200  # uncompressed / compressed bytes a member may claim (text deflates ~10x, floats ~1.1x)
MIN_BUDGET = 1 << 20  # below this any ratio is fine: tiny files cannot hurt


class BadFile(ValueError):
    """A file that pyminidl cannot load; the message names the file and what is wrong with it."""


class Unsupported(ValueError):
    """A well-formed file that needs a class, option or value pyminidl does not have (the message names it)."""


def expect(condition, path, reason):
    if not condition:
        raise BadFile(f"Cannot load {path}: {reason}")


@contextlib.contextmanager
def guard(path, kind):
    """Anything raised while reading or rebuilding from a damaged file becomes one BadFile naming it."""
    try:
        yield
    except BadFile:
        raise
    except Unsupported as e:
        raise BadFile(f"Cannot load {path}: {e}") from None
    except (Exception, RecursionError) as e:  # zipfile, zlib, json, h5py and the constructors raise many types
        raise BadFile(f"Cannot load {path}: the file is damaged or not a {kind} file "
                      f"({type(e).__name__}: {str(e)[:300]})") from e


def budget(disk_size):
    """How many uncompressed bytes a file of disk_size bytes may unpack to."""
    return max(MIN_BUDGET, MAX_RATIO * disk_size)


def file_budget(path):
    """The budget of the file at path."""
    return budget(os.path.getsize(path))


# --- zip --------------------------------------------------------------------------------------------------
def open_zip(path):
    """A zipfile.ZipFile over the file's bytes, its member list checked (names, duplicates, claimed sizes)."""
    expect(os.path.isfile(path), path, "no such file")
    with open(path, "rb") as f:
        data = f.read()
    expect(zipfile.is_zipfile(io.BytesIO(data)), path, "it is not a zip archive, so not a '.keras' file")
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()
    expect(len(infos) <= MAX_MEMBERS, path, f"the archive holds {len(infos)} members, more than a model file has")
    seen = set()
    for info in infos:
        name = info.filename
        expect(name not in seen, path, f"the archive holds member {name!r} twice (a file is written once; "
               "two copies mean it was tampered with)")
        seen.add(name)
        parts = name.replace("\\", "/").split("/")
        expect(not name.startswith(("/", "\\")) and ".." not in parts and ":" not in name and "\x00" not in name,
               path, f"member name {name!r:.80} points outside the archive")
        expect(info.file_size <= budget(len(data)), path, f"member {name!r:.80} claims {info.file_size} bytes "
               f"unpacked from a {len(data)}-byte file (a zip bomb?)")
    return zf, len(data)


def read_member(zf, name, path, limit):
    """The bytes of one member, read only up to its checked size; reading to the end checks the CRC."""
    info = zf.getinfo(name)
    expect(info.file_size <= limit, path, f"{name} claims {info.file_size} bytes, more than the {limit} "
           "a file of this size may hold")
    with zf.open(info) as f:
        data = f.read(info.file_size + 1)
    expect(len(data) == info.file_size, path, f"{name} unpacks to a different size than its header says")
    return data


# --- HDF5 -------------------------------------------------------------------------------------------------
FLOAT_KINDS = "f"


def dataset_shape(ds, path, where):
    """The dataset's shape, checked: an array, at most MAX_NDIM axes, a size within the budget."""
    import h5py

    expect(isinstance(ds, h5py.Dataset), path, f"{where} is not a dataset")
    shape = ds.shape
    expect(shape is not None and len(shape) <= MAX_NDIM, path, f"{where} has an unusable shape {shape!r}")
    expect(all(0 <= s <= 2**40 for s in shape), path, f"{where} has an absurd shape {shape!r}")
    return tuple(int(s) for s in shape)


def read_dataset(ds, path, where, want_shape=None, kind="float", remaining=None):
    """A dataset as a NumPy array, its shape, dtype and size checked before any byte is read.

    kind 'float' -> float32 array (float16/32/64 stored); 'int' -> a Python int from an integer scalar.
    remaining: a one-element list of bytes still allowed for this file, decremented here.
    """
    shape = dataset_shape(ds, path, where)
    if want_shape is not None:
        expect(shape == tuple(want_shape), path, f"{where} has shape {shape}, but the model needs "
               f"{tuple(want_shape)}")
    dtype = ds.dtype
    if kind == "int":
        expect(dtype.kind in "iu" and dtype.itemsize <= 8 and shape in ((), (1,)), path,
               f"{where} must be an integer scalar, got {dtype} {shape}")
        value = int(np.asarray(ds[()]).reshape(()))
        return value
    expect(dtype.kind == "f" and dtype.itemsize in (2, 4, 8), path, f"{where} must hold floats, got dtype {dtype}")
    nbytes = math.prod(shape) * dtype.itemsize
    if remaining is not None:
        expect(nbytes <= remaining[0], path, f"{where} claims {nbytes} bytes, more than the file can hold")
        remaining[0] -= nbytes
    out = np.empty(shape, dtype=dtype)
    if out.size:
        ds.read_direct(out)
    # scalars (learning rate, Nadam's product) keep their precision; arrays become the float32 pyminidl trains
    return out.astype(np.float64 if shape == () else np.float32, copy=False)


def check_finite(array, path, where):
    expect(np.all(np.isfinite(array)), path, f"{where} holds NaN or infinite values")


# --- writing ----------------------------------------------------------------------------------------------
def check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")


def atomic_write(path):
    """A context yielding a temporary path next to `path` that replaces it on success: pyminidl._atomic.reserved,
    the one atomic write every saving path shares (it keeps the replaced file's mode, follows a symbolic link,
    syncs the folder, and removes the temporaries of earlier saves whose process is gone)."""
    return _atomic.reserved(path)
