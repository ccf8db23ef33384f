"""Float64 NumPy forward passes of the convolution, pooling, batch-normalization and embedding layer kinds
(as _core.Network builds them from (kind, inputs, attrs)), for the layer tests: a chain of such layers is
evaluated here and compared with the network, and finite differences of it give the reference gradients."""

import numpy as np

import conv_reference as ref
from finite_differences import gradient
from pyminidl import _core

PADDING = {0: "valid", 1: "same"}
ACTS = {int(_core.Act.linear): lambda z: z, int(_core.Act.relu): lambda z: np.maximum(z, 0.0),
        int(_core.Act.tanh): np.tanh}


def _conv1d(x, kernel, bias, attrs):
    k, d, s = attrs["kernel_size"][0], attrs["dilation_rate"][0], attrs["strides"][0]
    if attrs["padding"] == 2:  # causal: d*(k-1) zeros before, then 'valid'
        x = np.pad(x, ((0, 0), (d * (k - 1), 0), (0, 0)))
    out = ref.conv2d(x[:, None], kernel[None], bias, (1, s), (1, d), PADDING.get(attrs["padding"], "valid"))
    return out[:, 0]


def _pool_kind(kind):
    return "avg" if kind.startswith("average") else "max"


def layer_forward(kind, attrs, x, weights, training=True):
    """One layer on a float64 batch x; weights in Keras' order."""
    if kind in ("conv2d", "conv1d"):
        bias = weights[1] if attrs.get("use_bias", 1) else None
        if kind == "conv2d":
            z = ref.conv2d(x, weights[0], bias, attrs["strides"], attrs["dilation_rate"], PADDING[attrs["padding"]])
        else:
            z = _conv1d(x, weights[0], bias, attrs)
        return ACTS[attrs.get("activation", 0)](z)
    if kind.endswith("pooling2d") and not kind.startswith("global"):
        return ref.pool2d(x, attrs["pool_size"], attrs["strides"], PADDING[attrs["padding"]], _pool_kind(kind))
    if kind.endswith("pooling1d") and not kind.startswith("global"):
        return ref.pool2d(x[:, None], (1,) + tuple(attrs["pool_size"]), (1,) + tuple(attrs["strides"]),
                          PADDING[attrs["padding"]], _pool_kind(kind))[:, 0]
    if kind.startswith("global"):
        axes = tuple(range(1, x.ndim - 1))
        out = x.mean(axis=axes) if "average" in kind else x.max(axis=axes)
        return out.reshape((len(x),) + (1,) * len(axes) + (x.shape[-1],)) if attrs.get("keepdims") else out
    if kind == "batch_normalization":
        i = 0
        gamma = beta = None
        if attrs.get("scale", 1):
            gamma, i = weights[i], i + 1
        if attrs.get("center", 1):
            beta, i = weights[i], i + 1
        axes = tuple(range(x.ndim - 1))
        if training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)
        else:
            mean, var = weights[i], weights[i + 1]
        y = (x - mean) / np.sqrt(var + attrs.get("epsilon", 1e-3))
        return y * (1.0 if gamma is None else gamma) + (0.0 if beta is None else beta)
    if kind == "embedding":
        return weights[0][x.astype(np.int64)]
    if kind == "zero_padding2d":
        t, b, l, r = attrs["padding"]
        return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    if kind == "up_sampling2d":
        return x.repeat(attrs["size"][0], axis=1).repeat(attrs["size"][1], axis=2)
    if kind == "flatten":
        return x.reshape(len(x), -1)
    if kind == "dense":
        return ACTS[attrs.get("activation", 0)](x @ weights[0] + (weights[1] if attrs.get("use_bias", 1) else 0.0))
    raise ValueError(kind)


def chain_forward(layers, x, weights, training=True):
    for (kind, _, attrs), ws in zip(layers, weights):
        x = layer_forward(kind, attrs, x, ws, training)
    return x


def make_chain(layers, input_shape, init_seed=1, scale=0.5):
    """A compiled (MSE, SGD lr 0) network of a chain of layers with random weights (BatchNormalization's
    moving variance positive); returns it and the weights as float64."""
    layers = [(kind, [j], attrs) for j, (kind, attrs) in enumerate(layers)]
    net = _core.Network(layers, [tuple(input_shape)], 0)
    rng = np.random.RandomState(init_seed)
    weights = []
    for j in range(len(layers)):
        ws = []
        for name, view, _ in net.layer_weights(j):
            view[...] = rng.uniform(0.5, 1.5, view.shape) if name == "moving_variance" else \
                rng.uniform(-scale, scale, view.shape)
            ws.append(view.astype(np.float64))
        weights.append(ws)
    loss, opt = _core.LossConfig(), _core.OptimizerConfig()
    loss.kind, opt.kind, opt.learning_rate = _core.Loss.mse, _core.Opt.sgd, 0.0
    net.compile(loss, [], opt)
    return net, layers, weights


def step_gradients(net, x, y):
    """The trainable parameters' gradients of one training step on all rows (no shuffle)."""
    n = len(y)
    net.begin_epoch(n, n, 0)
    net.train_batches([np.ascontiguousarray(x, np.float32)], np.ascontiguousarray(y, np.float32), None, 0, 1)
    return [g.copy() for g in net.gradients()]


def reference_gradients(net, layers, x, y, weights):
    """Central differences of the float64 MSE loss for every trainable parameter, in the network's order."""
    out = []
    for j, ws in enumerate(weights):
        for t, (_, _, trainable) in enumerate(net.layer_weights(j)):
            if not trainable:
                continue

            def loss(w, j=j, t=t):
                trial = [list(a) for a in weights]
                trial[j][t] = w
                p = chain_forward(layers, x, trial).reshape(len(y), -1)
                return np.mean((p - y.reshape(len(y), -1)) ** 2)
            out.append(gradient(loss, ws[t]))
    return out
