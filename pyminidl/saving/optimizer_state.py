"""The optimizer's state (the C++ network's `slots()` views, iteration count, Nadam's product) <-> the list of
variables Keras keeps for the same optimizer, in Keras' order.

pyminidl keeps one flat view per slot over all parameters; Keras keeps one variable per (slot, weight). LAYOUTS
says, per optimizer class, which pyminidl slot is which Keras variable and in which order Keras creates them:
each block lists slot indices, and Keras walks the weights once per block, creating that block's slots for each
weight in turn (Adam: m and v interleaved per weight, then amsgrad's velocity_hat for every weight).
"""

import math

import numpy as np

from pyminidl import _check

# class -> (blocks of (pyminidl slot, Keras 3 name, tf_keras 2.x name)), chosen by the optimizer's hyperparameters
def _sgd(opt):
    return [[(0, "momentum", "m")]] if opt.momentum > 0 else []


def _rmsprop(opt):
    blocks = [[(0, "velocity", "velocity")]]
    if opt.momentum > 0:
        blocks.append([(1, "momentum", "momentum")])
    if opt.centered:
        blocks.append([(1 + (opt.momentum > 0), "average_gradient", "average_gradient")])
    return blocks


def _adam(opt):
    blocks = [[(0, "momentum", "m"), (1, "velocity", "v")]]
    if getattr(opt, "amsgrad", False):
        blocks.append([(2, "velocity_hat", "vhat")])
    return blocks


def _adamax(opt):
    return [[(0, "momentum", "m"), (1, "norm", "u")]]


def _adagrad(opt):
    return [[(0, "accumulator", "accumulator")]]


SQUARES = {"velocity", "velocity_hat", "accumulator"}  # RMSprop's and Adam's v, Adagrad's sum of g^2
LAYOUTS = {"SGD": _sgd, "RMSprop": _rmsprop, "Adam": _adam, "AdamW": _adam, "Nadam": _adam, "Adagrad": _adagrad,
           "Adamax": _adamax}


def layout(optimizer):
    make = LAYOUTS.get(type(optimizer).__name__)
    if make is None:
        raise ValueError(f"pyminidl does not know how Keras stores the state of {type(optimizer).__name__}: add "
                         "its layout to pyminidl/saving/optimizer_state.py")
    return make(optimizer)


def variable_offsets(model):
    """(variable, offset, shape) of each trainable weight inside the flat slot views, in model order.

    The slot views mirror the buffer of trainable floats (non-trainable weights such as BatchNormalization's
    moving statistics live in another buffer), so a weight's offset is where its view starts in that buffer."""
    weights = [w for w in model.weights if getattr(w, "trainable", True)]
    pointers = [w.value.__array_interface__["data"][0] for w in weights]
    base = min(pointers, default=0)
    return [(w, (p - base) // 4, tuple(w.shape)) for w, p in zip(weights, pointers)]


def keras_variables(model):
    """[(name, array)] in Keras 3's optimizer.variables order, after iteration and learning_rate."""
    net, opt = model._net, model.optimizer
    slots = net.slots()
    out = []
    for block in layout(opt):
        for var, offset, shape in variable_offsets(model):
            for slot, name, _ in block:
                flat = slots[slot][offset:offset + int(math.prod(shape))]
                out.append((f"{var.path.replace('/', '_')}_{name}", flat.reshape(shape).copy()))
    if type(opt).__name__ == "Nadam":  # Keras creates it after the slots
        out.append(("u_product", np.float64(net.nadam_u_product)))  # float64: a resumed run stays bit-identical
    return out


def expected_shapes(model):
    """Shapes of keras_variables(model), without reading the state (to check a file before assigning)."""
    opt = model.optimizer
    shapes = []
    for block in layout(opt):
        for _var, _offset, shape in variable_offsets(model):
            shapes += [shape] * len(block)
    return shapes + ([()] if type(opt).__name__ == "Nadam" else [])


def assign(model, arrays, iterations, path, expect):
    """Put Keras-ordered slot arrays (checked by the caller against expected_shapes) into the C++ network."""
    net, opt = model._net, model.optimizer
    # The values the core will compute with, checked as a user's assignment is (_check): an iteration count
    # near 2**63 overflowed after one epoch, a NaN Nadam product made every weight NaN.
    try:
        iterations = _check.state_count("the optimizer's iteration count", iterations)
    except (TypeError, ValueError) as e:
        expect(False, path, str(e))
    arrays = list(arrays)
    u_product = None
    if type(opt).__name__ == "Nadam":  # its own message: the product's range, not only finiteness
        try:
            u_product = _check.state_number("Nadam's u_product", float(arrays.pop()), 0.0, 1.0)
        except (TypeError, ValueError) as e:
            expect(False, path, str(e))
    for i, a in enumerate(arrays):
        expect(np.all(np.isfinite(a)), path, f"optimizer variable {i + 2} holds NaN or infinite values")
    slots = net.slots()
    staged = [np.array(s) for s in slots]
    it = iter(arrays)
    for block in layout(opt):
        for var, offset, shape in variable_offsets(model):
            for slot, name, _ in block:
                value = next(it)
                # second moments and accumulators are sums of squares: a negative one makes sqrt() NaN
                expect(name not in SQUARES or not np.any(value < 0), path,
                       f"the optimizer's {name} for {var.path} holds negative values")
                staged[slot][offset:offset + int(math.prod(shape))] = value.reshape(-1)
    if u_product is not None:  # the core checks it against its rule's range before anything changes
        net.nadam_u_product = u_product
    for view, value in zip(slots, staged):  # everything checked first: no half-restored state
        view[...] = value
    net.iterations = iterations
