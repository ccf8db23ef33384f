"""The keras.datasets cache: where files go, when the network is used, checksums, atomic downloads, and pickles
that must not run (a hostile file never executes code)."""

import io
import os
import pickle

import numpy as np
import pytest

from pyminidl.datasets import _files, _safe_pickle, cifar10, imdb, mnist, reuters
from test_datasets_keras import home, install, npz_bytes, ragged, tar_gz  # noqa: F401  (home is a fixture)

MNIST = {"x_train": np.ones((2, 28, 28), np.uint8), "y_train": np.uint8([1, 2]),
         "x_test": np.zeros((1, 28, 28), np.uint8), "y_test": np.uint8([3])}


class FakeResponse(io.BytesIO):
    def __init__(self, data, length=True):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))} if length else {}


def serve(monkeypatch, data, length=True):
    """Make urlopen return data; returns the list of URLs requested."""
    calls = []

    def urlopen(url, timeout=None):
        calls.append(url)
        return FakeResponse(data, length)
    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    return calls


def registry_hash(monkeypatch, key, data):
    import hashlib
    origin, _, subdir = _files.FILES[key]
    monkeypatch.setitem(_files.FILES, key, (origin, hashlib.sha256(data).hexdigest(), subdir))


# --- where -------------------------------------------------------------------------------------------------------

def test_keras_home_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert _files.keras_home() == str(tmp_path / "kh")
    assert _files.cache_dir("datasets") == str(tmp_path / "kh" / "datasets")
    assert os.path.isdir(tmp_path / "kh" / "datasets")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert _files.keras_home() == str(tmp_path / "user" / ".keras")


def test_registry_is_keras_origins_and_hashes():
    assert _files.FILES["mnist.npz"][0] == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    cifar = _files.FILES["cifar-10-batches-py-target_archive"]
    assert cifar[0] == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert _files.FILES["t10k-images-idx3-ubyte.gz"][2] == os.path.join("datasets", "fashion-mnist")
    for key, (origin, digest, _) in _files.FILES.items():
        assert origin.startswith("https://") and len(digest) in (32, 64) and int(digest, 16) >= 0, key


# --- when the network is used ----------------------------------------------------------------------------------

def test_download_only_when_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data = npz_bytes(**MNIST)
    registry_hash(monkeypatch, "mnist.npz", data)
    calls = serve(monkeypatch, data)
    (x_train, _), _ = mnist.load_data()
    assert calls == ["https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"]
    assert (tmp_path / "datasets" / "mnist.npz").read_bytes() == data
    assert os.listdir(tmp_path / "datasets") == ["mnist.npz"]  # no temporary file left behind
    assert os.stat(tmp_path / "datasets" / "mnist.npz").st_mode & 0o777 == 0o644
    out = capsys.readouterr().out
    assert out.startswith(f"Downloading data from {_files.ORIGIN}mnist.npz\n")
    assert f"{len(data)}/{len(data)} [==============================]" in out
    np.testing.assert_array_equal(x_train, MNIST["x_train"])
    mnist.load_data()
    assert len(calls) == 1  # cached and verified: no second download


def test_download_without_content_length(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data = npz_bytes(**MNIST)
    registry_hash(monkeypatch, "mnist.npz", data)
    serve(monkeypatch, data, length=False)
    mnist.load_data()
    assert f"{len(data)}/Unknown" in capsys.readouterr().out


def test_corrupted_download_is_discarded(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    registry_hash(monkeypatch, "mnist.npz", npz_bytes(**MNIST))
    serve(monkeypatch, b"truncated")
    with pytest.raises(ValueError, match=r"Incomplete or corrupted file detected: the sha256 hash of the data "
                                         r"downloaded from https://\S+/mnist.npz is [0-9a-f]{64}, expected"):
        mnist.load_data()
    assert os.listdir(tmp_path / "datasets") == []  # neither the file nor a partial one


def test_offline_error_names_the_url_and_the_place(tmp_path, monkeypatch):
    import urllib.error
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr("urllib.request.urlopen", offline)
    target = os.path.join(str(tmp_path), "datasets", "imdb.npz")
    with pytest.raises(OSError) as info:
        imdb.load_data()
    message = str(info.value)
    assert "URL fetch failure on https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz" in message
    assert "Temporary failure in name resolution" in message
    assert f"save it as {target} (sha256 69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f)" in message
    assert os.listdir(tmp_path / "datasets") == []


def test_wrong_checksum_in_cache_is_not_used(home, monkeypatch, capsys):
    path = install(monkeypatch, home, "mnist.npz", npz_bytes(**MNIST))
    path.write_bytes(npz_bytes(**{k: v + 1 for k, v in MNIST.items()}))  # planted or damaged after the fact
    with pytest.raises(AssertionError, match="the network was used"):  # it would fetch the real file instead
        mnist.load_data()
    assert "the sha256 file hash does not match the original value" in capsys.readouterr().out


def test_wrong_checksum_in_cache_is_replaced_by_a_verified_download(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    good = npz_bytes(**MNIST)
    registry_hash(monkeypatch, "mnist.npz", good)
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"stale")
    calls = serve(monkeypatch, good)
    (x_train, _), _ = mnist.load_data()
    assert len(calls) == 1 and (tmp_path / "datasets" / "mnist.npz").read_bytes() == good
    np.testing.assert_array_equal(x_train, MNIST["x_train"])


# --- pickles that must not run -----------------------------------------------------------------------------------

class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_object_array_in_npz_is_refused(home, monkeypatch, tmp_path):
    marker = tmp_path / "pwned"
    hostile = ragged([[1, 2], Exploit(marker)])
    install(monkeypatch, home, "imdb.npz", npz_bytes(x_train=hostile, y_train=np.array([0, 1]),
                                                     x_test=ragged([[1]]), y_test=np.array([0])))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load (posix|nt|os)\.system from a data file"):
        imdb.load_data()
    assert not marker.exists()


def test_hostile_cifar_batch_is_refused(home, monkeypatch, tmp_path):
    marker = tmp_path / "pwned"
    batch = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [Exploit(marker)]}, protocol=2)
    archive = tar_gz({f"cifar-10-batches-py/{name}": batch
                      for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]})
    install(monkeypatch, home, "cifar-10-batches-py-target_archive", archive)
    with pytest.raises(pickle.UnpicklingError, match=r"member cifar-10-batches-py/data_batch_1\): refusing to load"):
        cifar10.load_data()
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    pickle.dumps(eval), b"cbuiltins\neval\n(S'1'\ntR.",
    b"cnumpy\nload\n(S'x'\ntR.", b"csubprocess\nPopen\n(S'x'\ntR.",
], ids=["eval_reference", "eval_call", "numpy_load", "popen"])
def test_only_numpy_reconstruction_globals_are_admitted(payload):
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        _safe_pickle.load_pickle(io.BytesIO(payload), "test")


def test_unpickled_values_must_be_plain_data():
    # Opcodes alone can build a set; it is not among the types a data file holds.
    with pytest.raises(pickle.UnpicklingError, match="holds an object of type set"):
        _safe_pickle.load_pickle(io.BytesIO(pickle.dumps({"a": {1, 2}}, protocol=4)), "test")
    value = {"a": [1, 2.5, "s", b"b", None, (3,)], "x": np.arange(3), "o": ragged([[1], [2, 3]])}
    loaded = _safe_pickle.load_pickle(io.BytesIO(pickle.dumps(value, protocol=4)), "test")
    assert loaded["a"] == value["a"] and loaded["o"].tolist() == [[1], [2, 3]]


def test_numeric_npz_members_never_reach_the_unpickler(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("unpickler used for a numeric array")
    monkeypatch.setattr(_safe_pickle, "load_pickle", refuse)
    path = tmp_path / "n.npz"
    path.write_bytes(npz_bytes(a=np.arange(4.0), b=np.uint8([[1, 2]])))
    arrays = _safe_pickle.load_npz(str(path))
    assert arrays["a"].tolist() == [0, 1, 2, 3] and arrays["b"].dtype == np.uint8


def test_not_an_npz_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz is not an .npz archive"):
        _safe_pickle.load_npz(str(path))


def test_read_only_home(tmp_path, monkeypatch):
    # A shared, pre-filled cache that cannot be written to: its verified files are used, downloads go to
    # $TMPDIR/.keras (Keras' fallback). Access is faked: the tests may run as root, who can write anywhere.
    home = tmp_path / "shared"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(_files.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    real_access = os.access
    monkeypatch.setattr(_files.os, "access", lambda p, mode: not str(p).startswith(str(home)) and real_access(p, mode))
    data = npz_bytes(**MNIST)
    registry_hash(monkeypatch, "mnist.npz", data)
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "mnist.npz").write_bytes(data)
    serve(monkeypatch, b"never requested")
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, MNIST["x_train"])
    (home / "datasets" / "mnist.npz").unlink()
    calls = serve(monkeypatch, data)
    mnist.load_data()
    assert len(calls) == 1 and (tmp_path / "tmp" / ".keras" / "datasets" / "mnist.npz").read_bytes() == data


@pytest.mark.parametrize("failure,shown", [
    ("http", "404 Not Found"), ("cut", "IncompleteRead"), ("timeout", "timed out"),
])
def test_failed_transfer_names_the_url_and_leaves_nothing(tmp_path, monkeypatch, failure, shown):
    import http.client
    import urllib.error
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    class Cut(FakeResponse):
        def read(self, n=-1):
            if self.tell() > 0:
                raise http.client.IncompleteRead(b"", 10)
            return super().read(4)

    def urlopen(url, timeout=None):
        if failure == "http":
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
        if failure == "timeout":
            raise TimeoutError("timed out")
        return Cut(b"0123456789")
    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    with pytest.raises(OSError, match=f"URL fetch failure on {_files.ORIGIN}reuters.npz: .*{shown}"):
        reuters.load_data()
    assert os.listdir(tmp_path / "datasets") == []
