"""GridSearchCV's fits on a Dask cluster (two worker processes) through joblib's dask backend."""

import os

import numpy as np
import pytest

if os.environ.get("PYMINIDL_SANITIZED"):  # tools/sanitize.sh: test_wrappers runs the same C++ under ASan; the
    pytest.skip("worker and kernel processes add only start-up time there", allow_module_level=True)

if os.environ.get("CI"):  # CI installs the test extra: there a missing Dask is a failure, not a skip
    import distributed  # noqa: F401
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import pyminidl as tf  # noqa: E402
from pyminidl.wrappers import KerasClassifier  # noqa: E402


def build(meta, hidden=8):
    return tf.keras.Sequential([tf.keras.layers.Dense(hidden, activation="relu"),
                                tf.keras.layers.Dense(meta["n_classes_"], activation="softmax")])


def grid_search():
    clf = KerasClassifier(build, optimizer="adam", epochs=20, verbose=0, random_state=0)
    return GridSearchCV(make_pipeline(StandardScaler(), clf),
                        {"kerasclassifier__model__hidden": [4, 16],
                         "kerasclassifier__optimizer__learning_rate": [0.003, 0.03]}, cv=3)


@pytest.fixture(scope="module")
def client():
    # processes=True: two worker processes, as on a real cluster; one thread each so they don't oversubscribe
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as c:
        yield c


def test_workers_run_pyminidl_on_one_thread(client):
    threads = client.run(tf.get_num_threads)  # the nanny sets OMP_NUM_THREADS=1, which OpenMP honours
    assert len(threads) == 2 and set(threads.values()) == {1}


def test_grid_search_on_dask_matches_one_process(client):
    x, y = tf.datasets.load_iris()
    local = grid_search().fit(x, y)
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        remote = grid_search().fit(x, y)
    workers = {task["worker"] for task in stream.data}
    assert len(workers) == 2, f"the fits ran on {workers}, not on both workers"
    # random_state fixes every fit and results do not depend on the thread count: the same numbers, bit for bit
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
    assert np.array_equal(remote.predict_proba(x), local.predict_proba(x))
