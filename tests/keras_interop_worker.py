"""Run by tests/test_keras_interop.py with a Python that has TensorFlow (never imported by pyminidl's tests).

    python keras_interop_worker.py DIR

DIR/manifest.json lists the files pyminidl wrote ({"name", "x": [npy files], "batch_x", "batch_y", "train"}); for
each this loads them the ways a TensorFlow user would and writes DIR/<name>.<how>.npz holding `pred` (predictions
on x) and, where "train" is set, `next_i` (every weight after one train_on_batch on batch_x, batch_y):

    k3          keras.models.load_model(name.keras)
    k3_h5       keras.models.load_model(name.h5)                 (Keras 3 reading the legacy layout)
    k3_weights  the .keras model, zeroed, then load_weights(name.weights.h5)
    k2_h5       tf_keras.models.load_model(name.h5)              (when tf_keras is installed)
    k2_weights  the k2_h5 model, zeroed, then load_weights(name.w.h5)
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import keras  # noqa: E402

try:
    import tf_keras  # noqa: E402
except ImportError:
    tf_keras = None


def inputs(folder, names):
    arrays = [np.load(os.path.join(folder, n)) for n in names]
    return arrays[0] if len(arrays) == 1 else arrays


def record(folder, case, how, model, train):
    x = inputs(folder, case["x"])
    out = {"pred": model.predict(x, verbose=0)}
    if train:
        model.train_on_batch(inputs(folder, case["batch_x"]), np.load(os.path.join(folder, case["batch_y"])))
        out.update({f"next_{i}": w for i, w in enumerate(model.get_weights())})
    np.savez(os.path.join(folder, f"{case['name']}.{how}.npz"), **out)


def zeroed_then_loaded(model, path):
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(path)
    return model


def main(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        cases = json.load(f)
    for case in cases:
        base = os.path.join(folder, case["name"])
        record(folder, case, "k3", keras.models.load_model(base + ".keras"), case["train"])
        record(folder, case, "k3_h5", keras.models.load_model(base + ".h5"), False)
        record(folder, case, "k3_weights",
               zeroed_then_loaded(keras.models.load_model(base + ".keras"), base + ".weights.h5"), False)
        if tf_keras is not None and case.get("keras2", True):
            record(folder, case, "k2_h5", tf_keras.models.load_model(base + ".h5"), case["train"])
            record(folder, case, "k2_weights",
                   zeroed_then_loaded(tf_keras.models.load_model(base + ".h5"), base + ".w.h5"), False)
    print(json.dumps({"keras": keras.__version__, "tf_keras": getattr(tf_keras, "__version__", None)}))


if __name__ == "__main__":
    main(sys.argv[1])
