"""Handwritten digits (the 8x8 images of the UCI/scikit-learn set): an MLP on 64 pixel values.

    python examples/digits.py [--out DIR]
"""

import sys

import numpy as np

import pyminidl as tf
from pyminidl.utils import to_categorical, train_test_split
from _plotting import history_figure, parse_args, pyplot, save

SEED = 0


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    tf.keras.utils.set_random_seed(SEED)

    images, labels = tf.datasets.load_digits()
    print(f"Data: {images.shape[0]} images of 8x8 pixels with values {images.min():.0f}..{images.max():.0f}, "
          f"digits 0-9")
    X = images / 16.0               # pixel values 0..16 -> 0..1
    Y = to_categorical(labels, 10)

    X_train, X_test, y_train, y_test = train_test_split(X, Y, test_size=0.2, random_state=42)

    model = tf.keras.models.Sequential([
        tf.keras.layers.Dense(128, activation="relu", input_shape=(64,)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()

    history = model.fit(X_train, y_train, epochs=20, batch_size=32, validation_split=0.1, verbose=1)

    print("\nEvaluation on the test set:")
    test_loss, test_accuracy = model.evaluate(X_test, y_test, verbose=2)
    print(f"Test loss: {test_loss:.4f}")
    print(f"Test accuracy: {test_accuracy:.4f}")

    predicted = np.argmax(model.predict(X_test), axis=1)
    actual = np.argmax(y_test, axis=1)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (actual, predicted), 1)
    print("\nConfusion matrix (rows: actual digit, columns: predicted digit):")
    print(confusion)

    curves = history_figure(history, args.out / "digits_training.png", metrics=["loss", "accuracy"],
                            title="Digits: training and validation curves")

    plt = pyplot()
    fig, axes = plt.subplots(2, 8, figsize=(10, 3.2))
    for ax, image, guess, truth in zip(axes.ravel(), X_test, predicted, actual):
        ax.imshow(image.reshape(8, 8), cmap="gray_r")
        ax.set_title(f"{guess}" if guess == truth else f"{guess} (is {truth})",
                     color="black" if guess == truth else "red", fontsize=9)
        ax.axis("off")
    fig.suptitle("Digits: test images with the predicted digit")
    fig.tight_layout()
    samples = save(fig, args.out / "digits_predictions.png")
    return {"test_loss": test_loss, "test_accuracy": test_accuracy, "figures": [curves, samples]}


if __name__ == "__main__":
    main(sys.argv[1:])
