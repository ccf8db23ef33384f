"""Embedding kernels (cpp/layers/embedding.*) through their test hook: lookups, Keras 3's id rules
(KERAS_REFERENCE §15: floats truncate toward zero, negative ids count from the end, out of range is an
error naming the index), and the dense table gradient with repeated ids."""

import numpy as np
import pytest

from pyminidl import _core


def test_lookup_and_id_rules():
    table = np.arange(30, dtype=np.float32).reshape(10, 3)
    ids = np.array([[0, 9, 1.7], [-1, -10, 9.9]], np.float32)
    y = _core._embedding(ids, table)
    np.testing.assert_array_equal(y, table[[0, 9, 1, 9, 0, 9]])


@pytest.mark.parametrize("bad,where", [(10, "indices[0,1] = 10 is not in [0, 10)"),
                                       (-11, "indices[0,1] = -11 is not in [0, 10)"),
                                       (np.nan, "indices[0,1] = nan is not in [0, 10)")])
def test_out_of_range_names_the_index(bad, where):
    table = np.zeros((10, 2), np.float32)
    with pytest.raises(IndexError, match=where.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")):
        _core._embedding(np.array([[1, bad, 2]], np.float32), table)


def test_gradient_accumulates_repeated_ids():
    rng = np.random.default_rng(12)
    table = rng.normal(size=(6, 4)).astype(np.float32)
    ids = np.array([[1, 3, 1], [5, 1, 0]], np.float32)
    dy = rng.normal(size=(6, 4)).astype(np.float32)
    dt = _core._embedding(ids, table, dy)
    want = np.zeros((6, 4))
    np.add.at(want, ids.astype(int).ravel(), dy.astype(np.float64))
    np.testing.assert_allclose(dt, want, rtol=1e-6)
