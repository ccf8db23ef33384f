"""Writes the small real-Keras files in tests/data/ that pyminidl's tests read (run once, with TensorFlow).

    python3 -m venv /work/venvs/tf && /work/venvs/tf/bin/pip install tensorflow-cpu==2.21.0 tf-keras h5py
    /work/venvs/tf/bin/python tests/data/make_keras_files.py

For each model it writes `NAME.keras` (Keras 3), `NAME.weights.h5` (Keras 3 weights), `NAME.k3.h5` (Keras 3's
legacy HDF5 writer), `NAME.k2.h5` and `NAME.k2w.h5` (tf_keras, the Keras 2 layout of the TF 2.x era; model and
save_weights), and `NAME.npz` with what Keras computed: `x` and `y_pred` (predictions of the saved model), and,
for compiled models, `batch_y` and `next_i` (every weight after one more `train_on_batch` on the first 8 rows of x
and batch_y: the optimizer state in the file must give the same next step). VERSIONS.json records the versions that wrote them.
Nothing here is imported by pyminidl; the data are fixed (seeded) so a re-run writes the same numbers.
"""

import json
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

try:
    import tf_keras  # noqa: E402
except ImportError:  # the Keras 2 files are then not rewritten
    tf_keras = None

HERE = os.path.dirname(os.path.abspath(__file__))
ACTIVATIONS = ["relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish", "gelu", "leaky_relu",
               "relu6", "hard_sigmoid", "exponential", "mish", "linear"]
K2_ACTIVATIONS = ["relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish", "gelu", "linear"]


def rng(seed):
    return np.random.RandomState(seed)


def xy(n=24, features=4, classes=3, seed=0):
    r = rng(seed)
    x = r.normal(size=(n, features)).astype(np.float32)
    y = np.eye(classes, dtype=np.float32)[(np.abs(x).sum(axis=1) * 3).astype(int) % classes]
    return x, y


def dense_model(k, optimizer):
    k.utils.set_random_seed(1)
    # Dropout(0.0): the layer is read and written, but the recorded next training step stays deterministic
    model = k.Sequential([k.Input(shape=(4,)), k.layers.Dense(8, activation="relu"), k.layers.Dropout(0.0),
                          k.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def activations_model(k, names):
    """One small Dense per activation, plus Activation, Flatten and Dropout layers."""
    k.utils.set_random_seed(2)
    layers = [k.Input(shape=(2, 2)), k.layers.Flatten()]
    layers += [k.layers.Dense(4, activation=a, name=f"d_{a}") for a in names]
    layers += [k.layers.Activation("tanh"), k.layers.Dropout(0.5), k.layers.Dense(2, activation="softmax")]
    return k.Sequential(layers)


def functional_model(k):
    k.utils.set_random_seed(3)
    a, b = k.Input(shape=(3,), name="a"), k.Input(shape=(2,), name="b")
    h = k.layers.Dense(4, activation="relu", name="d1")(a)
    c = k.layers.Concatenate(name="cat")([h, b])
    out = k.layers.Dense(2, activation="sigmoid", name="out")(c)
    model = k.Model([a, b], out)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def convnet_model(k):
    k.utils.set_random_seed(4)
    model = k.Sequential([k.Input(shape=(8, 8, 1)), k.layers.Conv2D(4, 3, activation="relu", padding="same"),
                          k.layers.BatchNormalization(), k.layers.MaxPooling2D(2), k.layers.Conv2D(2, 3),
                          k.layers.Flatten(), k.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def embedding_model(k):
    k.utils.set_random_seed(5)
    model = k.Sequential([k.Input(shape=(5,)), k.layers.Embedding(10, 3), k.layers.Flatten(),
                          k.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


OPTIMIZERS = {  # file name -> (Keras 3 optimizer, Keras 2 optimizer) factories
    "sgd": lambda k: k.optimizers.SGD(learning_rate=0.05),
    "sgd_momentum": lambda k: k.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "sgd_nesterov": lambda k: k.optimizers.SGD(learning_rate=0.05, momentum=0.5, nesterov=True),
    "rmsprop": lambda k: k.optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_centered": lambda k: k.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adam": lambda k: k.optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda k: k.optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda k: k.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "adagrad": lambda k: k.optimizers.Adagrad(learning_rate=0.05),
    "nadam": lambda k: k.optimizers.Nadam(learning_rate=0.01),
}


def inputs_for(name, n=24):
    r = rng(10)
    if name == "functional":
        x = [r.normal(size=(n, 3)).astype(np.float32), r.normal(size=(n, 2)).astype(np.float32)]
        y = (r.rand(n, 2) > 0.5).astype(np.float32)
    elif name == "convnet":
        x = r.normal(size=(n, 8, 8, 1)).astype(np.float32)
        y = np.eye(3, dtype=np.float32)[r.randint(0, 3, n)]
    elif name == "embedding":
        x = r.randint(0, 10, size=(n, 5)).astype(np.float32)
        y = (r.rand(n, 1) > 0.5).astype(np.float32)
    elif name.startswith("activations"):
        x = r.normal(size=(n, 2, 2)).astype(np.float32)
        y = None
    else:
        x, y = xy(n)
    return x, y


# Models whose Keras 3 weights file and Keras 3 '.h5' are written too (the other optimizers: '.keras' only).
ALL_FILES = {"dense_adam", "dense_nadam", "dense_rmsprop_centered", "activations", "functional", "convnet", "embedding"}


def save_all(k, model, name, flavour):
    """Writes the files of one model and its expected numbers; flavour 'k3' (keras) or 'k2' (tf_keras)."""
    x, y = inputs_for(name)
    if y is not None and model.optimizer is not None:
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    expected = {"y_pred": model.predict(x, verbose=0)}
    if flavour == "k3":
        model.save(os.path.join(HERE, f"{name}.keras"))
        if name in ALL_FILES:
            model.save_weights(os.path.join(HERE, f"{name}.weights.h5"))
            model.save(os.path.join(HERE, f"{name}.k3.h5"))
    else:
        model.save(os.path.join(HERE, f"{name}.k2.h5"))
        if name in ALL_FILES:
            model.save_weights(os.path.join(HERE, f"{name}.k2w.h5"))
    if isinstance(x, list):
        for i, part in enumerate(x):
            expected[f"x{i}"] = part
    else:
        expected["x"] = x
    if y is not None and model.optimizer is not None:
        bx = [part[:8] for part in x] if isinstance(x, list) else x[:8]
        model.train_on_batch(bx, y[:8])
        for i, w in enumerate(model.get_weights()):
            expected[f"next_{i}"] = w
        expected["batch_y"] = y[:8]
    suffix = "" if flavour == "k3" else ".k2"
    np.savez(os.path.join(HERE, f"{name}{suffix}.npz"), **expected)


def describe(path):
    """The HDF5 tree of a file, printed so the layouts can be read (docs/files.md quotes them)."""
    with h5py.File(path, "r") as f:
        print(f"--- {os.path.basename(path)} attrs={ {a: f.attrs[a] for a in f.attrs if a != 'model_config'} }")
        f.visititems(lambda n, o: print(f"  {n} {getattr(o, 'shape', '')} {getattr(o, 'dtype', '')}"
                                        f" {dict(o.attrs) if o.attrs else ''}"))


def main():
    for name in os.listdir(HERE):  # a re-run leaves no file of an earlier layout behind
        if name.endswith((".h5", ".keras", ".npz")):
            os.remove(os.path.join(HERE, name))
    versions = {"tensorflow": tf.__version__, "keras": keras.__version__, "h5py": h5py.__version__,
                "numpy": np.__version__, "python": platform.python_version(),
                "tf_keras": getattr(tf_keras, "__version__", None)}
    for opt_name, make in OPTIMIZERS.items():
        save_all(keras, dense_model(keras, make(keras)), f"dense_{opt_name}", "k3")
    save_all(keras, activations_model(keras, ACTIVATIONS), "activations", "k3")
    save_all(keras, functional_model(keras), "functional", "k3")
    save_all(keras, convnet_model(keras), "convnet", "k3")
    save_all(keras, embedding_model(keras), "embedding", "k3")
    if tf_keras is not None:
        for opt_name in ("sgd_momentum", "rmsprop_centered", "adam", "adagrad", "nadam"):
            save_all(tf_keras, dense_model(tf_keras, OPTIMIZERS[opt_name](tf_keras)), f"dense_{opt_name}", "k2")
        save_all(tf_keras, activations_model(tf_keras, K2_ACTIVATIONS), "activations", "k2")
        save_all(tf_keras, functional_model(tf_keras), "functional", "k2")
        save_all(tf_keras, convnet_model(tf_keras), "convnet", "k2")
        save_all(tf_keras, embedding_model(tf_keras), "embedding", "k2")
    with open(os.path.join(HERE, "VERSIONS.json"), "w") as f:
        json.dump(versions, f, indent=1)
        f.write("\n")
    if "-v" in sys.argv:
        for name in sorted(os.listdir(HERE)):
            if name.endswith(".h5"):
                describe(os.path.join(HERE, name))
    print(json.dumps(versions))


if __name__ == "__main__":
    main()
