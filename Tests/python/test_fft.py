"""sg.fft against numpy.fft (every length kind: powers of two, Bluestein lengths, 1), its dtypes and
errors, and its derivatives on complex inputs (real ones: the FOURIER cases of op_table.py)."""
import numpy as np
import pytest

import swiftgrad as sg

LENGTHS = [1, 2, 3, 5, 8, 12, 17, 64, 100]
NORMS = ["backward", "ortho", "forward"]


def crandom(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", LENGTHS)
def test_one_dimensional_transforms_match_numpy(n, norm):
    x = crandom((3, n), seed=n)
    for name in ("fft", "ifft"):
        np.testing.assert_allclose(np.asarray(getattr(sg.fft, name)(x, norm=norm)),
                                   getattr(np.fft, name)(x, norm=norm), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.asarray(sg.fft.rfft(x.real, norm=norm)), np.fft.rfft(x.real, norm=norm),
                               rtol=1e-12, atol=1e-13)
    for m in ([None] if n > 1 else []) + [n, n + 3, max(1, n - 1)]:
        for name, arg in (("irfft", x), ("hfft", x), ("ihfft", x.real), ("fft", x), ("ifft", x)):
            got = getattr(sg.fft, name)(arg, n=m, norm=norm)
            np.testing.assert_allclose(np.asarray(got), getattr(np.fft, name)(arg, n=m, norm=norm), rtol=1e-11,
                                       atol=1e-12, err_msg=f"{name} n={m}")


@pytest.mark.parametrize("s,axes", [(None, None), (None, (0, 2)), ((3, 8), (1, 2)), ((5, -1), (1, 0)), (None, (-1,))])
def test_n_dimensional_transforms_match_numpy(s, axes):
    x = np.random.default_rng(1).standard_normal((4, 6, 5))
    chosen = axes if axes is not None else tuple(range(x.ndim))
    numpy_s = None if s is None else tuple(x.shape[a] if v == -1 else v for v, a in zip(s, chosen))
    for name in ("fftn", "ifftn", "rfftn"):
        np.testing.assert_allclose(np.asarray(getattr(sg.fft, name)(x, s=s, axes=axes)),
                                   getattr(np.fft, name)(x, s=numpy_s, axes=axes), rtol=1e-12, atol=1e-12)
    half = np.fft.rfftn(x, axes=axes)
    np.testing.assert_allclose(np.asarray(sg.fft.irfftn(half, axes=axes)), np.fft.irfftn(half, axes=axes),
                               rtol=1e-12, atol=1e-12)
    # s alone names the last len(s) axes, as NumPy
    np.testing.assert_allclose(np.asarray(sg.fft.fftn(x, s=(3, 4))), np.fft.fftn(x, s=(3, 4), axes=(1, 2)),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [1, 4, 7])
def test_frequencies_and_shifts(n):
    np.testing.assert_allclose(np.asarray(sg.fft.fftfreq(n, 0.3)), np.fft.fftfreq(n, 0.3), rtol=1e-15)
    np.testing.assert_allclose(np.asarray(sg.fft.rfftfreq(n, 0.3)), np.fft.rfftfreq(n, 0.3), rtol=1e-15)
    assert sg.fft.fftfreq(n, dtype=sg.float32).dtype == np.float32
    x = np.arange(2.0 * n * 3).reshape(2, n, 3)
    assert np.array_equal(np.asarray(sg.fft.fftshift(x)), np.fft.fftshift(x))
    assert np.array_equal(np.asarray(sg.fft.ifftshift(x, axes=(1,))), np.fft.ifftshift(x, axes=(1,)))
    assert np.array_equal(np.asarray(sg.fft.ifftshift(sg.fft.fftshift(x))), x)


def test_norm_none_is_numpys_default():
    x = crandom(10, seed=9)
    for name in ("fft", "ifft", "hfft", "irfft"):
        np.testing.assert_allclose(np.asarray(getattr(sg.fft, name)(x, norm=None)), getattr(np.fft, name)(x, norm=None),
                                   rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.asarray(sg.fft.rfftn(x.real, norm=None)), np.fft.rfftn(x.real), rtol=1e-12)
    with pytest.raises(TypeError, match="norm must be a string"):
        sg.fft.fft(x, norm=3)


def test_dtypes():
    assert sg.fft.fft(np.ones(4, np.float32)).dtype == np.complex64
    assert sg.fft.fft(np.ones(4, np.complex64)).dtype == np.complex64
    assert sg.fft.fft(np.ones(4)).dtype == np.complex128
    assert sg.fft.fft(np.arange(4)).dtype == np.complex128
    assert sg.fft.rfft(sg.ones(6, sg.bfloat16)).dtype == np.complex64  # no 16-bit complex dtype
    assert sg.fft.irfft(np.ones(4, np.complex64)).dtype == np.float32
    z = crandom(24).astype(np.complex64)
    np.testing.assert_allclose(np.asarray(sg.fft.fft(z)), np.fft.fft(z.astype(np.complex128)), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("call,match", [
    (lambda: sg.fft.fft(np.ones(3), n=0), "invalid number of data points"),
    (lambda: sg.fft.irfft(np.ones(1)), r"invalid number of data points \(0\)"),
    (lambda: sg.fft.fft(np.float64(1.0)), "at least one dimension"),
    (lambda: sg.fft.fft(np.ones(3), axis=2), "axis"),
    (lambda: sg.fft.fft(np.ones(3), norm="both"), "norm must be"),
    (lambda: sg.fft.fftn(np.ones((2, 2)), s=(2,), axes=(0, 1)), "same length"),
    (lambda: sg.fft.fftn(np.ones((2, 2)), axes=(0, 0)), "repeated axes"),
    (lambda: sg.fft.fftn(np.ones((2, 2)), s=(2, 2, 2)), "3 entries"),
    (lambda: sg.fft.fftfreq(0), "positive"),
])
def test_errors_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_real_transforms_refuse_complex_inputs():
    for f in (sg.fft.rfft, sg.fft.ihfft):
        with pytest.raises(TypeError, match="expected a real input, got complex128"):
            f(np.ones(3, np.complex128))


TRANSFORMS = {
    "fft": lambda z: sg.fft.fft(z),
    "ifft_padded_ortho": lambda z: sg.fft.ifft(z, n=7, norm="ortho"),
    "fft_cut_forward": lambda z: sg.fft.fft(z, n=3, axis=0, norm="forward"),
    "irfft": lambda z: sg.fft.irfft(z),
    "irfft_odd": lambda z: sg.fft.irfft(z, n=9),
    "hfft": lambda z: sg.fft.hfft(z, n=6),
    "fftn": lambda z: sg.fft.fftn(z, s=(3, 4)),
    "ifftn": lambda z: sg.fft.ifftn(z),
    "irfftn": lambda z: sg.fft.irfftn(z, s=(2, 8)),
    "fftshift": lambda z: sg.fft.fftshift(sg.fft.fft(z)),
}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_complex_input_derivatives(name):
    f = TRANSFORMS[name]
    z = crandom((2, 5), seed=3)
    assert sg.gradcheck(f, (z,))
    assert sg.gradgradcheck(f, (z,))


def test_the_vjp_is_the_adjoint():
    """<fft(x), y> = <x, vjp(y)> for the complex inner product: the VJP is the conjugate transpose."""
    x, y = crandom(12, seed=4), crandom(12, seed=5)
    for norm in NORMS:
        def transform(t, norm=norm):
            return sg.fft.fft(t, norm=norm)
        out, pullback = sg.vjp(transform, sg.tensor(x))
        (back,) = pullback(sg.tensor(y))
        np.testing.assert_allclose(np.vdot(np.asarray(out), y), np.vdot(x, np.asarray(back)), rtol=1e-12)
        _, tangent = sg.jvp(transform, (sg.tensor(x),), (sg.tensor(y),))
        np.testing.assert_allclose(np.asarray(tangent), np.fft.fft(y, norm=norm), rtol=1e-12, atol=1e-13)


def test_parseval_gradient():
    x = np.random.default_rng(6).standard_normal(16)
    t = sg.tensor(x, requires_grad=True)
    sg.sum(sg.abs(sg.fft.fft(t)) ** 2).backward()
    np.testing.assert_allclose(np.asarray(t.grad), 2 * 16 * x, rtol=1e-12)  # |F x|^2 = n |x|^2


def test_vmap_and_compile():
    z = crandom((4, 3, 6), seed=7)
    batched = sg.vmap(lambda v: sg.fft.fft(v, axis=0))(sg.tensor(z))
    np.testing.assert_allclose(np.asarray(batched), np.fft.fft(z, axis=1), rtol=1e-12, atol=1e-13)
    compiled = sg.compile(lambda v: sg.fft.irfft(v) * 2)
    np.testing.assert_allclose(np.asarray(compiled(sg.tensor(z))), 2 * np.fft.irfft(z), rtol=1e-12, atol=1e-13)


def test_array_api_extension():
    xp = sg.array_api
    x = xp.asarray(crandom(8, seed=8))
    np.testing.assert_allclose(np.asarray(xp.fft.fft(x, norm="ortho")), np.fft.fft(np.asarray(x), norm="ortho"),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(xp.fft.fftfreq(5, d=2.0)), np.fft.fftfreq(5, 2.0))
    assert xp.fft.rfftfreq(6, dtype=xp.float32).dtype == xp.float32
    assert x.__array_namespace__().fft is xp.fft
