"""pyminidl -> file -> TensorFlow: the files pyminidl writes load in Keras 3 (`.keras`, `.h5`, `.weights.h5`) and
tf_keras 2.x (`.h5`, save_weights' `.h5`), predict what pyminidl predicts (1e-6), and Keras' next training step
from the saved optimizer state is pyminidl's next step (the same file, the same batch).

TensorFlow is not a pyminidl dependency: the checks run in a separate Python that has it, named by the environment
variable PYMINIDL_TF_PYTHON (or this Python, if it imports tensorflow); otherwise the module is skipped. The other
direction (files Keras wrote, read by pyminidl) is tests/test_keras_files.py, which needs no TensorFlow.
"""

import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import pyminidl
from pyminidl import layers, optimizers
from pyminidl.layers.base import REGISTRY
from pyminidl.models import Sequential

WORKER = os.path.join(os.path.dirname(__file__), "keras_interop_worker.py")


def tf_python():
    named = os.environ.get("PYMINIDL_TF_PYTHON")
    if named:
        return named
    return sys.executable if importlib.util.find_spec("tensorflow") else None


pytestmark = pytest.mark.skipif(tf_python() is None, reason="TensorFlow is not installed here: set "
                                "PYMINIDL_TF_PYTHON to a Python that has tensorflow (and tf_keras) to run these")

ACTIVATIONS = ["relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish", "gelu", "leaky_relu",
               "relu6", "hard_sigmoid", "exponential", "mish", "linear", "softmax"]
K2_ACTIVATIONS = ["relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "swish", "gelu", "linear",
                  "softmax"]  # tf_keras 2.x: hard_sigmoid is another formula, the rest are not in its registry
OPTIMIZERS = {
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.5, nesterov=True),
    "rmsprop_centered": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.05),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.01),
}


def dense_case(opt):
    # Dropout(0.0): saved and loaded, but the next training step stays deterministic in both frameworks
    model = Sequential([layers.Dense(8, input_shape=(4,), activation="relu"), layers.Dropout(0.0),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer=OPTIMIZERS[opt](), loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.RandomState(0)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 24)]
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return model, [x], y


def activations_case(names):
    model = Sequential([layers.Flatten(input_shape=(2, 2))] + [layers.Dense(4, activation=a) for a in names]
                       + [layers.Activation("tanh"), layers.Dropout(0.5), layers.Dense(2)])
    return model, [np.random.RandomState(1).normal(size=(16, 2, 2)).astype(np.float32)], None


def functional_case():
    a, b = pyminidl.Input(shape=(3,), name="a"), pyminidl.Input(shape=(2,), name="b")
    h = layers.Dense(4, activation="relu", name="d1")(a)
    out = layers.Dense(2, activation="sigmoid", name="out")(layers.Concatenate(name="cat")([h, b]))
    model = pyminidl.models.Model([a, b], out)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.RandomState(2)
    x = [rng.normal(size=(24, 3)).astype(np.float32), rng.normal(size=(24, 2)).astype(np.float32)]
    y = (rng.rand(24, 2) > 0.5).astype(np.float32)
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return model, x, y


def convnet_case():
    model = Sequential([layers.Conv2D(4, 3, activation="relu", padding="same", input_shape=(8, 8, 1)),
                        layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Conv2D(2, 3), layers.Flatten(),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.RandomState(3)
    x = rng.normal(size=(24, 8, 8, 1)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.randint(0, 3, 24)]
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return model, [x], y


def embedding_case():
    model = Sequential([layers.Embedding(10, 3, input_shape=(5,)), layers.Flatten(), layers.Dense(1, "sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    rng = np.random.RandomState(4)
    x = rng.randint(0, 10, size=(24, 5)).astype(np.float32)
    y = (rng.rand(24, 1) > 0.5).astype(np.float32)
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return model, [x], y


def cases():
    """name -> (builder, train?, tf_keras too?); models whose classes this pyminidl lacks are left out."""
    out = {f"dense_{opt}": (lambda opt=opt: dense_case(opt), True, True) for opt in OPTIMIZERS}
    out["activations"] = (lambda: activations_case(ACTIVATIONS), False, False)
    out["activations_k2"] = (lambda: activations_case(K2_ACTIVATIONS), False, True)
    if hasattr(pyminidl.models, "Model") and "Concatenate" in REGISTRY:
        out["functional"] = (functional_case, True, True)
    if {"Conv2D", "BatchNormalization", "MaxPooling2D"} <= set(REGISTRY):
        # BatchNormalization trains with batch statistics: the next step depends on float summation order
        out["convnet"] = (convnet_case, False, True)
    if "Embedding" in REGISTRY:
        out["embedding"] = (embedding_case, True, True)
    return out


@pytest.fixture(scope="module")
def keras_results(tmp_path_factory):
    """Every case saved by pyminidl, loaded by Keras in one worker process (TensorFlow starts once)."""
    folder = tmp_path_factory.mktemp("interop")
    manifest, ours = [], {}
    for name, (build, train, keras2) in cases().items():
        pyminidl.clear_session()
        model, xs, y = build()
        base = folder / name
        model.save(f"{base}.keras")
        with warnings.catch_warnings():  # hard_sigmoid's Keras 2 formula differs: that case is Keras 3 only
            warnings.simplefilter("ignore" if not keras2 else "error", UserWarning)
            model.save(f"{base}.h5")
        model.save_weights(f"{base}.weights.h5")
        model.save_weights(f"{base}.w.h5")
        for i, x in enumerate(xs):
            np.save(folder / f"{name}.x{i}.npy", x)
            np.save(folder / f"{name}.bx{i}.npy", x[:8])
        entry = {"name": name, "x": [f"{name}.x{i}.npy" for i in range(len(xs))],
                 "batch_x": [f"{name}.bx{i}.npy" for i in range(len(xs))], "train": train, "keras2": keras2}
        expected = {"pred": model.predict(xs if len(xs) > 1 else xs[0], verbose=0)}
        if train:
            np.save(folder / f"{name}.by.npy", y[:8])
            entry["batch_y"] = f"{name}.by.npy"
            model.fit([x[:8] for x in xs] if len(xs) > 1 else xs[0][:8], y[:8], batch_size=8, epochs=1,
                      shuffle=False, verbose=0)
            expected.update({f"next_{i}": w for i, w in enumerate(model.get_weights())})
        ours[name] = expected
        manifest.append(entry)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    proc = subprocess.run([tf_python(), WORKER, str(folder)], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder, ours, json.loads(proc.stdout.strip().splitlines()[-1])


def loaded(folder, name, how):
    path = folder / f"{name}.{how}.npz"
    if not path.exists():
        pytest.skip(f"{how} was not run (tf_keras missing, or not a Keras 2 model)")
    return np.load(path)


@pytest.mark.parametrize("how", ["k3", "k3_h5", "k3_weights", "k2_h5", "k2_weights"])
@pytest.mark.parametrize("name", sorted(cases()))
def test_keras_predicts_what_pyminidl_predicted(keras_results, name, how):
    folder, ours, _versions = keras_results
    np.testing.assert_allclose(loaded(folder, name, how)["pred"], ours[name]["pred"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("how", ["k3", "k2_h5"])
@pytest.mark.parametrize("name", sorted(n for n, (_b, train, _k2) in cases().items() if train))
def test_keras_resumes_training_where_pyminidl_stopped(keras_results, name, how):
    if how == "k2_h5" and name == "dense_nadam":
        pytest.skip("tf_keras keeps Nadam's momentum product outside its saved variables: it restarts it")
    if how == "k2_h5" and name == "embedding":
        pytest.skip("tf_keras adds up an Embedding's repeated ids before RMSprop squares the gradient; Keras 3, "
                    "and pyminidl, square each lookup's row (tests/test_embedding_training.py)")
    folder, ours, _versions = keras_results
    theirs = loaded(folder, name, how)
    for i in range(len([k for k in ours[name] if k.startswith("next_")])):
        np.testing.assert_allclose(theirs[f"next_{i}"], ours[name][f"next_{i}"], rtol=0, atol=2e-6,
                                   err_msg=f"weight {i}")
