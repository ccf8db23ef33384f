"""Embedding: rows of an (input_dim, output_dim) table looked up by integer ids (KERAS_REFERENCE §15). Ids
travel to C++ as float32 holding exact integers (cpp/layers/embedding.*), which checks their range and
raises naming the index. The optimizers update the whole table (moments decay in rows not looked up), and
take the table's gradient as Keras 3 on TensorFlow does, one row per lookup: a repeated id's rows are clipped
and squared each before they are added up (RowSlices in cpp/optimizers.h)."""

import warnings

from pyminidl import _check, initializers
from pyminidl.layers.base import Layer

# Ids above this are not exact in float32 (2**24): the table may not have more rows.
MAX_INPUT_DIM = 2**24


class Embedding(Layer):
    """Turns ids (batch, ...) into vectors (batch, ..., output_dim)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, input_length=None,
                 activity_regularizer=None, **kwargs):
        self.input_dim = _check.integer("input_dim", input_dim, minimum=1, maximum=MAX_INPUT_DIM)
        self.output_dim = _check.integer("output_dim", output_dim, minimum=1, maximum=_check.MAX_SIZE)
        self.embeddings_initializer = initializers.get(embeddings_initializer, "embeddings_initializer")
        for arg, value in (("embeddings_regularizer", embeddings_regularizer),
                           ("embeddings_constraint", embeddings_constraint), ("lora_rank", lora_rank),
                           ("activity_regularizer", activity_regularizer)):
            if value is not None:
                raise NotImplementedError(f"Embedding({arg}=...) is not supported by pyminidl, got {value!r}")
        if _check.boolean("mask_zero", mask_zero):
            raise NotImplementedError("Embedding(mask_zero=True) is not supported by pyminidl: masks are not "
                                      "propagated; pad with 0 and let the model learn the padding row instead")
        self.mask_zero = False
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", UserWarning, stacklevel=2)
            kwargs.setdefault("input_shape", (input_length,) if isinstance(input_length, int) else input_length)
        self._initial_table = weights
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def _spec(self):
        return "embedding", {"input_dim": self.input_dim, "output_dim": self.output_dim}

    def _weight_names(self):
        return ["embeddings"]

    def _initial_weights(self):
        if self._initial_table is not None:
            return [self._initial_table[0] if isinstance(self._initial_table, (list, tuple)) else self._initial_table]
        return [self.embeddings_initializer((self.input_dim, self.output_dim))]

    @property
    def embeddings(self):
        return self._weights[0] if self._weights else None

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": None, "activity_regularizer": None, "embeddings_constraint": None,
                "mask_zero": self.mask_zero}
