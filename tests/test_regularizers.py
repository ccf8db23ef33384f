"""Weight penalties and constraints (issue 15 item 8, KERAS_REFERENCE §16): the penalty in the reported loss,
its gradient against central differences in float64, constraints against Keras' recorded values."""

import numpy as np
import pytest

import pyminidl as tf
from finite_differences import gradient
from pyminidl import constraints, regularizers
from pyminidl.initializers import Constant
from pyminidl.layers import Dense
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD

rng = np.random.default_rng(0)
X = rng.normal(size=(16, 4)).astype(np.float32)
Y = rng.normal(size=(16, 3)).astype(np.float32)


def _model(lr=0.0, **dense_kwargs):
    model = Sequential([Dense(3, input_shape=(4,), bias_initializer="random_normal", **dense_kwargs)])
    model.compile(optimizer=SGD(lr), loss="mse")
    return model


def _total_loss(k, b, l1_k=0.0, l2_k=0.0, l1_b=0.0, l2_b=0.0):
    p = X.astype(np.float64) @ k + b
    return (np.mean((p - Y) ** 2) + l1_k * np.abs(k).sum() + l2_k * (k ** 2).sum() + l1_b * np.abs(b).sum()
            + l2_b * (b ** 2).sum())


def test_penalty_joins_the_reported_loss_and_model_losses():
    model = _model(kernel_regularizer=regularizers.l2(0.01), bias_regularizer=regularizers.l1(0.1))
    k, b = (w.astype(np.float64) for w in model.get_weights())
    want = _total_loss(k, b, l2_k=0.01, l1_b=0.1)
    hist = model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert hist.history["loss"][0] == pytest.approx(want, rel=1e-6)
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(want, rel=1e-6)
    losses = [float(v) for v in model.losses]
    assert losses == pytest.approx([0.01 * (k ** 2).sum(), 0.1 * np.abs(b).sum()], rel=1e-6)


@pytest.mark.parametrize("reg,kw", [(regularizers.l2(0.05), {"l2_k": 0.05}), (regularizers.l1(0.03), {"l1_k": 0.03}),
                                    (regularizers.l1_l2(l1=0.02, l2=0.04), {"l1_k": 0.02, "l2_k": 0.04})])
def test_penalty_gradient_against_central_differences(reg, kw):
    lr = 0.1
    model = _model(lr, kernel_regularizer=reg)
    k0, b0 = (w.astype(np.float64) for w in model.get_weights())
    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    step = (k0 - model.get_weights()[0].astype(np.float64)) / lr
    want = gradient(lambda k: _total_loss(k, b0, **kw), k0)
    np.testing.assert_allclose(step, want, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("constraint,value", [(constraints.MaxNorm(2), -1.4142), (constraints.NonNeg(), 0.0),
                                              (constraints.UnitNorm(), -0.7071)])
def test_constraints_after_one_step_at_learning_rate_zero(constraint, value):
    """KERAS_REFERENCE §16: a (2, 2) kernel of -3 after one step (recorded from Keras)."""
    model = Sequential([Dense(2, input_shape=(2,), kernel_initializer=Constant(-3.0), kernel_constraint=constraint)])
    model.compile(optimizer=SGD(0.0), loss="mse")
    np.testing.assert_array_equal(model.get_weights()[0], -3.0)  # not applied at build
    model.fit(np.ones((4, 2)), np.zeros((4, 2)), epochs=1, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], value, atol=1e-4)


def test_norm_constraints_against_float64():
    w0 = rng.normal(0, 3, size=(4, 3)).astype(np.float32)
    for constraint in (constraints.MaxNorm(1.5), constraints.MinMaxNorm(0.5, 1.0, rate=0.7),
                       constraints.UnitNorm(axis=1), constraints.MaxNorm(2, axis=-1)):
        model = _model(kernel_constraint=constraint)
        model.set_weights([w0, np.zeros(3, np.float32)])
        model.fit(X, Y, batch_size=16, epochs=1, verbose=0)
        w = w0.astype(np.float64)
        axis = constraint.axis
        n = np.sqrt((w ** 2).sum(axis=axis, keepdims=True))
        if isinstance(constraint, constraints.UnitNorm):
            want = w / (1e-7 + n)
        elif isinstance(constraint, constraints.MaxNorm):
            want = w * np.clip(n, 0, constraint.max_value) / (1e-7 + n)
        else:
            desired = constraint.rate * np.clip(n, 0.5, 1.0) + (1 - constraint.rate) * n
            want = w * desired / (1e-7 + n)
        np.testing.assert_allclose(model.get_weights()[0], want, rtol=1e-5, atol=1e-6)


def test_names_and_defaults_as_keras_3():
    w = np.array([[1.0, -2.0]], np.float32)
    assert float(regularizers.get("l2")(w)) == pytest.approx(0.01 * 5)
    assert float(regularizers.get("l1")(w)) == pytest.approx(0.01 * 3)
    assert float(regularizers.l1_l2()(w)) == 0.0  # Keras 3's l1_l2 is the class: defaults add nothing
    assert float(tf.keras.regularizers.L1L2(l1=0.1, l2=0.2)(w)) == pytest.approx(0.3 + 1.0)
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 'l1_l2'"):
        regularizers.get("l1_l2")
    with pytest.raises(ValueError, match="l2"):
        regularizers.l2(-1.0)
    with pytest.raises(ValueError, match="activity_regularizer: Could not interpret"):
        Dense(2, activity_regularizer="l3")
    from pyminidl.keras.constraints import max_norm
    assert max_norm is constraints.MaxNorm


def test_regularized_model_saves_and_loads(tmp_path):
    model = _model(0.05, kernel_regularizer=regularizers.l2(0.01), kernel_constraint=constraints.MaxNorm(3))
    model.fit(X, Y, epochs=2, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    layer = loaded.layers[0]
    assert layer.kernel_regularizer.l2 == 0.01 and layer.kernel_constraint.max_value == 3
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-6)


def test_overfit_underfit_tutorial_style():
    """TF's overfit/underfit tutorial: Dense layers with kernel_regularizer=regularizers.l2(0.001), Dropout,
    a from_logits binary crossentropy metric named as the loss; the penalty keeps the weights smaller."""
    from pyminidl.keras import layers, regularizers as keras_regularizers
    x = rng.normal(size=(256, 28)).astype(np.float32)
    y = (x[:, :3].sum(1, keepdims=True) + rng.normal(0, 2, (256, 1)) > 0).astype(np.float32)

    def build(reg):
        model = tf.keras.Sequential([
            layers.Dense(64, activation='elu', kernel_regularizer=reg, input_shape=(28,)),
            layers.Dropout(0.5),
            layers.Dense(1)])
        model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                      loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=[tf.keras.metrics.BinaryCrossentropy(from_logits=True, name='binary_crossentropy'),
                               'accuracy'])
        return model

    tf.keras.utils.set_random_seed(1)
    plain = build(None)
    tf.keras.utils.set_random_seed(1)
    l2_model = build(keras_regularizers.l2(0.001))
    h = l2_model.fit(x, y, validation_split=0.2, epochs=20, verbose=0)
    plain.fit(x, y, validation_split=0.2, epochs=20, verbose=0)
    assert set(h.history) == {"loss", "binary_crossentropy", "accuracy", "val_loss", "val_binary_crossentropy",
                              "val_accuracy"}
    assert h.history["loss"][-1] > h.history["binary_crossentropy"][-1]  # the penalty is in the loss only
    norm = lambda m: np.linalg.norm(m.layers[0].get_weights()[0])  # noqa: E731
    assert norm(l2_model) < norm(plain)


def test_core_checks_the_rules_it_gets():
    net = _model()._net
    with pytest.raises(ValueError, match="unknown constraint code 9"):
        net.set_weight_rules([(0, 0.0, 0.0, 9, 2.0, 0.0, 1.0, 0)])
    with pytest.raises(ValueError, match="tensor 5 is not a trainable tensor"):
        net.set_weight_rules([(5, 0.01, 0.0, 0, 2.0, 0.0, 1.0, 0)])
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        net.set_weight_rules([(0, 0.0, 0.0, 1, 2.0, 0.0, 1.0, 2)])
    with pytest.raises(ValueError, match="finite and >= 0"):
        net.set_weight_rules([(0, -1.0, 0.0, 0, 2.0, 0.0, 1.0, 0)])


# --- activity_regularizer ---------------------------------------------------------------------------------

def test_activity_penalty_in_loss_per_batch_size():
    """Keras: activity_regularizer(outputs) / batch size per batch, so the epoch's loss is the mean loss plus
    the penalty of all outputs over the sample count, whatever the batch size."""
    model = _model(activity_regularizer=regularizers.l2(0.1))
    model.compile(optimizer=SGD(0.0), loss="mse", metrics=["mse"])
    k, b = (w.astype(np.float64) for w in model.get_weights())
    out = X.astype(np.float64) @ k + b
    want = np.mean((out - Y) ** 2) + 0.1 * (out ** 2).sum() / len(X)
    for batch_size in (16, 4):
        logs = model.fit(X, Y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0).history
        assert logs["loss"][0] == pytest.approx(want, rel=1e-6)
        assert logs["mse"][0] == pytest.approx(np.mean((out - Y) ** 2), rel=1e-6)  # metrics exclude it
    assert model.evaluate(X, Y, verbose=0)[0] == pytest.approx(want, rel=1e-6)


def test_activity_penalty_gradient_through_an_activation():
    lr = 0.05
    model = Sequential([Dense(5, activation="tanh", input_shape=(4,),
                              activity_regularizer=regularizers.l1_l2(0.02, 0.3)), Dense(3)])
    model.compile(optimizer=SGD(lr), loss="mse")
    k0, b0, k1, b1 = (w.astype(np.float64) for w in model.get_weights())

    def total(k):
        h = np.tanh(X.astype(np.float64) @ k + b0)
        return np.mean((h @ k1 + b1 - Y) ** 2) + (0.02 * np.abs(h).sum() + 0.3 * (h ** 2).sum()) / len(X)

    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    step = (k0 - model.get_weights()[0].astype(np.float64)) / lr
    np.testing.assert_allclose(step, gradient(total, k0), rtol=2e-4, atol=2e-5)


def test_activity_regularization_layer():
    from pyminidl.keras.layers import ActivityRegularization
    model = Sequential([Dense(3, input_shape=(4,), bias_initializer="ones"), ActivityRegularization(l1=0.5)])
    model.compile(optimizer=SGD(0.0), loss="mse")
    out = model.predict(X).astype(np.float64)
    want = np.mean((out - Y) ** 2) + 0.5 * np.abs(out).sum() / len(X)
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(want, rel=1e-6)
    assert ActivityRegularization(l2=0.2).get_config()["l2"] == 0.2
