"""complex64 and complex128: creation, NumPy interop, casts, promotion, the elementwise ops and
reductions against NumPy, and derivatives in PyTorch's convention (for a real loss L of z,
z.grad = dL/d(re z) + i dL/d(im z); Note [Complex dtypes] in Sources/SwiftGrad/Kernels/Complex.swift)
checked against finite differences of the real and imaginary parts."""
import pickle
import warnings

import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL

CDTYPES = [np.complex64, np.complex128]


def crandom(shape, dtype=np.complex128, seed=0, away_from_zero=False):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    if away_from_zero:
        z = z + 0.5 * z / np.abs(z)
    return z.astype(dtype)


def close(dtype):
    return dict(rtol=2e-5, atol=2e-6) if np.dtype(dtype) in (np.complex64, np.float32) else dict(rtol=1e-12,
                                                                                                  atol=1e-12)


# --- dtypes, creation, interop --------------------------------------------------------------------

def test_dtype_objects_are_numpys():
    assert sg.complex64 == np.complex64 and sg.complex128 == np.complex128
    assert sg.tensor([1 + 2j]).dtype == np.complex128
    assert sg.tensor([1 + 2j], dtype=sg.complex64).dtype == np.complex64
    assert sg.tensor(np.array([1 + 2j], dtype=np.complex64)).dtype == np.complex64
    with sg.default_dtype(sg.float32):
        assert sg.tensor([1 + 2j, 3]).dtype == np.complex64  # Python complex data follows the default
    assert sg.tensor(np.ones(2, dtype=np.clongdouble)).dtype == np.complex128


@pytest.mark.parametrize("dtype", CDTYPES)
def test_creation(dtype):
    assert np.array_equal(np.asarray(sg.zeros((2, 3), dtype)), np.zeros((2, 3), dtype))
    assert np.array_equal(np.asarray(sg.ones(4, dtype)), np.ones(4, dtype))
    full = sg.full((2, 2), 1 - 2j, dtype)
    assert full.dtype == dtype and np.array_equal(np.asarray(full), np.full((2, 2), 1 - 2j, dtype))
    assert sg.full(3, 2j).dtype == np.complex128
    assert np.array_equal(np.asarray(sg.full(3, 2.5, dtype)), np.full(3, 2.5, dtype))
    t = sg.tensor([[1 + 2j, -3.5j], [4, 0]], dtype=dtype)
    assert np.array_equal(np.asarray(t), np.array([[1 + 2j, -3.5j], [4, 0]], dtype))
    assert t[0, 0].item() == 1 + 2j and isinstance(t[0, 1].item(), complex)
    assert complex(t[0, 1]) == -3.5j


@pytest.mark.parametrize("dtype", CDTYPES)
def test_numpy_interop_is_zero_copy_both_ways(dtype):
    a = crandom((3, 4), dtype)
    t = sg.asarray(a)
    assert t.dtype == dtype
    a[1, 2] = 7 - 1j
    assert t[1, 2].item() == 7 - 1j  # the tensor views a's memory
    v = np.asarray(t)
    assert v.dtype == dtype and np.shares_memory(v, a)
    s = sg.zeros(3, dtype)
    np.asarray(s)[1] = 2 + 3j
    assert s[1].item() == 2 + 3j
    strided = a[::2, ::-1]
    assert np.array_equal(np.asarray(sg.asarray(strided)), strided)
    assert np.shares_memory(np.asarray(sg.asarray(strided)), a)


def test_dlpack_both_ways():
    z = crandom((2, 3), np.complex64)
    t = sg.from_dlpack(z)
    assert t.dtype == np.complex64 and np.shares_memory(np.asarray(t), z)
    back = np.from_dlpack(t)
    assert back.dtype == np.complex64 and np.array_equal(back, z)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_casts(dtype):
    x = np.array([1.5, -2.0, 3.25])
    assert np.array_equal(np.asarray(sg.asarray(x).astype(dtype)), x.astype(dtype))
    assert np.array_equal(np.asarray(sg.arange(4).astype(dtype)), np.arange(4).astype(dtype))
    z = crandom(5, dtype)
    with pytest.warns(np.exceptions.ComplexWarning, match="discards the imaginary part"):
        r = sg.asarray(z).astype(sg.float64)
    assert np.array_equal(np.asarray(r), z.real.astype(np.float64))
    with pytest.warns(np.exceptions.ComplexWarning):
        assert np.array_equal(np.asarray(sg.astype(z, sg.int64)), z.real.astype(np.int64))
    other = np.complex128 if dtype == np.complex64 else np.complex64
    assert np.array_equal(np.asarray(sg.asarray(z).astype(other)), z.astype(other))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sg.asarray(z).astype(other)  # complex -> complex keeps both parts: no warning


def test_printing():
    values = np.array([1 + 2j, 3 - 0.5j], dtype=np.complex64)
    r = repr(sg.tensor(values))
    assert r == "tensor(" + np.array2string(values, separator=", ", prefix="tensor(") + ", dtype=complex64)"
    assert "+2.j" in r and "-0.5j" in r
    assert "j" in repr(sg.tensor([1j]))


@pytest.mark.parametrize("a,b,expected", [
    (np.float32, np.complex64, np.complex64),
    (np.float64, np.complex64, np.complex128),
    (np.float16, np.complex64, np.complex64),
    (np.int64, np.complex64, np.complex64),
    (np.int8, np.complex128, np.complex128),
    (np.bool_, np.complex64, np.complex64),
    (np.complex64, np.complex128, np.complex128),
])
def test_promotion(a, b, expected):
    x, y = sg.ones(2, a), sg.ones(2, b)
    assert (x + y).dtype == expected and (y * x).dtype == expected
    assert sg.matmul(x, y).dtype == expected and sg.concatenate([x, y]).dtype == expected


def test_python_complex_scalars_are_weak():
    assert (sg.ones(2, sg.float32) * 1j).dtype == np.complex64
    assert (sg.ones(2, sg.float64) * 1j).dtype == np.complex128
    assert (sg.ones(2, sg.complex64) * 2.0).dtype == np.complex64
    assert (sg.ones(2, sg.complex64) * (1 + 1j)).dtype == np.complex64
    assert (sg.arange(3) + 1j).dtype == np.complex128
    assert np.array_equal(np.asarray(sg.ones(2, sg.float32) * 1j), np.ones(2, np.float32) * 1j)


def test_pickle_and_save(tmp_path):
    t = sg.tensor(crandom((2, 3), np.complex64))
    back = pickle.loads(pickle.dumps(t))
    assert back.dtype == np.complex64 and np.array_equal(np.asarray(back), np.asarray(t))
    for name in ("z.npz", "z.safetensors"):
        try:
            sg.save({"z": t}, tmp_path / name)
        except (TypeError, ValueError) as e:  # a format without complex types says so
            assert "complex64" in str(e)
            continue
        loaded = sg.load(tmp_path / name)["z"]
        assert loaded.dtype == np.complex64 and np.array_equal(np.asarray(loaded), np.asarray(t))


# --- values against NumPy -------------------------------------------------------------------------

BINARY = [("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply), ("divide", np.divide),
          ("power", np.power)]
UNARY = [("negative", np.negative), ("real", np.real), ("imag", np.imag), ("conj", np.conj), ("abs", np.abs),
         ("angle", np.angle), ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("sin", np.sin), ("cos", np.cos),
         ("tanh", np.tanh), ("square", np.square), ("tan", np.tan), ("sinh", np.sinh), ("cosh", np.cosh),
         ("arcsin", np.arcsin), ("arccos", np.arccos), ("arctan", np.arctan), ("arcsinh", np.arcsinh),
         ("arccosh", np.arccosh), ("arctanh", np.arctanh), ("expm1", np.expm1), ("log1p", np.log1p),
         ("log2", np.log2), ("log10", np.log10), ("sign", np.sign), ("round", np.round)]


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name,ref", BINARY)
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3), ())])
def test_binary_values(dtype, name, ref, shapes):
    a, b = crandom(shapes[0], dtype, 1), crandom(shapes[1], dtype, 2)
    out = getattr(sg, name)(a, b)
    expected = ref(a, b)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_allclose(np.asarray(out), expected, **close(dtype))


@pytest.mark.parametrize("name,ref", BINARY)
def test_binary_values_mixed_with_real(name, ref):
    z, x = crandom((3, 4), np.complex128, 3), np.random.default_rng(4).standard_normal(4) + 2
    np.testing.assert_allclose(np.asarray(getattr(sg, name)(z, x)), ref(z, x), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(getattr(sg, name)(x, z)), ref(x, z), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(getattr(sg, name)(z, 2 - 1j)), ref(z, 2 - 1j), rtol=1e-12)


def test_division_by_tiny_and_huge_denominators():
    a = np.array([1 + 1j, 1e300 + 1e300j, 1 + 0j], dtype=np.complex128)
    b = np.array([1e-300 + 1e-300j, 1e300 - 1e300j, 3e-200 + 4e-200j], dtype=np.complex128)
    np.testing.assert_allclose(np.asarray(sg.divide(a, b)), a / b, rtol=1e-14)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("name,ref", UNARY)
def test_unary_values(dtype, name, ref):
    z = crandom((4, 5), dtype, 5)
    z[0, :4] = [-2 + 0j, -2 - 0j, 0j, 3j]  # branch cuts and zero
    with np.errstate(divide="ignore"):
        expected = ref(z)
    out = getattr(sg, name)(z)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_allclose(np.asarray(out), expected, **close(dtype))


@pytest.mark.parametrize("dtype", CDTYPES)
def test_abs_at_the_edges_of_the_range(dtype):
    info = np.finfo(np.dtype(dtype).char.lower())
    z = np.array([info.max / 2 + info.max / 2 * 1j, info.tiny * (1 + 1j), info.smallest_subnormal * 3j,
                  complex(np.inf, np.nan), complex(np.nan, 0), 3 + 4j, 0, complex(-np.inf, 1)], dtype=dtype)
    with np.errstate(all="ignore"):
        expected = np.abs(z)
    np.testing.assert_allclose(np.asarray(sg.abs(z)), expected, rtol=1e-6 if dtype == np.complex64 else 1e-15)


def test_tanh_for_large_real_parts():
    z = np.array([30 + 1j, -40 - 2j, 800 + 0.5j, 22.5 + 3j])
    np.testing.assert_allclose(np.asarray(sg.tanh(z)), np.tanh(z), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 2)), ((4,), (2, 4, 3)), ((1, 3, 2), (5, 2, 3)),
                                    ((3, 0), (0, 2)), ((4,), (4,))])
def test_matmul_values(dtype, shapes):
    a, b = crandom(shapes[0], dtype, 30), crandom(shapes[1], dtype, 31)
    out = sg.matmul(a, b)
    assert out.dtype == dtype
    np.testing.assert_allclose(np.asarray(out), np.matmul(a, b), **close(dtype))
    np.testing.assert_allclose(np.asarray(sg.matmul(a.real.astype(np.float64), b)), np.matmul(a.real, b), rtol=1e-5)
    if b.ndim >= 2:  # a transposed (strided) operand
        t = sg.asarray(np.swapaxes(b, -1, -2).copy())
        np.testing.assert_allclose(np.asarray(sg.matmul(a, sg.swapaxes(t, -1, -2))), np.matmul(a, b), **close(dtype))


def test_equality():
    z = np.array([1 + 2j, 1 - 2j, 3, np.nan + 1j])
    w = np.array([1 + 2j, 1 + 2j, 3 + 0j, np.nan + 1j])
    assert np.array_equal(np.asarray(sg.equal(z, w)), z == w)
    assert np.array_equal(np.asarray(sg.tensor(z) != sg.tensor(w)), z != w)
    assert np.array_equal(np.asarray(sg.tensor(z) == 3), z == 3)
    assert np.array_equal(np.asarray(sg.where(sg.tensor(np.array([0j, 1j, 1, 0])), 1.0, 0.0)), [0, 1, 1, 0])


def test_vecdot_conjugates_its_first_argument():
    a, b = crandom((3, 4), seed=40), crandom((4,), seed=41)
    np.testing.assert_allclose(np.asarray(sg.vecdot(a, b)), np.vecdot(a, b), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(sg.array_api.vecdot(sg.asarray(a), sg.asarray(b))),
                               np.sum(np.conj(a) * b, axis=-1), rtol=1e-12)
    assert sg.gradcheck(lambda x, y: sg.vecdot(x, y), (a, b))


def test_real_and_imag_are_views():
    z = sg.tensor(crandom(4))
    np.asarray(z.real)[0] = 10
    np.asarray(z.imag)[1] = -20
    assert z[0].item().real == 10 and z[1].item().imag == -20
    assert np.array_equal(np.asarray(z.conj()), np.conj(np.asarray(z)))
    assert np.array_equal(np.asarray(z.conjugate()), np.conj(np.asarray(z)))


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, False)])
def test_reductions(dtype, axis, keepdims):
    z = crandom((3, 4, 5), dtype, 6)
    for name in ("sum", "mean"):
        out = getattr(sg, name)(z, axis=axis, keepdims=keepdims)
        expected = getattr(np, name)(z, axis=axis, keepdims=keepdims)
        assert out.dtype == dtype and out.shape == expected.shape
        np.testing.assert_allclose(np.asarray(out), expected, **close(dtype))
    np.testing.assert_allclose(np.asarray(sg.sum(z[:, ::2, ::-1])), np.sum(z[:, ::2, ::-1]), **close(dtype))


# --- derivatives ----------------------------------------------------------------------------------

def numerical_complex_grad(loss, z, eps=1e-6):
    """dL/d(re z) + i dL/d(im z) by central differences (float64)."""
    g = np.zeros(z.shape, dtype=np.complex128)
    for i in range(z.size):
        for step, unit in ((eps, 1.0), (eps, 1j)):
            zp, zm = z.copy(), z.copy()
            zp.flat[i] += step * unit
            zm.flat[i] -= step * unit
            d = (float(loss(sg.tensor(zp))) - float(loss(sg.tensor(zm)))) / (2 * step)
            g.flat[i] += d * unit
    return g


def test_the_convention_is_pytorchs():
    z = crandom((3,), np.complex128, 7)
    c = crandom((3,), np.complex128, 8)
    zt = sg.tensor(z, requires_grad=True)
    sg.sum(sg.abs(zt) ** 2).backward()
    np.testing.assert_allclose(np.asarray(zt.grad), 2 * z, rtol=1e-12)  # d|z|^2: 2z, not 2 conj(z)
    zt = sg.tensor(z, requires_grad=True)
    sg.real(sg.sum(zt * c)).backward()
    np.testing.assert_allclose(np.asarray(zt.grad), np.conj(c), rtol=1e-12)  # JAX's grad would give c
    zt = sg.tensor(z, requires_grad=True)
    sg.sum(sg.imag(zt)).backward()
    np.testing.assert_allclose(np.asarray(zt.grad), np.full(3, 1j), rtol=0)


FUNCTIONS = {
    "negative": sg.negative, "real": sg.real, "imag": sg.imag, "conj": sg.conj, "abs": sg.abs, "angle": sg.angle,
    "exp": sg.exp, "log": sg.log, "sqrt": sg.sqrt, "sin": sg.sin, "cos": sg.cos, "tanh": sg.tanh, "square": sg.square,
    "tan": sg.tan, "sinh": sg.sinh, "cosh": sg.cosh, "arcsin": sg.arcsin, "arccos": sg.arccos, "arctan": sg.arctan,
    "arcsinh": sg.arcsinh, "arccosh": sg.arccosh, "arctanh": sg.arctanh, "expm1": sg.expm1, "log1p": sg.log1p,
    "log2": sg.log2, "log10": sg.log10, "sign": sg.sign, "prod": lambda z: sg.prod(z, axis=1),
    "prod_all": sg.prod, "cumsum": lambda z: sg.cumsum(z, axis=1), "gather": lambda z: z[sg.tensor([1, 0, 1])],
    "take": lambda z: sg.take(z, sg.tensor([2, 0, 2]), axis=1),
    "matmul": lambda z: sg.matmul(z, np.array([[1 - 1j, 2], [0.5j, -1], [3, 1 + 1j]])),
    "matmul_self": lambda z: sg.matmul(z, sg.conj(z).T), "vecmat": lambda z: sg.matmul(z[0], z.T * 1j),
    "sum": lambda z: sg.sum(z, axis=0), "mean": lambda z: sg.mean(z, axis=1, keepdims=True),
    "mul_const": lambda z: z * (0.5 - 2j), "cube": lambda z: z ** 3, "pow_complex": lambda z: z ** (0.5 + 1j),
    "exp2": lambda z: 2.0 ** z, "div_by": lambda z: (1 + 1j) / z, "square_by_mul": lambda z: z * z,
    "sub_conj": lambda z: z - sg.conj(z) * 2, "scale_real": lambda z: z * np.array([1.5, -2.0, 0.5]),
    "astype_real": lambda z: z.real.astype(sg.complex128) * 1j,
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradients_of_real_losses_against_finite_differences(name):
    f = FUNCTIONS[name]
    z = crandom((2, 3), np.complex128, 9, away_from_zero=True)

    def linear_loss(t):
        y = f(t)
        c = crandom(y.shape, seed=10)
        return sg.sum(sg.real(y * c)) if np.dtype(y.dtype).kind == "c" else sg.sum(y * c.real)

    losses = [lambda t: sg.sum(sg.abs(f(t)) ** 2), linear_loss]
    for loss in losses:
        zt = sg.tensor(z, requires_grad=True)
        loss(zt).backward()
        np.testing.assert_allclose(np.asarray(zt.grad), numerical_complex_grad(loss, z), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradcheck_and_gradgradcheck(name):
    z = crandom((2, 3), np.complex128, 11, away_from_zero=True)
    assert sg.gradcheck(FUNCTIONS[name], (z,))
    assert sg.gradgradcheck(FUNCTIONS[name], (z,))


def test_power_special_cases():
    z = np.array([0j, 0j, 0j, 1 + 2j, -3 + 0j, -3 - 0j])
    w = np.array([2 + 0j, 0j, 1j, 2, 0.5, 0.5])
    with np.errstate(all="ignore"):
        expected = np.power(z, w)
    np.testing.assert_allclose(np.asarray(sg.power(z, w)), expected, rtol=1e-14)
    assert np.array_equal(np.asarray(sg.tensor([1 + 2j]) ** 2), [(1 + 2j) ** 2])  # the exact square
    np.testing.assert_allclose(np.asarray(2 ** sg.tensor([1j])), [2 ** 1j], rtol=1e-14)
    assert (sg.arange(3) ** (1 + 1j)).dtype == np.complex128


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power"])
def test_binary_gradcheck(name):
    op = getattr(sg, name)
    z, w = crandom((2, 3), seed=12, away_from_zero=True), crandom((3,), seed=13, away_from_zero=True)
    x = np.random.default_rng(14).standard_normal((2, 1)) + 3
    assert sg.gradcheck(op, (z, w))
    assert sg.gradcheck(op, (x, w))  # a real input reached by a complex cotangent: its real part
    assert sg.gradcheck(op, (z, x))
    assert sg.gradgradcheck(op, (z, w))


def test_gradcheck_catches_a_missing_conjugate():
    """A rule written in JAX's convention (no conjugate) fails the check: the check can fail."""
    z = crandom((3,), seed=15)

    @sg.custom_vjp
    def wrong_mul(a):
        return a * (1 + 2j)

    wrong_mul.defvjp(lambda a: (wrong_mul(a), None), lambda _, g: (g * (1 + 2j),))
    assert sg.gradcheck(lambda a: a * (1 + 2j), (z,), check_forward=False)
    with pytest.raises(sg.GradcheckError):
        sg.gradcheck(wrong_mul, (z,), check_forward=False)


def test_complex_dtypes_of_gradients():
    z = sg.tensor(crandom(3, np.complex64), requires_grad=True)
    x = sg.tensor(np.ones(3, np.float32), requires_grad=True)
    sg.sum(sg.abs(z * x) ** 2).backward()
    assert z.grad.dtype == np.complex64 and x.grad.dtype == np.float32
    np.testing.assert_allclose(np.asarray(x.grad), 2 * np.abs(np.asarray(z)) ** 2, rtol=1e-5)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_jvp_agrees_with_vjp(name):
    """For a real loss L: jvp(L)(dz) == re(sum(conj(grad L) * dz)), and for f itself forward
    mode matches central differences along dz."""
    f = FUNCTIONS[name]
    z = crandom((2, 3), np.complex128, 16, away_from_zero=True)
    dz = crandom((2, 3), np.complex128, 17)

    def loss(t):
        return sg.sum(sg.abs(f(t)) ** 2)

    g = sg.grad(loss)(sg.tensor(z))
    _, tangent = sg.jvp(loss, (sg.tensor(z),), (sg.tensor(dz),))
    # atol: for sign, |f|^2 is constant and both sides are rounding noise around 0
    np.testing.assert_allclose(float(tangent), np.real(np.sum(np.conj(np.asarray(g)) * dz)), rtol=1e-10, atol=1e-13)
    _, t_out = sg.jvp(f, (sg.tensor(z),), (sg.tensor(dz),))
    h = 1e-6
    fd = (np.asarray(f(sg.tensor(z + h * dz))) - np.asarray(f(sg.tensor(z - h * dz)))) / (2 * h)
    np.testing.assert_allclose(np.asarray(t_out), fd, rtol=1e-6, atol=1e-8)


# --- errors ---------------------------------------------------------------------------------------

def test_ordering_comparisons_raise_type_error():
    z = sg.tensor(crandom(3))
    for compare in (lambda: z < z, lambda: z >= 1, lambda: sg.maximum(z, z), lambda: sg.sort(z)):
        with pytest.raises(TypeError, match="complex"):
            compare()


def test_unsupported_ops_name_themselves():
    z = sg.tensor(crandom(3, np.complex64))
    with pytest.raises(TypeError, match=r"erf does not support complex dtypes yet \(operands: complex64\)"):
        sg.erf(z)
    with pytest.raises(TypeError, match="floor does not support complex"):
        sg.floor(z)
    with pytest.raises(TypeError, match="less is not defined for complex numbers"):
        _ = z < 1


def test_in_place_writes():
    z = sg.tensor([1 + 1j, 2])
    z[0] = 5j
    z += 1j
    z[sg.tensor([1])] = 3 - 1j
    assert np.array_equal(np.asarray(z), [6j, 3 - 1j])
    x = sg.arange(3.0)
    for write in (lambda: x.__setitem__(0, 1j), lambda: x.__setitem__(sg.tensor([1]), sg.tensor([2j])),
                  lambda: x.__iadd__(1j)):
        with pytest.raises(TypeError, match="complex128"):
            write()
    assert np.array_equal(np.asarray(x), [0, 1, 2])
    with pytest.raises(IndexError, match="integer"):
        x[sg.tensor([1 + 0j])]


def test_backward_of_a_complex_output_needs_a_gradient():
    z = sg.tensor(crandom(()), requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        (z * 2).backward()
    with pytest.raises(TypeError, match="float"):
        float(z)


def _complex_inputs(case):
    return [crandom(np.shape(a), seed=20 + i, away_from_zero=True) if np.asarray(a).dtype.kind == "f"
            else a for i, a in enumerate(case.inputs())]


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.name)
def test_every_op_table_case_works_or_refuses_complex_cleanly(case):
    """Each op either computes the right complex result or raises TypeError/ValueError: never a
    crash, never a result that quietly dropped the imaginary parts."""
    inputs = _complex_inputs(case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = case.fn(*[sg.tensor(a) for a in inputs], **case.kwargs)
        except (TypeError, ValueError):
            return
    if any(issubclass(w.category, np.exceptions.ComplexWarning) for w in caught):
        return  # the case casts to a real dtype itself, and was told so
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = case.reference(*inputs, **case.kwargs)
    except Exception:
        return  # NumPy has no complex form either; the op at least did not crash
    outs = out if isinstance(out, (tuple, list)) else (out,)
    refs = expected if isinstance(expected, (tuple, list)) else (expected,)
    for o, r in zip(outs, refs):
        r = np.asarray(r)
        if np.shape(o) != r.shape or r.dtype.kind not in "fc":
            continue
        np.testing.assert_allclose(np.asarray(o), r, rtol=1e-8, atol=1e-10, err_msg=case.name)


def test_transforms_compose_with_complex_inputs():
    z = crandom((3, 2), seed=50)

    def loss(v):
        return sg.sum(sg.abs(v * (1 - 1j)) ** 2)

    np.testing.assert_allclose(np.asarray(sg.grad(loss)(sg.tensor(z))), 4 * z, rtol=1e-12)  # 2 |1 - i|^2 z
    np.testing.assert_allclose(np.asarray(sg.vmap(sg.grad(loss))(sg.tensor(z))), 4 * z, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(sg.vmap(lambda v: sg.sum(v * v))(sg.tensor(z))), np.sum(z * z, axis=1),
                               rtol=1e-12)
    compiled = sg.compile(lambda v: sg.exp(v) * v)
    np.testing.assert_allclose(np.asarray(compiled(sg.tensor(z))), np.exp(z) * z, rtol=1e-12)
    primal, (first,) = sg.jet(sg.exp, (sg.tensor(z),), ((sg.ones_like(sg.tensor(z)),),))
    np.testing.assert_allclose(np.asarray(first), np.exp(z), rtol=1e-12)  # d/dt exp(z + t) at t = 0


def test_unique_orders_complex_values_by_real_then_imaginary_part():
    z = np.array([0j, 1j, 1 + 0j, 0j, -1j, 1j, complex(np.nan, 0)], dtype=np.complex64)
    values, indices, inverse, counts = sg._C._unique_all(z)
    expected, first, back, many = np.unique(z, return_index=True, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(np.asarray(values), expected)
    np.testing.assert_array_equal(np.asarray(indices), first)
    np.testing.assert_array_equal(np.asarray(inverse), back)
    np.testing.assert_array_equal(np.asarray(counts), many)



LU_FUNCTIONS = {
    "inv": sg.linalg.inv, "det": sg.linalg.det, "logabsdet": lambda a: sg.linalg.slogdet(a)[1],
    "solve": lambda a: sg.linalg.solve(a, np.array([[1 - 2j], [0.5j], [3]])),
    "matrix_power": lambda a: sg.linalg.matrix_power(a, -2),
}


@pytest.mark.parametrize("name", LU_FUNCTIONS)
def test_complex_lu_functions(name):
    """inv, det, slogdet, solve and negative matrix powers of complex matrices (zgetrf/zgetri):
    values against NumPy, gradients (A^-H for the inverse's and log|det|'s rules) by gradcheck."""
    a = crandom((2, 3, 3), seed=60) + 2 * np.eye(3)
    f = LU_FUNCTIONS[name]
    reference = {"inv": np.linalg.inv, "det": np.linalg.det, "logabsdet": lambda m: np.linalg.slogdet(m)[1],
                 "solve": lambda m: np.linalg.solve(m, np.array([[1 - 2j], [0.5j], [3]])),
                 "matrix_power": lambda m: np.linalg.matrix_power(m, -2)}[name]
    np.testing.assert_allclose(np.asarray(f(sg.tensor(a))), reference(a), rtol=1e-12, atol=1e-13)
    if name != "solve":  # (its right-hand side is complex128)
        assert f(sg.tensor(a.astype(np.complex64))).dtype == (np.float32 if name == "logabsdet" else np.complex64)
    assert sg.gradcheck(f, (a,))
    assert sg.gradgradcheck(f, (a,))


def test_complex_slogdet_sign_and_singular_inverse():
    a = crandom((3, 3), seed=61)
    sign, logabs = sg.linalg.slogdet(a)
    np.testing.assert_allclose(np.asarray(sign), np.linalg.slogdet(a)[0], rtol=1e-12)
    assert logabs.dtype == np.float64
    with pytest.raises(ValueError, match="Singular matrix"):
        sg.linalg.inv(np.zeros((2, 2), np.complex128))


def test_complex_cholesky():
    """Hermitian positive-definite A = L L^H through zpotrf; the rules with conjugate transposes,
    gradchecked through A = Z Z^H + I (a Hermitian input, as the factorization reads one triangle)."""
    z = crandom((2, 3, 3), seed=62)
    a = z @ np.conj(np.swapaxes(z, -1, -2)) + np.eye(3)
    np.testing.assert_allclose(np.asarray(sg.linalg.cholesky(a)), np.linalg.cholesky(a), rtol=1e-12, atol=1e-13)
    assert sg.linalg.cholesky(a.astype(np.complex64)).dtype == np.complex64

    def factor(t):
        return sg.linalg.cholesky(sg.matmul(t, sg.conj(sg.swapaxes(t, -1, -2))) + np.eye(3))

    assert sg.gradcheck(factor, (z,))
    assert sg.gradgradcheck(factor, (z,))
    with pytest.raises(ValueError, match="not positive definite"):
        sg.linalg.cholesky(-a)
