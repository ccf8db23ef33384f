"""Activations: C++ forward vs float64 NumPy formulas, backward vs central finite differences."""

import math

import numpy as np
import pytest

from pyminidl import _core, activations

import finite_differences

Act = _core.Act
_erf = np.vectorize(math.erf)


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# name -> (alpha passed to the core, float64 reference)
REF = {
    "linear": (0.0, lambda x: x),
    "relu": (0.0, lambda x: np.maximum(x, 0)),
    "sigmoid": (0.0, _sigmoid),
    "tanh": (0.0, np.tanh),
    "softmax": (0.0, _softmax),
    "elu": (1.0, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "selu": (0.0, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))),
    "softplus": (0.0, _softplus),
    "softsign": (0.0, lambda x: x / (1 + np.abs(x))),
    "swish": (0.0, lambda x: x * _sigmoid(x)),
    "gelu": (0.0, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "gelu_approximate": (0.0, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    "leaky_relu": (0.2, lambda x: np.where(x >= 0, x, 0.2 * x)),
    "relu6": (0.0, lambda x: np.clip(x, 0, 6)),
    "hard_sigmoid": (0.0, lambda x: np.clip(x + 3, 0, 6) / 6),
    "exponential": (0.0, np.exp),
    "mish": (0.0, lambda x: x * np.tanh(_softplus(x))),
    "hard_swish": (0.0, lambda x: x * np.clip(x + 3, 0, 6) / 6),
}
NAMES = sorted(REF)


def test_every_core_activation_is_covered():
    assert set(Act.__members__) == set(REF)


def _points(rows=6, cols=7, seed=0):
    """float32 points in [-7, 7] kept away from the kinks at 0, +-3 and 6."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-7, 7, size=(rows, cols))
    for kink in (0.0, 3.0, -3.0, 6.0):
        near = np.abs(z - kink) < 0.05
        z[near] += 0.1
    return z.astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_float64_formula(name):
    alpha, f = REF[name]
    z = _points()
    got = _core.act_forward(getattr(Act, name), alpha, z)
    want = f(z.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("name,x,want", [
    ("gelu", -3.0, -0.0040496),                 # exact erf form (KERAS_REFERENCE §11)
    ("gelu_approximate", -3.0, -0.0036374),
    ("hard_sigmoid", -1.0, 1 / 3),              # Keras 3: relu6(x+3)/6, not Keras 2's 0.2x+0.5 (0.3)
    ("hard_sigmoid", 2.5, 11 / 12),
    ("hard_sigmoid", 3.5, 1.0),
    ("hard_sigmoid", -3.5, 0.0),
    ("leaky_relu", -2.0, -0.4),
    ("relu6", 7.0, 6.0),
    ("elu", -1.0, math.exp(-1) - 1),
    ("selu", -1.0, 1.0507009873554805 * 1.6732632423543772 * (math.exp(-1) - 1)),
    ("softsign", -3.0, -0.75),
    ("sigmoid", -80.0, math.exp(-80)),          # no overflow on the negative side
    ("sigmoid", 80.0, 1.0),
    ("softplus", 100.0, 100.0),
    ("softplus", -80.0, math.exp(-80)),
    ("mish", -20.0, -20 * math.tanh(math.log1p(math.exp(-20)))),
    ("exponential", -1.0, math.exp(-1)),
    ("hard_swish", 1.0, 2 / 3),                 # x * relu6(x + 3) / 6
    ("hard_swish", -1.5, -0.375),
    ("hard_swish", 4.0, 4.0),
    ("hard_swish", -4.0, 0.0),
])
def test_known_values(name, x, want):
    alpha = REF[name][0]
    got = _core.act_forward(getattr(Act, name), alpha, np.array([[x]], np.float32))[0, 0]
    assert got == pytest.approx(want, rel=1e-4, abs=1e-30)


def _sweep():
    """~1.2M float32 points: both signs on a log scale from 1e-30 to 110 (past where exp overflows), dense
    uniform points, and the neighbourhoods of vmath.h's branch points (0.5, 0.625) and clamps."""
    rng = np.random.default_rng(11)
    mag = np.logspace(-30, np.log10(110.0), 400_000)
    edges = np.concatenate([e + np.arange(-2000, 2000) * np.spacing(np.float32(e))
                            for e in (0.5, 0.625, 87.33654, 88.72283, 104.0)])
    x = np.concatenate([mag, -mag, rng.uniform(-12, 12, 400_000), edges, -edges, [0.0, -0.0]])
    return x.astype(np.float32).reshape(1, -1)


# The activations whose exp, expm1, tanh and log1p come from cpp/vmath.h (vectorised), and their accuracy:
# within 3 units in the last place of float32 (relative 3.6e-7) of the float64 value, or 1e-37 absolute
# where the result is subnormal (exp of x < -87.3). gelu_approximate also uses vmath's tanh, but its
# formula, 1 + tanh(u) for negative u, cancels whatever the tanh: the tests above check it absolutely.
VMATH = ["sigmoid", "tanh", "elu", "selu", "swish", "exponential", "softplus", "mish"]


@pytest.mark.parametrize("name", VMATH)
def test_vectorised_math_is_within_3_ulp_everywhere(name):
    alpha, f = REF[name]
    x = _sweep()
    with np.errstate(over="ignore", invalid="ignore"):
        want = f(x.astype(np.float64))
        got = _core.act_forward(getattr(Act, name), alpha, x).astype(np.float64)
    finite = np.abs(want) <= np.finfo(np.float32).max
    np.testing.assert_array_equal(np.isinf(got), ~finite)  # overflow exactly where float32 overflows
    err = np.abs(got[finite] - want[finite])
    assert np.all(err <= 3.6e-7 * np.abs(want[finite]) + 1e-37), \
        f"worst at x = {x[0, finite[0]][np.argmax(err - 3.6e-7 * np.abs(want[finite]))]}"


def test_vectorised_gelu_is_within_4_ulp_of_its_float_argument():
    # gelu = x/2 * erfc(-x/√2), erfc from cpp/vmath.h. Rounding x/√2 (and x² in erfc's e^-x²) to float moves
    # erfc by a relative ~x² * 6e-8 at large |x|, which no float implementation escapes: that much is allowed.
    x = _sweep().astype(np.float64)
    want = 0.5 * x * np.vectorize(math.erfc)(-x / np.sqrt(2.0))
    got = _core.act_forward(Act.gelu, 0.0, x.astype(np.float32)).astype(np.float64)
    finite = np.isfinite(want)
    tol = (4.8e-7 + 1.2e-7 * x**2) * np.abs(want) + 1e-37
    assert np.all(np.abs(got - want)[finite] <= tol[finite])
    assert np.all(np.isinf(got[~finite]))


@pytest.mark.parametrize("name,x,want", [
    ("gelu", -np.inf, np.nan), ("gelu", np.inf, np.inf), ("gelu", -30.0, -0.0), ("gelu", 0.0, 0.0),
    ("tanh", np.inf, 1.0), ("tanh", -np.inf, -1.0), ("tanh", -0.0, -0.0), ("elu", -0.0, -0.0), ("sigmoid", np.inf, 1.0),
    ("sigmoid", -np.inf, 0.0), ("exponential", np.inf, np.inf), ("exponential", -np.inf, 0.0),
    ("exponential", 0.0, 1.0), ("elu", -np.inf, -1.0), ("swish", np.inf, np.inf), ("swish", -np.inf, np.nan),
    ("tanh", np.nan, np.nan), ("sigmoid", np.nan, np.nan), ("exponential", np.nan, np.nan), ("elu", np.nan, np.nan),
    ("softplus", np.inf, np.inf), ("softplus", -np.inf, 0.0), ("softplus", np.nan, np.nan), ("softplus", 0.0, np.float32(np.log(2.0))),
    ("mish", np.inf, np.inf), ("mish", -np.inf, np.nan), ("mish", np.nan, np.nan), ("mish", -0.0, -0.0),
])
def test_vectorised_math_special_values(name, x, want):
    got = _core.act_forward(getattr(Act, name), REF[name][0], np.array([[x]], np.float32))[0, 0]
    if np.isnan(want):
        assert np.isnan(got)
    else:
        assert got == want and np.signbit(got) == np.signbit(want)


def test_softmax_rows_sum_to_one_and_survive_large_logits():
    z = np.array([[1000.0, 1000.0, 0.0], [-1000.0, 0.0, 50.0]], np.float32)
    y = _core.act_forward(Act.softmax, 0.0, z)
    np.testing.assert_allclose(y, _softmax(z.astype(np.float64)), atol=1e-7)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("rows,cols", [(37, 3), (5, 1000), (1, 1), (70, 10)])
def test_softmax_blocks_of_narrow_and_wide_rows(rows, cols):
    """The exps of the whole block run in one loop: every row still gets its own max and sum."""
    rng = np.random.default_rng(rows + cols)
    z = (rng.standard_normal((rows, cols)) * 20 + rng.uniform(-50, 50, (rows, 1))).astype(np.float32)
    y = _core.act_forward(Act.softmax, 0.0, z)
    shifted = z - z.max(axis=1, keepdims=True)  # rounded to float32 as the core rounds it (4e-6 at z - max = -70)
    e = np.exp(shifted.astype(np.float64))
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=1e-6, atol=1e-37)


def _fd_backward(f, z, dy):
    """d(sum(dy * f(z)))/dz by central differences in float64 (covers softmax's row coupling)."""
    return finite_differences.gradient(lambda zz: np.sum(dy * f(zz)), z)


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_finite_differences(name):
    alpha, f = REF[name]
    z = _points(4, 5, seed=1)
    if name == "exponential":
        z = np.clip(z, -4, 4)  # keep e^x in a range where an absolute tolerance means something
    dy = np.random.default_rng(2).normal(size=z.shape).astype(np.float32)
    act = getattr(Act, name)
    y = _core.act_forward(act, alpha, z)
    got = _core.act_backward(act, alpha, z, y, dy)
    want = _fd_backward(f, z, dy.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,x,slope", [
    ("relu", -2.0, 0.0), ("relu6", 6.5, 0.0), ("relu6", 5.5, 1.0), ("hard_sigmoid", -3.5, 0.0),
    ("hard_sigmoid", 3.5, 0.0), ("hard_sigmoid", 0.5, 1 / 6), ("leaky_relu", -1.0, 0.2), ("elu", 2.0, 1.0),
])
def test_piecewise_slopes(name, x, slope):
    alpha = REF[name][0]
    z = np.array([[x]], np.float32)
    act = getattr(Act, name)
    dz = _core.act_backward(act, alpha, z, _core.act_forward(act, alpha, z), np.ones_like(z))
    assert dz[0, 0] == pytest.approx(slope, rel=1e-6)


# --- Python name handling ---------------------------------------------------------------------------

@pytest.mark.parametrize("identifier,canonical,code,alpha", [
    (None, "linear", Act.linear, 0.0),
    ("relu", "relu", Act.relu, 0.0),
    ("ReLU", "relu", Act.relu, 0.0),
    ("silu", "swish", Act.swish, 0.0),
    ("leaky_relu", "leaky_relu", Act.leaky_relu, 0.2),
    ("LeakyReLU", "leaky_relu", Act.leaky_relu, 0.3),   # the layer's default slope
    ("elu", "elu", Act.elu, 1.0),
    ("gelu", "gelu", Act.gelu, 0.0),                    # exact by default
    ("hard_sigmoid", "hard_sigmoid", Act.hard_sigmoid, 0.0),
    ("hard_silu", "hard_swish", Act.hard_swish, 0.0),    # Keras 3 exports both names
    (activations.tanh, "tanh", Act.tanh, 0.0),
])
def test_resolve(identifier, canonical, code, alpha):
    assert activations.resolve(identifier) == (canonical, code, pytest.approx(alpha))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax", "gelu", "hard_sigmoid", "leaky_relu", "mish",
                                  "hard_swish"])
def test_get_returns_working_function(name):
    fn = activations.get(name)
    assert fn.__name__ == name
    x = _points(3, 4, seed=3)
    np.testing.assert_allclose(fn(x), REF[name][1](x.astype(np.float64)), rtol=2e-6, atol=2e-7)
    assert activations.get(fn) is fn


def test_function_keeps_shape_of_1d_input():
    out = activations.relu(np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(out, [0.0, 2.0])


@pytest.mark.parametrize("bad", ["rellu", "not_an_activation"])
def test_unknown_name_raises(bad):
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        activations.get(bad)


def test_unknown_name_hint():
    with pytest.raises(ValueError, match="relu"):
        activations.resolve("rellu")


def test_non_string_raises():
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        activations.resolve(42)


def _ulps(got, want):
    """|got - want| in units of float32's last place at want (subnormal spacing below 2^-126)."""
    spacing = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


def test_vmath_log_within_1_ulp_from_subnormals_to_the_largest_float():
    rng = np.random.default_rng(12)
    x = np.concatenate([np.logspace(-45, 38.5, 600_000), rng.uniform(0, 4, 400_000),
                        1 + np.arange(-3000, 3000) * 2.0**-24, np.sqrt(0.5) + np.arange(-2000, 2000) * 2.0**-24])
    x = x.astype(np.float32)
    x = x[x > 0]
    got = _core._vmath("log", x)
    assert _ulps(got, np.log(x.astype(np.float64))).max() <= 1.0
    special = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan], np.float32)
    np.testing.assert_array_equal(_core._vmath("log", special), [-np.inf, -np.inf, np.nan, np.inf, np.nan, np.nan])


def test_vmath_log1p_within_3_ulp_down_to_tiny_arguments():
    rng = np.random.default_rng(13)
    x = np.concatenate([np.logspace(-45, 38, 600_000), -np.logspace(-45, np.log10(0.999999), 300_000),
                        rng.uniform(-0.5, 1, 300_000)]).astype(np.float32)
    got = _core._vmath("log1p", x)
    assert _ulps(got, np.log1p(x.astype(np.float64))).max() <= 3.0
    special = np.array([0.0, -1.0, -2.0, np.inf, np.nan], np.float32)
    np.testing.assert_array_equal(_core._vmath("log1p", special), [0.0, -np.inf, np.nan, np.inf, np.nan])
    assert np.signbit(_core._vmath("log1p", np.array([-0.0], np.float32))[0])


def test_vmath_hook_names_the_function_it_does_not_know():
    with pytest.raises(ValueError, match="got 'log2'"):
        _core._vmath("log2", np.ones(2, np.float32))
