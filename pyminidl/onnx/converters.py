"""One ONNX converter per layer class, by class name; each reads the layer's get_config() and weights only.

A converter takes (graph, config, weights, input name, layer name) and returns the name of its output tensor.
"""

import math

import numpy as np

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


class Graph:
    """The nodes and initializers being collected, with unique tensor names."""

    def __init__(self):
        self.nodes, self.initializers, self._count = [], [], 0

    def fresh(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint, array):
        name = self.fresh(hint)
        self.initializers.append((name, np.asarray(array, dtype=np.float32)))
        return name

    def node(self, op, inputs, hint, **attrs):
        from onnx import helper

        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out


def activation(g, name, x, where):
    """Keras' activation `name` applied to tensor x (formulas: KERAS_REFERENCE.md section 11)."""
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
              "softsign": "Softsign", "exponential": "Exp"}
    if name in (None, "linear"):
        return x
    if name in simple:
        return g.node(simple[name], [x], f"{where}_{name}")
    if name == "softmax":
        return g.node("Softmax", [x], f"{where}_softmax", axis=-1)
    if name == "elu":
        return g.node("Elu", [x], f"{where}_elu", alpha=1.0)
    if name == "selu":
        return g.node("Selu", [x], f"{where}_selu", alpha=SELU_ALPHA, gamma=SELU_SCALE)
    if name == "leaky_relu":
        return g.node("LeakyRelu", [x], f"{where}_leaky_relu", alpha=0.2)
    if name == "relu6":
        return g.node("Clip", [x, g.const("zero", np.float32(0)), g.const("six", np.float32(6))], f"{where}_relu6")
    if name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6
        return g.node("HardSigmoid", [x], f"{where}_hard_sigmoid", alpha=1.0 / 6.0, beta=0.5)
    if name == "swish":
        return g.node("Mul", [x, g.node("Sigmoid", [x], f"{where}_sig")], f"{where}_swish")
    if name == "mish":
        soft = g.node("Softplus", [x], f"{where}_softplus")
        return g.node("Mul", [x, g.node("Tanh", [soft], f"{where}_tanh")], f"{where}_mish")
    if name == "gelu":  # exact: x/2 * (1 + erf(x / sqrt 2)); opset 17 has no Gelu node
        scaled = g.node("Mul", [x, g.const("inv_sqrt2", np.float32(1 / math.sqrt(2)))], f"{where}_s")
        one_plus = g.node("Add", [g.node("Erf", [scaled], f"{where}_erf"), g.const("one", np.float32(1))],
                          f"{where}_1p")
        return g.node("Mul", [g.node("Mul", [x, g.const("half", np.float32(0.5))], f"{where}_h"), one_plus],
                      f"{where}_gelu")
    raise ValueError(f"ONNX export: layer {where!r} uses activation {name!r}, which has no ONNX converter yet")


def dense(g, config, weights, x, where):
    y = g.node("MatMul", [x, g.const(f"{where}_kernel", weights[0])], f"{where}_matmul")
    if config.get("use_bias", True):
        y = g.node("Add", [y, g.const(f"{where}_bias", weights[1])], f"{where}_bias_add")
    return activation(g, config.get("activation"), y, where)


def activation_layer(g, config, weights, x, where):
    return activation(g, config.get("activation"), x, where)


def identity(g, config, weights, x, where):
    """Dropout: inference passes its input through unchanged."""
    return x


def flatten(g, config, weights, x, where):
    return g.node("Flatten", [x], f"{where}_flatten", axis=1)


CONVERTERS = {"Dense": dense, "Activation": activation_layer, "Dropout": identity, "Flatten": flatten,
              "InputLayer": identity}


def convert(g, layer, x):
    kind = type(layer).__name__
    fn = CONVERTERS.get(kind)
    if fn is None:
        raise ValueError(f"ONNX export: layer {layer.name!r} of class {kind} has no ONNX converter in this pyminidl "
                         f"(supported: {', '.join(sorted(CONVERTERS))})")
    return fn(g, layer.get_config(), [w.numpy() for w in layer.weights], x, layer.name)
