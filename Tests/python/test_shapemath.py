"""Behaviour of the issue-5 shape and math operators beyond the op table: dtypes, NumPy's edge
semantics (NaN, ties, empty arrays), views vs copies, cumprod's gradient at zeros, Tensor methods,
and an optional cross-check against PyTorch."""
import warnings

import numpy as np
import pytest

import swiftgrad as sg

RNG = np.random.default_rng(5)


# --- dtypes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [sg.floor, sg.ceil, sg.round, lambda x: sg.round(x, -1)])
def test_rounding_keeps_integers(fn):
    i = np.array([-15, -1, 0, 7, 25])
    out = fn(i)
    assert out.dtype == np.int64
    ref = {sg.floor: np.floor, sg.ceil: np.ceil, sg.round: np.round}.get(fn, lambda a: np.round(a, -1))(i)
    sg.testing.assert_equal(out, ref)


def test_round_is_half_to_even_like_numpy():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.25, 1.35, 123.456])
    sg.testing.assert_equal(sg.round(x), np.round(x))
    sg.testing.assert_equal(sg.round(x, 1), np.round(x, 1))
    sg.testing.assert_equal(sg.round(x, -1), np.round(x, -1))


@pytest.mark.parametrize("name, args", [
    ("cumsum", (1,)), ("cumprod", (0,)), ("flip", (0,)), ("roll", (1, 1)), ("tile", ((2, 1),)),
    ("repeat", ([2, 0], 0)), ("pad", (1,)), ("tril", ()), ("triu", (1,)), ("diag", ()), ("diagonal", ()),
    ("sort", ()), ("ravel", ()), ("flatten", ()), ("swapaxes", (0, 1)), ("moveaxis", (0, 1)),
])
@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_and_bool_forward_match_numpy(name, args, dtype):
    a = (np.arange(6).reshape(2, 3) % 4).astype(dtype)
    out = getattr(sg, name)(a, *args)
    ref = {"flatten": lambda a: a.flatten()}.get(name) or getattr(np, name)
    expected = ref(a, *args)
    if name in ("cumsum", "cumprod"):
        assert out.dtype == np.int64
    else:
        assert out.dtype == expected.dtype
    sg.testing.assert_equal(out, expected)


def test_integer_einsum_matches_numpy():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    for spec, ops in [("ij,jk->ik", (a, b)), ("ij->j", (a,)), ("ij,ij->", (a, a)), ("ii", (a[:, :2],))]:
        out = sg.einsum(spec, *ops)
        assert out.dtype == np.int64
        sg.testing.assert_equal(out, np.einsum(spec, *ops))


@pytest.mark.parametrize("fn", [
    sg.erf, sg.sinh, sg.gelu, sg.log_sigmoid, lambda x: sg.cumprod(x, 1), lambda x: sg.sort(x, 0),
    lambda x: sg.pad(x, 1, mode="reflect"), lambda x: sg.einsum("ij,kj->ik", x, x), lambda x: sg.logaddexp(x, 1.0),
    lambda x: sg.arctan2(x, x.T[:1].T), lambda x: sg.tile(x, 2), lambda x: sg.linalg.trace(x[:, :3]),
])
def test_float32_stays_float32_with_float32_gradients(fn):
    x = sg.tensor(RNG.uniform(-0.9, 0.9, (3, 4)).astype(np.float32), requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    (g,) = sg.autograd.grad(sg.sum(out), [x])
    assert g.dtype == np.float32 and g.shape == x.shape


# --- NumPy's edge semantics ---------------------------------------------------------------------

def test_argmax_argmin_semantics():
    x = np.array([[1.0, 3.0, 3.0], [np.nan, 2.0, np.nan], [5.0, 5.0, -1.0]])
    for axis in (None, 0, 1, -1):
        for f, ref in ((sg.argmax, np.argmax), (sg.argmin, np.argmin)):
            out = f(x, axis)
            assert out.dtype == np.int64 and not out.requires_grad
            sg.testing.assert_equal(out, ref(x, axis))
            sg.testing.assert_equal(f(x, axis, keepdims=True), ref(x, axis, keepdims=True))
    np.testing.assert_array_equal(sg.argmax(np.array([True, False, True])).numpy(), 0)


def test_argsort_is_stable_and_puts_nan_last():
    x = np.array([3.0, 1.0, np.nan, 1.0, 3.0, -np.inf, 1.0])
    sg.testing.assert_equal(sg.argsort(x), np.argsort(x, kind="stable"))
    sg.testing.assert_equal(sg.sort(x), np.sort(x))
    ties = np.array([2, 1, 2, 1, 2])
    sg.testing.assert_equal(sg.argsort(ties, descending=True), [0, 2, 4, 1, 3])
    values, indices = sg.topk(ties, 3)
    sg.testing.assert_equal(values, [2, 2, 2])
    sg.testing.assert_equal(indices, [0, 2, 4])
    assert indices.dtype == np.int64


def test_sort_gradient_follows_the_permutation():
    x = sg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (g,) = sg.autograd.grad(sg.sum(sg.sort(x) * sg.tensor([1.0, 10.0, 100.0])), [x])
    sg.testing.assert_equal(g, [100.0, 1.0, 10.0])
    values, _ = sg.topk(x, 1, largest=False)
    (g,) = sg.autograd.grad(sg.sum(values), [x])
    sg.testing.assert_equal(g, [0.0, 1.0, 0.0])


def test_empty_arrays():
    e = np.ones((0, 3))
    for f in (lambda a: sg.cumsum(a, 0), lambda a: sg.cumprod(a, 1), lambda a: sg.sort(a, 0), sg.flatten,
              lambda a: sg.tile(a, 2), lambda a: sg.roll(a, 1, 0), lambda a: sg.einsum("ij->j", a), sg.tril):
        out = f(e)
        assert out.size == 0 or np.all(out.numpy() == 0)
    sg.testing.assert_equal(sg.einsum("ij->j", e), np.zeros(3))
    sg.testing.assert_equal(sg.argsort(e, 0), np.argsort(e, 0))


def test_zero_dimensional_inputs():
    s = np.array(2.5)
    sg.testing.assert_equal(sg.cumsum(s), np.cumsum(s))
    sg.testing.assert_equal(sg.sort(s, axis=None), np.sort(s, axis=None))
    sg.testing.assert_equal(sg.repeat(s, 3), np.repeat(s, 3))
    sg.testing.assert_equal(sg.pad(s, 1), np.pad(s, 1))
    sg.testing.assert_equal(sg.flip(s), np.flip(s))
    assert sg.argmax(s).item() == 0
    sg.testing.assert_equal(sg.einsum(",->", s, s), np.einsum(",->", s, s))


def test_meshgrid_matches_numpy():
    a, b, c = np.arange(2.0), np.arange(3.0), np.arange(4.0).reshape(2, 2)
    for xs in ((a,), (a, b), (a, b, c)):
        for indexing in ("xy", "ij"):
            got = sg.meshgrid(*xs, indexing=indexing)
            want = np.meshgrid(*xs, indexing=indexing)
            assert isinstance(got, tuple) and len(got) == len(want)
            for g, w in zip(got, want):
                sg.testing.assert_equal(g, w)
    assert sg.meshgrid() == ()


def test_stable_math_at_extremes():
    big = np.array([-1000.0, 0.0, 1000.0])
    sg.testing.assert_allclose(sg.log_sigmoid(big), [-1000.0, -np.log(2), 0.0])
    sg.testing.assert_allclose(sg.logaddexp(big, big), np.logaddexp(big, big))
    inf = np.array([-np.inf, np.inf, -np.inf])
    sg.testing.assert_equal(sg.logaddexp(inf, inf), np.logaddexp(inf, inf))
    sg.testing.assert_equal(sg.logaddexp(inf, 0.0), np.logaddexp(inf, 0.0))
    x = sg.tensor(big, requires_grad=True)
    (g,) = sg.autograd.grad(sg.sum(sg.logaddexp(x, 1.0)), [x])
    assert np.all(np.isfinite(g.numpy()))
    sg.testing.assert_allclose(sg.hypot(1e200, 1e200), np.hypot(1e200, 1e200))


@pytest.mark.parametrize("fn", [sg.hypot, sg.arctan2])
def test_gradient_at_the_origin_is_zero(fn):
    a = sg.tensor(0.0, requires_grad=True)
    b = sg.tensor(0.0, requires_grad=True)
    ga, gb = sg.autograd.grad(fn(a, b), [a, b])
    assert ga.item() == 0.0 and gb.item() == 0.0


def test_rounding_gradients_are_zero_not_missing():
    x = sg.tensor([0.3, 1.7], requires_grad=True)
    for f in (sg.floor, sg.ceil, sg.round, lambda t: sg.round(t, 1)):
        (g,) = sg.autograd.grad(sg.sum(f(x)), [x])
        sg.testing.assert_equal(g, [0.0, 0.0])


# --- cumprod with zeros (Note [Cumprod with zeros]) ---------------------------------------------

@pytest.mark.parametrize("values", [
    [2.0, 0.0, 3.0, 0.5],      # one zero: it gets the product of the others before and after
    [0.0, 1.5, 0.0, 2.0],      # two zeros: only the first gets a gradient
    [1.5, -2.0, 0.0, 0.0],
    [0.0],
])
def test_cumprod_gradient_with_zeros(values):
    x = np.array(values)
    assert sg.gradcheck(sg.cumprod, [x], atol=1e-8, rtol=1e-7)
    # the JVP at zeros against central differences (cumprod is a polynomial: exact there)
    t = RNG.standard_normal(x.shape)
    _, tangent = sg.jvp(sg.cumprod, (x,), (t,))
    eps = 1e-6
    central = (np.cumprod(x + eps * t) - np.cumprod(x - eps * t)) / (2 * eps)
    sg.testing.assert_allclose(tangent, central, rtol=1e-7, atol=1e-9)


def test_cumprod_second_order_away_from_zeros():
    x = RNG.uniform(0.5, 1.5, (2, 4)) * np.array([1, -1, 1, -1])
    assert sg.gradgradcheck(lambda a: sg.cumprod(a, 1), [x], atol=1e-6, rtol=1e-5)


# --- views and copies ---------------------------------------------------------------------------

def test_views_share_memory_and_flatten_copies():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = sg.from_numpy(a)
    for view in (sg.flip(t, 1), sg.diagonal(t, 0, 1, 2), sg.ravel(t), sg.swapaxes(t, 0, 2), sg.moveaxis(t, 0, -1)):
        assert np.shares_memory(np.asarray(view), a)
    assert not np.shares_memory(np.asarray(sg.flatten(t)), a)
    assert not np.shares_memory(np.asarray(sg.flatten(sg.swapaxes(t, 0, 1))), a)


def test_sg_trace_is_still_the_tracer_and_linalg_trace_is_numpys():
    assert "Wengert" in (sg.trace.__doc__ or "") or sg.trace.__module__ == "swiftgrad.graph"
    m = RNG.standard_normal((2, 3, 3))
    sg.testing.assert_allclose(sg.linalg.trace(m, offset=1), np.linalg.trace(m, offset=1))
    np.testing.assert_allclose(sg.asarray(m[0]).trace().numpy(), np.trace(m[0]))


# --- Tensor methods -----------------------------------------------------------------------------

def test_tensor_methods_match_numpy_methods():
    a = RNG.standard_normal((3, 4))
    t = sg.tensor(a)
    for name, args, kwargs in [
        ("flatten", (), {}), ("ravel", (), {}), ("swapaxes", (0, 1), {}), ("repeat", (2,), {"axis": 1}),
        ("diagonal", (1,), {}), ("trace", (-1,), {}), ("cumsum", (1,), {}), ("cumprod", (), {}),
        ("argmax", (1,), {"keepdims": True}), ("argmin", (), {}), ("argsort", (0,), {}), ("round", (1,), {}),
        ("clip", (-0.5, 0.5), {}), ("var", (1,), {"ddof": 1}), ("std", (0,), {"keepdims": True}),
    ]:
        sg.testing.assert_allclose(getattr(t, name)(*args, **kwargs), getattr(a, name)(*args, **kwargs),
                                   rtol=1e-12, err_msg=name)
    sg.testing.assert_equal(t.floor(), np.floor(a))
    sg.testing.assert_equal(t.ceil(), np.ceil(a))
    sg.testing.assert_equal(t.tril(1), np.tril(a, 1))
    sg.testing.assert_equal(t.triu(-1), np.triu(a, -1))
    values, indices = t.topk(2, axis=0)
    sg.testing.assert_equal(indices, np.argsort(-a, axis=0, kind="stable")[:2])


def test_var_and_std_ddof():
    a = RNG.standard_normal((3, 4))
    for ddof in (0, 1, 2):
        sg.testing.assert_allclose(sg.var(a, axis=1, ddof=ddof), np.var(a, axis=1, ddof=ddof), rtol=1e-12)
        sg.testing.assert_allclose(sg.std(a, ddof=ddof), np.std(a, ddof=ddof), rtol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "Degrees of freedom <= 0"
        for ddof in (4, 7):  # NumPy divides by max(n - ddof, 0): inf, never a negative variance
            sg.testing.assert_equal(sg.var(a, axis=1, ddof=ddof), np.var(a, axis=1, ddof=ddof))
            sg.testing.assert_equal(sg.std(a, axis=1, ddof=ddof), np.std(a, axis=1, ddof=ddof))


# --- optional cross-check against PyTorch -------------------------------------------------------

def test_against_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    a = RNG.standard_normal((3, 4))
    z = a.copy()
    z[1, 2] = 0.0
    z[0, 1] = 0.0
    z[0, 3] = 0.0
    cases = [
        (lambda x: sg.gelu(x), lambda x: torch.nn.functional.gelu(x), a),
        (lambda x: sg.gelu(x, approximate="tanh"), lambda x: torch.nn.functional.gelu(x, approximate="tanh"), a),
        (sg.log_sigmoid, torch.nn.functional.logsigmoid, a * 50),
        (lambda x: sg.cumprod(x, 1), lambda x: torch.cumprod(x, 1), z),
        (lambda x: sg.topk(x, 2, axis=0)[0], lambda x: torch.topk(x, 2, dim=0)[0], a),
        (lambda x: sg.einsum("ij,kj->ik", x, x), lambda x: torch.einsum("ij,kj->ik", x, x), a),
        (lambda x: sg.pad(x, ((1, 2), (2, 1)), mode="reflect"),
         lambda x: torch.nn.functional.pad(x[None], (2, 1, 1, 2), mode="reflect")[0], a),
        (sg.erf, torch.erf, a), (lambda x: sg.logaddexp(x, x.T[:1].T), lambda x: torch.logaddexp(x, x[:, :1]), a),
    ]
    w = RNG.standard_normal
    for ours, theirs, x in cases:
        tx = torch.tensor(x, requires_grad=True)
        ty = theirs(tx)
        weights = w(tuple(ty.shape))
        (tg,) = torch.autograd.grad((ty * torch.tensor(weights)).sum(), [tx])
        sx = sg.tensor(x, requires_grad=True)
        sy = ours(sx)
        (sgrad,) = sg.autograd.grad(sg.sum(sy * weights), [sx])
        sg.testing.assert_allclose(sy, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
        sg.testing.assert_allclose(sgrad, tg.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_gelu_is_within_an_ulp_and_layout_independent():
    """float32 GELU evaluates erf in eight lanes (VectorMath.erfForFloat): against float64, within
    0.6 ulp where x Phi(x) has no cancellation (x > -3), within 1e-7 absolutely below; the same bits
    for strided and contiguous inputs, eager and compiled, and its fused gradient matches float64."""
    from scipy.special import erf
    x = np.linspace(-8, 8, 200_001).astype(np.float32)
    wide = x.astype(np.float64)
    exact = wide * 0.5 * (1 + erf(wide / np.sqrt(2)))
    got = np.asarray(sg.gelu(x)).astype(np.float64)
    upper = x > -3
    ulps = np.abs(got[upper] - exact[upper]) / np.spacing(np.abs(exact[upper]).astype(np.float32))
    assert ulps.max() <= 0.6
    assert np.abs(got[~upper] - exact[~upper]).max() <= 1e-7
    grid = sg.tensor(x[:4096].reshape(64, 64))
    transposed = np.ascontiguousarray(x[:4096].reshape(64, 64).T)
    assert np.array_equal(np.asarray(sg.gelu(grid.T)), np.asarray(sg.gelu(transposed)))
    assert np.array_equal(np.asarray(sg.compile(sg.gelu)(grid)), np.asarray(sg.gelu(grid)))
    t = sg.tensor(x[::50].copy(), requires_grad=True)
    sg.sum(sg.gelu(t)).backward()
    w = x[::50].astype(np.float64)
    slope = 0.5 * (1 + erf(w / np.sqrt(2))) + w * np.exp(-w * w / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(np.asarray(t.grad), slope, rtol=2e-7, atol=6e-8)  # float32: slopes are O(1)
