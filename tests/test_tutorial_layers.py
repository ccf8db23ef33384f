"""The layers tutorials use by class (issue 15, item 3): PReLU, Rescaling, Normalization with adapt(),
GaussianNoise, AlphaDropout. Forward passes against float64 NumPy and Keras' documented outputs, gradients
against central differences, training-mode noise against its expected size."""

import numpy as np
import pytest

import pyminidl as tf
from finite_differences import gradient
from pyminidl import layers
from pyminidl.models import Sequential
from pyminidl.optimizers import SGD


def _chain_grads(model, x, y):
    """Analytic gradients of the mse loss of one full batch (lr 0: nothing moves), in weight order."""
    model.compile(optimizer=SGD(0.0), loss="mse")
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    return [g.copy() for g in model._net.gradients()]


def _numeric_grad(model, x, y, k):
    """d mse / d (weight k) by central differences in float64 through model.predict."""
    var = model.trainable_weights[k]
    base = var.numpy().astype(np.float64)

    def loss(w):
        var.assign(w.astype(np.float32))
        return float(np.mean((model.predict(x).astype(np.float64) - y) ** 2))

    g = gradient(loss, base, h=1e-3)
    var.assign(base.astype(np.float32))
    return g


# --- PReLU ---------------------------------------------------------------------------------------------------

def test_prelu_forward_and_weights_as_keras():
    layer = layers.PReLU(alpha_initializer=tf.initializers.Constant(0.25), input_shape=(4,))
    model = Sequential([layer, layers.Dense(1)])
    assert [w.name for w in layer.weights] == [f"{layer.name}/alpha:0"] and layer.alpha.shape == (4,)
    x = np.array([[-2.0, -0.5, 0.0, 3.0]], np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), [[-0.5, -0.125, 0.0, 3.0]])
    assert model.count_params() == 4 + 5


def test_prelu_shared_axes_shape():
    layer = layers.PReLU(shared_axes=[1], input_shape=(3, 2))
    Sequential([layer, layers.Flatten(), layers.Dense(1)])
    assert layer.alpha.shape == (1, 2)


def test_prelu_gradients_against_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3)).astype(np.float32)
    y = rng.normal(size=(12, 2))
    model = Sequential([layers.Dense(4, input_shape=(3,)), layers.PReLU(alpha_initializer="random_normal"),
                        layers.Dense(2)])
    analytic = _chain_grads(model, x, y)
    for k in range(len(model.trainable_weights)):
        np.testing.assert_allclose(analytic[k], _numeric_grad(model, x, y, k), rtol=2e-3, atol=2e-4)


def test_prelu_learns_its_slope():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 1)).astype(np.float32)
    y = np.where(x > 0, x, 0.3 * x)  # a leaky relu with slope 0.3: PReLU alone can fit it exactly
    model = Sequential([layers.PReLU(input_shape=(1,)), layers.Dense(1, kernel_initializer="ones")])
    model.layers[1].trainable_weights[0].assign(np.ones((1, 1), np.float32))
    model.compile(optimizer=SGD(0.1), loss="mse")
    model.fit(x, y, epochs=60, batch_size=32, verbose=0)
    assert model.layers[0].alpha.numpy()[0] == pytest.approx(0.3, abs=0.05)


# --- Rescaling ------------------------------------------------------------------------------------------------

def test_rescaling_forward_and_gradient():
    layer = layers.Rescaling(1.0 / 255, offset=-0.5)
    x = np.array([[0.0, 255.0, 51.0]], np.float32)
    np.testing.assert_allclose(layer(x).numpy(), x * np.float32(1 / 255) - 0.5, rtol=0, atol=0)
    rng = np.random.default_rng(2)
    xs, y = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 1))
    model = Sequential([layers.Dense(3, input_shape=(3,)), layers.Rescaling(2.5, offset=1.0), layers.Dense(1)])
    analytic = _chain_grads(model, xs, y)
    np.testing.assert_allclose(analytic[0], _numeric_grad(model, xs, y, 0), rtol=2e-3, atol=2e-4)


def test_rescaling_refuses_a_list_scale_by_name():
    with pytest.raises(NotImplementedError, match="scale must be one number"):
        layers.Rescaling([1.0, 2.0])


# --- Normalization ------------------------------------------------------------------------------------------

ADAPT = np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]], np.float32)


def test_normalization_keras_documented_examples():
    layer = layers.Normalization(axis=-1)
    layer.adapt(ADAPT)
    np.testing.assert_allclose(layer(np.array([[0., 7., 4.]], np.float32)).numpy(), [[-1., -1., -1.]])
    layer = layers.Normalization(axis=None)
    layer.adapt(np.array([1., 2., 3., 4., 5.], np.float32))
    np.testing.assert_allclose(layer(np.array([1., 2., 3.], np.float32)).numpy(), [-1.4142135, -0.70710677, 0.],
                               rtol=1e-6)
    layer = layers.Normalization(mean=3., variance=2.)
    np.testing.assert_allclose(layer(np.array([[1.], [2.], [3.]], np.float32)).numpy(),
                               [[-1.4142135], [-0.70710677], [0.]], rtol=1e-6)
    layer = layers.Normalization(axis=-1, invert=True)
    layer.adapt(ADAPT)
    np.testing.assert_allclose(layer(np.array([[1., 2., 3.]], np.float32)).numpy(), [[2., 10., 8.]])


def test_normalization_weights_and_summary_as_keras():
    rng = np.random.default_rng(3)
    data = rng.normal(5.0, 3.0, size=(200, 9))
    norm = layers.Normalization(axis=-1)
    norm.adapt(data)
    assert norm.mean.shape == (1, 9)
    np.testing.assert_allclose(norm.mean.numpy()[0], data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(norm.variance.numpy()[0], data.var(0), rtol=1e-6)
    model = Sequential([norm, layers.Dense(64, activation="relu"), layers.Dense(1)])
    model.build((None, 9))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Non-trainable params: 19" in text and f"Trainable params: {9 * 64 + 64 + 65:,}" in text
    assert [w.name.split("/")[-1] for w in norm.non_trainable_weights] == ["mean:0", "variance:0", "count:0"]
    assert norm.trainable_weights == [] and len(model.trainable_weights) == 4
    out = model.layers[0](data[:3].astype(np.float32)).numpy()
    np.testing.assert_allclose(out, (data[:3] - data.mean(0)) / data.std(0), rtol=1e-5, atol=1e-6)


def test_normalization_adapt_after_build_updates_the_model():
    norm = layers.Normalization(input_shape=(3,))
    model = Sequential([norm, layers.Dense(1, kernel_initializer="ones")])
    model.build()
    norm.adapt(ADAPT)
    np.testing.assert_allclose(model.layers[0].weights[0].numpy(), [1., 8., 5.])
    np.testing.assert_allclose(model.predict(ADAPT[:1]), [[-3.0]], rtol=1e-6)


def test_normalization_statistics_stay_fixed_in_training_and_pass_gradients():
    rng = np.random.default_rng(4)
    x, y = rng.normal(2.0, 4.0, size=(16, 3)).astype(np.float32), rng.normal(size=(16, 1))
    norm = layers.Normalization()
    norm.adapt(x)
    before = norm.mean.numpy().copy()
    model = Sequential([layers.Dense(3, input_shape=(3,)), layers.Normalization(mean=1.0, variance=4.0),
                        layers.Dense(1)])
    analytic = _chain_grads(model, x, y)
    np.testing.assert_allclose(analytic[0], _numeric_grad(model, x, y, 0), rtol=2e-3, atol=2e-4)
    model2 = Sequential([norm, layers.Dense(1)])
    model2.compile(optimizer=SGD(0.1), loss="mse")
    model2.fit(x, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(norm.mean.numpy(), before)


def test_normalization_bad_arguments():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="incompatible shape"):
        norm = layers.Normalization(input_shape=(3,))
        Sequential([norm, layers.Dense(1)]).build()
        norm.adapt(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="data must be an array of numbers"):
        layers.Normalization().adapt(None)


def test_experimental_preprocessing_path():
    from pyminidl.keras.layers.experimental import preprocessing
    from pyminidl.keras.layers.experimental.preprocessing import Normalization
    assert preprocessing.Normalization is Normalization is layers.Normalization
    assert tf.keras.layers.experimental.preprocessing.Rescaling is layers.Rescaling


# --- GaussianNoise, AlphaDropout ----------------------------------------------------------------------------

def _train_mse(noise_layer, x):
    """Loss of an identity model behind the noise layer, in training (lr 0): E[(noisy(x) - x)^2]."""
    d = x.shape[1]
    model = Sequential([noise_layer, layers.Dense(d, kernel_initializer="identity", bias_initializer="zeros")])
    model.build((None, d))
    model.compile(optimizer=SGD(0.0), loss="mse")
    hist = model.fit(x, x, batch_size=256, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_array_equal(model.predict(x), x)  # inference: the identity
    return hist.history["loss"][0]


def test_gaussian_noise_size_in_training():
    x = np.random.default_rng(5).normal(size=(4096, 8)).astype(np.float32)
    assert _train_mse(layers.GaussianNoise(0.5), x) == pytest.approx(0.25, rel=0.03)
    assert _train_mse(layers.GaussianNoise(0.0), x) == 0.0


def test_alpha_dropout_expected_error_in_training():
    rate = 0.2
    x = np.random.default_rng(6).normal(size=(4096, 8)).astype(np.float32)
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    xd = x.astype(np.float64)
    want = np.mean((1 - rate) * (a * xd + b - xd) ** 2 + rate * (a * alpha_p + b - xd) ** 2)
    assert _train_mse(layers.AlphaDropout(rate), x) == pytest.approx(want, rel=0.03)


def test_alpha_dropout_keeps_selu_statistics():
    """Keras' point: standard-normal inputs keep mean 0 and variance 1 through AlphaDropout (training)."""
    x = np.random.default_rng(7).normal(size=(8192, 4)).astype(np.float32)
    model = Sequential([layers.AlphaDropout(0.3, input_shape=(4,)), layers.Dense(4, kernel_initializer="identity")])
    model.compile(optimizer=SGD(0.0), loss="mse")
    # mse against zeros = E[out^2] = var + mean^2 = 1 when the statistics are kept
    loss = model.fit(x, np.zeros_like(x), batch_size=8192, epochs=1, verbose=0).history["loss"][0]
    assert loss == pytest.approx(1.0, abs=0.05)


def test_noise_layer_arguments():
    with pytest.raises(ValueError, match="rate"):
        layers.AlphaDropout(1.0)
    with pytest.raises(ValueError, match="stddev"):
        layers.GaussianNoise(-1.0)
    assert layers.GaussianNoise(0.1).get_config()["stddev"] == 0.1
