"""Argument checks and Keras' output-size arithmetic shared by the convolution and pooling layers
(KERAS_REFERENCE §12-13); the C++ side (cpp/layers/window.cpp) computes the same and checks again."""

from pyminidl import _check

PADDING_CODE = {"valid": 0, "same": 1, "causal": 2}


def tuple_arg(name, value, rank):
    """An int or a tuple of `rank` positive ints -> a tuple of `rank` ints (Keras' conv_utils.standardize_tuple)."""
    if isinstance(value, (list, tuple)):
        if len(value) != rank:
            raise ValueError(f"{name} must be an integer or a tuple of {rank} integers, got {value!r}")
        return tuple(_check.integer(name, v, minimum=1, maximum=_check.MAX_SIZE) for v in value)
    return (_check.integer(name, value, minimum=1, maximum=_check.MAX_SIZE),) * rank


def padding_arg(padding, allowed=("valid", "same")):
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(f"padding must be one of {', '.join(repr(a) for a in allowed)}, got {padding!r}")
    return padding.lower()


def data_format_arg(data_format):
    if data_format not in (None, "channels_last"):
        if data_format == "channels_first":
            raise ValueError("data_format='channels_first' is not supported by pyminidl: use channels_last inputs "
                             "(batch, ..., channels), Keras' default")
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return "channels_last"


def output_size(n, k, stride, dilation, padding, layer):
    """Cells along one axis after a window of k taps (dilated), moved by stride, with Keras' padding."""
    ke = dilation * (k - 1) + 1
    if padding == "same" or padding == "causal":
        return -(-n // stride)
    if ke > n:
        raise ValueError(f"{layer}: the window ({ke} cells) is larger than the input ({n}) with padding='valid'; "
                         "use a smaller kernel or padding='same'")
    return (n - ke) // stride + 1


def spatial_input(layer, input_shape, rank):
    expected = "(height, width, channels)" if rank == 2 else "(steps, channels)"
    if len(input_shape) != rank + 1:
        raise ValueError(f"Input 0 of layer '{layer.name}' ({type(layer).__name__}) is incompatible: expected "
                         f"ndim={rank + 2}, i.e. (batch, {expected[1:]}, got shape {(None,) + tuple(input_shape)}")
