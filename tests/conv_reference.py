"""Float64 NumPy references for the convolution and pooling tests: Keras' padding arithmetic written out
independently of the C++ (KERAS_REFERENCE §12-13), a direct convolution and direct pooling loops."""

import numpy as np


def axis(n, k, stride, dilation, padding):
    """(out, pad_before, pad_after) of one spatial axis."""
    ke = dilation * (k - 1) + 1
    if padding == "valid":
        return (n - ke) // stride + 1, 0, 0
    out = -(-n // stride)
    total = max((out - 1) * stride + ke - n, 0)
    return out, total // 2, total - total // 2


def conv2d(x, kernel, bias=None, strides=(1, 1), dilation=(1, 1), padding="valid"):
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    n, h, w, _ = x.shape
    kh, kw, _, f = kernel.shape
    oh, pt, pb = axis(h, kh, strides[0], dilation[0], padding)
    ow, pl, pr = axis(w, kw, strides[1], dilation[1], padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    out = np.zeros((n, oh, ow, f))
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dilation[0], j * dilation[1]
            patch = xp[:, y0:y0 + (oh - 1) * strides[0] + 1:strides[0], x0:x0 + (ow - 1) * strides[1] + 1:strides[1], :]
            out += patch @ kernel[i, j]
    return out if bias is None else out + np.asarray(bias, np.float64)


def pool2d(x, pool, strides, padding, kind):
    """Max (NaN skipped, as TF's CPU kernel) or average over each window's real cells."""
    x = np.asarray(x, np.float64)
    n, h, w, c = x.shape
    oh, pt, _ = axis(h, pool[0], strides[0], 1, padding)
    ow, pl, _ = axis(w, pool[1], strides[1], 1, padding)
    out = np.zeros((n, oh, ow, c))
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * strides[0] - pt, ox * strides[1] - pl
            win = x[:, max(y0, 0):min(y0 + pool[0], h), max(x0, 0):min(x0 + pool[1], w), :].reshape(n, -1, c)
            if kind == "avg":
                out[:, oy, ox] = win.mean(axis=1)
            else:
                v = np.where(np.isnan(win), -np.inf, win).max(axis=1)
                out[:, oy, ox] = np.where(np.isinf(v) & (v < 0), np.finfo(np.float32).min, v)
    return out
