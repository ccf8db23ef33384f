"""The NaN/inf count fit() uses to warn about its inputs, against NumPy's isfinite."""

import warnings

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import _core, data

SLICE = 1 << 16  # floats per slice in cpp/scan.cpp


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", [0, 1, 15, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE + 17])
def test_count_nonfinite_matches_numpy(n, threads):
    tf.set_num_threads(threads)
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(np.float32)
    specials = [np.nan, np.inf, -np.inf, np.float32(3.4e38), np.float32(1e-45), -0.0]
    for at in {0, n - 1, SLICE - 1, SLICE, 2 * SLICE + 3} & set(range(n)):  # ends and slice boundaries
        x[at] = specials[at % len(specials)]
    if n > 100:
        x[rng.integers(0, n, 40)] = np.nan
    assert _core.count_nonfinite(x) == n - np.count_nonzero(np.isfinite(x))


def test_count_nonfinite_sees_every_nan_payload_and_sign():
    bits = np.array([0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0x7F7FFFFF, 0x00000001],
                    dtype=np.uint32)
    assert _core.count_nonfinite(bits.view(np.float32)) == 5  # inf, -inf, three NaNs; max and denormal pass


@pytest.mark.parametrize("contiguous", [True, False])
def test_check_finite_warns_with_the_count(contiguous):
    x = np.ones((300, 400), dtype=np.float32)
    x[7, 9] = np.nan
    x[299, 0] = -np.inf
    arr = x if contiguous else np.asfortranarray(x)
    with pytest.warns(RuntimeWarning, match=r"x contains 2 NaN or infinite value\(s\)"):
        data.check_finite(arr, "x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.check_finite(np.ones((3, 4), np.float32), "x")
