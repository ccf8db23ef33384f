"""Breast cancer diagnosis (Wisconsin data set): binary classification with a sigmoid output.

    python examples/breast_cancer.py [--out DIR]

The 30 features span very different scales (areas in the hundreds, smoothness around 0.1), so they are
standardised with the mean and standard deviation of the training split only; the test split is scaled
with those same numbers, as it would be for new patients.
"""

import sys

import numpy as np

import pyminidl as tf
from pyminidl.utils import train_test_split
from _plotting import history_figure, parse_args

SEED = 0


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    tf.keras.utils.set_random_seed(SEED)

    X, y, names = tf.datasets.load_breast_cancer(return_names=True)
    counts = np.bincount(y)
    print(f"Data: {X.shape[0]} patients, {X.shape[1]} features; {counts[0]} {names[0]}, {counts[1]} {names[1]}")

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    X_train = (X_train - mean) / std
    X_test = (X_test - mean) / std

    model = tf.keras.models.Sequential([
        tf.keras.layers.Dense(16, activation="relu", input_shape=(30,)),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()

    history = model.fit(X_train, y_train, epochs=50, batch_size=32, validation_split=0.1, verbose=0)
    logs = history.history
    print("\nTraining (every 10th epoch):")
    for epoch in range(10, 51, 10):
        i = epoch - 1
        print(f"Epoch {epoch}/50 - loss: {logs['loss'][i]:.4f} - accuracy: {logs['accuracy'][i]:.4f} - "
              f"val_loss: {logs['val_loss'][i]:.4f} - val_accuracy: {logs['val_accuracy'][i]:.4f}")

    print("\nEvaluation on the test set:")
    test_loss, test_accuracy = model.evaluate(X_test, y_test, verbose=2)
    print(f"Test loss: {test_loss:.4f}")
    print(f"Test accuracy: {test_accuracy:.4f}")

    predicted = (model.predict(X_test)[:, 0] > 0.5).astype(int)
    missed = int(np.sum((predicted == 1) & (y_test == 0)))
    false_alarms = int(np.sum((predicted == 0) & (y_test == 1)))
    print(f"Of {len(y_test)} test patients: {missed} malignant cases called benign, "
          f"{false_alarms} benign cases called malignant")

    path = history_figure(history, args.out / "breast_cancer_training.png", metrics=["loss", "accuracy"],
                          title="Breast cancer: training and validation curves")
    return {"test_loss": test_loss, "test_accuracy": test_accuracy, "figures": [path]}


if __name__ == "__main__":
    main(sys.argv[1:])
