"""pyminidl._core.gemm against a float64 NumPy reference: C = alpha * op(A) @ op(B) + beta * C."""

import itertools
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pyminidl import _core

TRANSPOSES = list(itertools.product([False, True], repeat=2))
EPS32 = np.finfo(np.float32).eps


def operands(m, n, k, trans_a, trans_b, seed=0):
    """Random float32 A, B stored as the flags say (A is k x m when trans_a, B is n x k when trans_b)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if trans_b else (k, n)).astype(np.float32)
    return a, b


def check(m, n, k, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, seed=0, sums=False):
    """gemm, or with sums gemm_with_sums (C has a row more: op(B)'s column sums, as if op(A) had a row of ones)."""
    a, b = operands(m, n, k, trans_a, trans_b, seed)
    rows = m + sums
    c0 = np.random.default_rng(seed + 1).uniform(-1, 1, (rows, n)).astype(np.float32)
    if beta == 0.0:
        c0[...] = np.nan  # beta == 0 must overwrite C, never read it
    c = c0.copy()
    out = (_core.gemm_with_sums if sums else _core.gemm)(a, b, c, trans_a=trans_a, trans_b=trans_b, alpha=alpha,
                                                         beta=beta)
    assert out.shape == (rows, n) and out.dtype == np.float32

    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    opa, opb = (a64.T if trans_a else a64), (b64.T if trans_b else b64)
    if sums:
        opa = np.vstack([opa, np.ones((1, k))])
    m = rows
    c64 = np.zeros((m, n)) if beta == 0.0 else c0.astype(np.float64)
    ref = alpha * (opa @ opb) + beta * c64
    # Error bound of a float32 dot product of length k (plus the alpha/beta roundings), elementwise.
    scale = abs(alpha) * (np.abs(opa) @ np.abs(opb)) + abs(beta) * np.abs(c64)
    tol = (k + 3) * EPS32 * scale + 1e-30
    err = np.abs(out.astype(np.float64) - ref)
    assert np.all(err <= tol), (
        f"m={m} n={n} k={k} trans_a={trans_a} trans_b={trans_b} alpha={alpha} beta={beta}: "
        f"max error {err.max():.3g} at {np.unravel_index(np.argmax(err - tol), err.shape)}")
    np.testing.assert_array_equal(out, c)  # c was updated in place
    return out


@pytest.fixture(autouse=True)
def restore_threads():
    n = _core.get_num_threads()
    yield
    _core.set_num_threads(n)


# The tutorials' shapes (XOR 1x2x2, iris 32x4x32 and its backward passes) and other tiny ones: direct path.
TINY = [(1, 1, 1), (1, 2, 2), (2, 1, 2), (4, 2, 1), (1, 8, 2), (32, 4, 32), (32, 3, 4), (4, 3, 32),
        (32, 32, 32), (5, 7, 3), (3, 1, 9), (64, 64, 64), (9, 40, 20), (2, 64, 10), (3, 24, 17), (1, 48, 5)]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", TINY)
def test_tiny_shapes(m, n, k, trans_a, trans_b):
    check(m, n, k, trans_a, trans_b)


# Tails around the register tiles of every kernel (MR 14/6/4, NR 32/16/8) and the KC block (256).
EDGES = [(13, 31, 33), (14, 32, 256), (15, 33, 257), (29, 65, 255), (28, 64, 513), (6, 16, 40),
         (7, 17, 300), (5, 15, 1000), (33, 1, 100), (1, 100, 64), (43, 47, 511), (100, 2, 700)]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", EDGES)
def test_edge_tails(m, n, k, trans_a, trans_b):
    check(m, n, k, trans_a, trans_b, alpha=0.75, beta=0.5, seed=m + n + k)


# Larger than one cache block in every direction: m > MC (336), n > NC (2048), k > KC; and the
# MLP shapes of a 784-512-512-10 network with batch 256.
LARGE = [(700, 2100, 300, False, False), (337, 2049, 520, True, True), (256, 512, 784, False, False),
         (784, 512, 256, True, False), (256, 784, 512, False, True), (256, 10, 512, False, False),
         (513, 257, 129, False, True)]


@pytest.mark.parametrize("m,n,k,trans_a,trans_b", LARGE)
def test_large_shapes(m, n, k, trans_a, trans_b):
    check(m, n, k, trans_a, trans_b, alpha=1.0, beta=1.0)


# Narrow outputs (the softmax layer's n = 10) are computed the other way round, as C^T = op(B)^T op(A)^T.
NARROW = [(256, 10, 512), (512, 10, 256), (300, 3, 100), (1000, 7, 40), (97, 20, 700)]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", NARROW)
def test_narrow_outputs(m, n, k, trans_a, trans_b):
    check(m, n, k, trans_a, trans_b, alpha=0.75, beta=0.5, seed=m + n)
    check(m, n, k, trans_a, trans_b, beta=0.0, seed=m + n)


@pytest.mark.parametrize("m,n,k", NARROW)
def test_narrow_output_bits_equal_the_wide_product(m, n, k):
    # (A.B)^T = B^T.A^T computed as a wide product: the same FMA chains, so the same bits.
    a, b = operands(m, n, k, False, False, seed=3)
    narrow = _core.gemm(a, b)
    wide = _core.gemm(b, a, trans_a=True, trans_b=True)
    np.testing.assert_array_equal(narrow, wide.T)


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (2.0, 0.0), (-0.5, 1.0), (1.0, -1.0), (0.3, 2.5),
                                        (0.0, 0.5), (0.0, 0.0)])
@pytest.mark.parametrize("m,n,k", [(3, 4, 5), (64, 48, 96), (200, 300, 270)])
def test_alpha_beta(m, n, k, alpha, beta):
    for trans_a, trans_b in TRANSPOSES:
        check(m, n, k, trans_a, trans_b, alpha=alpha, beta=beta)


def test_beta_zero_overwrites_nan():
    for m, n, k in [(1, 2, 2), (300, 300, 300)]:
        a, b = operands(m, n, k, False, False)
        c = np.full((m, n), np.nan, np.float32)
        _core.gemm(a, b, c, beta=0.0)
        assert np.isfinite(c).all()


@pytest.mark.parametrize("m,n,k", [(0, 3, 4), (3, 0, 4), (0, 0, 0), (3, 4, 0), (200, 300, 0)])
def test_empty_dimensions(m, n, k):
    a, b = operands(m, n, k, False, False)
    c = np.full((m, n), 2.0, np.float32)
    out = _core.gemm(a, b, c, beta=0.5)
    np.testing.assert_array_equal(out, np.full((m, n), 1.0, np.float32))  # k = 0: C = beta * C
    if m and n:
        c[...] = np.nan
        np.testing.assert_array_equal(_core.gemm(a, b, c, beta=0.0), np.zeros((m, n), np.float32))


def test_non_contiguous_views():
    rng = np.random.default_rng(5)
    big_a = rng.uniform(-1, 1, (90, 140)).astype(np.float32)
    big_b = rng.uniform(-1, 1, (150, 70)).astype(np.float32)
    a, b = big_a[3:83:2, 5:125], big_b[10:130, 1:61]  # strided rows, offset columns
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(_core.gemm(a, b), ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", [(256, 512, 784), (700, 2100, 300), (30, 900, 600), (97, 101, 1003),
                                   (512, 10, 256), (1, 512, 784), (2, 1024, 512)])
def test_bit_identical_across_thread_counts(m, n, k, trans_a, trans_b):
    a, b = operands(m, n, k, trans_a, trans_b, seed=7)
    c0 = np.random.default_rng(8).uniform(-1, 1, (m, n)).astype(np.float32)
    results = []
    for threads in (1, 2, 3):
        _core.set_num_threads(threads)
        assert _core.get_num_threads() == threads
        results.append(_core.gemm(a, b, c0.copy(), trans_a=trans_a, trans_b=trans_b, alpha=0.9, beta=0.7))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


# gemm_with_sums on every route: direct (tiny), transposed (narrow n; sums added after), packed with
# one KC block (blocked schedule) and several (shared-A schedule on 2 threads); the ones row inside
# a panel's padding (m % 6 != 0), starting a panel of its own (m % 6 == 0) and starting an MC block (m = 336).
SUMS = [(1, 2, 2), (32, 4, 32), (5, 7, 3), (512, 10, 256), (784, 512, 256), (512, 512, 256), (96, 200, 300),
        (336, 70, 100), (335, 130, 700), (13, 40, 600), (256, 784, 512), (0, 5, 3), (0, 100, 700), (0, 500, 40),
        (4, 6, 0)]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", SUMS)
def test_gemm_with_sums(m, n, k, trans_a, trans_b, threads):
    _core.set_num_threads(threads)
    check(m, n, k, trans_a, trans_b, sums=True)
    check(m, n, k, trans_a, trans_b, alpha=0.75, beta=0.5, sums=True)


@pytest.mark.parametrize("m,n,k", [(784, 512, 256), (96, 200, 300), (335, 130, 700), (512, 10, 256)])
def test_gemm_with_sums_rows_equal_gemm_and_thread_counts(m, n, k):
    """The product rows are gemm's, bit for bit; every row is the same for 1, 2 and 3 threads."""
    a, b = operands(m, n, k, True, False, seed=3)
    results = []
    for threads in (1, 2, 3):
        _core.set_num_threads(threads)
        results.append(_core.gemm_with_sums(a, b, trans_a=True))
        np.testing.assert_array_equal(results[-1][:m], _core.gemm(a, b, trans_a=True))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


# Panels used a few times are read where they are instead of packed: op(B) (not transposed) when
# C has at most 48 rows, op(A) when C has at most two column panels (128 columns with the 6 x 64
# tile); partial panels and the ones row are still packed. Shapes on both sides of each limit, with
# several KC blocks, on 1 and 2 threads.
IN_PLACE = [(1, 512, 784), (2, 700, 300), (12, 130, 257), (13, 130, 257), (12, 300, 300), (2, 1024, 512),
            (300, 100, 513), (500, 128, 300), (500, 129, 300), (7, 64, 1000), (32, 128, 784), (48, 130, 257),
            (49, 130, 257), (47, 300, 300)]
# Outputs of one or two rows (a sample's prediction) take a tile of their own (AVX-512: 1 x 128,
# B read in place, partial panels too) instead of the main tile with its dead rows. Shapes with
# whole and partial panels, one and several KC blocks.
FEW_ROWS = [(1, 512, 784), (2, 528, 300), (1, 300, 512), (2, 100, 1000), (1, 130, 40), (1, 1000, 257)]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", IN_PLACE + FEW_ROWS)
def test_panels_read_in_place_and_few_rows(m, n, k, trans_a, trans_b, threads):
    _core.set_num_threads(threads)
    check(m, n, k, trans_a, trans_b, alpha=0.75, beta=0.5, seed=m + n)
    check(m, n, k, trans_a, trans_b, seed=m + n)
    check(m, n, k, trans_a, trans_b, seed=m + n, sums=True)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_in_place_and_packed_panels_give_the_same_bits(trans_a, trans_b):
    """Reading a panel in place changes where the numbers come from, not the FMA chains."""
    for (m, n, k), (m2, n2) in [((12, 130, 257), (13, 130)), ((48, 130, 257), (49, 130)),
                                ((500, 128, 300), (500, 129))]:
        a, b = operands(m2, n2, k, trans_a, trans_b, seed=4)
        a_small = a[:, :m] if trans_a else a[:m]
        b_small = b[:n] if trans_b else b[:, :n]
        for threads in (1, 2):
            _core.set_num_threads(threads)
            wide = _core.gemm(a, b, trans_a=trans_a, trans_b=trans_b)  # one more row or column: packed
            small = _core.gemm(np.ascontiguousarray(a_small), np.ascontiguousarray(b_small), trans_a=trans_a,
                               trans_b=trans_b)
            np.testing.assert_array_equal(small, wide[:m, :n])


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", FEW_ROWS)
def test_few_rows_give_the_bits_of_the_same_rows_in_a_taller_product(m, n, k, trans_a, trans_b):
    """A sample predicted alone gets the numbers it gets inside a batch: the same FMA chains."""
    a, b = operands(16, n, k, trans_a, trans_b, seed=6)
    a_few = np.ascontiguousarray(a[:, :m] if trans_a else a[:m])
    for threads in (1, 2):
        _core.set_num_threads(threads)
        tall = _core.gemm(a, b, trans_a=trans_a, trans_b=trans_b)  # 16 rows: the main tile
        few = _core.gemm(a_few, b, trans_a=trans_a, trans_b=trans_b)
        np.testing.assert_array_equal(few, tall[:m])


def test_gemm_with_sums_checks_c_shape():
    a, b = operands(4, 3, 5, False, False)
    with pytest.raises(ValueError, match=r"gemm_with_sums: c: expected shape \(5, 3\), got \(4, 3\)"):
        _core.gemm_with_sums(a, b, np.zeros((4, 3), np.float32))


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="got 0"):
        _core.set_num_threads(0)


def test_kernel_name_and_peak():
    assert _core.gemm_kernel_name() in ("avx512", "avx2", "portable")
    assert _core.measure_peak_gflops(1) > 0.0


# The lesser kernels run on this machine too when forced (PYMINIDL_GEMM_KERNEL); each gets its own
# process because the kernel is chosen once, at the first call.
SUBPROCESS_CHECK = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from pyminidl import _core
    import test_gemm as t
    if _core.gemm_kernel_name() != {name!r}:
        print("UNSUPPORTED", _core.gemm_kernel_name()); sys.exit(0)
    for m, n, k in t.TINY + t.EDGES + t.NARROW + t.IN_PLACE + t.FEW_ROWS:
        for ta, tb in t.TRANSPOSES:
            t.check(m, n, k, ta, tb, alpha=0.75, beta=0.5)
    for m, n, k in t.TINY:
        for ta, tb in t.TRANSPOSES:
            t.check(m, n, k, ta, tb)
    for m, n, k in t.SUMS:
        for ta, tb in t.TRANSPOSES:
            t.check(m, n, k, ta, tb, alpha=0.75, beta=0.5, sums=True)
    for m, n, k in t.FEW_ROWS:
        for ta, tb in t.TRANSPOSES:
            t.test_few_rows_give_the_bits_of_the_same_rows_in_a_taller_product(m, n, k, ta, tb)
    for m, n, k, ta, tb in t.LARGE[:3]:
        t.check(m, n, k, ta, tb, beta=0.0)
        _core.set_num_threads(1); r1 = _core.gemm(*t.operands(m, n, k, ta, tb), trans_a=ta, trans_b=tb)
        _core.set_num_threads(2); r2 = _core.gemm(*t.operands(m, n, k, ta, tb), trans_a=ta, trans_b=tb)
        assert (r1 == r2).all()
    print("OK")
""")


@pytest.mark.parametrize("name", ["avx2", "portable"])
def test_forced_kernel(name):
    code = SUBPROCESS_CHECK.format(tests=os.path.dirname(os.path.abspath(__file__)), name=name)
    env = dict(os.environ, PYMINIDL_GEMM_KERNEL=name)
    # cwd: the tests folder, so `python -c` imports the installed pyminidl, never the source tree.
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600,
                          cwd=os.path.dirname(os.path.abspath(__file__)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if proc.stdout.startswith("UNSUPPORTED"):
        pytest.skip(f"this CPU cannot run the {name} kernel")
    assert proc.stdout.strip().endswith("OK")


# Out of memory inside the threads: a packing buffer that cannot be had (the test hook makes the n-th
# request fail) must give MemoryError, never a crash, and leave gemm and the model working. In a child
# process: before the fix, the exception inside an OpenMP region aborted the process.
OUT_OF_MEMORY_CHECK = textwrap.dedent("""
    import numpy as np
    from pyminidl import _core
    rng = np.random.default_rng(0)
    raised = {}
    for m, n, k in [(700, 300, 300), (256, 512, 784), (1, 512, 784)]:  # blocked, shared-A, few rows
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        for threads in (1, 2):
            _core.set_num_threads(threads)
            expected = _core.gemm(a, b)
            for after in range(4):
                _core._inject_buffer_failures(after, 1)
                try:
                    _core.gemm(a, b)
                except MemoryError as e:
                    text = f"out of memory: the matrix multiply ({m} x {n} x {k}) could not get its packing buffers"
                    assert str(e) == text, str(e)
                    raised[(m, threads)] = raised.get((m, threads), 0) + 1
                _core._inject_buffer_failures(0, 0)
                assert (_core.gemm(a, b) == expected).all()
    # A training step that runs out: MemoryError from fit, and the model still predicts and trains.
    import pyminidl as tf
    x = rng.standard_normal((512, 300)).astype(np.float32)
    y = tf.utils.to_categorical(rng.integers(0, 10, 512), 10)
    model = tf.Sequential([tf.layers.Dense(256, activation="relu", input_shape=(300,)),
                           tf.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    _core._inject_buffer_failures(5, 1)
    try:
        model.fit(x, y, batch_size=256, epochs=2, verbose=0)
        raise AssertionError("fit did not raise")
    except MemoryError:
        pass
    _core._inject_buffer_failures(0, 0)
    assert np.isfinite(model.predict(x, verbose=0)).all()
    assert np.isfinite(model.fit(x, y, batch_size=256, epochs=1, verbose=0).history["loss"]).all()
    print(sorted(raised.items()))
""")


def test_out_of_memory_in_the_threads_raises_memory_error():
    proc = subprocess.run([sys.executable, "-c", OUT_OF_MEMORY_CHECK], capture_output=True, text=True, timeout=300,
                          cwd=os.path.dirname(os.path.abspath(__file__)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    raised = dict(eval(proc.stdout.strip()))
    # Each product asks for 2 or 3 buffers: at least the first two requests fail it, on 1 and on 2 threads.
    assert all(raised.get((m, t), 0) >= 2 for m in (700, 256, 1) for t in (1, 2)), raised
