"""Reading the Python pickles inside Keras' data files without running them.

CIFAR's batches are pickled dicts and imdb.npz / reuters.npz hold object arrays (ragged lists), which NumPy stores
as pickles. A pickle can name any importable callable (os.system, eval, ...), so `pickle.load` and
`np.load(allow_pickle=True)` on a tampered file execute code. Here the unpickler admits exactly the three globals
NumPy needs to rebuild an array, and the result is then walked to check it holds only arrays, lists, tuples, dicts,
str, bytes and numbers.
"""

import io
import numbers
import pickle
import zipfile

import numpy as np

_RECONSTRUCT = np.empty(0).__reduce__()[0]  # numpy's multiarray._reconstruct, without importing it by name
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # files pickled by NumPy 1.x (all of Keras' files)
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # files pickled by NumPy 2.x
}
_PLAIN = (str, bytes, numbers.Number, type(None))
_SCALARS = {int, float, str, bytes}


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a data file: only NumPy arrays, lists, dicts, strings and "
                f"numbers are allowed (the file is corrupted or was tampered with)") from None


def _check_plain(value, where):
    """Raise unless value is made only of arrays, lists, tuples, dicts, str, bytes and numbers."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _PLAIN):
            continue
        if type(item) is np.ndarray:  # exactly ndarray: a subclass could carry behaviour
            if item.dtype.hasobject:
                stack.extend(item.ravel().tolist())
            continue
        if type(item) in (list, tuple):
            if not set(map(type, item)) <= _SCALARS:  # the common case (a list of word indices) at C speed
                stack.extend(item)
        elif type(item) is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            raise pickle.UnpicklingError(f"{where} holds an object of type {type(item).__name__}; only arrays, "
                                         "lists, dicts, strings and numbers are allowed")
    return value


def load_pickle(f, where, encoding="ASCII"):
    """Unpickle one object from the binary file f with the restricted unpickler, checked plain."""
    try:
        value = RestrictedUnpickler(f, encoding=encoding).load()
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(f"{where}: {e}") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, MemoryError) as e:
        raise ValueError(f"{where} is not a valid pickle: {type(e).__name__}: {e}") from None
    return _check_plain(value, where)


def _read_npy(data, where):
    f = io.BytesIO(data)
    version = np.lib.format.read_magic(f)
    read_header = np.lib.format.read_array_header_1_0 if version[0] == 1 else np.lib.format.read_array_header_2_0
    shape, _, dtype = read_header(f)  # format 3.0 differs from 2.0 only in the header's text encoding
    if not dtype.hasobject:
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)
    # latin1: NumPy's own advice for object arrays pickled under Python 2, as Keras' imdb.npz and reuters.npz are.
    array = load_pickle(f, where, encoding="latin1")
    if type(array) is not np.ndarray or array.shape != shape:
        raise ValueError(f"{where} does not hold the {shape} array its header announces")
    return array


def load_npz(path):
    """{name: array} of an .npz file; numeric arrays read with pickling disabled, object arrays restricted."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".npy"):
                    name = info.filename[:-4]
                    arrays[name] = _read_npy(archive.read(info), f"{path} (member {info.filename})")
    except zipfile.BadZipFile as e:
        raise ValueError(f"{path} is not an .npz archive: {e}") from None
    return arrays
