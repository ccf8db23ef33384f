"""A float64 NumPy evaluator for _core.Network layer lists: the reference the graph tests compare against."""

import numpy as np

from finite_differences import gradient
from pyminidl import _core

ACTS = {
    int(_core.Act.linear): lambda z: z,
    int(_core.Act.relu): lambda z: np.maximum(z, 0.0),
    int(_core.Act.tanh): np.tanh,
    int(_core.Act.sigmoid): lambda z: 1.0 / (1.0 + np.exp(-z)),
}


def _fold(op, xs):
    out = xs[0]
    for x in xs[1:]:
        out = op(out, x)
    return out


def forward(layers, xs, weights):
    """Outputs of the last layer; weights[j] is the list of layer j's parameter arrays."""
    nodes = [np.asarray(x, np.float64) for x in xs]
    for j, (kind, inputs, attrs) in enumerate(layers):
        ins = [nodes[i] for i in inputs]
        if kind == "dense":
            z = ins[0] @ weights[j][0]
            if attrs.get("use_bias", 1):
                z = z + weights[j][1]
            out = ACTS[attrs.get("activation", 0)](z)
        elif kind == "activation":
            out = ACTS[attrs["activation"]](ins[0])
        elif kind in ("dropout",):
            out = ins[0]
        elif kind == "flatten":
            out = ins[0].reshape(len(ins[0]), -1)
        elif kind == "reshape":
            out = ins[0].reshape((len(ins[0]),) + tuple(attrs["target_shape"]))
        elif kind == "add":
            out = _fold(np.add, ins)
        elif kind == "subtract":
            out = ins[0] - ins[1]
        elif kind == "multiply":
            out = _fold(np.multiply, ins)
        elif kind == "average":
            out = _fold(np.add, ins) / len(ins)
        elif kind == "maximum":
            out = _fold(np.maximum, ins)
        elif kind == "minimum":
            out = _fold(np.minimum, ins)
        elif kind == "concatenate":
            out = np.concatenate(ins, axis=attrs.get("axis", -1))
        else:
            raise ValueError(kind)
        nodes.append(out)
    return nodes[-1]


def make_net(layers, input_shapes, seed=0, init_seed=1, scale=0.5):
    """A compiled (MSE, SGD lr 0) network with random weights; returns it and the weights as float64."""
    net = _core.Network(layers, input_shapes, seed)
    rng = np.random.RandomState(init_seed)
    weights = []
    for j in range(len(layers)):
        ws = []
        for _, view, _ in net.layer_weights(j):
            view[...] = rng.uniform(-scale, scale, view.shape)
            ws.append(view.astype(np.float64))
        weights.append(ws)
    loss, opt = _core.LossConfig(), _core.OptimizerConfig()
    loss.kind, opt.kind, opt.learning_rate = _core.Loss.mse, _core.Opt.sgd, 0.0
    net.compile(loss, [], opt)
    return net, weights


def step_gradients(net, xs, y):
    """The parameter gradients of one training step on all rows (no shuffle)."""
    n = len(y)
    net.begin_epoch(n, n, 0)
    net.train_batches([np.ascontiguousarray(x, np.float32) for x in xs], np.ascontiguousarray(y, np.float32),
                      None, 0, 1)
    return [g.copy() for g in net.gradients()]


def reference_gradients(layers, xs, y, weights):
    """Central differences of the float64 MSE loss with respect to every parameter array."""
    out = []
    for j, ws in enumerate(weights):
        for t in range(len(ws)):
            def loss(w, j=j, t=t):
                trial = [list(a) for a in weights]
                trial[j][t] = w
                p = forward(layers, xs, trial).reshape(len(y), -1)
                return np.mean((p - y.reshape(len(y), -1)) ** 2)
            out.append(gradient(loss, ws[t]))
    return out
