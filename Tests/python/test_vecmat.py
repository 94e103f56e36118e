"""`vector @ matrix` as one primitive (`VecMat` in Primitives/MatMul.swift): values against NumPy,
derivatives (gradcheck, gradgradcheck, forward against reverse), every batching case and jets."""
import numpy as np
import pytest

import swiftgrad as sg

RNG = np.random.default_rng(12)
A, B = RNG.standard_normal(5), RNG.standard_normal((5, 3))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_match_numpy(dtype):
    a, b = A.astype(dtype), B.astype(dtype)
    got = (sg.asarray(a) @ sg.asarray(b)).numpy()
    assert got.shape == (3,) and got.dtype == dtype
    np.testing.assert_allclose(got, a @ b, rtol=1e-6 if dtype == np.float32 else 1e-14)
    strided = np.repeat(a, 2)[::2]  # a non-contiguous vector
    np.testing.assert_allclose((sg.asarray(strided) @ sg.asarray(b.T.copy().T)).numpy(), a @ b, rtol=1e-6)
    np.testing.assert_allclose((sg.asarray(a) @ sg.asarray(np.asfortranarray(b))).numpy(), a @ b, rtol=1e-6)


def test_shapes_and_errors():
    assert (sg.zeros(0) @ sg.zeros((0, 4))).shape == (4,)
    np.testing.assert_array_equal((sg.zeros(0) @ sg.zeros((0, 4))).numpy(), np.zeros(4))
    assert (sg.ones(3) @ sg.ones((3, 0))).shape == (0,)
    with pytest.raises(ValueError, match="mismatch"):
        sg.ones(4) @ sg.ones((3, 2))
    mixed = sg.ones(3, dtype=sg.float32) @ sg.ones((3, 2))  # mixed dtypes keep the promotion
    assert mixed.dtype == sg.float64 and mixed.shape == (2,)


def test_derivatives():
    a, b = sg.tensor(A, requires_grad=True), sg.tensor(B, requires_grad=True)

    def f(x, w):
        return sg.tanh(x @ w) * sg.asarray([1.0, -2.0, 0.5])

    assert sg.gradcheck(f, (a, b), eps=1e-6, atol=1e-8, rtol=1e-6)
    assert sg.gradgradcheck(f, (a, b), eps=1e-6, atol=1e-7, rtol=1e-5)
    for argnums in (0, 1):
        np.testing.assert_allclose(np.asarray(sg.jacfwd(f, argnums=argnums)(A, B)),
                                   np.asarray(sg.jacrev(f, argnums=argnums)(A, B)), rtol=1e-12, atol=1e-14)


def test_batching_cases():
    As, Bs = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5, 3))
    mm = lambda x, w: x @ w  # noqa: E731
    np.testing.assert_allclose(np.asarray(sg.vmap(mm, in_axes=(0, None))(As, B)), As @ B, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(sg.vmap(mm, in_axes=(None, 0))(A, Bs)), np.einsum("n,bnm->bm", A, Bs),
                               rtol=1e-13)
    np.testing.assert_allclose(np.asarray(sg.vmap(mm)(As, Bs)), np.einsum("bn,bnm->bm", As, Bs), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(sg.vmap(mm, in_axes=(1, 2))(As.T, Bs.transpose(1, 2, 0))),
                               np.einsum("bn,bnm->bm", As, Bs), rtol=1e-13)
    g = sg.vmap(sg.grad(lambda x, w: sg.sum(sg.sin(x @ w))), in_axes=(0, None))(As, B)
    np.testing.assert_allclose(np.asarray(g), np.cos(As @ B) @ B.T, rtol=1e-12)


def test_jet_through_vecmat():
    v = RNG.standard_normal(5)
    f = lambda x: sg.sum(sg.tanh(x @ B))  # noqa: E731
    _, terms = sg.jet(f, (A,), ([v, np.zeros(5), np.zeros(5)],))
    second = sg.jvp(lambda x: sg.jvp(f, (x,), (v,))[1], (A,), (v,))[1]
    np.testing.assert_allclose(float(terms[1]), float(second), rtol=1e-12)
    np.testing.assert_allclose(float(sg.laplacian(f, A)), np.trace(np.asarray(sg.hessian(f)(A))), rtol=1e-12)
