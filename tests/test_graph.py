"""_core.Network as a graph: several inputs, shared tensors, no-op layers, against float64 NumPy references."""

import numpy as np
import pytest

from graph_reference import forward, make_net, reference_gradients, step_gradients
from pyminidl import _core

RELU, TANH, SIGMOID, LINEAR = (int(_core.Act.relu), int(_core.Act.tanh), int(_core.Act.sigmoid),
                               int(_core.Act.linear))


def dense(units, src, act=LINEAR, use_bias=1):
    return ("dense", [src], {"units": units, "activation": act, "alpha": 0.0, "use_bias": use_bias})


# Two inputs, a tensor read by three layers (gradients accumulate), merge and concatenate, a softmax-free tail.
TWO_INPUTS = [
    dense(5, 0, RELU),                                    # 2: a -> h
    dense(5, 1, TANH),                                    # 3: b -> k
    ("add", [2, 3], {}),                                  # 4
    dense(3, 2, SIGMOID),                                 # 5: h again
    ("concatenate", [4, 5, 2], {"axis": -1}),            # 6: h a third time
    ("dropout", [6], {"rate": 0.0}),                      # 7
    dense(2, 7),                                          # 8
]
SHAPES = [(3,), (4,)]


def data(n=6, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.uniform(-1, 1, (n,) + s) for s in SHAPES], rng.uniform(-1, 1, (n, 2))


def test_shapes_and_weights():
    net, _ = make_net(TWO_INPUTS, SHAPES)
    assert net.input_shapes == [(3,), (4,)]
    assert net.output_shape == (2,)
    assert net.layer_shapes() == [(5,), (5,), (5,), (3,), (13,), (13,), (2,)]
    names = [[(name, view.shape, trainable) for name, view, trainable in net.layer_weights(j)] for j in range(7)]
    assert names[0] == [("kernel", (3, 5), True), ("bias", (5,), True)]
    assert names[2] == [] and names[6] == [("kernel", (13, 2), True), ("bias", (2,), True)]
    assert net.num_params == sum(v.size for v in net.weights())
    assert "concatenate" in _core.layer_kinds() and "dense" in _core.layer_kinds()


def test_forward_matches_numpy():
    net, weights = make_net(TWO_INPUTS, SHAPES)
    xs, _ = data(50)
    got = net.predict([x.astype(np.float32) for x in xs], 7)
    want = forward(TWO_INPUTS, xs, weights)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_gradients_match_finite_differences():
    net, weights = make_net(TWO_INPUTS, SHAPES)
    xs, y = data()
    got = step_gradients(net, xs, y)
    want = reference_gradients(TWO_INPUTS, xs, y, weights)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-5)


def test_same_tensor_twice_into_one_layer():
    layers = [dense(4, 0, RELU), ("add", [1, 1], {}), ("multiply", [2, 1], {}), dense(2, 3)]
    net, weights = make_net(layers, [(3,)])
    rng = np.random.RandomState(3)
    xs, y = [rng.uniform(-1, 1, (5, 3))], rng.uniform(-1, 1, (5, 2))
    np.testing.assert_allclose(net.predict([xs[0].astype(np.float32)]), forward(layers, xs, weights), rtol=1e-5,
                               atol=1e-6)
    for g, w in zip(step_gradients(net, xs, y), reference_gradients(layers, xs, y, weights)):
        np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-5)


def test_reshape_and_flatten_between_layers():
    layers = [("flatten", [0], {}), dense(6, 1, RELU), ("reshape", [2], {"target_shape": [2, -1]}),
              ("flatten", [3], {}), dense(2, 4)]
    net, weights = make_net(layers, [(2, 3)])
    assert net.layer_shapes()[2] == (2, 3)
    rng = np.random.RandomState(4)
    xs, y = [rng.uniform(-1, 1, (5, 2, 3))], rng.uniform(-1, 1, (5, 2))
    np.testing.assert_allclose(net.predict([xs[0].astype(np.float32)]), forward(layers, xs, weights), rtol=1e-5,
                               atol=1e-6)
    for g, w in zip(step_gradients(net, xs, y), reference_gradients(layers, xs, y, weights)):
        np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-5)


def _train(layers, shapes, xs, y, epochs=3, seed=7):
    net, _ = make_net(layers, shapes, seed=seed)
    loss, opt = _core.LossConfig(), _core.OptimizerConfig()
    loss.kind, opt.kind = _core.Loss.mse, _core.Opt.adam
    net.compile(loss, [], opt)
    train, _ = net.fit_epochs([x.astype(np.float32) for x in xs], y.astype(np.float32), None, 8, epochs, 1)
    return train, [w.copy() for w in net.weights()], net.predict([x.astype(np.float32) for x in xs])


def test_chain_with_noop_layers_is_bit_identical():
    # Flatten, linear Activation and Reshape move no floats: training with dropout and shuffles draws the same
    # masks and gives the same bits as the bare chain (the no-op layers only cost the fused relu' epilogue).
    chain = [dense(16, 0, RELU), ("dropout", [1], {"rate": 0.3}), dense(8, 2, TANH), dense(2, 3)]
    noops = [dense(16, 0, RELU), ("flatten", [1], {}), ("dropout", [2], {"rate": 0.3}),
             ("activation", [3], {"activation": LINEAR}), dense(8, 4, TANH),
             ("reshape", [5], {"target_shape": [8]}), dense(2, 6)]
    rng = np.random.RandomState(5)
    xs, y = [rng.uniform(-1, 1, (40, 3))], rng.uniform(-1, 1, (40, 2))
    a, b = _train(chain, [(3,)], xs, y), _train(noops, [(3,)], xs, y)
    assert a[0].tobytes() == b[0].tobytes()
    for wa, wb in zip(a[1], b[1]):
        assert wa.tobytes() == wb.tobytes()
    assert a[2].tobytes() == b[2].tobytes()


def test_results_do_not_depend_on_thread_count():
    rng = np.random.RandomState(6)
    xs, y = [rng.uniform(-1, 1, (300, 3)), rng.uniform(-1, 1, (300, 4))], rng.uniform(-1, 1, (300, 2))
    wide = [dense(64, 0, RELU), dense(64, 1, TANH), ("add", [2, 3], {}), dense(64, 2, SIGMOID),
            ("concatenate", [4, 5, 2], {}), ("dropout", [6], {"rate": 0.25}), dense(2, 7)]
    before = _core.get_num_threads()
    try:
        _core.set_num_threads(1)
        one = _train(wide, SHAPES, xs, y)
        _core.set_num_threads(2)
        two = _train(wide, SHAPES, xs, y)
    finally:
        _core.set_num_threads(before)
    assert one[0].tobytes() == two[0].tobytes()
    for a, b in zip(one[1] + [one[2]], two[1] + [two[2]]):
        assert a.tobytes() == b.tobytes()


def test_evaluate_and_fit_with_validation_lists():
    rng = np.random.RandomState(7)
    xs, y = [rng.uniform(-1, 1, (30,) + s).astype(np.float32) for s in SHAPES], rng.rand(30, 2).astype(np.float32)
    net, weights = make_net(TWO_INPUTS, SHAPES)
    want = np.mean((forward(TWO_INPUTS, xs, weights) - y) ** 2)
    assert net.evaluate(xs, y, None, 4)[0] == pytest.approx(want, rel=1e-5)
    train, val = net.fit_epochs(xs, y, None, 8, 2, 1, xs, y, None, 8)
    assert train.shape == val.shape == (2, 1) and val[0, 0] == pytest.approx(want, rel=1e-5)
    assert net.predict_fast(xs, 256, 1e12).shape == (30, 2)
    assert net.predict_fast([xs[0]], 256, 1e12) is None and net.predict_fast([xs[0], xs[0]], 256, 1e12) is None


BAD_GRAPHS = [
    ([("conv9d", [0], {})], [(3,)], r"unknown layer kind 'conv9d'"),
    ([("dense", [0], {})], [(3,)], r"layer 0: dense: attribute 'units' is missing"),
    ([("dense", [0], {"units": 0})], [(3,)], r"attribute 'units' must be in \[1, 2147483647\], got 0"),
    ([("dense", [0], {"units": 2.5})], [(3,)], r"'units' must be an integer, got 2.5"),
    ([("dense", [0], {"units": 2, "unit": 3})], [(3,)], r"attribute 'unit' is not one of"),
    ([("dense", [0], {"units": [2]})], [(3,)], r"'units' must be a number, got \[2\]"),
    ([("dense", [0], {"units": 2, "activation": 999})], [(3,)], r"'activation' must be in"),
    ([("dense", [0], {"units": "2"})], [(3,)], r"'units' must be a number or a list of integers, got '2'"),
    ([("dense", [0], {"units": 2})], [(2, 3)], r"dense expects 1-D features .* got input shape \(2, 3\)"),
    ([("dense", [1], {"units": 2})], [(3,)], r"reads node 1: inputs must be earlier nodes, 0 to 0"),
    ([("dense", [0, 0], {"units": 2})], [(3,)], r"dense expects 1 input, got 2"),
    ([("add", [0, 1], {})], [(3,), (4,)], r"add expects inputs of one shape, got \(3,\) and \(4,\)"),
    ([("add", [0], {})], [(3,)], r"add expects at least 2 inputs, got 1"),
    ([("subtract", [0, 0, 0], {})], [(3,)], r"subtract expects 2 inputs, got 3"),
    ([("concatenate", [0, 1], {"axis": 1})], [(2, 3), (3, 3)], None),
    ([("concatenate", [0, 1], {"axis": -1})], [(2, 3), (3, 3)], r"match except along axis -1"),
    ([("concatenate", [0, 0], {"axis": 0})], [(3,)], r"'axis' must not be 0"),
    ([("concatenate", [0, 0], {"axis": 2})], [(3,)], r"'axis' must be in \[-1, 1\], got 2"),
    ([("dropout", [0], {"rate": 1.0})], [(3,)], r"'rate' must be in \[0, 1\)"),
    ([("reshape", [0], {"target_shape": [4]})], [(3,)], r"does not hold the 3 values"),
    ([("reshape", [0], {"target_shape": [-1, -1]})], [(4,)], r"more than one -1"),
    ([("dense", [0], {"units": 2}), ("dense", [0], {"units": 2})], [(3,)], r"layer 0 \(dense\) feeds no other"),
    ([], [(3,)], r"at least one layer"),
    ([("dense", [0], {"units": 2})], [], r"at least one input"),
    ([("dense", [0], {"units": 2})], [(0,)], r"input shapes must be positive with at most \d+ elements per sample, got \(0,\)"),
    ([("dense", 0, {"units": 2})], [(3,)], r"layers\[0\]: input ids must be a list of node ids, got 0"),
    (["dense"], [(3,)], r"must be \(kind, \[input ids\], \{attrs\}\)"),
]


@pytest.mark.parametrize("layers, shapes, message", BAD_GRAPHS)
def test_bad_graphs_raise_value_error(layers, shapes, message):
    if message is None:  # the valid control case
        assert _core.Network(layers, shapes, 0).output_shape == (5, 3)
        return
    with pytest.raises(ValueError, match=message):
        _core.Network(layers, shapes, 0)


def test_bad_data_raise_value_error():
    net, _ = make_net(TWO_INPUTS, SHAPES)
    a, b, y = np.zeros((4, 3), np.float32), np.zeros((4, 4), np.float32), np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match=r"the network has 2 input\(s\), got 1 array"):
        net.predict([a])
    with pytest.raises(ValueError, match=r"x\[1\]: expected shape \(4, 4\), got \(4, 3\)"):
        net.predict([a, a])
    with pytest.raises(ValueError, match=r"x\[1\]: expected shape \(4, 4\), got \(3, 4\)"):
        net.evaluate([a, b[:3]], y, None, 2)
    with pytest.raises(ValueError, match=r"y: expected shape \(4, 2\), got \(4, 3\)"):
        net.fit_epochs([a, b], a, None, 2, 1, 0)
    with pytest.raises(ValueError, match=r"validation x\[0\]: expected shape"):
        net.fit_epochs([a, b], y, None, 2, 1, 0, [b, b], y)
    with pytest.raises(IndexError, match=r"layer index must be in \[0, 7\), got 7"):
        net.layer_weights(7)
