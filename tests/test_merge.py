"""Merge layers (add, subtract, multiply, average, maximum, minimum, concatenate): forward against NumPy,
gradients against finite differences, Keras' fold order and TF's tie rule for maximum/minimum."""

import numpy as np
import pytest

from graph_reference import forward, make_net, reference_gradients, step_gradients
from pyminidl import _core

LINEAR, TANH = int(_core.Act.linear), int(_core.Act.tanh)


def dense(units, src, act=LINEAR):
    return ("dense", [src], {"units": units, "activation": act, "use_bias": 1})


def merged(kind, count, attrs=None, shape=(4,)):
    """count inputs, each through its own Dense (so the merge's input gradients reach parameters), merged, then
    a Dense head; shape is the per-input shape before a Reshape (for concatenate on other axes)."""
    layers = [dense(int(np.prod(shape)), k, TANH) for k in range(count)]
    srcs = list(range(count, 2 * count))
    if len(shape) > 1:
        layers += [("reshape", [s], {"target_shape": list(shape)}) for s in srcs]
        srcs = list(range(2 * count, 3 * count))
    layers.append((kind, srcs, dict(attrs or {})))
    top = count + len(layers) - 1
    if len(shape) > 1:
        layers.append(("flatten", [top], {}))
        top += 1
    layers.append(dense(2, top))
    return layers, [(3,)] * count


CASES = [("add", 2, None, (4,)), ("add", 3, None, (4,)), ("subtract", 2, None, (4,)), ("multiply", 3, None, (4,)),
         ("average", 3, None, (4,)), ("maximum", 3, None, (4,)), ("minimum", 2, None, (4,)),
         ("concatenate", 2, None, (4,)), ("concatenate", 3, {"axis": 1}, (2, 2)),
         ("concatenate", 2, {"axis": -1}, (2, 3)), ("concatenate", 2, {"axis": -2}, (2, 3))]


@pytest.mark.parametrize("kind, count, attrs, shape", CASES)
def test_forward_and_gradients(kind, count, attrs, shape):
    layers, shapes = merged(kind, count, attrs, shape)
    net, weights = make_net(layers, shapes, scale=0.8)
    rng = np.random.RandomState(len(kind) + count)
    xs, y = [rng.uniform(-1, 1, (6, 3)) for _ in range(count)], rng.uniform(-1, 1, (6, 2))
    np.testing.assert_allclose(net.predict([x.astype(np.float32) for x in xs]), forward(layers, xs, weights),
                               rtol=1e-5, atol=1e-6)
    for g, w in zip(step_gradients(net, xs, y), reference_gradients(layers, xs, y, weights)):
        np.testing.assert_allclose(g, w, rtol=2e-3, atol=2e-5)


def test_concatenate_output_shapes():
    net = _core.Network([("concatenate", [0, 1], {"axis": 1}), ("flatten", [2], {})], [(2, 3), (1, 3)], 0)
    assert net.layer_shapes()[0] == (3, 3)
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    b = np.full((1, 1, 3), -1, np.float32)
    np.testing.assert_array_equal(net.predict([a, b]), np.concatenate([a, b], axis=1).reshape(1, -1))


def _merge_input_gradients(kind, x0, x1):
    """d loss / d (x0, x1) of sum(w * kind(x0, x1)), through identity Dense layers with zero bias."""
    layers = [dense(3, 0), dense(3, 1), (kind, [2, 3], {}), dense(1, 4)]
    net = _core.Network(layers, [(3,), (3,)], 0)
    for j in (0, 1):
        net.layer_weights(j)[0][1][...] = np.eye(3)
    net.layer_weights(3)[0][1][...] = 1.0
    loss, opt = _core.LossConfig(), _core.OptimizerConfig()
    loss.kind, opt.kind, opt.learning_rate = _core.Loss.mse, _core.Opt.sgd, 0.0
    net.compile(loss, [], opt)
    out = net.predict([x0, x1])
    net.begin_epoch(1, 1, 0)
    net.train_batches([x0, x1], out - 0.5, None, 0, 1)  # d loss / d out = 2 * 0.5 = 1
    grads = net.gradients()
    return grads[1], grads[3]  # the Dense biases: their gradients are d loss / d x0, d loss / d x1


@pytest.mark.parametrize("kind", ["maximum", "minimum"])
def test_ties_send_the_gradient_to_the_first_input(kind):
    x0 = np.array([[1.0, 2.0, -3.0]], np.float32)
    x1 = np.array([[1.0, 0.0, 5.0]], np.float32)
    g0, g1 = _merge_input_gradients(kind, x0, x1)
    first = [1.0, 1.0, 0.0] if kind == "maximum" else [1.0, 0.0, 1.0]  # element 0 ties
    np.testing.assert_array_equal(g0, first)
    np.testing.assert_array_equal(g1, 1.0 - np.array(first))


def test_average_divides_the_sum():
    x0 = np.array([[1.0, 2.0, 3.0]], np.float32)
    x1 = np.array([[0.5, 0.25, 7.0]], np.float32)
    g0, g1 = _merge_input_gradients("average", x0, x1)
    np.testing.assert_array_equal(g0, [0.5] * 3)
    np.testing.assert_array_equal(g1, [0.5] * 3)
