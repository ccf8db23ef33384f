"""Simple MNIST convnet: Keras' mnist_convnet example, on the bundled 8x8 digits upsampled to 16x16.

    python examples/mnist_convnet.py [--out DIR]

Keras' example (keras.io/examples/vision/mnist_convnet) with two changes: `import pyminidl as keras`-style
imports, and the data: instead of downloading MNIST, the 1,797 8x8 digits bundled with pyminidl (the UCI /
scikit-learn set), each pixel repeated 2x2 so that the example's two 3x3 convolutions and 2x2 poolings fit
(16 -> 14 -> 7 -> 5 -> 2). Everything else, the model, batch size, optimizer and steps, is the example's.
"""

import sys

import numpy as np

import pyminidl as tf
from pyminidl.utils import train_test_split
from _plotting import history_figure, parse_args, pyplot, save

keras = tf.keras
layers = tf.keras.layers
SEED = 0


def load_data():
    """(x_train, y_train), (x_test, y_test) as keras.datasets.mnist.load_data() shapes them: uint8 images 0..255."""
    images, labels = tf.datasets.load_digits()
    images = np.kron(images.reshape(-1, 8, 8), np.ones((2, 2)))  # 8x8 -> 16x16
    images = np.round(images * (255 / 16)).astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(images, labels.astype(np.uint8), test_size=0.2,
                                                        random_state=42)
    return (x_train, y_train), (x_test, y_test)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    keras.utils.set_random_seed(SEED)

    # Model / data parameters
    num_classes = 10
    input_shape = (16, 16, 1)

    # Load the data and split it between train and test sets
    (x_train, y_train), (x_test, y_test) = load_data()

    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    # Make sure images have shape (16, 16, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # convert class vectors to binary class matrices
    labels_test = y_test
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.summary()

    # Keras trains 15 epochs of 422 steps on MNIST's 54,000 training images; the digits give 11 steps an
    # epoch, so it takes more epochs (40: 440 steps) to converge.
    batch_size = 128
    epochs = 40

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=2)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])

    curves = history_figure(history, args.out / "mnist_convnet_training.png", metrics=["loss", "accuracy"],
                            title="mnist_convnet on digits: training and validation curves")
    predicted = np.argmax(model.predict(x_test), axis=1)
    plt = pyplot()
    fig, axes = plt.subplots(2, 8, figsize=(10, 3.2))
    for ax, image, guess, truth in zip(axes.ravel(), x_test, predicted, labels_test):
        ax.imshow(image[:, :, 0], cmap="gray_r")
        ax.set_title(f"true {truth}, pred {guess}", color="black" if guess == truth else "red", fontsize=8)
        ax.axis("off")
    fig.suptitle("mnist_convnet on digits: test images, true and predicted label")
    fig.tight_layout()
    samples = save(fig, args.out / "mnist_convnet_predictions.png")
    return {"test_loss": score[0], "test_accuracy": score[1], "figures": [curves, samples]}


if __name__ == "__main__":
    main(sys.argv[1:])
