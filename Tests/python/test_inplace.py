"""In-place operators and __setitem__: identity kept, memory shared, history recorded."""
import numpy as np
import pytest

import swiftgrad as sg


def test_inplace_keeps_identity_and_is_visible_through_numpy_view():
    x = sg.tensor([1.0, 2.0, 3.0])
    view = np.asarray(x)
    before = id(x)
    x += 1
    x *= 2
    x -= sg.tensor([1.0, 1.0, 1.0])
    x /= 2
    assert id(x) == before
    np.testing.assert_allclose(view, [1.5, 2.5, 3.5])
    np.testing.assert_allclose(x.numpy(), [1.5, 2.5, 3.5])


def test_inplace_on_leaf_requiring_grad_raises_unless_no_grad():
    w = sg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1
    with sg.no_grad():
        w += 1
    np.testing.assert_allclose(w.numpy(), [2.0, 3.0])
    assert w.requires_grad and w.is_leaf


def test_inplace_on_non_leaf_is_recorded():
    w = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * 2
    h += 1
    h *= 3
    sg.sum(h).backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 6.0, 6.0])


def test_inplace_multiply_by_tensor_requiring_grad_uses_old_values():
    a = sg.tensor([1.0, 2.0], requires_grad=True)
    b = sg.tensor([3.0, 5.0], requires_grad=True)
    h = a * 1.0
    h *= b  # h = a * b: d/db needs the values of h before the write
    sg.sum(h).backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 5.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 2.0])


def test_modifying_a_saved_output_is_detected():
    w = sg.tensor([0.5, 1.0], requires_grad=True)
    h = sg.exp(w)
    h += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*exp"):
        sg.sum(h).backward()


def test_modifying_a_saved_input_is_detected():
    w = sg.tensor([0.5, 1.0], requires_grad=True)
    a = w * 1.0
    y = sg.sin(a)
    a += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*sin"):
        sg.sum(y).backward()


def test_setitem_records_and_gradchecks():
    def f(w):
        a = w * 1.0
        a[0] = 10.0
        a[1:] *= w[1:]
        return a

    w = np.array([1.0, 3.0, 4.0])
    out = f(sg.tensor(w))
    np.testing.assert_allclose(out.numpy(), [10.0, 9.0, 16.0])
    assert sg.gradcheck(f, (w,))
    assert sg.gradgradcheck(f, (w,))


def test_setitem_value_gradient_and_broadcast():
    def f(base, v):
        out = base * 1.0
        out[:, 1] = v
        return out

    assert sg.gradcheck(f, (np.ones((2, 3)), np.array([2.0, 5.0])))
    z = sg.zeros((2, 3))
    z[:, 1] = 7
    z[0] = sg.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(z.numpy(), [[1, 2, 3], [0, 7, 0]])


def test_setitem_overlapping_memory_reads_before_writing():
    y = sg.arange(5)
    y[1:] = y[:-1]
    assert y.tolist() == [0, 0, 1, 2, 3]


def test_inplace_errors():
    x = sg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match="out of bounds"):
        x[5] = 1
    with pytest.raises(ValueError, match=r"non-broadcastable output operand with shape \(3,\)"):
        x += sg.ones((2, 3))
    ints = sg.arange(3)
    with pytest.raises(TypeError, match="float64 can't be cast to the desired output type int64"):
        ints += 1.5
    with pytest.raises(ValueError, match="could not broadcast"):
        x[0:2] = sg.tensor([1.0, 2.0, 3.0])


def test_pytorch_style_inplace_methods():
    x = sg.tensor([1.0, 2.0, 3.0])
    view = np.asarray(x)
    assert x.add_(1).mul_(2).sub_(sg.ones(3)).div_(2) is x
    np.testing.assert_allclose(view, [1.5, 2.5, 3.5])
    x.fill_(7)
    assert x.tolist() == [7.0, 7.0, 7.0]
    x.copy_(np.array([1.0, 2.0, 3.0]))
    assert x.zero_().tolist() == [0.0, 0.0, 0.0]
    w = sg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.mul_(2)
    h = w * 1.0
    h.mul_(3).add_(w)  # h = 3 w + w
    h.backward()
    assert w.grad.tolist() == [4.0]
