"""pad_sequences against the values KERAS_REFERENCE §15 records from Keras."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl.preprocessing.sequence import pad_sequences

SEQ = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]


def test_defaults_pad_and_cut_before():
    out = tf.keras.utils.pad_sequences(SEQ)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [6, 7, 8, 9, 10]])
    np.testing.assert_array_equal(pad_sequences(SEQ, maxlen=3), [[1, 2, 3], [0, 4, 5], [8, 9, 10]])
    assert tf.keras.preprocessing.sequence.pad_sequences is pad_sequences


def test_post_value_and_dtype():
    out = pad_sequences(SEQ, maxlen=4, padding="post", truncating="post", value=-1)
    np.testing.assert_array_equal(out, [[1, 2, 3, -1], [4, 5, -1, -1], [6, 7, 8, 9]])
    np.testing.assert_array_equal(pad_sequences([[1.7, 2.2]], maxlen=3), [[0, 1, 2]])  # int32 truncates
    out = pad_sequences([[1.5], []], maxlen=2, dtype="float32", value=0.5)
    np.testing.assert_array_equal(out, np.array([[0.5, 1.5], [0.5, 0.5]], np.float32))
    assert pad_sequences([[[1, 2]], [[3, 4], [5, 6]]]).shape == (2, 2, 2)  # elements of shape (2,)


@pytest.mark.parametrize("kwargs,match", [({"padding": "middle"}, "Padding type"),
                                          ({"truncating": "both"}, "Truncating type"),
                                          ({"maxlen": -1}, "maxlen must be an integer >= 0"),
                                          ({"value": "x"}, "is not compatible")])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        pad_sequences(SEQ, **kwargs)


def test_non_iterable_sequence():
    with pytest.raises(ValueError, match="Found non-iterable: 3"):
        pad_sequences([[1], 3])
