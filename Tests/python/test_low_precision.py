"""bfloat16 and float16 (Note [The dtype layer], Note [Low-precision forward]): creation, casts with
round-to-nearest-even, NumPy interop through ml_dtypes, promotion, every float op of the op table
against float32 computed then rounded, and gradients of the primal's dtype."""
import ml_dtypes
import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL

LOW = [sg.bfloat16, sg.float16]
EPS = {sg.bfloat16: 2.0 ** -7, sg.float16: 2.0 ** -10}


def ids(d):
    return np.dtype(d).name


# --- dtypes, creation, printing ---------------------------------------------------------------


def test_dtype_objects():
    assert sg.bfloat16 == np.dtype(ml_dtypes.bfloat16)
    assert sg.float16 == np.float16
    assert sg.bfloat16.itemsize == sg.float16.itemsize == 2


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_creation(dt):
    for t in (sg.zeros((2, 3), dtype=dt), sg.ones((2, 3), dtype=dt), sg.full((2, 3), 1.5, dtype=dt)):
        assert t.dtype == dt and t.shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(sg.full((2,), 1.5, dtype=dt)).astype(np.float32), [1.5, 1.5])
    t = sg.tensor([[1.0, 2.5], [3.0, -4.0]], dtype=dt)
    assert t.dtype == dt
    np.testing.assert_array_equal(np.asarray(t).astype(np.float64), [[1.0, 2.5], [3.0, -4.0]])
    assert sg.zeros_like(t).dtype == dt
    assert float(t[0, 1]) == 2.5 and t[1, 1].item() == -4.0


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_repr_names_the_dtype(dt):
    r = repr(sg.tensor([1.5, -2.25], dtype=dt))
    assert r.startswith("tensor([") and r.endswith(f"], dtype={np.dtype(dt).name})")
    assert "1.5" in r and "-2.25" in r


# --- casts --------------------------------------------------------------------------------------


def _hard_floats():
    """float32 values exercising rounding: ties (even and odd), subnormals, overflow, inf, NaN."""
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2 ** 32, 20000, dtype=np.uint64).astype(np.uint32)
    special = np.array([0.0, -0.0, 1.0, 65504.0, 65520.0, 1e-8, 6e-8, 3e38, np.inf, -np.inf, np.nan], np.float32)
    ties = (np.arange(1, 200, dtype=np.uint32) << 16 | 0x8000).view(np.float32)  # bfloat16 halfway cases
    half_ties = ((np.arange(1, 200, dtype=np.uint32) + (112 << 10)) << 13 | 0x1000).view(np.float32)
    return np.concatenate([bits.view(np.float32), special, ties, half_ties])


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_cast_rounds_to_nearest_even(dt):
    x = _hard_floats()
    got = np.asarray(sg.tensor(x).astype(dt))
    want = x.astype(dt)
    assert got.dtype == want.dtype
    nan = np.isnan(want.astype(np.float32))
    np.testing.assert_array_equal(np.isnan(got.astype(np.float32)), nan)
    np.testing.assert_array_equal(got.view(np.uint16)[~nan], want.view(np.uint16)[~nan])


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_cast_from_float64_rounds_once(dt):
    # float64 values just above a 16-bit halfway point: rounding through float32 first would
    # land on the tie and round to even, the wrong way.
    base = np.array([1.0, 3.0, 100.0, 0.75], np.float64)
    ulp = 2.0 ** (np.floor(np.log2(base)) - {sg.bfloat16: 7, sg.float16: 10}[dt])
    x = base + ulp / 2 * (1 + 2.0 ** -30)
    got = np.asarray(sg.tensor(x).astype(dt)).astype(np.float64)
    np.testing.assert_array_equal(got, base + ulp)


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_casts_both_ways_and_to(dt):
    x = sg.tensor(np.linspace(-3, 3, 13))
    low = x.astype(dt)
    assert low.dtype == dt and low.to(sg.float32).dtype == sg.float32
    assert sg.astype(low, sg.float64).dtype == sg.float64
    want = np.linspace(-3, 3, 13).astype(dt).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(low.astype(sg.float32)), want)
    assert low.astype(sg.int64).dtype == sg.int64
    np.testing.assert_array_equal(np.asarray(low.astype(sg.int64)), np.trunc(np.asarray(low).astype(np.float64)))
    assert x.to(dt).dtype == dt


def test_bfloat16_float16_cross_cast():
    x = np.array([1.0, 1.0 + 2 ** -9, 300.0, -2.5], np.float32)
    got = np.asarray(sg.tensor(x, dtype=sg.float16).astype(sg.bfloat16))
    np.testing.assert_array_equal(got, x.astype(np.float16).astype(ml_dtypes.bfloat16))


# --- NumPy interop --------------------------------------------------------------------------------


def test_numpy_of_bfloat16_is_zero_copy_ml_dtypes():
    t = sg.tensor([1.0, 2.0, 3.0], dtype=sg.bfloat16)
    a, b = np.asarray(t), t.numpy()
    assert a.dtype == ml_dtypes.bfloat16 and np.shares_memory(a, b)
    t.add_(1.0)  # an in-place write shows through the arrays
    np.testing.assert_array_equal(a.astype(np.float32), [2.0, 3.0, 4.0])


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_from_numpy_shares_memory(dt):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=dt)
    t = sg.from_numpy(a)
    assert t.dtype == dt
    a[0, 0] = 8.0
    assert float(t[0, 0]) == 8.0
    assert np.shares_memory(np.asarray(t), a)
    v = sg.from_numpy(a[:, 1])  # strided
    np.testing.assert_array_equal(np.asarray(v).astype(np.float32), [2.0, 4.0])
    assert sg.tensor(a).dtype == dt and sg.asarray(a).dtype == dt


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_numpy_round_trip_is_exact(dt):
    x = _hard_floats().astype(dt)
    back = np.asarray(sg.tensor(x))
    assert back.dtype == x.dtype
    np.testing.assert_array_equal(back.view(np.uint16), x.view(np.uint16))


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_arrays_as_operands(dt):
    x = sg.tensor([1.0, 2.0], dtype=dt)
    y = x + np.array([1.0, 1.0], dtype=dt)
    assert y.dtype == dt
    np.testing.assert_array_equal(np.asarray(y).astype(np.float32), [2.0, 3.0])


def test_views_of_bfloat16_stay_views():
    t = sg.tensor(np.arange(6.0).reshape(2, 3), dtype=sg.bfloat16)
    v = t.T
    assert v.dtype == sg.bfloat16 and np.shares_memory(np.asarray(v), np.asarray(t))
    r = t.reshape(3, 2)
    assert np.shares_memory(np.asarray(r), np.asarray(t))
    np.testing.assert_array_equal(np.asarray(t[1]).astype(np.float32), [3.0, 4.0, 5.0])


# --- promotion ------------------------------------------------------------------------------------

PROMOTION = [
    (sg.bfloat16, sg.bfloat16, sg.bfloat16),
    (sg.float16, sg.float16, sg.float16),
    (sg.bfloat16, sg.float16, sg.float32),
    (sg.bfloat16, sg.float32, sg.float32),
    (sg.float16, sg.float32, sg.float32),
    (sg.bfloat16, sg.float64, sg.float64),
    (sg.float16, sg.float64, sg.float64),
    (sg.bfloat16, sg.int64, sg.bfloat16),
    (sg.float16, sg.int64, sg.float16),
    (sg.bfloat16, sg.bool_, sg.bfloat16),
    (sg.float16, sg.bool_, sg.float16),
]


@pytest.mark.parametrize("a, b, want", PROMOTION, ids=lambda d: np.dtype(d).name)
def test_promotion_table(a, b, want):
    x, y = sg.ones((2,), dtype=a), sg.ones((2,), dtype=b)
    assert (x + y).dtype == want and (y + x).dtype == want
    assert sg.result_type(x, y) == want if hasattr(sg, "result_type") else True
    assert sg.where(np.array([True, False]), x, y).dtype == want


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_weak_python_scalars_keep_the_dtype(dt):
    x = sg.tensor([1.0, 2.0], dtype=dt)
    for y in (x + 1, x * 2.5, 3.0 - x, x / 7, x ** 2, x + True):
        assert y.dtype == dt
    np.testing.assert_array_equal(np.asarray(x * 2.5).astype(np.float32), [2.5, 5.0])
    assert (x > 1.5).dtype == sg.bool_


# --- every float op of the op table ---------------------------------------------------------------


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("dt", LOW, ids=ids)
@pytest.mark.parametrize("case", ALL, ids=repr)
def test_op_table_in_low_precision(case, dt):
    """Each op with inputs in `dt` against the same op on those (exactly widened) values in float32,
    rounded to `dt`. A single primitive rounds once, so it matches to the last bit up to the
    float32 kernel's own error; composites round every intermediate, so the tolerance scales
    with the dtype's epsilon and the output's magnitude."""
    arrays = [a.astype(dt) for a in case.inputs()]
    low = _flat(case.fn(*[sg.tensor(a) for a in arrays]))
    wide = _flat(case.fn(*[sg.tensor(a.astype(np.float32)) for a in arrays]))
    assert len(low) == len(wide)
    for lo, hi in zip(low, wide):
        hi_dtype = np.dtype(hi.dtype)
        # Complex results have no 16-bit dtype: the low inputs compute in complex64 (docs/FFT.md).
        want_dtype = dt if hi_dtype == np.float32 and not case.via_complex else hi_dtype
        assert lo.dtype == want_dtype, (lo.dtype, want_dtype)
        ref = np.asarray(hi).astype(want_dtype).astype(np.float64)
        got = np.asarray(lo).astype(np.float64)
        assert got.shape == ref.shape
        if want_dtype.kind != "f" or want_dtype.itemsize > 2:
            np.testing.assert_allclose(got, ref, rtol=1e-2, atol=1e-2)
            continue
        scale = max(1.0, float(np.max(np.abs(ref), initial=0.0)))
        np.testing.assert_allclose(got, ref, rtol=0, atol=64 * EPS[dt] * scale)


_DIFFERENTIABLE = [c for c in ALL if not c.random]


@pytest.mark.parametrize("dt", LOW, ids=ids)
@pytest.mark.parametrize("case", _DIFFERENTIABLE, ids=repr)
def test_backward_gives_grads_of_the_primal_dtype(case, dt):
    arrays = [a.astype(dt) for a in case.inputs()]
    xs = [sg.tensor(a, requires_grad=True) for a in arrays]
    out_dtype = np.float32 if case.via_complex else dt  # complex results compute in complex64
    outs = [o for o in _flat(case.fn(*xs)) if np.dtype(o.dtype) == out_dtype and o.requires_grad]
    if not outs:
        pytest.skip("no low-precision differentiable output")
    total = outs[0].sum()
    for o in outs[1:]:
        total = total + o.sum()
    assert total.dtype == out_dtype
    total.backward()
    for x in xs:
        if x.grad is not None:
            assert x.grad.dtype == dt and x.grad.shape == x.shape


def test_backward_values_match_float32():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((8, 5)), rng.standard_normal((5, 4))
    grads = {}
    for dt in (sg.float32, sg.bfloat16):
        x = sg.tensor(a.astype(dt), requires_grad=True)
        w = sg.tensor(b.astype(dt), requires_grad=True)
        sg.tanh(x @ w).sum().backward()
        grads[np.dtype(dt).name] = (np.asarray(x.grad).astype(np.float64), np.asarray(w.grad).astype(np.float64))
    for lo, hi in zip(grads["bfloat16"], grads["float32"]):
        np.testing.assert_allclose(lo, hi, atol=16 * EPS[sg.bfloat16] * max(1, np.abs(hi).max()))


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_forward_mode_tangent_has_the_primal_dtype(dt):
    x = sg.tensor([0.5, 1.0, 2.0], dtype=dt)
    y, t = sg.jvp(sg.exp, (x,), (sg.ones_like(x),))
    assert y.dtype == dt and t.dtype == dt
    np.testing.assert_array_equal(np.asarray(t), np.asarray(y))


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_reductions_accumulate_in_float32(dt):
    # 4096 ones: a 16-bit accumulator stalls at 256 (bfloat16) or 2048 (float16).
    x = sg.ones((4096,), dtype=dt)
    assert float(x.sum()) == 4096.0 and x.sum().dtype == dt
    assert float(x.mean()) == 1.0
    assert float(sg.ones((64, 64), dtype=dt).sum(axis=0)[3]) == 64.0


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_matmul_against_float32_rounded(dt):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((33, 70)).astype(dt), rng.standard_normal((70, 17)).astype(dt)
    got = sg.tensor(a) @ sg.tensor(b)
    want = (a.astype(np.float32) @ b.astype(np.float32)).astype(dt)
    assert got.dtype == dt
    np.testing.assert_allclose(np.asarray(got).astype(np.float64), want.astype(np.float64),
                               atol=2 * EPS[dt] * np.abs(want.astype(np.float64)).max())
    at = sg.tensor(np.ascontiguousarray(a.T)).T  # a transposed operand goes to BLAS as is
    np.testing.assert_array_equal(np.asarray(at @ sg.tensor(b)).view(np.uint16), np.asarray(got).view(np.uint16))


BF16_GEMMS = ["off", "native", "blas", "auto"]


@pytest.mark.parametrize("kernel", BF16_GEMMS)
@pytest.mark.parametrize("shape", [(1, 1, 1), (13, 3, 33), (200, 801, 70), (5, 64, 1)], ids=str)
def test_bfloat16_gemm_kernels(kernel, shape, monkeypatch):
    # Every bfloat16 GEMM (Note [Low-precision GEMM]) with both operand layouts, across the
    # kernel's blocking (rows past one block of 192, k past one block of 768, odd k and n), equals
    # the exact product rounded to bfloat16 up to the float32 accumulation's error.
    monkeypatch.setenv("SWIFTGRAD_BF16_GEMM", kernel)
    info = sg.show_config("dicts")
    if kernel == "native":
        want = "AVX512-BF16" if info["cpu_avx512_bf16"] else "widened"
        assert want in info["bf16_gemm"], info["bf16_gemm"]
    if kernel == "off":
        assert "widened" in info["bf16_gemm"]
    m, k, n = shape
    rng = np.random.default_rng(k)
    a = rng.standard_normal((m, k)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((k, n)).astype(ml_dtypes.bfloat16)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    bound = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    for ta in (False, True):
        for tb in (False, True):
            sa = sg.tensor(np.ascontiguousarray(a.T)).T if ta else sg.tensor(a)
            sb = sg.tensor(np.ascontiguousarray(b.T)).T if tb else sg.tensor(b)
            got = np.asarray(sa @ sb).astype(np.float64)
            assert got.shape == (m, n)
            np.testing.assert_allclose(got, exact, rtol=2.0 ** -8, atol=1e-6 * bound.max() + 1e-30,
                                       err_msg=f"{kernel} transposed A={ta} B={tb}")


def test_bfloat16_gemm_gradients_use_the_same_kernel(monkeypatch):
    # The backward products are bfloat16 GEMMs of transposed operands: same values either kernel.
    rng = np.random.default_rng(3)
    a = rng.standard_normal((40, 50)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((50, 30)).astype(ml_dtypes.bfloat16)
    grads = {}
    for kernel in ("off", "auto"):
        monkeypatch.setenv("SWIFTGRAD_BF16_GEMM", kernel)
        x, w = sg.tensor(a, requires_grad=True), sg.tensor(b, requires_grad=True)
        (x @ w).sum().backward()
        grads[kernel] = (np.asarray(x.grad).astype(np.float64), np.asarray(w.grad).astype(np.float64))
        assert x.grad.dtype == sg.bfloat16
    for g_off, g_auto in zip(grads["off"], grads["auto"]):
        np.testing.assert_allclose(g_auto, g_off, rtol=2.0 ** -7, atol=1e-6)


def test_gradcheck_refuses_low_precision():
    for dt in LOW:
        with pytest.raises(TypeError, match="float64"):
            sg.gradcheck(sg.exp, [sg.ones((3,), dtype=dt)])
        with pytest.raises(TypeError, match="float64"):
            sg.gradcheck(sg.exp, [np.ones(3, dtype=dt)])


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_compiled_function_keeps_the_dtype(dt):
    f = sg.compile(lambda x: sg.tanh(x) * 2 + sg.exp(x))
    x = sg.tensor(np.linspace(-1, 1, 7), dtype=dt)
    y = f(x)
    assert y.dtype == dt
    np.testing.assert_array_equal(np.asarray(y).view(np.uint16), np.asarray(sg.tanh(x) * 2 + sg.exp(x)).view(np.uint16))


@pytest.mark.parametrize("dt", LOW, ids=ids)
def test_vmap_keeps_the_dtype(dt):
    x = sg.tensor(np.arange(6.0).reshape(2, 3), dtype=dt)
    y = sg.vmap(lambda r: (r * r).sum())(x)
    assert y.dtype == dt
    np.testing.assert_array_equal(np.asarray(y).astype(np.float32), [5.0, 50.0])


def test_optimizers_refuse_low_precision_parameters():
    p = sg.tensor([1.0, 2.0], dtype=sg.bfloat16, requires_grad=True)
    (p * p).sum().backward()
    with pytest.raises(TypeError, match="master weights"):
        sg.optim.SGD([p], lr=0.1).step()


def test_ml_dtypes_is_imported_on_first_use_of_bfloat16():
    import os
    import subprocess
    import sys

    code = ("import sys, swiftgrad as sg\n"
            "assert 'ml_dtypes' not in sys.modules, 'import swiftgrad imported ml_dtypes'\n"
            "t = sg.zeros(3, dtype='bfloat16')\n"
            "import ml_dtypes\n"
            "assert t.dtype == sg.bfloat16 == ml_dtypes.bfloat16, t.dtype\n"
            "assert sg.tensor([1.5]).astype('bfloat16').numpy().dtype == ml_dtypes.bfloat16\n"
            "w = sg.ones((2, 2), dtype=sg.float32)\n"
            "with sg.autocast('bfloat16'):\n"
            "    assert sg.matmul(w, w).dtype == sg.bfloat16\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
