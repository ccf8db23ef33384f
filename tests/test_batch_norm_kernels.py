"""Batch-normalization kernels (cpp/layers/batch_norm.*) through their test hook: Keras 3's math
(KERAS_REFERENCE §14: biased batch variance, epsilon 1e-3, momentum 0.99), float64 references, and the
gradients with respect to x, gamma and beta by finite differences."""

import numpy as np
import pytest

from pyminidl import _core

import finite_differences
from thread_counts import same_on_1_2_3_threads

EPS = 1e-3


def _train(x, gamma, beta):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + EPS) + beta


@pytest.mark.parametrize("rows,c", [(5, 3), (1, 2), (37, 20)])
def test_training_forward_and_gradients(rows, c):
    rng = np.random.default_rng(8)
    x = (rng.normal(size=(rows, c)) * 3 + 2).astype(np.float32)
    gamma = rng.normal(size=c).astype(np.float32)
    beta = rng.normal(size=c).astype(np.float32)
    y, mean, var = _core._batch_norm(x, gamma, beta)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(var, x64.var(axis=0), rtol=1e-5, atol=1e-6)  # biased: divides by N
    np.testing.assert_allclose(y, _train(x64, gamma, beta), rtol=1e-4, atol=1e-5)
    r = rng.normal(size=(rows, c))
    dx, dgamma, dbeta = _core._batch_norm(x, gamma, beta, dy=r.astype(np.float32))
    gx = finite_differences.gradient(lambda v: (_train(v, gamma, beta) * r).sum(), x)
    gg = finite_differences.gradient(lambda v: (_train(x64, v, beta) * r).sum(), gamma)
    gb = finite_differences.gradient(lambda v: (_train(x64, gamma, v) * r).sum(), beta)
    np.testing.assert_allclose(dx, gx, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(dgamma, gg, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dbeta, gb, rtol=1e-4, atol=1e-4)


def test_without_center_and_scale():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    y, _, _ = _core._batch_norm(x, None, None)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y, _train(x64, 1.0, 0.0), rtol=1e-4, atol=1e-5)
    r = rng.normal(size=x.shape)
    dx, _, _ = _core._batch_norm(x, None, None, dy=r.astype(np.float32))
    np.testing.assert_allclose(dx, finite_differences.gradient(lambda v: (_train(v, 1.0, 0.0) * r).sum(), x),
                               rtol=1e-3, atol=1e-4)


def test_inference_and_moving_statistics():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    gamma, beta = rng.normal(size=3).astype(np.float32), rng.normal(size=3).astype(np.float32)
    mm, mv = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, size=3).astype(np.float32)
    y, _, _ = _core._batch_norm(x, gamma, beta, mm, mv)
    np.testing.assert_allclose(y, gamma * (x - mm) / np.sqrt(mv + EPS) + beta, rtol=1e-5, atol=1e-5)
    r = rng.normal(size=x.shape).astype(np.float32)
    dx, dgamma, dbeta = _core._batch_norm(x, gamma, beta, mm, mv, dy=r)
    np.testing.assert_allclose(dx, r * gamma / np.sqrt(mv + EPS), rtol=1e-5)
    np.testing.assert_allclose(dgamma, (r * (x - mm) / np.sqrt(mv + EPS)).sum(axis=0), rtol=1e-4)
    np.testing.assert_allclose(dbeta, r.sum(axis=0), rtol=1e-5)
    _, mean, var = _core._batch_norm(x, gamma, beta)
    new_mm, new_mv = _core._batch_norm_update_moving(mean, var, mm, mv, 0.99)
    np.testing.assert_allclose(new_mm, mm * np.float32(0.99) + mean * np.float32(0.01), rtol=1e-6)
    np.testing.assert_allclose(new_mv, mv * np.float32(0.99) + var * np.float32(0.01), rtol=1e-6)


def test_thread_count_independent():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(4000, 48)).astype(np.float32)
    gamma, beta = rng.normal(size=48).astype(np.float32), rng.normal(size=48).astype(np.float32)
    r = rng.normal(size=x.shape).astype(np.float32)
    same_on_1_2_3_threads(lambda: _core._batch_norm(x, gamma, beta) + _core._batch_norm(x, gamma, beta, dy=r))
