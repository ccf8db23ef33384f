"""GridSearchCV's fits on a local Ray instance through Ray's joblib backend (skipped when Ray is missing: it is
a large optional install, which CI makes in its own step)."""

import os

import numpy as np
import pytest

if os.environ.get("PYMINIDL_SANITIZED"):  # tools/sanitize.sh: test_wrappers runs the same C++ under ASan; the
    pytest.skip("worker and kernel processes add only start-up time there", allow_module_level=True)

ray = pytest.importorskip("ray")

import joblib  # noqa: E402
from ray.util.joblib import register_ray  # noqa: E402

import pyminidl as tf  # noqa: E402
from test_dask import grid_search  # noqa: E402  (the same search as on Dask)


@pytest.fixture(scope="module")
def ray_instance(tmp_path_factory):
    # the builder is pickled by reference: Ray's workers must be able to import this folder's test_dask
    tests = os.path.dirname(os.path.abspath(__file__))
    # Ray's workers put the driver's working directory first on sys.path: started in the checkout, they would
    # import its pyminidl/, which has no compiled core when the package was installed, not built in place.
    home = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("ray"))
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [tests, os.environ.get(
                     "PYTHONPATH")]))}})
        register_ray()
        yield
        ray.shutdown()
    finally:
        os.chdir(home)


def test_grid_search_on_ray_matches_one_process(ray_instance):
    threads = ray.get([ray.remote(tf.get_num_threads).remote() for _ in range(2)])
    assert threads == [1, 1]  # Ray gives each one-CPU task OMP_NUM_THREADS=1
    x, y = tf.datasets.load_iris()
    local = grid_search().fit(x, y)
    with joblib.parallel_backend("ray"):
        remote = grid_search().fit(x, y)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
