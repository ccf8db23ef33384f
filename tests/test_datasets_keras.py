"""keras.datasets loaders on tiny files written in the real formats into a temporary KERAS_HOME (never the network):
what each load_data returns against what Keras' code computes, including imdb/reuters' index processing by hand."""

import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile

import numpy as np
import pytest

import pyminidl as tf
from pyminidl.datasets import _files, boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters


# --- helpers (also used by test_datasets_cache.py) ---------------------------------------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch):
    """A temporary KERAS_HOME, and a network that fails the test if anything tries to use it."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def no_network(*args, **kwargs):
        raise AssertionError(f"the network was used: urlopen{args}")
    monkeypatch.setattr("urllib.request.urlopen", no_network)
    return tmp_path / "keras"


def install(monkeypatch, home, key, data, fname=None):
    """Write data as registry file `key` (named fname) in the cache and make the registry's hash match it."""
    origin, expected, subdir = _files.FILES[key]
    digest = (hashlib.sha256 if len(expected) == 64 else hashlib.md5)(data).hexdigest()
    monkeypatch.setitem(_files.FILES, key, (origin, digest, subdir))
    folder = home / subdir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (fname or key)).write_bytes(data)
    return folder / (fname or key)


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def ragged(lists):
    array = np.empty(len(lists), dtype=object)
    for i, x in enumerate(lists):
        array[i] = x
    return array


def py2_pickle(value):
    """A protocol-2 pickle as Python 2 wrote CIFAR's batches: str as BINSTRING (bytes under encoding='bytes'),
    arrays through numpy.core.multiarray._reconstruct, dtypes as ('u1', 0, 1) plus state."""
    def text(b):
        return (b"U" + bytes([len(b)]) + b) if len(b) < 256 else (b"T" + struct.pack("<i", len(b)) + b)

    def emit(v):
        if v is None:
            return b"N"
        if isinstance(v, bool):
            return b"\x88" if v else b"\x89"
        if isinstance(v, int):
            return b"J" + struct.pack("<i", v)
        if isinstance(v, str):
            return text(v.encode("latin1"))
        if isinstance(v, bytes):
            return text(v)
        if isinstance(v, tuple):
            return b"(" + b"".join(map(emit, v)) + b"t"
        if isinstance(v, list):
            return b"](" + b"".join(map(emit, v)) + b"e"
        if isinstance(v, dict):
            return b"}(" + b"".join(emit(k) + emit(x) for k, x in v.items()) + b"u"
        if isinstance(v, np.dtype):
            return (b"cnumpy\ndtype\n" + emit((v.str[1:], 0, 1)) + b"R"
                    + emit((3, v.str[0], None, None, None, -1, -1, 0)) + b"b")
        if isinstance(v, np.ndarray):
            data = v.ravel().tolist() if v.dtype.hasobject else v.tobytes()
            return (b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n" + emit((0,)) + emit("b") + b"tR"
                    + emit((1, v.shape, v.dtype, False, data)) + b"b")
        raise TypeError(type(v))
    return b"\x80\x02" + emit(value) + b"."


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def keras_permutation(seed, *sizes):
    """The permutations Keras' loaders draw: one RandomState, shuffled aranges in turn."""
    rng = np.random.RandomState(seed)
    out = []
    for n in sizes:
        indices = np.arange(n)
        rng.shuffle(indices)
        out.append(indices)
    return out


# --- images --------------------------------------------------------------------------------------------------------

def test_mnist(home, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), "y_train": np.uint8([5, 0, 4, 1, 9]),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), "y_test": np.uint8([7, 2])}
    install(monkeypatch, home, "mnist.npz", npz_bytes(**arrays))
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    for name, got in [("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)]:
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])
    assert x_train.shape == (5, 28, 28) and y_test.shape == (2,)


def test_mnist_other_path_name(home, monkeypatch):
    arrays = {k: np.zeros((1, 28, 28) if k[0] == "x" else 1, np.uint8) for k in ("x_train", "y_train", "x_test",
                                                                                  "y_test")}
    install(monkeypatch, home, "mnist.npz", npz_bytes(**arrays), fname="my_mnist.npz")
    (x_train, _), _ = mnist.load_data(path="my_mnist.npz")
    assert x_train.shape == (1, 28, 28)


def idx_gz(magic, values):
    return gzip.compress(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in values.shape)
                         + values.astype(np.uint8).tobytes())


def test_fashion_mnist(home, monkeypatch):
    rng = np.random.default_rng(1)
    x_train, x_test = rng.integers(0, 256, (4, 28, 28)), rng.integers(0, 256, (3, 28, 28))
    y_train, y_test = np.array([9, 0, 0, 3]), np.array([9, 2, 1])
    for name, magic, values in [("train-labels-idx1-ubyte.gz", 2049, y_train), ("t10k-labels-idx1-ubyte.gz", 2049,
                                y_test), ("train-images-idx3-ubyte.gz", 2051, x_train),
                                ("t10k-images-idx3-ubyte.gz", 2051, x_test)]:
        path = install(monkeypatch, home, name, idx_gz(magic, values))
        assert path.parent.name == "fashion-mnist" and path.parent.parent.name == "datasets"
    (a, b), (c, d) = fashion_mnist.load_data()
    assert a.shape == (4, 28, 28) and c.shape == (3, 28, 28) and b.shape == (4,) and d.shape == (3,)
    assert {a.dtype, b.dtype, c.dtype, d.dtype} == {np.dtype(np.uint8)}
    for got, want in [(a, x_train), (b, y_train), (c, x_test), (d, y_test)]:
        np.testing.assert_array_equal(got, want)
    assert fashion_mnist.CLASS_NAMES[9] == "Ankle boot"


def test_fashion_mnist_wrong_magic_is_a_clear_error(home, monkeypatch):
    for name in ("train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        install(monkeypatch, home, name, idx_gz(2049, np.zeros(1)))
    install(monkeypatch, home, "train-images-idx3-ubyte.gz", idx_gz(2049, np.zeros(1)))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz is not an IDX file of magic number 2051, got 20"):
        fashion_mnist.load_data()


def cifar_batch(rng, n, label_key="labels", classes=10):
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, classes, n)]
    return {"batch_label": "batch", label_key: labels, "data": data, "filenames": [f"{i}.png" for i in range(n)]}


def test_cifar10_python2_batches(home, monkeypatch):
    rng = np.random.default_rng(2)
    batches = [cifar_batch(rng, n) for n in (2, 1, 3, 2, 1, 3)]
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    archive = tar_gz({f"cifar-10-batches-py/{name}": py2_pickle(b) for name, b in zip(names, batches)})
    install(monkeypatch, home, "cifar-10-batches-py-target_archive", archive)
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.cifar10.load_data()
    assert x_train.shape == (9, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (9, 1) and y_test.shape == (3, 1)
    assert {x_train.dtype, y_train.dtype, x_test.dtype, y_test.dtype} == {np.dtype(np.uint8)}
    data = np.concatenate([b["data"] for b in batches[:5]])
    # Row layout of a CIFAR row: 1024 red, then 1024 green, then 1024 blue values, each 32x32 row-major.
    for i, j, k, c in [(0, 0, 0, 0), (3, 5, 7, 2), (8, 31, 31, 1), (4, 0, 31, 2)]:
        assert x_train[i, j, k, c] == data[i, c * 1024 + j * 32 + k]
    np.testing.assert_array_equal(y_train[:, 0], sum((b["labels"] for b in batches[:5]), []))
    np.testing.assert_array_equal(x_test, batches[5]["data"].reshape(3, 3, 32, 32).transpose(0, 2, 3, 1))


def test_cifar10_python3_batches(home, monkeypatch):
    import pickle
    rng = np.random.default_rng(3)
    batch = cifar_batch(rng, 2)
    batch = {k.encode(): v for k, v in batch.items()}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    archive = tar_gz({f"cifar-10-batches-py/{name}": pickle.dumps(batch, protocol=4) for name in names})
    install(monkeypatch, home, "cifar-10-batches-py-target_archive", archive)
    (x_train, y_train), (x_test, _) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(y_train[:2, 0], batch[b"labels"])


def test_cifar10_missing_member(home, monkeypatch):
    archive = tar_gz({"cifar-10-batches-py/data_batch_1": py2_pickle(cifar_batch(np.random.default_rng(0), 1))})
    install(monkeypatch, home, "cifar-10-batches-py-target_archive", archive)
    with pytest.raises(ValueError, match=r"member cifar-10-batches-py/data_batch_2\) is missing from the archive"):
        cifar10.load_data()


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(home, monkeypatch, label_mode):
    rng = np.random.default_rng(4)
    train, test = cifar_batch(rng, 3, "fine_labels", 100), cifar_batch(rng, 2, "fine_labels", 100)
    for batch in (train, test):
        batch["coarse_labels"] = [v // 5 for v in batch["fine_labels"]]
    archive = tar_gz({"cifar-100-python/train": py2_pickle(train), "cifar-100-python/test": py2_pickle(test)})
    install(monkeypatch, home, "cifar-100-python-target_archive", archive)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=label_mode)
    assert x_train.shape == (3, 32, 32, 3) and x_train.dtype == np.uint8 and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (3, 1) and y_test.shape == (2, 1)
    assert y_train.dtype == np.int64  # Keras reshapes the label list without a cast (unlike cifar10's uint8)
    np.testing.assert_array_equal(y_train[:, 0], train[label_mode + "_labels"])
    np.testing.assert_array_equal(y_test[:, 0], test[label_mode + "_labels"])


def test_cifar100_label_mode_is_checked():
    with pytest.raises(ValueError, match="label_mode must be one of 'fine', 'coarse', got 'medium'"):
        cifar100.load_data(label_mode="medium")


# --- tables --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("test_split,seed", [(0.2, 113), (0.3, 7), (0.0, 113)])
def test_boston_housing(home, monkeypatch, test_split, seed):
    x = np.arange(10 * 13, dtype=np.float64).reshape(10, 13) / 7
    y = np.arange(10, dtype=np.float64) * 2.5 + 10
    install(monkeypatch, home, "boston_housing.npz", npz_bytes(x=x, y=y))
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=test_split, seed=seed)
    (perm,) = keras_permutation(seed, 10)
    cut = int(10 * (1 - test_split))
    assert x_train.shape == (cut, 13) and x_test.shape == (10 - cut, 13) and x_train.dtype == np.float64
    np.testing.assert_array_equal(x_train, x[perm[:cut]])
    np.testing.assert_array_equal(y_train, y[perm[:cut]])
    np.testing.assert_array_equal(x_test, x[perm[cut:]])
    np.testing.assert_array_equal(y_test, y[perm[cut:]])


@pytest.mark.parametrize("test_split", [1, -0.1, float("nan"), "0.2"])
def test_boston_housing_test_split_is_checked(test_split):
    with pytest.raises((ValueError, TypeError), match="test_split must be"):
        boston_housing.load_data(test_split=test_split)


# --- text: the index processing worked out by hand ----------------------------------------------------------------

# Word ranks as stored in imdb.npz; review labels. Default processing (start 1, index_from 3):
# A [1,2,5,9] -> [1,4,5,8,12]   B [3,3] -> [1,6,6]   C [7,1,1,1,1,1] -> [1,10,4,4,4,4,4]
# D [2,8] -> [1,5,11]           E [10] -> [1,13]
TRAIN = [[1, 2, 5, 9], [3, 3], [7, 1, 1, 1, 1, 1]]
TEST = [[2, 8], [10]]
Y_TRAIN, Y_TEST = [1, 0, 1], [0, 1]


def imdb_file(monkeypatch, home, fname=None):
    data = npz_bytes(x_train=ragged(TRAIN), y_train=np.array(Y_TRAIN), x_test=ragged(TEST), y_test=np.array(Y_TEST))
    install(monkeypatch, home, "imdb.npz", data, fname)


CASES = {
    # num_words None: the bound is the largest index (13), itself excluded, as in Keras -> E's 13 becomes oov 2.
    "defaults": ({}, [[1, 4, 5, 8, 12], [1, 6, 6], [1, 10, 4, 4, 4, 4, 4]], [[1, 5, 11], [1, 2]]),
    # keep 4 <= w < 6; the start character 1 is below skip_top, so it too becomes oov (Keras does the same).
    "num_words_skip_top": ({"num_words": 6, "skip_top": 4},
                           [[2, 4, 5, 2, 2], [2, 2, 2], [2, 2, 4, 4, 4, 4, 4]], [[2, 5, 2], [2, 2]]),
    "drop_oov": ({"num_words": 6, "oov_char": None}, [[1, 4, 5], [1], [1, 4, 4, 4, 4, 4]], [[1, 5], [1]]),
    "raw_ranks": ({"start_char": None, "index_from": 0, "num_words": 100}, TRAIN, TEST),
    "other_marks": ({"start_char": 7, "oov_char": 9, "index_from": 10, "num_words": 16},
                    [[7, 11, 12, 15, 9], [7, 13, 13], [7, 9, 11, 11, 11, 11, 11]], [[7, 12, 9], [7, 9]]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_imdb_index_processing(home, monkeypatch, case):
    kwargs, want_train, want_test = CASES[case]
    imdb_file(monkeypatch, home)
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.imdb.load_data(**kwargs)
    p_train, p_test = keras_permutation(113, 3, 2)  # one RandomState shuffles train, then test
    assert x_train.dtype == object and x_train.shape == (3,) and x_test.shape == (2,)
    assert all(type(x) is list for x in x_train)
    assert list(x_train) == [want_train[i] for i in p_train]
    assert list(x_test) == [want_test[i] for i in p_test]
    np.testing.assert_array_equal(y_train, np.array(Y_TRAIN)[p_train])
    np.testing.assert_array_equal(y_test, np.array(Y_TEST)[p_test])


def test_imdb_maxlen_keeps_strictly_shorter(home, monkeypatch):
    imdb_file(monkeypatch, home)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(maxlen=4, num_words=100)  # lengths 5, 3, 7 | 3, 2
    assert list(x_train) == [[1, 6, 6]] and y_train.tolist() == [0]
    assert sorted(map(len, x_test)) == [2, 3]
    with pytest.raises(ValueError, match="maxlen=3, no sequence was kept"):
        imdb.load_data(maxlen=3)


def test_imdb_seed_changes_only_the_order(home, monkeypatch):
    imdb_file(monkeypatch, home)
    (a, _), _ = imdb.load_data(seed=1)
    (b, _), _ = imdb.load_data(seed=1)
    (c, _), _ = imdb.load_data(seed=2)
    assert list(a) == list(b) and sorted(a) == sorted(c)


def test_imdb_word_index(home, monkeypatch):
    index = {"the": 1, "and": 2, "a": 3, "café": 4}
    install(monkeypatch, home, "imdb_word_index.json", json.dumps(index).encode())
    assert len(_files.FILES["imdb_word_index.json"][1]) == 32  # Keras publishes an md5 for the index files
    assert imdb.get_word_index() == index


@pytest.mark.parametrize("kwargs,match", [
    ({"num_words": "10"}, "num_words must be an integer, got '10'"), ({"skip_top": -1}, "skip_top must be"),
    ({"maxlen": 2.5}, "maxlen must be an integer"), ({"index_from": None}, "index_from must be an integer"),
    ({"nb_words": 10}, "Unrecognized keyword arguments"), ({"path": os.path.join("a", "b.npz")}, "path must be"),
])
def test_imdb_bad_arguments(home, kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        imdb.load_data(**kwargs)


def test_reuters(home, monkeypatch):
    xs = TRAIN + TEST
    labels = np.array([3, 4, 3, 19, 45])
    install(monkeypatch, home, "reuters.npz", npz_bytes(x=ragged(xs), y=labels))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.4)
    (perm,) = keras_permutation(113, 5)  # one shuffle of everything, then the split
    processed = CASES["defaults"][1] + CASES["defaults"][2]
    assert x_train.dtype == object and x_train.shape == (3,) and x_test.shape == (2,)
    assert list(x_train) + list(x_test) == [processed[i] for i in perm]
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), labels[perm])
    (x_train, _), (x_test, _) = reuters.load_data()  # test_split 0.2: int(5 * 0.8) = 4 for training
    assert len(x_train) == 4 and len(x_test) == 1
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"


def test_reuters_word_index(home, monkeypatch):
    install(monkeypatch, home, "reuters_word_index.json", b'{"the": 1, "of": 2}')
    assert reuters.get_word_index() == {"the": 1, "of": 2}


# --- the namespace --------------------------------------------------------------------------------------------------

def test_dotted_imports_in_a_fresh_interpreter(tmp_path):
    code = "\n".join([
        "from pyminidl.keras.datasets import mnist, fashion_mnist, cifar10, cifar100, boston_housing, imdb, reuters",
        "import pyminidl.keras.datasets.imdb",
        "import pyminidl as tf",
        "assert tf.keras.datasets.imdb is pyminidl.keras.datasets.imdb is imdb is pyminidl.datasets.imdb",
        "assert pyminidl.keras.datasets.imdb.load_data is tf.datasets.imdb.load_data",
        "assert tf.keras.datasets.mnist.load_data is mnist.load_data",
        "assert callable(tf.keras.datasets.load_iris)",
        "print('ok')",
    ])
    # Not from the checkout: its pyminidl/ has no compiled core when the package was installed, not built in place.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"


def test_signatures_match_keras():
    import inspect
    sig = {name: str(inspect.signature(module.load_data)) for name, module in [
        ("mnist", mnist), ("fashion_mnist", fashion_mnist), ("cifar10", cifar10), ("cifar100", cifar100),
        ("boston_housing", boston_housing), ("imdb", imdb), ("reuters", reuters)]}
    assert sig == {
        "mnist": "(path='mnist.npz')", "fashion_mnist": "()", "cifar10": "()", "cifar100": "(label_mode='fine')",
        "boston_housing": "(path='boston_housing.npz', test_split=0.2, seed=113)",
        "imdb": "(path='imdb.npz', num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, "
                "index_from=3, **kwargs)",
        "reuters": "(path='reuters.npz', num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, "
                   "start_char=1, oov_char=2, index_from=3)",
    }
    assert str(inspect.signature(imdb.get_word_index)) == "(path='imdb_word_index.json')"
    assert str(inspect.signature(reuters.get_word_index)) == "(path='reuters_word_index.json')"
