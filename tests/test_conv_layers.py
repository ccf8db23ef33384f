"""The convolution, pooling, batch-normalization and embedding layer kinds inside _core.Network: forward
against float64 NumPy references (conv_layer_reference.py), parameter gradients (and, through a 1x1
convolution in front, input gradients) against finite differences; odd sizes, strides, dilation, 'same'
on even and odd inputs, batch 1."""

import numpy as np
import pytest

from conv_layer_reference import chain_forward, make_chain, reference_gradients, step_gradients
from pyminidl import _core

RELU = int(_core.Act.relu)
TANH = int(_core.Act.tanh)


def conv(filters, k, s=(1, 1), d=(1, 1), padding=0, act=0, use_bias=1):
    return ("conv2d", {"filters": filters, "kernel_size": list(k), "strides": list(s), "dilation_rate": list(d),
                       "padding": padding, "activation": act, "alpha": 0.0, "use_bias": use_bias})


def conv1d(filters, k, s=1, d=1, padding=0, act=0):
    return ("conv1d", {"filters": filters, "kernel_size": [k], "strides": [s], "dilation_rate": [d],
                       "padding": padding, "activation": act, "alpha": 0.0, "use_bias": 1})


def pool(kind, p, s, padding=0):
    return (kind, {"pool_size": list(p), "strides": list(s), "padding": padding})


FLAT = ("flatten", {})
# A 1x1 convolution in front: its kernel's gradient passes through the input gradient of what follows.
FRONT2 = conv(2, (1, 1), act=TANH)
FRONT1 = conv1d(2, 1, act=TANH)

CASES = [
    ("conv valid odd", (7, 5, 2), [FRONT2, conv(3, (3, 2)), FLAT]),
    ("conv same even, stride 2", (8, 6, 2), [FRONT2, conv(3, (3, 4), s=(2, 2), padding=1, act=TANH), FLAT]),
    ("conv same odd, stride 2", (7, 5, 2), [FRONT2, conv(2, (4, 3), s=(2, 3), padding=1), FLAT]),
    ("conv dilated same", (7, 6, 2), [FRONT2, conv(2, (3, 2), d=(2, 3), padding=1, use_bias=0), FLAT]),
    ("conv relu 1x1", (3, 4, 2), [FRONT2, conv(3, (1, 1), act=RELU), FLAT]),
    # relu applied in place by the short-patch kernel, 18 filters: a full 16-column panel and a partial one
    ("conv relu short patch same", (6, 5, 2), [FRONT2, conv(18, (3, 3), padding=1, act=RELU), FLAT]),
    ("max pool valid", (7, 5, 2), [FRONT2, pool("max_pooling2d", (2, 2), (2, 2)), FLAT]),
    ("max pool same overlapping", (6, 5, 2), [FRONT2, pool("max_pooling2d", (3, 3), (2, 1), 1), FLAT]),
    ("avg pool same odd", (5, 7, 2), [FRONT2, pool("average_pooling2d", (2, 3), (2, 2), 1), FLAT]),
    ("global avg 2d", (3, 4, 2), [FRONT2, ("global_average_pooling2d", {"keepdims": 0})]),
    ("global max 2d keepdims", (3, 4, 2), [FRONT2, ("global_max_pooling2d", {"keepdims": 1}), FLAT]),
    ("batch norm 4-D", (3, 4, 2), [FRONT2, ("batch_normalization", {}), FLAT]),
    ("batch norm no scale", (3, 4, 2), [FRONT2, ("batch_normalization", {"scale": 0, "epsilon": 0.01}), FLAT]),
    ("zero padding", (3, 2, 2), [FRONT2, ("zero_padding2d", {"padding": [1, 2, 0, 3]}), FLAT]),
    ("up sampling", (3, 2, 2), [FRONT2, ("up_sampling2d", {"size": [2, 3]}), conv(2, (2, 2), s=(2, 2)), FLAT]),
    ("conv1d causal dilated", (7, 2), [FRONT1, conv1d(3, 3, d=2, padding=2), FLAT]),
    ("conv1d same stride", (8, 2), [FRONT1, conv1d(2, 3, s=3, padding=1, act=TANH), FLAT]),
    ("max pool 1d", (7, 2), [FRONT1, pool("max_pooling1d", (3,), (2,)), FLAT]),
    ("global avg 1d", (5, 2), [FRONT1, ("global_average_pooling1d", {"keepdims": 0})]),
    ("global max 1d", (5, 2), [FRONT1, ("global_max_pooling1d", {"keepdims": 0})]),
]


@pytest.mark.parametrize("name,shape,layers", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("batch", [1, 3])
def test_forward_and_gradients(name, shape, layers, batch):
    net, chain, weights = make_chain(layers, shape)
    rng = np.random.RandomState(7)
    x = rng.uniform(-1, 1, (batch,) + shape)
    expected = chain_forward(chain, x, weights, training=False)
    got = net.predict([x.astype(np.float32)], 8)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    if batch == 1 and any(kind == "batch_normalization" for kind, _, _ in chain):
        return  # one sample: the batch variance of a channel over few cells is a poor finite-difference subject
    y = rng.uniform(-1, 1, expected.reshape(batch, -1).shape)
    grads = step_gradients(net, x, y)
    ref = reference_gradients(net, chain, x, y, weights)
    assert len(grads) == len(ref)
    for g, r in zip(grads, ref):
        np.testing.assert_allclose(g, r, rtol=2e-3, atol=2e-5)


def test_batch_norm_training_forward_and_moving_statistics():
    layers = [("batch_normalization", {"momentum": 0.9}), FLAT]
    net, chain, weights = make_chain(layers, (2, 3, 4))
    x = np.random.RandomState(0).normal(2.0, 3.0, (5, 2, 3, 4))
    mm, mv = weights[0][2].copy(), weights[0][3].copy()
    step_gradients(net, x, np.zeros((5, 24)))
    flat = x.reshape(-1, 4)
    views = {name: v for name, v, _ in net.layer_weights(0)}
    # Keras 3: the biased batch variance moves the moving variance on any rank (KERAS_REFERENCE §14).
    np.testing.assert_allclose(views["moving_mean"], 0.9 * mm + 0.1 * flat.mean(0), rtol=1e-5)
    np.testing.assert_allclose(views["moving_variance"], 0.9 * mv + 0.1 * flat.var(0), rtol=1e-5)
    # evaluate/predict use the moving statistics and do not move them
    net.predict([x.astype(np.float32)], 8)
    np.testing.assert_allclose(views["moving_mean"], 0.9 * mm + 0.1 * flat.mean(0), rtol=1e-5)


def test_frozen_batch_norm_is_inference_and_not_trained():
    net, chain, weights = make_chain([FRONT2, ("batch_normalization", {"trainable": 0}), FLAT], (3, 3, 2))
    assert [t for _, _, t in net.layer_weights(1)] == [False] * 4
    x = np.random.RandomState(1).uniform(-1, 1, (4, 3, 3, 2))
    y = np.zeros((4, 18))
    grads = step_gradients(net, x, y)
    assert len(grads) == 2  # the front convolution's kernel and bias only

    def frozen_forward(c, xx, w, training=True):
        return chain_forward(c, xx, w, training=False)
    import conv_layer_reference as clr
    saved = clr.chain_forward
    clr.chain_forward = frozen_forward
    try:
        ref = reference_gradients(net, chain, x, y, weights)
    finally:
        clr.chain_forward = saved
    for g, r in zip(grads, ref):
        np.testing.assert_allclose(g, r, rtol=2e-3, atol=2e-5)


def test_embedding_forward_gradient_and_range():
    layers = [("embedding", {"input_dim": 6, "output_dim": 3}), FLAT]
    net, chain, weights = make_chain(layers, (4,))
    ids = np.array([[0, 5, 5, 2], [1.9, -1, 0, 3]])  # 1.9 -> 1 (toward zero), -1 -> the last row
    expected = weights[0][0][np.array([[0, 5, 5, 2], [1, 5, 0, 3]])].reshape(2, -1)
    np.testing.assert_allclose(net.predict([ids.astype(np.float32)], 8), expected, rtol=1e-6)
    y = np.random.RandomState(2).uniform(-1, 1, (2, 12))
    (g,) = step_gradients(net, ids, y)
    d = 2 * (expected - y) / y.size
    ref = np.zeros((6, 3))
    for s, row in enumerate([[0, 5, 5, 2], [1, 5, 0, 3]]):
        for t, r in enumerate(row):
            ref[r] += d[s, 3 * t:3 * t + 3]
    np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-7)  # rows never looked up (4) get zeros
    for bad, text in [(6, r"indices\[1,2\] = 6 is not in \[0, 6\)"), (-7, r"indices\[1,2\] = -7")]:
        x = ids.copy()
        x[1, 2] = bad
        with pytest.raises(IndexError, match=text):
            net.predict([x.astype(np.float32)], 8)
        with pytest.raises(IndexError, match=text):
            net.begin_epoch(2, 2, 0)
            net.train_batches([x.astype(np.float32)], y.astype(np.float32), None, 0, 1)


def test_results_do_not_depend_on_thread_count():
    layers = [conv(8, (3, 3), padding=1, act=RELU), pool("max_pooling2d", (2, 2), (2, 2)),
              conv(16, (3, 3), act=RELU), ("batch_normalization", {}), ("global_average_pooling2d", {"keepdims": 0}),
              ("dense", {"units": 3})]
    x = np.random.RandomState(3).uniform(-1, 1, (70, 12, 11, 3)).astype(np.float32)
    y = np.random.RandomState(4).uniform(-1, 1, (70, 3)).astype(np.float32)
    before = _core.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            _core.set_num_threads(threads)
            net, _, _ = make_chain(layers, (12, 11, 3))
            results.append((step_gradients(net, x, y), net.predict([x], 32)))
    finally:
        _core.set_num_threads(before)
    for grads, out in results[1:]:
        np.testing.assert_array_equal(out, results[0][1])
        for g, g0 in zip(grads, results[0][0]):
            np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("layer,shape,message", [
    (conv(2, (5, 5)), (4, 4, 1), r"window \(5 cells"),
    (conv(2, (3, 3)), (4, 4), "expects inputs of shape"),
    (("conv2d", {"filters": 0, "kernel_size": [3, 3], "strides": [1, 1], "dilation_rate": [1, 1],
                 "padding": 0}), (4, 4, 1), "'filters' must be in"),
    (pool("max_pooling2d", (2, 2), (0, 2)), (4, 4, 1), "'strides'"),
    (("embedding", {"input_dim": 0, "output_dim": 2}), (3,), "'input_dim' must be in"),
    (("batch_normalization", {"momentum": 2}), (3,), "'momentum' must be in"),
    (("global_average_pooling1d", {}), (3, 4, 2), "expects inputs of shape"),
])
def test_bad_attributes_raise_value_error(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        _core.Network([(layer[0], [0], layer[1]), ("flatten", [1], {})], [shape], 0)
