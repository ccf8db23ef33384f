"""Linear regression on the blood fat data (x09.txt): blood fat content from weight and age.

The classic tutorial, with only the import changed:
one Dense unit on two raw inputs (weight [kg], age [years]), RMSprop, mean squared error, 5000 epochs.

    python examples/regression.py [--out DIR]

The features are used raw, as in the tutorial. RMSprop's steps are about lr = 0.001 per epoch whatever the
scale of the gradient, so the weights creep from their random start towards the least-squares solution; in
5000 epochs the loss falls from about 70,000 to under 2,000 (under 3% of where it started), which is the
tutorial's result too. Standardising the inputs would converge faster, but that is not what the tutorial did.
"""

import sys

import numpy as np

import pyminidl as tf
from _plotting import history_figure, parse_args, pyplot, save

SEED = 0


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    tf.keras.utils.set_random_seed(SEED)

    # Columns: index, one, weight, age, blood fat content.
    data = np.genfromtxt(tf.datasets.blood_fat_path(), skip_header=36)
    X = data[:, 2:4]  # weight, age
    y = data[:, 4]    # blood fat content
    print(f"Data: {X.shape[0]} people, features weight and age; first row {X[0]} -> {y[0]}")

    model = tf.keras.models.Sequential()
    model.add(tf.keras.layers.Dense(1, input_shape=(2,)))
    model.compile(optimizer="rmsprop", loss="mse")
    model.summary()

    history = model.fit(X, y, epochs=5000, verbose=0)

    losses = history.history["loss"]
    print("\nLoss during training:")
    for epoch in [1] + list(range(1000, 5001, 1000)):
        print(f"Epoch {epoch:4d}/5000 - loss: {losses[epoch - 1]:.4f}")
    print(f"Loss fell to {losses[-1] / losses[0]:.2%} of its start")

    print("\nPredictions:")
    queries = np.array([[100, 44], [60, 25]])
    predictions = model.predict(queries)
    for (weight, age), fat in zip(queries, predictions[:, 0]):
        print(f"weight {weight} kg, age {age} years -> blood fat {fat:.1f}")

    W, b = model.get_weights()
    print("\nWeights:", W.ravel())
    print("Bias:", b)

    # Figure 1: the loss curve.
    loss_path = history_figure(history, args.out / "regression_loss.png", metrics=["loss"],
                               title="Blood fat regression: training loss (MSE)")

    # Figure 2: the data as a 3-D scatter with the fitted plane.
    plt = pyplot()
    fig = plt.figure(figsize=(7, 5.5))
    ax = fig.add_subplot(projection="3d")
    ax.scatter(X[:, 0], X[:, 1], y, color="tab:red", label="data")
    ww, aa = np.meshgrid(np.linspace(X[:, 0].min(), X[:, 0].max(), 10),
                         np.linspace(X[:, 1].min(), X[:, 1].max(), 10))
    plane = model.predict(np.column_stack([ww.ravel(), aa.ravel()])).reshape(ww.shape)
    ax.plot_surface(ww, aa, plane, alpha=0.4, color="tab:blue")
    ax.set_xlabel("weight [kg]")
    ax.set_ylabel("age [years]")
    ax.set_zlabel("blood fat")
    ax.set_title("Blood fat: data and the fitted plane")
    ax.legend()
    plane_path = save(fig, args.out / "regression_plane.png")

    return {"loss_first": losses[0], "loss_last": losses[-1], "predictions": predictions[:, 0].tolist(),
            "weights": W.ravel().tolist(), "bias": float(b[0]), "figures": [loss_path, plane_path]}


if __name__ == "__main__":
    main(sys.argv[1:])
