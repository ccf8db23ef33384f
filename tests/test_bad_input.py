"""Bad input at every public entry point: a clear Python exception (or warning), never a crash or a hang.

Each case is one line: (id, callable, expected exception or warning type, regex the message must match).
The table runs in a worker subprocess (this file run as a script) that reports one JSON line per case, so a
segfault or a hang in native code fails the case that caused it instead of killing pytest; the parent restarts
the worker after the crashed case. Accepted input kinds (lists, int/bool/float16/float64, non-contiguous views)
are checked against a float32 contiguous array at the end.
"""

import json
import math
import os
import subprocess
import sys
import warnings

import numpy as np

import pyminidl as tf
from pyminidl import activations, datasets, initializers, losses, optimizers, utils
from pyminidl import layers as L

RNG = np.random.RandomState(0)
X = RNG.rand(16, 4).astype(np.float32)
Y = RNG.rand(16, 2).astype(np.float32)
LABELS = RNG.randint(0, 2, 16)


def net(compiled=True, loss="mse", out=2, optimizer="sgd"):
    m = tf.Sequential([L.Dense(8, input_shape=(4,), activation="relu"), L.Dense(out)])
    if compiled:
        m.compile(optimizer=optimizer, loss=loss)
    return m


def fit(x=X, y=Y, model=None, **kw):
    kw.setdefault("verbose", 0)
    return (model or net()).fit(x, y, **kw)


def nan_at(a, i=3):
    a = np.array(a, dtype=np.float64)
    a.flat[i] = np.nan
    return a


def unbuilt():
    return tf.Sequential([L.Dense(2)])


NAN = float("nan")

CASES = [
    # --- layer constructors ------------------------------------------------------------------------------
    ("dense_units_zero", lambda: L.Dense(0), ValueError, r"units must be a positive integer, got 0"),
    ("dense_units_negative", lambda: L.Dense(-3), ValueError, r"units .* got -3"),
    ("dense_units_float", lambda: L.Dense(2.5), TypeError, r"units must be an integer, got 2\.5"),
    ("dense_units_str", lambda: L.Dense("4"), TypeError, r"units must be an integer, got '4'"),
    ("dense_units_none", lambda: L.Dense(None), TypeError, r"units must be an integer, got None"),
    ("dense_units_huge", lambda: L.Dense(2**40), ValueError, r"units must be an integer <= .*got 1099511627776"),
    ("dense_activation_typo", lambda: L.Dense(4, activation="relu2"), ValueError,
     r"activation.*'relu2'.*Did you mean 'relu'"),
    ("dense_activation_type", lambda: L.Dense(4, activation=3), ValueError, r"activation.*identifier: 3"),
    ("dense_input_shape_zero", lambda: L.Dense(4, input_shape=(0,)), ValueError, r"input_shape .*got \(0,\)"),
    ("dense_input_shape_batch", lambda: L.Dense(4, input_shape=(None, 4)), ValueError,
     r"input_shape excludes the batch axis"),
    ("dense_input_shape_str", lambda: L.Dense(4, input_shape="4"), ValueError, r"input_shape .*got '4'"),
    ("dense_input_dim_negative", lambda: L.Dense(4, input_dim=-1), ValueError, r"input_dim .* got -1"),
    ("dense_initializer_typo", lambda: L.Dense(4, kernel_initializer="glorot_unifrom"), ValueError,
     r"kernel_initializer.*'glorot_unifrom'.*Did you mean 'glorot_uniform'"),
    ("dense_initializer_type", lambda: L.Dense(4, bias_initializer=5), ValueError, r"bias_initializer.*: 5"),
    ("dense_use_bias_str", lambda: L.Dense(4, use_bias="yes"), TypeError, r"use_bias must be True or False, got 'yes'"),
    ("dense_unknown_kwarg", lambda: L.Dense(4, unit=3), TypeError, r"unrecognized keyword arguments: \['unit'\]"),
    ("dropout_rate_one", lambda: L.Dropout(1.0), ValueError, r"rate must be a finite number in \[0\.0, 1\.0\), got 1\.0"),
    ("dropout_rate_negative", lambda: L.Dropout(-0.1), ValueError, r"rate .* got -0\.1"),
    ("dropout_rate_nan", lambda: L.Dropout(NAN), ValueError, r"rate .* got nan"),
    ("dropout_rate_none", lambda: L.Dropout(None), TypeError, r"rate must be a number, got None"),
    ("activation_layer_typo", lambda: L.Activation("sigmod"), ValueError, r"'sigmod'.*Did you mean 'sigmoid'"),
    ("input_no_shape", lambda: L.Input(), ValueError, r"Input needs a shape"),
    ("input_negative_shape", lambda: L.Input(shape=(-2,)), ValueError, r"input_shape .*got \(-2,\)"),
    ("layer_name_empty", lambda: L.Dense(2, name=""), ValueError, r"name must be a non-empty string, got ''"),
    # --- Sequential, add, build ---------------------------------------------------------------------------
    ("sequential_not_a_layer", lambda: tf.Sequential(["dense"]), TypeError, r"expects a layer .* got 'dense'"),
    ("add_none", lambda: tf.Sequential().add(None), TypeError, r"expects a layer .* got None"),
    ("add_twice", lambda: (lambda d: tf.Sequential([d, d]))(L.Dense(2)), ValueError, r"already in this model"),
    ("build_empty", lambda: tf.Sequential().build((None, 4)), ValueError, r"no layers"),
    ("build_no_batch_axis", lambda: unbuilt().build((4,)), ValueError, r"input_shape must include the batch axis"),
    ("build_zero_features", lambda: unbuilt().build((None, 0)), ValueError, r"input_shape .*got \(None, 0\)"),
    ("build_str_features", lambda: unbuilt().build((None, "a")), ValueError, r"input_shape .*got \(None, 'a'\)"),
    ("build_none_shape", lambda: unbuilt().build(None), ValueError, r"build\(\) needs an input_shape"),
    ("build_3d_into_dense", lambda: unbuilt().build((None, 2, 3)), ValueError, r"Flatten"),
    ("summary_unbuilt", lambda: unbuilt().summary(), ValueError, r"not yet been built"),
    # --- compile --------------------------------------------------------------------------------------------
    ("compile_optimizer_typo", lambda: net(False).compile("adamm", "mse"), ValueError,
     r"optimizer: 'adamm'.*Did you mean 'adam'"),
    ("compile_optimizer_type", lambda: net(False).compile(5, "mse"), ValueError, r"optimizer identifier: 5"),
    ("compile_loss_typo", lambda: net(False).compile("sgd", "mean_squared_eror"), ValueError,
     r"loss: 'mean_squared_eror'.*Did you mean 'mean_squared_error'"),
    ("compile_loss_none", lambda: net(False).compile("sgd", None), ValueError, r"needs a loss.*got None"),
    ("compile_metrics_str", lambda: net(False).compile("sgd", "mse", metrics="accuracy"), TypeError,
     r"metrics must be a list .*got 'accuracy'"),
    ("compile_metric_typo", lambda: net(False).compile("sgd", "mse", metrics=["acuracy"]), ValueError,
     r"metric: 'acuracy'.*Did you mean 'accuracy'"),
    ("compile_unknown_kwarg", lambda: net(False).compile("sgd", "mse", lr=0.1), TypeError, r"\['lr'\]"),
    ("compile_sparse_one_unit", lambda: net(False, out=1).compile("sgd", "sparse_categorical_crossentropy"),
     ValueError, r"at least 2 output units, got 1"),
    # --- fit --------------------------------------------------------------------------------------------------
    ("fit_uncompiled", lambda: fit(model=net(False)), RuntimeError, r"compile your model before training"),
    ("fit_x_features", lambda: fit(x=X[:, :3]), ValueError, r"x: the model expects input shape \(None, 4,\), "
     r"got an array of shape \(16, 3\)"),
    ("fit_x_rank1", lambda: fit(x=X[:, 0]), ValueError, r"x: .*shape \(16,\)"),
    ("fit_x_rank3", lambda: fit(x=X.reshape(16, 2, 2)), ValueError, r"x: .*shape \(16, 2, 2\)"),
    ("fit_sample_mismatch", lambda: fit(y=Y[:10]), ValueError, r"x has 16 samples but y has 10"),
    ("fit_x_empty", lambda: fit(x=X[:0], y=Y[:0]), ValueError, r"x is empty \(shape \(0, 4\)\)"),
    ("fit_x_ragged", lambda: fit(x=[[1, 2, 3, 4], [1, 2]], y=Y[:2]), ValueError, r"x must be a rectangular array"),
    ("fit_x_strings", lambda: fit(x=np.array([["a"] * 4] * 16)), TypeError, r"x must hold real numbers, got strings such as 'a' \(dtype <U1\)"),
    ("fit_x_complex", lambda: fit(x=X.astype(np.complex64)), TypeError, r"x must hold real numbers.*complex64"),
    ("fit_x_objects", lambda: fit(x=[[1, 2, None, 4]] * 16), ValueError, r"x must be a rectangular array"),
    ("fit_x_none", lambda: fit(x=None), ValueError, r"x must be an array of numbers, got None"),
    ("fit_y_none", lambda: fit(y=None), ValueError, r"y must be an array of numbers, got None"),
    ("fit_y_width", lambda: fit(y=Y[:, :1]), ValueError, r"y: expected targets of shape \(n, 2\).*got shape \(16, 1\)"),
    ("fit_y_strings", lambda: fit(y=np.array([["a", "b"]] * 16)), TypeError, r"y must hold real numbers"),
    ("fit_cce_int_labels", lambda: fit(y=LABELS, model=net(loss="categorical_crossentropy")), ValueError,
     r"to_categorical"),
    ("fit_sparse_label_range", lambda: fit(y=LABELS * 3, model=net(loss="sparse_categorical_crossentropy")),
     ValueError, r"class labels must be integers in \[0, 2\), got 3"),
    ("fit_epochs_negative", lambda: fit(epochs=-1), ValueError, r"epochs must be an integer >= 0, got -1"),
    ("fit_epochs_float", lambda: fit(epochs=2.0), TypeError, r"epochs must be an integer, got 2\.0"),
    ("fit_batch_size_zero", lambda: fit(batch_size=0), ValueError, r"batch_size must be a positive integer, got 0"),
    ("fit_batch_size_huge", lambda: fit(batch_size=2**40), ValueError, r"batch_size .*1099511627776"),
    ("fit_initial_epoch_negative", lambda: fit(initial_epoch=-2), ValueError, r"initial_epoch .* got -2"),
    ("fit_validation_split_big", lambda: fit(validation_split=1.5), ValueError,
     r"validation_split must be a finite number in \(0\.0, 1\.0\), got 1\.5"),
    ("fit_validation_split_str", lambda: fit(validation_split="0.2"), TypeError, r"validation_split .* got '0\.2'"),
    ("fit_validation_data_short", lambda: fit(validation_data=(X,)), ValueError, r"validation_data must be a tuple"),
    ("fit_validation_data_shape", lambda: fit(validation_data=(X[:, :2], Y)), ValueError,
     r"validation_data x: .*shape \(16, 2\)"),
    ("fit_verbose", lambda: fit(verbose=5), ValueError, r"verbose must be 0, 1, 2 or 'auto', got 5"),
    ("fit_shuffle", lambda: fit(shuffle="yes"), ValueError, r"shuffle must be True, False or 'batch', got 'yes'"),
    ("fit_sample_weight_len", lambda: fit(sample_weight=np.ones(3)), ValueError, r"sample_weight must have shape \(16,\), got \(3,\)"),
    ("fit_sample_weight_nan", lambda: fit(sample_weight=nan_at(np.ones(16))), ValueError, r"sample_weight contains NaN"),
    ("fit_class_weight_list", lambda: fit(class_weight=[1, 2]), TypeError, r"class_weight must be a dict"),
    ("fit_class_weight_value", lambda: fit(class_weight={0: "a"}), TypeError, r"class_weight\[0\] must be a number, got 'a'"),
    ("fit_callbacks", lambda: fit(callbacks=[print]), TypeError, r"callbacks must be Callback instances"),
    ("fit_unknown_kwarg", lambda: fit(epoch=3), TypeError, r"unexpected keyword arguments: \['epoch'\]"),
    # --- NaN / inf: a warning, not a crash --------------------------------------------------------------------
    ("fit_x_nan_warns", lambda: fit(x=nan_at(X)), RuntimeWarning, r"x contains 1 NaN or infinite value"),
    ("fit_y_inf_warns", lambda: fit(y=np.where(Y > 0.5, np.inf, Y)), RuntimeWarning, r"y contains \d+ NaN or infinite"),
    ("fit_loss_diverges_warns", lambda: fit(x=X * 1e6, model=net(optimizer=optimizers.SGD(1e6)), epochs=3),
     RuntimeWarning, r"The loss became (nan|inf)"),
    ("evaluate_x_nan_warns", lambda: net().evaluate(nan_at(X), Y, verbose=0), RuntimeWarning, r"x contains 1 NaN"),
    # --- evaluate, predict -----------------------------------------------------------------------------------
    ("evaluate_uncompiled", lambda: net(False).evaluate(X, Y), RuntimeError, r"compile your model before evaluate"),
    ("evaluate_x_features", lambda: net().evaluate(X[:, :3], Y, verbose=0), ValueError, r"x: .*shape \(16, 3\)"),
    ("evaluate_batch_size", lambda: net().evaluate(X, Y, batch_size=-1), ValueError, r"batch_size .* got -1"),
    ("evaluate_y_none", lambda: net().evaluate(X), ValueError, r"needs targets.*got None"),
    ("predict_x_features", lambda: net().predict(X[:, :5].T), ValueError, r"x: .*shape \(4, 16\)"),
    ("predict_empty", lambda: net().predict(X[:0]), ValueError, r"x is empty"),
    ("predict_none", lambda: net().predict(None), ValueError, r"x must be an array of numbers, got None"),
    ("predict_batch_size_bool", lambda: net().predict(X, batch_size=True), TypeError, r"batch_size .* got True"),
    ("predict_unbuilt_rank1", lambda: unbuilt().predict([1.0, 2.0]), ValueError, r"x: expected a 2-D array .*\(2,\)"),
    ("predict_scalar", lambda: net().predict(3.0), ValueError, r"x must have a sample axis, got a scalar 3\.0"),
    ("predict_datetime", lambda: net().predict(np.zeros((2, 4), "datetime64[s]")), TypeError, r"datetime64"),
    # --- set_weights -----------------------------------------------------------------------------------------
    ("set_weights_count", lambda: net().set_weights([np.zeros((4, 8))]), ValueError, r"weight list of length 1.*expecting 4"),
    ("set_weights_shape", lambda: net().set_weights([np.zeros((8, 4)), np.zeros(8), np.zeros((8, 2)), np.zeros(2)]),
     ValueError, r"weight shape \(4, 8\) .* provided weight shape \(8, 4\)"),
    ("set_weights_not_list", lambda: net().set_weights(np.zeros(3)), TypeError, r"expects a list of arrays, got ndarray"),
    ("set_weights_strings", lambda: net().set_weights([np.full((4, 8), "a"), 0, 0, 0]), ValueError, r"not numeric"),
    ("layer_set_weights_shape", lambda: net().layers[0].set_weights([np.zeros((4, 7)), np.zeros(8)]), ValueError,
     r"provided weight shape \(4, 7\)"),
    # --- utils -------------------------------------------------------------------------------------------------
    ("to_categorical_negative", lambda: utils.to_categorical([0, -1]), ValueError, r"non-negative integers.*-1"),
    ("to_categorical_fraction", lambda: utils.to_categorical([0.5]), ValueError, r"non-negative integers.*0\.5"),
    ("to_categorical_nan", lambda: utils.to_categorical([NAN]), ValueError, r"non-negative integers.*nan"),
    ("to_categorical_too_few", lambda: utils.to_categorical([3], num_classes=2), ValueError, r"label 3 .*num_classes=2"),
    ("to_categorical_empty", lambda: utils.to_categorical([]), ValueError, r"must not be empty"),
    ("to_categorical_strings", lambda: utils.to_categorical(["a"]), TypeError, r"integer class labels, got dtype <U1"),
    ("to_categorical_num_classes", lambda: utils.to_categorical([0], num_classes=0), ValueError, r"num_classes .* got 0"),
    ("to_categorical_none", lambda: utils.to_categorical(None), TypeError, r"got dtype object"),
    ("split_mismatch", lambda: utils.train_test_split(X, Y[:5]), ValueError, r"array 0 has 16, array 1 has 5"),
    ("split_test_size_big", lambda: utils.train_test_split(X, test_size=1.5), ValueError, r"test_size .* got 1\.5"),
    ("split_test_size_zero", lambda: utils.train_test_split(X, test_size=0), ValueError, r"test_size .* got 0"),
    ("split_test_size_str", lambda: utils.train_test_split(X, test_size="0.2"), TypeError, r"test_size .* got '0\.2'"),
    ("split_test_size_nan", lambda: utils.train_test_split(X, test_size=NAN), ValueError, r"test_size .* got nan"),
    ("split_nothing", lambda: utils.train_test_split(), ValueError, r"at least one array"),
    ("split_one_sample", lambda: utils.train_test_split(X[:1]), ValueError, r"at least 2 samples, got 1"),
    ("seed_negative", lambda: utils.set_random_seed(-1), ValueError, r"seed .* got -1"),
    ("seed_float", lambda: utils.set_random_seed(1.5), TypeError, r"seed must be an integer, got 1\.5"),
    ("num_threads_zero", lambda: tf.set_num_threads(0), ValueError, r"n must be a positive integer, got 0"),
    # --- datasets ------------------------------------------------------------------------------------------
    ("get_path_unknown", lambda: datasets.get_path("iris.txt"), ValueError, r"Unknown data file 'iris\.txt'.*iris\.csv"),
    ("get_path_none", lambda: datasets.get_path(None), ValueError, r"Unknown data file None"),
    ("get_path_escape", lambda: datasets.get_path("../__init__.py"), ValueError, r"Unknown data file '\.\./__init__\.py'"),
    # --- optimizers ------------------------------------------------------------------------------------------
    ("sgd_lr_negative", lambda: optimizers.SGD(learning_rate=-1), ValueError, r"learning_rate .* got -1"),
    ("sgd_lr_str", lambda: optimizers.SGD(learning_rate="fast"), TypeError, r"learning_rate must be a number, got 'fast'"),
    ("sgd_lr_nan", lambda: optimizers.SGD(learning_rate=NAN), ValueError, r"learning_rate .* got nan"),
    ("sgd_momentum", lambda: optimizers.SGD(momentum=1.5), ValueError, r"momentum .* got 1\.5"),
    ("sgd_clipnorm_negative", lambda: optimizers.SGD(clipnorm=-1.0), ValueError, r"clipnorm .* got -1\.0"),
    ("adam_beta_1", lambda: optimizers.Adam(beta_1=1.0), ValueError, r"beta_1 .* got 1\.0"),
    ("adam_epsilon", lambda: optimizers.Adam(epsilon=-1e-7), ValueError, r"epsilon .* got -1e-07"),
    ("rmsprop_rho", lambda: optimizers.RMSprop(rho=2), ValueError, r"rho .* got 2"),
    ("adam_unknown_kwarg", lambda: optimizers.Adam(beta1=0.9), ValueError, r"not recognized.*beta1"),
    ("optimizers_get_typo", lambda: optimizers.get("sgdd"), ValueError, r"'sgdd'.*Did you mean 'sgd'"),
    ("optimizer_lr_assign", lambda: setattr(optimizers.Adam(), "learning_rate", -0.5), ValueError, r"learning_rate .* got -0\.5"),
    # --- losses ------------------------------------------------------------------------------------------------
    ("losses_get_typo", lambda: losses.get("msee"), ValueError, r"'msee'.*Did you mean 'mse'"),
    ("huber_delta_zero", lambda: losses.Huber(delta=0), ValueError, r"delta .* got 0"),
    ("bce_from_logits_str", lambda: losses.BinaryCrossentropy(from_logits="yes"), TypeError, r"from_logits .* got 'yes'"),
    ("loss_call_mismatch", lambda: losses.mse([1.0, 2.0], [1.0]), ValueError, r"y_true has 2 samples but y_pred has 1"),
    ("loss_call_empty", lambda: losses.mse([], []), ValueError, r"y_pred is empty"),
    ("loss_call_none", lambda: losses.MeanSquaredError()(None, [1.0]), ValueError, r"y_true must be an array of numbers, got None"),
    ("loss_call_strings", lambda: losses.mse([1.0], ["a"]), TypeError, r"y_pred must hold real numbers"),
    ("loss_call_weights", lambda: losses.MeanSquaredError()([1.0, 2.0], [1.0, 2.0], sample_weight=[1, 2, 3]),
     ValueError, r"sample_weight must have shape \(2,\), got \(3,\)"),
    # --- activations -------------------------------------------------------------------------------------------
    ("activations_get_typo", lambda: activations.get("reluu"), ValueError, r"'reluu'.*Did you mean 'relu'"),
    ("activation_call_none", lambda: activations.relu(None), ValueError, r"x must be an array of numbers, got None"),
    ("activation_call_strings", lambda: activations.sigmoid(["a"]), TypeError, r"x must hold real numbers"),
    # --- initializers ----------------------------------------------------------------------------------------
    ("initializers_get_typo", lambda: initializers.get("he_normall"), ValueError, r"'he_normall'.*Did you mean 'he_normal'"),
    ("random_uniform_order", lambda: initializers.RandomUniform(1.0, 0.0), ValueError, r"minval < maxval"),
    ("random_normal_stddev", lambda: initializers.RandomNormal(stddev=-1), ValueError, r"stddev .* got -1"),
    ("variance_scaling_mode", lambda: initializers.VarianceScaling(mode="fan"), ValueError, r"mode .* got 'fan'"),
    ("constant_str", lambda: initializers.Constant("a"), TypeError, r"value must be a number, got 'a'"),
]


def run_case(fn, expected, pattern):
    """(ok, detail) for one case: the expected exception or warning, with a message matching pattern."""
    import re
    is_warning = issubclass(expected, Warning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.seterr(all="ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - we report whatever came out
            got = f"{type(e).__name__}: {e}"
            if is_warning:
                return False, f"expected a {expected.__name__}, got exception {got}"
            if not isinstance(e, expected):
                return False, f"expected {expected.__name__}, got {got}"
            if not re.search(pattern, str(e)):
                return False, f"message does not match {pattern!r}: {got}"
            return True, got
    if is_warning:
        for w in caught:
            if issubclass(w.category, expected) and re.search(pattern, str(w.message)):
                return True, f"{w.category.__name__}: {w.message}"
        return False, f"no {expected.__name__} matching {pattern!r}; warnings: {[str(w.message) for w in caught]}"
    return False, f"expected {expected.__name__}, nothing was raised"


def _worker(start):
    for i in range(start, len(CASES)):
        name, fn, expected, pattern = CASES[i]
        tf.clear_session()
        tf.set_random_seed(1234)
        print(json.dumps({"start": name}), flush=True)
        ok, detail = run_case(fn, expected, pattern)
        print(json.dumps({"case": name, "ok": ok, "detail": detail}), flush=True)


def _run_table(timeout=120.0):
    """Results by case id, running the worker again after a case that crashed or hung it."""
    results, start = {}, 0
    names = [c[0] for c in CASES]
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    while start < len(CASES):
        try:
            proc = subprocess.run([sys.executable, __file__, "--worker", str(start)], capture_output=True, text=True,
                                  timeout=timeout, env=env)
            out, err, died = proc.stdout, proc.stderr, f"exit code {proc.returncode}"
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err, died = "", f"hang (no answer within {timeout} s)"
        current = None
        for line in out.splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "start" in msg:
                current = msg["start"]
            else:
                results[msg["case"]] = (msg["ok"], msg["detail"])
                current = None
        if current is None:
            if len(results) < len(CASES) and start == 0 and not results:
                raise RuntimeError(f"the bad-input worker did not start: {died}\n{err[-2000:]}")
            break
        results[current] = (False, f"the worker died in this case: {died}\n{err[-2000:]}")
        start = names.index(current) + 1
    return results


_RESULTS = None


def _results():
    global _RESULTS
    if _RESULTS is None:
        _RESULTS = _run_table()
    return _RESULTS


def test_table_is_big_and_ids_unique():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))
    assert len(names) >= 40


if __name__ != "__main__":
    import pytest

    @pytest.mark.parametrize("name", [c[0] for c in CASES])
    def test_bad_input(name):
        ok, detail = _results().get(name, (False, "no result from the worker"))
        assert ok, f"{name}: {detail}"


# --- accepted input kinds: the same predictions as a float32 contiguous array ----------------------------------
def _accepted_kinds():
    base = np.round(RNG.rand(12, 4) * 4).astype(np.float32)  # small integers: exact in every dtype below
    wide = np.zeros((12, 8), dtype=np.float32)
    wide[:, ::2] = base
    return base, {
        "list": base.tolist(),
        "tuple_of_lists": tuple(map(list, base)),
        "int32": base.astype(np.int32),
        "int64": base.astype(np.int64),
        "uint8": base.astype(np.uint8),
        "bool": base.astype(bool),
        "float16": base.astype(np.float16),
        "float64": base.astype(np.float64),
        "strided_columns": wide[:, ::2],
        "strided_rows": np.repeat(base, 2, axis=0)[::2],
        "fortran_order": np.asfortranarray(base),
        "reversed_view": base[::-1].copy()[::-1],
        "matrix_subclass_free_view": base.view(),
    }


def test_accepted_input_kinds_match_float32():
    model = net(loss="mse")
    base, kinds = _accepted_kinds()
    for name, x in kinds.items():
        ref = base.astype(bool).astype(np.float32) if name == "bool" else base
        expected = model.predict(np.ascontiguousarray(ref, dtype=np.float32))
        got = model.predict(x)
        assert got.dtype == np.float32 and got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected, err_msg=name)
        y = expected + 0.5
        assert model.evaluate(x, y, verbose=0) == model.evaluate(ref, y, verbose=0), name


def test_accepted_target_kinds_train_identically():
    base, _ = _accepted_kinds()
    y = (base[:, :2] > 1).astype(np.float32)
    weights = []
    for y_kind in (y, y.tolist(), y.astype(np.int64), y.astype(bool), np.asfortranarray(y.astype(np.float64))):
        tf.set_random_seed(7)
        m = net(loss="binary_crossentropy")
        m.fit(base.tolist(), y_kind, epochs=3, batch_size=4, verbose=0)
        weights.append(m.get_weights())
    for other in weights[1:]:
        for a, b in zip(weights[0], other):
            np.testing.assert_array_equal(a, b)


def test_sparse_labels_accept_int_float_and_column():
    m = net(loss="sparse_categorical_crossentropy")
    x = X[:6]
    labels = np.array([0, 1, 1, 0, 1, 0])
    ref = m.evaluate(x, labels, verbose=0)
    for kind in (labels.tolist(), labels.astype(np.float32), labels.reshape(-1, 1), labels.astype(np.uint8)):
        assert m.evaluate(x, kind, verbose=0) == ref
    assert math.isfinite(ref)


def test_flatten_first_layer_with_input_shape():
    m = tf.Sequential([L.Flatten(input_shape=(2, 2)), L.Dense(3)])
    assert m.built and m.output_shape == (None, 3)
    x = X.reshape(16, 2, 2)
    np.testing.assert_array_equal(m.predict(x), m.predict(X.reshape(16, 2, 2).copy()))
    m.pop()
    assert not m.built


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--worker":
    _worker(int(sys.argv[2]))
