"""Keras' download cache: `$KERAS_HOME/datasets` (default `~/.keras/datasets`), files fetched from the origin Keras
uses, checked against Keras' published hash before any byte of them is read.

Every downloadable file is one row of FILES (one registry: the loaders and the tests read the same table).
"""

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

from pyminidl import progress

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR_ORIGIN = "https://www.cs.toronto.edu/~kriz/"

# key: (origin URL, hash, cache subdirectory). sha256 (64 hex digits) or md5 (32), as Keras' get_file(file_hash=...).
FILES = {
    "mnist.npz": (ORIGIN + "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", "datasets"),
    "boston_housing.npz": (ORIGIN + "boston_housing.npz",
                           "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5", "datasets"),
    "imdb.npz": (ORIGIN + "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f", "datasets"),
    "imdb_word_index.json": (ORIGIN + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f", "datasets"),
    "reuters.npz": (ORIGIN + "reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
                    "datasets"),
    "reuters_word_index.json": (ORIGIN + "reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921", "datasets"),
    "train-labels-idx1-ubyte.gz": (ORIGIN + "train-labels-idx1-ubyte.gz",
                                   "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                                   os.path.join("datasets", "fashion-mnist")),
    "train-images-idx3-ubyte.gz": (ORIGIN + "train-images-idx3-ubyte.gz",
                                   "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                                   os.path.join("datasets", "fashion-mnist")),
    "t10k-labels-idx1-ubyte.gz": (ORIGIN + "t10k-labels-idx1-ubyte.gz",
                                  "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                                  os.path.join("datasets", "fashion-mnist")),
    "t10k-images-idx3-ubyte.gz": (ORIGIN + "t10k-images-idx3-ubyte.gz",
                                  "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                                  os.path.join("datasets", "fashion-mnist")),
    # Keras 3 keeps the archive as '<fname>_archive' next to the folder it extracts; we read the archive itself.
    "cifar-10-batches-py-target_archive": (CIFAR_ORIGIN + "cifar-10-python.tar.gz",
                                           "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                                           "datasets"),
    "cifar-100-python-target_archive": (CIFAR_ORIGIN + "cifar-100-python.tar.gz",
                                        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
                                        "datasets"),
}

CHUNK = 1 << 16


def keras_home():
    """$KERAS_HOME if set, else ~/.keras (read at every call, so a changed environment takes effect)."""
    home = os.environ.get("KERAS_HOME")
    return os.path.expanduser(home) if home else os.path.join(os.path.expanduser("~"), ".keras")


def cache_dir(subdir):
    """The folder for `subdir` under keras_home(), created; under /tmp/.keras when the home cannot be written to
    (as Keras)."""
    folder = os.path.join(keras_home(), subdir)
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except PermissionError:
        pass
    folder = os.path.join(tempfile.gettempdir(), ".keras", subdir)
    os.makedirs(folder, exist_ok=True)
    return folder


def hash_file(path, expected):
    """Hex digest of the file with the algorithm Keras' 'auto' picks from the expected hash's length."""
    hasher = hashlib.sha256() if len(expected) == 64 else hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def algorithm(expected):
    return "sha256" if len(expected) == 64 else "md5"


def get_file(key, fname=None):
    """Local path of registry file `key` (saved as `fname`, default `key`), downloaded when missing or when the
    cached copy's hash is wrong; the returned file's hash always matches."""
    origin, expected, subdir = FILES[key]
    fname = key if fname is None else fname
    if not isinstance(fname, (str, os.PathLike)) or not str(fname) or os.sep in str(fname) or str(fname) in (".", ".."):
        raise ValueError(f"path must be a file name inside {os.path.join(keras_home(), subdir)} (Keras' cache), "
                         f"got {fname!r}")
    fname = os.fspath(fname)
    home_copy = os.path.join(keras_home(), subdir, fname)  # may be read-only: a shared, pre-filled cache
    target = os.path.join(cache_dir(subdir), fname)
    for candidate in dict.fromkeys([home_copy, target]):
        if os.path.isfile(candidate):
            if hash_file(candidate, expected) == expected:
                return candidate
            print(f"A local file was found, but it seems to be incomplete or outdated because the "
                  f"{algorithm(expected)} file hash does not match the original value of {expected} so we will "
                  f"re-download the data.")
    download(origin, target, expected)
    return target


def download(origin, target, expected):
    """Fetch origin into a temporary file beside target, check its hash, then rename it into place (atomic: a
    reader never sees a partial or unverified file under the final name)."""
    print(f"Downloading data from {origin}")
    folder = os.path.dirname(target)
    fd, partial = tempfile.mkstemp(prefix=os.path.basename(target) + ".", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=60) as response:
                    _copy_with_progress(response, out)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
                reason = f"{e.code} {e.reason}" if isinstance(e, urllib.error.HTTPError) else getattr(e, "reason", e)
                raise OSError(f"URL fetch failure on {origin}: {reason}. Without network, fetch "
                              f"that URL by other means and save it as {target} ({algorithm(expected)} "
                              f"{expected}).") from e
        found = hash_file(partial, expected)
        if found != expected:
            raise ValueError(f"Incomplete or corrupted file detected: the {algorithm(expected)} hash of the data "
                             f"downloaded from {origin} is {found}, expected {expected}; it was discarded, nothing "
                             f"was written to {target}.")
        os.chmod(partial, 0o644)  # mkstemp makes it private; a cache is shared like any downloaded file
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _copy_with_progress(response, out):
    """Copy the response body, drawing Keras 2's byte-count progress bar (redrawn only on a terminal)."""
    length = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    total = int(length) if length and length.isdigit() and int(length) > 0 else None
    live = bool(getattr(sys.stdout, "isatty", lambda: False)())
    start = last = time.monotonic()
    done = width = 0
    for block in iter(lambda: response.read(CHUNK), b""):
        out.write(block)
        done += len(block)
        now = time.monotonic()
        if live and now - last >= 0.05:
            width = progress.redraw(_bar(done, total, now - start))
            last = now
    progress.write_line(_bar(done, total, time.monotonic() - start, finished=True), redraw_width=width)


def _bar(done, total, elapsed, finished=False):
    if total is None or (finished and done != total):
        return f"{done}/Unknown - {elapsed:.0f}s"
    return progress.bar_line(done, total, elapsed, {})
