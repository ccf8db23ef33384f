"""summary() of functional models in Keras 2's layout (TF 2.0-2.6, as Sequential's): InputLayer rows with their
shape as a list, and a "Connected to" column (98 characters) once the graph branches or merges. The expected
tables are written out by hand from Keras 2's print_summary (column ends 32/53/65/98, or 29/55/65 of 65)."""

import pyminidl as tf
from pyminidl import layers as L


def _lines(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    return out


def _check(lines, expected, width):
    assert [line.rstrip() for line in lines] == expected.strip("\n").split("\n")
    assert all(len(line) == width for line in lines[2:-4] if line.strip())  # rows are padded to the width


def test_branched_model_has_connected_to_column():
    a = tf.keras.Input(shape=(4,), name="a")
    b = tf.keras.Input(shape=(3,), name="b")
    d1 = L.Dense(2, activation="relu", name="d1")(a)
    cat = L.Concatenate(name="cat")([d1, b])
    model = tf.keras.Model([a, b], L.Dense(1, name="out")(cat), name="two")
    _check(_lines(model), """
Model: "two"
__________________________________________________________________________________________________
Layer (type)                    Output Shape         Param #     Connected to
==================================================================================================
a (InputLayer)                  [(None, 4)]          0
__________________________________________________________________________________________________
d1 (Dense)                      (None, 2)            10          a[0][0]
__________________________________________________________________________________________________
b (InputLayer)                  [(None, 3)]          0
__________________________________________________________________________________________________
cat (Concatenate)               (None, 5)            0           d1[0][0]
                                                                 b[0][0]
__________________________________________________________________________________________________
out (Dense)                     (None, 1)            6           cat[0][0]
==================================================================================================
Total params: 16
Trainable params: 16
Non-trainable params: 0
__________________________________________________________________________________________________
""", 98)


def test_linear_functional_model_uses_the_three_column_layout():
    inp = tf.keras.Input(shape=(20,))
    x = L.Dense(64, activation="relu")(inp)
    x = L.Dense(16, activation="relu")(x)
    model = tf.keras.Model(inp, L.Dense(3, activation="softmax")(x))
    _check(_lines(model), """
Model: "functional"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
input_layer (InputLayer)     [(None, 20)]              0
_________________________________________________________________
dense (Dense)                (None, 64)                1344
_________________________________________________________________
dense_1 (Dense)              (None, 16)                1040
_________________________________________________________________
dense_2 (Dense)              (None, 3)                 51
=================================================================
Total params: 2,435
Trainable params: 2,435
Non-trainable params: 0
_________________________________________________________________
""", 65)


def test_nested_model_is_one_row_and_long_cells_are_cut():
    inner_in = tf.keras.Input(shape=(3,), name="inner_in")
    inner = tf.keras.Model(inner_in, L.Dense(2, name="inner_dense")(inner_in), name="a_rather_long_inner_model_name")
    a = tf.keras.Input(shape=(3,), name="a")
    b = tf.keras.Input(shape=(2,), name="b")
    out = L.add([inner(a), b], name="sum")
    model = tf.keras.Model([a, b], out, name="outer")
    _check(_lines(model), """
Model: "outer"
__________________________________________________________________________________________________
Layer (type)                    Output Shape         Param #     Connected to
==================================================================================================
a (InputLayer)                  [(None, 3)]          0
__________________________________________________________________________________________________
a_rather_long_inner_model_name  (None, 2)            8           a[0][0]
__________________________________________________________________________________________________
b (InputLayer)                  [(None, 2)]          0
__________________________________________________________________________________________________
sum (Add)                       (None, 2)            0           a_rather_long_inner_model_name[1]
                                                                 b[0][0]
==================================================================================================
Total params: 8
Trainable params: 8
Non-trainable params: 0
__________________________________________________________________________________________________
""", 98)


def test_line_length_and_positions_arguments():
    model = tf.keras.Sequential([L.Dense(2, input_shape=(3,), name="d")])
    lines = _lines(model, line_length=40, positions=[10, 30, 40])
    assert lines[1] == "_" * 40
    assert lines[2] == "Layer (ty Output Shape        Param #   "
    assert lines[4] == "d (Dense) (None, 2)           8         "
    assert lines[-4:-1] == ["Total params: 8", "Trainable params: 8", "Non-trainable params: 0"]


def test_nested_model_calls_count_from_one_in_connected_to():
    # Keras 2: a model's node 0 links its own inputs to its outputs, so its first call is node 1
    inner_in = tf.keras.Input(shape=(2,), name="inner_in")
    inner = tf.keras.Model(inner_in, L.Dense(2, name="inner_dense")(inner_in), name="inner")
    seq = tf.keras.Sequential([L.Dense(2, input_shape=(2,), name="seq_dense")], name="seq")
    x = tf.keras.Input(shape=(2,), name="x")
    model = tf.keras.Model(x, L.add([inner(x), seq(x)], name="sum"), name="outer")
    lines = _lines(model)
    assert lines[8].rstrip() == "seq (Sequential)                (None, 2)            6           x[0][0]"
    assert lines[10].rstrip() == "sum (Add)                       (None, 2)            0           inner[1][0]"
    assert lines[11].rstrip() == " " * 65 + "seq[1][0]"
