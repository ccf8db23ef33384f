"""The bundled data sets: shapes, dtypes, value ranges, class counts, and the tutorial's way of reading x09.txt."""

import os

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import datasets


def test_iris():
    x, y = datasets.load_iris()
    assert x.shape == (150, 4) and x.dtype == np.float32
    assert y.shape == (150,) and np.issubdtype(y.dtype, np.integer)
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert x.min() > 0 and x.max() < 8  # centimetres
    assert x[0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2])
    x2, y2, names = datasets.load_iris(return_names=True)
    assert names == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)


def test_digits():
    x, y = datasets.load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert x.min() == 0 and x.max() == 16
    np.testing.assert_array_equal(x, np.round(x))  # whole pixel counts 0..16
    assert sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(y).min() >= 170  # about 180 images of every digit


def test_breast_cancer():
    x, y = datasets.load_breast_cancer()
    assert x.shape == (569, 30) and x.dtype == np.float32
    assert y.shape == (569,) and set(np.unique(y).tolist()) == {0, 1}
    assert np.bincount(y).tolist() == [212, 357]  # 0 malignant, 1 benign
    assert np.all(np.isfinite(x)) and x.min() >= 0
    assert x[0, 0] == pytest.approx(17.99) and x[0, 3] == pytest.approx(1001)
    _, _, names = datasets.load_breast_cancer(return_names=True)
    assert names == ["malignant", "benign"]


def test_blood_fat():
    x, y = datasets.load_blood_fat()
    assert x.shape == (25, 2) and x.dtype == np.float32
    assert y.shape == (25,) and y.dtype == np.float32
    assert x[0].tolist() == [84, 46] and y[0] == 354  # weight, age -> blood fat


def test_blood_fat_path_the_tutorial_way():
    path = tf.datasets.blood_fat_path()
    assert os.path.isfile(path) and os.path.basename(path) == "x09.txt"
    table = np.genfromtxt(path, skip_header=36)
    assert table.shape == (25, 5)
    assert table[0].tolist() == [1, 1, 84, 46, 354]  # index, one, weight, age, blood fat
    np.testing.assert_array_equal(table[:, 0], np.arange(1, 26))
    np.testing.assert_array_equal(table[:, 1], 1)
    x, y = datasets.load_blood_fat()
    np.testing.assert_array_equal(table[:, 2:4], x)
    np.testing.assert_array_equal(table[:, 4], y)


def test_keras_namespace_reaches_the_loaders():
    assert tf.keras.datasets.load_iris is datasets.load_iris
    assert tf.datasets.blood_fat_path() == tf.keras.datasets.blood_fat_path()


def test_data_lives_inside_the_package():
    package_dir = os.path.dirname(os.path.abspath(tf.__file__))
    for name in ("x09.txt", "iris.csv", "breast_cancer.csv", "digits.csv.gz"):
        path = datasets.get_path(name)
        assert os.path.isfile(path)
        assert os.path.commonpath([path, package_dir]) == package_dir


@pytest.mark.parametrize("name", ["nope.csv", "x09", "../__init__.py", "data/x09.txt", ""])
def test_get_path_unknown_names(name):
    with pytest.raises(ValueError, match="Unknown data file"):
        datasets.get_path(name)


@pytest.mark.parametrize("name", [None, 9, b"x09.txt"])
def test_get_path_non_string_names(name):
    with pytest.raises((ValueError, TypeError)):
        datasets.get_path(name)


def test_loaders_return_fresh_arrays():
    x1, _ = datasets.load_iris()
    x1[0, 0] = -1
    x2, _ = datasets.load_iris()
    assert x2[0, 0] == pytest.approx(5.1)
