"""One ONNX converter per layer class, by class name.

A converter takes (graph, layer, x) and returns the name of its output tensor; x is the name of the layer's input
tensor, or the list of names for a layer called on several tensors (the merge layers, a nested model with several
inputs). Converters read the layer's get_config(), its weights and its built shapes (for the explicit pads of
'same'), never the C++ network. Tensors stay channels last (pyminidl's and Keras' layout) between layers: each
convolution or pooling layer transposes to ONNX's channels-first layout, runs the ONNX node and transposes back
(onnxruntime's optimizer removes the Transpose pairs between consecutive conv/pool layers).
"""

import math

import numpy as np

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


class Graph:
    """The nodes and initializers being collected, with unique tensor names."""

    def __init__(self, opset=17, reserved=()):
        self.nodes, self.initializers, self._count = [], [], 0
        self.opset, self.reserved = opset, set(reserved)

    def fresh(self, hint):
        while True:
            self._count += 1
            name = f"{hint}_{self._count}"
            if name not in self.reserved:
                return name

    def const(self, hint, array, dtype=np.float32):
        name = self.fresh(hint)
        self.initializers.append((name, np.asarray(array, dtype=dtype)))
        return name

    def ints(self, hint, values):
        return self.const(hint, np.asarray(values, dtype=np.int64), np.int64)

    def node(self, op, inputs, hint, **attrs):
        from onnx import helper

        out = self.fresh(hint)
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def reduce(self, op, x, axes, keepdims, hint):
        """ReduceMean/ReduceMax over `axes`: an attribute up to opset 17, an input from opset 18."""
        if self.opset >= 18:
            return self.node(op, [x, self.ints(f"{hint}_axes", axes)], hint, keepdims=int(keepdims))
        return self.node(op, [x], hint, axes=list(axes), keepdims=int(keepdims))


def activation(g, name, x, where, alpha=None):
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
        return g.node("Elu", [x], f"{where}_elu", alpha=1.0 if alpha is None else float(alpha))
    if name == "selu":
        return g.node("Selu", [x], f"{where}_selu", alpha=SELU_ALPHA, gamma=SELU_SCALE)
    if name == "leaky_relu":
        return g.node("LeakyRelu", [x], f"{where}_leaky_relu", alpha=0.2 if alpha is None else float(alpha))
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


def _weights(layer):
    return [w.numpy() for w in layer.weights]


# --- core layers -------------------------------------------------------------------------------------------
def dense(g, layer, x):
    config, weights, where = layer.get_config(), _weights(layer), layer.name
    y = g.node("MatMul", [x, g.const(f"{where}_kernel", weights[0])], f"{where}_matmul")
    if config.get("use_bias", True):
        y = g.node("Add", [y, g.const(f"{where}_bias", weights[1])], f"{where}_bias_add")
    return activation(g, config.get("activation"), y, where)


def activation_layer(g, layer, x):
    return activation(g, layer.get_config().get("activation"), x, layer.name)


def identity(g, layer, x):
    """Dropout, the noise layers, ActivityRegularization, InputLayer: inference passes the input through."""
    return x


def flatten(g, layer, x):
    return g.node("Flatten", [x], f"{layer.name}_flatten", axis=1)


def reshape(g, layer, x):
    # 0 copies the batch size; the per-sample shape is the built one (its -1 already resolved)
    return g.node("Reshape", [x, g.ints(f"{layer.name}_shape", [0, *layer.output_shape[1:]])],
                  f"{layer.name}_reshape")


# --- activation layers -------------------------------------------------------------------------------------
def relu(g, layer, x):
    config, where = layer.get_config(), layer.name
    max_value, slope, threshold = config["max_value"], config["negative_slope"], config["threshold"]
    if threshold != 0:
        raise ValueError(f"ONNX export: ReLU layer {where!r} with threshold={threshold} has no ONNX converter")
    y = g.node("LeakyRelu", [x], f"{where}_leaky_relu", alpha=float(slope)) if slope else \
        g.node("Relu", [x], f"{where}_relu")
    if max_value is not None:
        y = g.node("Min", [y, g.const(f"{where}_max_value", np.float32(max_value))], f"{where}_max")
    return y


def leaky_relu(g, layer, x):
    return activation(g, "leaky_relu", x, layer.name, alpha=layer.get_config()["negative_slope"])


def elu(g, layer, x):
    return activation(g, "elu", x, layer.name, alpha=layer.get_config()["alpha"])


def prelu(g, layer, x):
    # alpha has the per-sample input shape with 1 on the shared axes: it broadcasts against (batch, ...)
    return g.node("PRelu", [x, g.const(f"{layer.name}_alpha", _weights(layer)[0])], f"{layer.name}_prelu")


def softmax(g, layer, x):
    # pyminidl's Softmax computes over the last axis (axis -1, or 1 for 1-D features)
    return g.node("Softmax", [x], f"{layer.name}_softmax", axis=-1)


# --- merge layers (x: a list of names) ---------------------------------------------------------------------
def _merge(op, variadic=True):
    """Sum/Mean/Max/Min take any number of inputs; Sub and Mul take two, chained left to right."""
    def convert(g, layer, xs):
        if variadic:
            return g.node(op, list(xs), f"{layer.name}_{op.lower()}")
        y = xs[0]
        for x in xs[1:]:
            y = g.node(op, [y, x], f"{layer.name}_{op.lower()}")
        return y
    return convert


def concatenate(g, layer, xs):
    return g.node("Concat", list(xs), f"{layer.name}_concat", axis=int(layer.get_config()["axis"]))


# --- convolution and pooling (channels last outside, ONNX's channels first inside) -----------------------
def _to_channels_first(g, x, rank, where):
    return g.node("Transpose", [x], f"{where}_to_nchw", perm=[0, rank + 1, *range(1, rank + 1)])


def _to_channels_last(g, x, rank, where):
    return g.node("Transpose", [x], f"{where}_to_nhwc", perm=[0, *range(2, rank + 2), 1])


def _pads(layer, kernel, strides, dilation, padding):
    """ONNX's explicit pads [begin..., end...] for Keras' padding: 'same' puts the odd cell at the end."""
    begin, end = [], []
    for n, k, s, d in zip(layer.input_shape[1:-1], kernel, strides, dilation):
        ke = d * (k - 1) + 1
        if padding == "same":
            total = max((-(-n // s) - 1) * s + ke - n, 0)
            begin.append(total // 2)
            end.append(total - total // 2)
        elif padding == "causal":
            begin.append(ke - 1)
            end.append(0)
        else:
            begin.append(0)
            end.append(0)
    return begin + end


def conv(g, layer, x):
    config, weights, where = layer.get_config(), _weights(layer), layer.name
    kernel = weights[0]
    rank = kernel.ndim - 2
    w = np.transpose(kernel, (rank + 1, rank, *range(rank)))  # (k..., in, out) -> (out, in, k...)
    inputs = [_to_channels_first(g, x, rank, where), g.const(f"{where}_kernel", w)]
    if config["use_bias"]:
        inputs.append(g.const(f"{where}_bias", weights[1]))
    strides, dilation = list(config["strides"]), list(config["dilation_rate"])
    y = g.node("Conv", inputs, f"{where}_conv", kernel_shape=list(kernel.shape[:rank]), strides=strides,
               dilations=dilation, pads=_pads(layer, config["kernel_size"], strides, dilation, config["padding"]))
    return activation(g, config["activation"], _to_channels_last(g, y, rank, where), where)


def pooling(g, layer, x):
    config, where = layer.get_config(), layer.name
    pool, strides = list(config["pool_size"]), list(config["strides"])
    rank = len(pool)
    pads = _pads(layer, pool, strides, [1] * rank, config["padding"])
    y = _to_channels_first(g, x, rank, where)
    if type(layer).__name__.startswith("Max"):  # ONNX's MaxPool never picks a padded cell
        y = g.node("MaxPool", [y], f"{where}_maxpool", kernel_shape=pool, strides=strides, pads=pads)
    else:  # Keras divides by the real cells of each window
        y = g.node("AveragePool", [y], f"{where}_avgpool", kernel_shape=pool, strides=strides, pads=pads,
                   count_include_pad=0)
    return _to_channels_last(g, y, rank, where)


def global_pooling(g, layer, x):
    rank = len(layer.input_shape) - 2
    op = "ReduceMax" if "Max" in type(layer).__name__ else "ReduceMean"
    return g.reduce(op, x, list(range(1, rank + 1)), layer.get_config()["keepdims"], f"{layer.name}_{op.lower()}")


# --- normalization, embedding, reshaping, preprocessing ---------------------------------------------------
def batch_normalization(g, layer, x):
    """Inference: (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta, folded into x * a + b."""
    config, weights, where = layer.get_config(), [w.astype(np.float64) for w in _weights(layer)], layer.name
    gamma = weights.pop(0) if config["scale"] else 1.0
    beta = weights.pop(0) if config["center"] else 0.0
    mean, variance = weights
    a = gamma / np.sqrt(variance + config["epsilon"])
    y = g.node("Mul", [x, g.const(f"{where}_scale", a)], f"{where}_mul")
    return g.node("Add", [y, g.const(f"{where}_shift", beta - mean * a)], f"{where}_add")


def embedding(g, layer, x):
    """The ids arrive as float32 holding integers (what predict takes): Cast to int64, Gather table rows."""
    from onnx import TensorProto

    ids = g.node("Cast", [x], f"{layer.name}_ids", to=TensorProto.INT64)
    return g.node("Gather", [g.const(f"{layer.name}_embeddings", _weights(layer)[0]), ids],
                  f"{layer.name}_gather", axis=0)


def zero_padding2d(g, layer, x):
    (t, b), (left, r) = layer.get_config()["padding"]
    return g.node("Pad", [x, g.ints(f"{layer.name}_pads", [0, t, left, 0, 0, b, r, 0])], f"{layer.name}_pad")


def up_sampling2d(g, layer, x):
    """Nearest: (N, H, W, C) -> (N, H, 1, W, 1, C) -> Expand (N, H, sh, W, sw, C) -> (N, H*sh, W*sw, C)."""
    (h, w, c), (sh, sw), where = layer.input_shape[1:], layer.get_config()["size"], layer.name
    y = g.node("Reshape", [x, g.ints(f"{where}_split", [0, h, 1, w, 1, c])], f"{where}_split")
    y = g.node("Expand", [y, g.ints(f"{where}_repeat", [1, h, sh, w, sw, c])], f"{where}_expand")
    return g.node("Reshape", [y, g.ints(f"{where}_shape", [0, h * sh, w * sw, c])], f"{where}_upsample")


def rescaling(g, layer, x):
    config, where = layer.get_config(), layer.name
    y = g.node("Mul", [x, g.const(f"{where}_scale", np.float32(config["scale"]))], f"{where}_mul")
    return g.node("Add", [y, g.const(f"{where}_offset", np.float32(config["offset"]))], f"{where}_add")


def normalization(g, layer, x):
    """(x - mean) / max(sqrt(variance), 1e-7), or mean + x * that with invert=True (cpp/layers/preprocessing)."""
    config, where = layer.get_config(), layer.name
    if config["mean"] is not None:
        mean, variance = np.float32(config["mean"]), np.float32(config["variance"])
    else:  # stored statistics: one per position of the kept axes, reshaped to broadcast against the input
        ndim = len(layer.input_shape)
        keep = sorted(a + ndim if a < 0 else a for a in config["axis"])
        shape = [layer.input_shape[a] if a in keep else 1 for a in range(1, ndim)]
        mean, variance = (w.reshape(shape) for w in _weights(layer)[:2])
    sd = np.maximum(np.sqrt(np.asarray(variance, np.float32)), np.float32(1e-7))
    m, s = g.const(f"{where}_mean", mean), g.const(f"{where}_sd", sd)
    if config["invert"]:
        return g.node("Add", [m, g.node("Mul", [x, s], f"{where}_mul")], f"{where}_add")
    return g.node("Div", [g.node("Sub", [x, m], f"{where}_sub"), s], f"{where}_div")


# --- nested models ---------------------------------------------------------------------------------------------
def sequential(g, model, x):
    if isinstance(x, list):
        (x,) = x
    for layer in model.layers:
        x = convert(g, layer, x)
    return x


def functional(g, model, x):
    """The model's nodes in topological order (models/graph.py), each layer on the tensors it was called on."""
    names = {id(t): name for t, name in zip(model.inputs, x if isinstance(x, list) else [x])}
    for node in model._graph.nodes:
        if node.is_input:
            continue
        args = [names[id(t)] for t in node.input_tensors]
        names[id(node.output_tensors[0])] = convert(g, node.layer, args if node.as_list else args[0])
    return names[id(model.outputs[0])]


CONVERTERS = {
    "Dense": dense, "Activation": activation_layer, "Flatten": flatten, "Reshape": reshape,
    "Dropout": identity, "InputLayer": identity, "GaussianNoise": identity, "AlphaDropout": identity,
    "ActivityRegularization": identity,
    "ReLU": relu, "LeakyReLU": leaky_relu, "ELU": elu, "PReLU": prelu, "Softmax": softmax,
    "Add": _merge("Sum"), "Subtract": _merge("Sub", False), "Multiply": _merge("Mul", False), "Average": _merge("Mean"),
    "Maximum": _merge("Max"), "Minimum": _merge("Min"), "Concatenate": concatenate,
    "Conv1D": conv, "Conv2D": conv, "MaxPooling1D": pooling, "MaxPooling2D": pooling,
    "AveragePooling1D": pooling, "AveragePooling2D": pooling,
    "GlobalMaxPooling1D": global_pooling, "GlobalMaxPooling2D": global_pooling,
    "GlobalAveragePooling1D": global_pooling, "GlobalAveragePooling2D": global_pooling,
    "BatchNormalization": batch_normalization, "Embedding": embedding, "ZeroPadding2D": zero_padding2d,
    "UpSampling2D": up_sampling2d, "Rescaling": rescaling, "Normalization": normalization,
    "Sequential": sequential, "Functional": functional,
}


def convert(g, layer, x):
    kind = type(layer).__name__
    fn = CONVERTERS.get(kind)
    if fn is None:
        raise ValueError(f"ONNX export: layer {layer.name!r} of class {kind} has no ONNX converter in this pyminidl "
                         f"(supported: {', '.join(sorted(CONVERTERS))})")
    return fn(g, layer, x)
