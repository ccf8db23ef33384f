"""Iris flowers: a small softmax classifier, the classic multi-class tutorial.

    python examples/iris.py [--out DIR]
"""

import sys

import numpy as np

import pyminidl as tf
from pyminidl.utils import to_categorical, train_test_split
from _plotting import history_figure, parse_args

SEED = 0


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    tf.keras.utils.set_random_seed(SEED)

    X, y, names = tf.datasets.load_iris(return_names=True)
    print(f"Data: {X.shape[0]} flowers, {X.shape[1]} features, classes {names} "
          f"with {np.bincount(y).tolist()} samples")
    Y = to_categorical(y)  # 0, 1, 2 -> one-hot rows

    X_train, X_test, y_train, y_test = train_test_split(X, Y, test_size=0.2, random_state=13)

    model = tf.keras.models.Sequential([
        tf.keras.layers.Dense(32, activation="relu", input_shape=(4,)),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()

    history = model.fit(X_train, y_train, epochs=100, verbose=2)

    print("\nEvaluation on the test set:")
    test_loss, test_accuracy = model.evaluate(X_test, y_test, verbose=2)
    print(f"Test loss: {test_loss:.4f}")
    print(f"Test accuracy: {test_accuracy:.4f}")

    predicted = np.argmax(model.predict(X_test), axis=1)
    print("First ten test flowers, predicted:", predicted[:10].tolist())
    print("First ten test flowers, actual:   ", np.argmax(y_test[:10], axis=1).tolist())

    path = history_figure(history, args.out / "iris_training.png", metrics=["loss", "accuracy"],
                          title="Iris: training loss and accuracy")
    return {"test_loss": test_loss, "test_accuracy": test_accuracy, "figures": [path]}


if __name__ == "__main__":
    main(sys.argv[1:])
