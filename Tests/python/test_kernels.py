"""The fast kernel paths against NumPy: eight-lane exp/tanh/sigmoid (Note [Vector
transcendental kernels]), blocked float sums (Note [Blocked float sums]), leading-axis sums,
broadcast row loops, and recycled large buffers (Note [Large buffers])."""
import math

import numpy as np
import pytest

import swiftgrad as sg

SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-8, -3e-6, 20.0, -20.0,
            22.5, 36.0, 700.0, 708.5, 709.5, 710.0, -708.5, -740.0, -746.0, 88.5, -103.0, 1e300,
            math.pi / 4, math.pi / 2, 99999.5, -100000.5, 3e7]


def _reference(name, x):
    wide = x.astype(np.float64)
    if name in ("sin", "cos"):  # glibc's correctly rounded-ish scalar routines
        fn = getattr(math, name)
        return np.array([fn(v) if np.isfinite(v) else np.nan for v in wide.ravel()]).reshape(wide.shape)
    with np.errstate(all="ignore"):
        if name == "exp":
            return np.exp(wide)
        if name == "tanh":
            return np.tanh(wide)
        return np.where(wide >= 0, 1 / (1 + np.exp(-wide)), np.exp(wide) / (1 + np.exp(wide)))


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "sin", "cos"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lane_kernels_match_numpy_to_a_few_ulp(name, dtype):
    rng = np.random.default_rng(7)
    # 1003 elements: whole groups of eight, a tail, and specials at every lane position.
    specials = np.array(SPECIALS * 4)[:103]
    if dtype == np.float32:
        specials = np.clip(specials, -1e30, 1e30)  # finite in float32; 1e300 only tests float64
    x = np.concatenate([rng.standard_normal(600) * 4, rng.uniform(-800, 800, 300), specials]).astype(dtype)
    got = getattr(sg, name)(x).numpy()
    with np.errstate(all="ignore"):
        want = _reference(name, x).astype(dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    ulp = np.spacing(np.abs(want[finite]).astype(dtype)) if dtype == np.float32 else np.spacing(np.abs(want[finite]))
    tiny = np.finfo(dtype).tiny
    assert np.all(np.abs(got[finite] - want[finite]) <= 4 * np.maximum(ulp, tiny)), name
    # Signed zeros survive (tanh is odd).
    if name == "tanh":
        assert np.signbit(sg.tanh(np.array([-0.0] * 9, dtype)).numpy()).all()


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "sin", "cos"])
def test_lane_kernels_on_views_and_large_inputs(name):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((300, 301))  # past the parallel threshold: chunks split mid-group
    np.testing.assert_allclose(getattr(sg, name)(x).numpy(), _reference(name, x), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(getattr(sg, name)(x.T).numpy(), _reference(name, x.T), rtol=1e-15, atol=1e-300)


# Trailing axes (blocked sums) and leading axes (eight-lane row accumulation) take different loops.
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,axis", [((4097,), None), ((3, 5, 70), (1, 2)), ((3, 5, 70), -1),
                                        ((2, 0, 3), (1, 2)), ((0, 3), 1), ((), None), ((6, 33), (0, 1)),
                                        ((64, 64), 0), ((5, 3, 13), (0, 1)), ((7, 8), 0), ((9, 1), 0),
                                        ((0, 5), 0), ((4, 0), 0), ((3, 17), -2)])
def test_sums_match_numpy(dtype, shape, axis):
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape).astype(dtype)
    for keepdims in (False, True):
        got = sg.sum(x, axis=axis, keepdims=keepdims).numpy()
        want = np.sum(x.astype(np.float64), axis=axis, keepdims=keepdims)
        assert got.shape == want.shape and got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("a_shape,b_shape", [((64, 64), (64,)), ((64,), (9, 64)), ((5, 13), (5, 1)),
                                             ((5, 1), (5, 13)), ((3, 4, 13), (4, 13)), ((3, 1, 7), (1, 4, 7))])
def test_broadcast_rows_match_numpy(dtype, a_shape, b_shape):
    """The unit- and zero-step row loops of broadcasting binary ops, both operand orders."""
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal(a_shape).astype(dtype), rng.standard_normal(b_shape).astype(dtype)
    for op in (np.multiply, np.subtract, np.divide):
        got = getattr(sg, op.__name__)(a, b).numpy()
        assert got.dtype == dtype
        np.testing.assert_allclose(got, op(a, b), rtol=1e-6 if dtype == np.float32 else 1e-15)
    strided = np.repeat(a, 2, axis=-1)[..., ::2]  # rows of step 2 take the general loop
    np.testing.assert_allclose(sg.multiply(strided, b).numpy(), strided * b, rtol=1e-6)
    np.testing.assert_allclose(sg.multiply(b, strided).numpy(), b * strided, rtol=1e-6)


def test_blocked_sum_is_more_accurate_than_serial_summation():
    import math

    x = np.full(1_000_003, 0.1)
    exact = math.fsum(x)
    serial_error = abs(np.cumsum(x)[-1] - exact)
    assert abs(sg.sum(x).item() - exact) < serial_error / 10


def test_recycled_large_buffers_do_not_alias():
    rng = np.random.default_rng(10)
    a = rng.standard_normal(300_000)  # 2.4 MB: above the cache threshold
    first = sg.exp(a)
    kept = first.numpy().copy()
    del first
    results = [sg.tanh(a), sg.exp(-a), sg.sigmoid(a)]  # reuse the freed block
    np.testing.assert_allclose(results[0].numpy(), np.tanh(a), rtol=1e-15)
    np.testing.assert_allclose(results[1].numpy(), np.exp(-a), rtol=1e-15)
    np.testing.assert_allclose(kept, np.exp(a), rtol=1e-15)
    assert len({r.numpy().ctypes.data for r in results}) == 3
