"""Edge cases of the composites, selection and linear algebra: stability, errors, dtypes."""
import numpy as np
import pytest

import swiftgrad as sg


def test_norm_gradient_at_zero_is_finite():
    x = sg.zeros(3, dtype=sg.float64)
    x.requires_grad = True
    sg.linalg.norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_logsumexp_and_softmax_are_stable():
    x = sg.tensor([1000.0, 1000.0, -np.inf], requires_grad=True)
    y = sg.logsumexp(x)
    np.testing.assert_allclose(y.item(), 1000 + np.log(2))
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5, 0.0])
    assert sg.logsumexp(sg.tensor([-np.inf, -np.inf])).item() == -np.inf
    np.testing.assert_allclose(sg.softmax(sg.tensor([[1e4, 0.0]])).numpy(), [[1.0, 0.0]])


def test_softplus_large_inputs_do_not_overflow():
    x = sg.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = sg.softplus(x)
    np.testing.assert_allclose(y.numpy(), [0.0, np.log(2), 1000.0])
    sg.sum(y).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 1.0])


def test_take_repeated_indices_accumulate_gradients():
    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    sg.sum(sg.take(x, [0, 0, 2, -3])).backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_float32_throughout():
    a = sg.tensor(np.eye(3) * 2 + 0.1, dtype=sg.float32, requires_grad=True)
    for f in (sg.linalg.inv, sg.linalg.det, lambda m: sg.linalg.cholesky(m @ m.T), sg.softmax, sg.softplus,
              lambda m: sg.var(m, axis=0), lambda m: sg.take(m, [1], axis=0)):
        out = f(a)
        assert out.dtype == sg.float32
        (g,) = sg.autograd.grad(sg.sum(out), [a])
        assert g.dtype == sg.float32


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: sg.linalg.inv(sg.zeros((2, 2))), ValueError, "Singular matrix"),
    (lambda: sg.linalg.inv(sg.ones((2, 3))), ValueError, r"square matrix.*\(2, 3\)"),
    (lambda: sg.linalg.cholesky(-sg.tensor(np.eye(2))), ValueError, "not positive definite"),
    (lambda: sg.linalg.solve(sg.tensor(np.eye(2)), sg.ones(3)), ValueError, "incompatible"),
    (lambda: sg.linalg.norm(sg.ones((2, 2)), 3), ValueError, "invalid matrix order 3"),
    (lambda: sg.linalg.norm(sg.ones((2, 2)), "bogus"), ValueError, "invalid order 'bogus'"),
    (lambda: sg.take(sg.ones(3), [3]), IndexError, "index 3 is out of bounds for axis 0 with size 3"),
    (lambda: sg.take(sg.ones(3), [0.5]), IndexError, "indices must be integers"),
    (lambda: sg.take(sg.ones((2, 2)), [0], axis=2), ValueError, "axis 2 is out of bounds"),
    (lambda: sg.split(sg.ones(5), 2), ValueError, "equal division"),
    (lambda: sg.split(sg.ones(5), 0), ValueError, "larger than 0"),
    (lambda: sg.softmax(sg.ones(3), axis=1), ValueError, "axis 1 is out of bounds"),
    (lambda: sg.var(sg.ones(3), axis=(0, 0)), ValueError, "duplicate"),
    (lambda: sg.dot(sg.ones((2, 3)), sg.ones((2, 4, 5))), ValueError, "not aligned"),
    (lambda: sg.take_along_axis(sg.ones((2, 3)), np.zeros((2, 3, 1), dtype=np.int64), axis=1), ValueError,
     "dimensions"),
])
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("e", [0, 1, 2, 3, -1.5, 0.5, 2.0])
def test_power_by_a_python_number(e):
    # A constant exponent takes a shorter derivative rule (Binary.swift, constantExponent): the
    # same values as the general rule, checked by finite differences to second order, in forward
    # mode, and against the tensor-exponent form.
    x = np.array([0.7, 1.3, 2.1, 0.4])
    f = (lambda t: t ** e)
    assert sg.gradcheck(f, [x])
    assert sg.gradgradcheck(f, [x])
    t = sg.tensor(x, requires_grad=True)
    (t ** e).sum().backward()
    want = np.where(e == 0, 0.0, e * x ** (e - 1))
    np.testing.assert_allclose(np.asarray(t.grad), want, rtol=1e-14)
    _, tangent = sg.jvp(f, (sg.tensor(x),), (sg.ones(4),))
    np.testing.assert_allclose(np.asarray(tangent), want, rtol=1e-14)
    u = sg.tensor(x, requires_grad=True)
    (u ** sg.tensor(float(e))).sum().backward()
    np.testing.assert_allclose(np.asarray(u.grad), want, rtol=1e-14)
    grads = sg.vmap(sg.grad(lambda r: (r ** e).sum()))(sg.tensor(np.stack([x, x + 1])))
    np.testing.assert_allclose(np.asarray(grads)[0], want, rtol=1e-14)
