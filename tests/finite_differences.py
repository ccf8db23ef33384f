"""Central differences in float64: the reference every analytic gradient in the tests is checked against."""

import numpy as np


def gradient(fun, z, h=1e-6):
    """d fun(z) / dz for a scalar function of an array, one entry at a time."""
    z = np.asarray(z, dtype=np.float64)
    g = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = (fun(zp) - fun(zm)) / (2 * h)
    return g
