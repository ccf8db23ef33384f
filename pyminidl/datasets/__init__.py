"""The public data sets of the tutorials: small ones shipped inside the package so everything works offline
(load_iris, load_digits, ...), and Keras' downloadable ones as keras.datasets has them (mnist, fashion_mnist,
cifar10, cifar100, boston_housing, imdb, reuters: `.load_data()`), cached in $KERAS_HOME/datasets."""

import gzip
from pathlib import Path

import numpy as np
from pyminidl import _api

DATA_DIR = Path(__file__).resolve().parent / "data"


def get_path(name):
    """Path of a shipped data file, e.g. get_path('x09.txt') for np.genfromtxt(path, skip_header=36)."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or not (DATA_DIR / name).is_file():
        known = sorted(p.name for p in DATA_DIR.iterdir() if p.suffix in (".txt", ".csv", ".gz"))
        raise ValueError(f"Unknown data file {name!r}; shipped files are {known}")
    return str(DATA_DIR / name)


def blood_fat_path():
    """Path of x09.txt (blood fat against weight and age; 36 header lines)."""
    return get_path("x09.txt")


def load_blood_fat():
    """x: (25, 2) weight [kg] and age [years]; y: (25,) blood fat content."""
    table = np.genfromtxt(blood_fat_path(), skip_header=36)
    return table[:, 2:4].astype(np.float32), table[:, 4].astype(np.float32)


def _labelled_csv(name):
    with open(get_path(name)) as f:
        header = f.readline().strip().split(",")
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64), header[2:]


def load_iris(return_names=False):
    """x: (150, 4) sepal/petal length and width [cm]; y: (150,) class 0 setosa, 1 versicolor, 2 virginica."""
    x, y, names = _labelled_csv("iris.csv")
    return (x, y, names) if return_names else (x, y)


def load_breast_cancer(return_names=False):
    """x: (569, 30) features; y: (569,) 0 malignant, 1 benign."""
    x, y, names = _labelled_csv("breast_cancer.csv")
    return (x, y, names) if return_names else (x, y)


def load_digits():
    """x: (1797, 64) 8x8 images with pixel values 0..16; y: (1797,) digit 0..9."""
    with gzip.open(get_path("digits.csv.gz"), "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)


# Keras' downloadable data sets, one module each (`tf.keras.datasets.mnist.load_data()`).
from pyminidl.datasets import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters  # noqa: E402

KERAS_DATASETS = ("boston_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist", "reuters")

__all__ = _api.public(globals(), extra=KERAS_DATASETS)
__dir__ = _api.dir_function(__all__)
