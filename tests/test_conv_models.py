"""The convolution, pooling, batch-normalization and embedding layers through the Keras API: summary()
as Keras prints it (KERAS_REFERENCE §12, §14), weights, config round trips, save/load, bad arguments."""

import numpy as np
import pytest

import pyminidl as tf
from pyminidl import backend

L = tf.keras.layers


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()


def mnist_convnet():
    return tf.keras.Sequential([tf.keras.Input(shape=(28, 28, 1)), L.Conv2D(32, kernel_size=(3, 3), activation="relu"),
                                L.MaxPooling2D(pool_size=(2, 2)), L.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                                L.MaxPooling2D(pool_size=(2, 2)), L.Flatten(), L.Dropout(0.5),
                                L.Dense(10, activation="softmax")])


def test_mnist_convnet_summary_matches_keras():
    model = mnist_convnet()
    lines = []
    model.summary(print_fn=lines.append)
    rows = [(l.name, l.output_shape, l.count_params()) for l in model.layers]
    assert rows == [("conv2d", (None, 26, 26, 32), 320), ("max_pooling2d", (None, 13, 13, 32), 0),
                    ("conv2d_1", (None, 11, 11, 64), 18496), ("max_pooling2d_1", (None, 5, 5, 64), 0),
                    ("flatten", (None, 1600), 0), ("dropout", (None, 1600), 0), ("dense", (None, 10), 16010)]
    assert "Total params: 34,826" in lines and "Non-trainable params: 0" in lines
    assert model.layers[0].kernel.shape == (3, 3, 1, 32)
    # glorot_uniform with the receptive field in the fans: limit sqrt(6 / (9*32 + 9*64))
    assert np.abs(model.layers[2].kernel.numpy()).max() <= np.sqrt(6 / (288 + 576)) + 1e-7


def test_batch_norm_summary_and_weights_order():
    model = tf.keras.Sequential([tf.keras.Input((3,)), L.Dense(4), L.BatchNormalization(), L.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    assert ["Total params: 37", "Trainable params: 29", "Non-trainable params: 8"] == \
        [l for l in lines if l.endswith(("37", "29", ": 8"))]
    bn = model.layers[1]
    assert [w.path for w in bn.weights] == [f"{model.name}/batch_normalization/{n}" for n in
                                            ("gamma", "beta", "moving_mean", "moving_variance")]
    assert [w.name for w in model.non_trainable_weights] == ["batch_normalization/moving_mean:0",
                                                            "batch_normalization/moving_variance:0"]
    bn.trainable = False
    model.compile("sgd", "mse")  # Keras applies trainable at compile
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 21" in lines and "Non-trainable params: 16" in lines


def test_batch_norm_fit_moves_moving_stats_and_predict_uses_them():
    model = tf.keras.Sequential([tf.keras.Input((2,)), L.BatchNormalization(momentum=0.5), L.Dense(1)])
    model.compile("sgd", "mse")
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    model.fit(x, np.zeros(2), batch_size=2, epochs=1, verbose=0)
    mm, mv = model.layers[0].get_weights()[2:]
    np.testing.assert_allclose(mm, 0.5 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(mv, 0.5 + 0.5 * x.var(0), rtol=1e-6)
    gamma, beta = model.layers[0].get_weights()[:2]
    kernel, bias = model.layers[1].get_weights()
    expected = ((x - mm) / np.sqrt(mv + 1e-3) * gamma + beta) @ kernel + bias
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5)


def test_embedding_model_trains_and_names_bad_index():
    model = tf.keras.Sequential([tf.keras.Input((6,)), L.Embedding(20, 4), L.GlobalAveragePooling1D(),
                                 L.Dense(1, activation="sigmoid")])
    lines = []
    model.summary(print_fn=lines.append)
    assert model.layers[0].output_shape == (None, 6, 4) and model.layers[0].count_params() == 80
    rng = np.random.RandomState(0)
    x = rng.randint(0, 20, (64, 6)).astype(np.int64)
    y = (x[:, 0] < 10).astype(np.float32)
    model.compile(tf.keras.optimizers.Adam(0.05), "binary_crossentropy", ["accuracy"])
    model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.8
    x[3, 2] = 20
    with pytest.raises(IndexError, match=r"indices\[3,2\] = 20 is not in \[0, 20\)"):
        model.predict(x)


LAYERS = [
    lambda: L.Conv2D(4, (3, 2), strides=(2, 1), padding="same", dilation_rate=1, activation="relu", use_bias=False),
    lambda: L.Conv1D(3, 5, padding="causal", dilation_rate=2),
    lambda: L.MaxPooling2D((3, 3), strides=(2, 2), padding="same"),
    lambda: L.AveragePooling1D(2),
    lambda: L.GlobalMaxPooling2D(keepdims=True),
    lambda: L.BatchNormalization(momentum=0.9, epsilon=0.01, center=False),
    lambda: L.Embedding(10, 3),
    lambda: L.ZeroPadding2D(((1, 2), (0, 3))),
    lambda: L.UpSampling2D((2, 3)),
    lambda: L.Reshape((4, -1)),
]


@pytest.mark.parametrize("make", LAYERS)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert tf.keras.layers.deserialize(tf.keras.layers.serialize(layer)).get_config() == config


def test_save_and_load_convnet(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.BatchNormalization(),
                                 L.MaxPooling2D(), L.Flatten(), L.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.RandomState(0).rand(16, 8, 8, 1).astype(np.float32)
    model.fit(x, np.arange(16) % 3, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = tf.keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("make,error,match", [
    (lambda: L.Conv2D(0, 3), ValueError, "filters must be"),
    (lambda: L.Conv2D(8, (3, 3, 3)), ValueError, "kernel_size must be an integer or a tuple of 2"),
    (lambda: L.Conv2D(8, 3, padding="full"), ValueError, "padding must be one of"),
    (lambda: L.Conv2D(8, 3, strides=2, dilation_rate=2), ValueError, "`strides > 1` not supported"),
    (lambda: L.Conv2D(8, 3, data_format="channels_first"), ValueError, "channels_first"),
    (lambda: L.MaxPooling2D(0), ValueError, "pool_size must be"),
    (lambda: L.BatchNormalization(momentum=1.5), ValueError, "momentum"),
    (lambda: L.Embedding(0, 4), ValueError, "input_dim must be"),
    (lambda: L.Embedding(10, 4, mask_zero=True), NotImplementedError, "mask_zero"),
])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_input_shapes():
    with pytest.raises(ValueError, match="larger than the input"):
        tf.keras.Sequential([tf.keras.Input((2, 2, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(1)])
    with pytest.raises(ValueError, match="expected ndim=4"):
        tf.keras.Sequential([tf.keras.Input((5, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(1)])


def test_reshape_feeds_a_convolution():
    model = tf.keras.Sequential([tf.keras.Input((16,)), L.Reshape((4, 4, 1)), L.Conv2D(2, 2), L.Reshape((-1,)),
                                 L.Dense(1)])
    assert [l.output_shape for l in model.layers] == [(None, 4, 4, 1), (None, 3, 3, 2), (None, 18), (None, 1)]
    x = np.arange(32, dtype=np.float32).reshape(2, 16) / 32
    kernel, bias = model.layers[1].get_weights()
    conv = np.zeros((2, 3, 3, 2))
    img = x.reshape(2, 4, 4, 1)
    for i in range(2):
        for j in range(2):
            conv += img[:, i:i + 3, j:j + 3, :] @ kernel[i, j]
    dense_k, dense_b = model.layers[3].get_weights()
    np.testing.assert_allclose(model.predict(x), (conv + bias).reshape(2, -1) @ dense_k + dense_b, rtol=1e-5)
    assert L.Reshape.from_config(model.layers[0].get_config()).target_shape == (4, 4, 1)
    with pytest.raises(ValueError, match="cannot take target_shape"):
        tf.keras.Sequential([tf.keras.Input((10,)), L.Reshape((3, 3)), L.Flatten(), L.Dense(1)])
    with pytest.raises(ValueError, match="at most one -1"):
        L.Reshape((-1, -1))


def test_zero_padding_and_up_sampling_shapes_and_errors():
    model = tf.keras.Sequential([tf.keras.Input((3, 5, 2)), L.ZeroPadding2D(1), L.UpSampling2D(),
                                 L.ZeroPadding2D((2, 0)), L.Flatten(), L.Dense(1)])
    assert [l.output_shape for l in model.layers[:3]] == [(None, 5, 7, 2), (None, 10, 14, 2), (None, 14, 14, 2)]
    assert model.layers[0].get_config()["padding"] == ((1, 1), (1, 1))
    with pytest.raises(ValueError, match="`padding` should have two elements"):
        L.ZeroPadding2D((1, 2, 3))
    with pytest.raises(NotImplementedError, match="bilinear"):
        L.UpSampling2D(interpolation="bilinear")
