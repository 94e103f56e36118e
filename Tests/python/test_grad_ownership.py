"""A leaf's `.grad` is its own memory (optimizers update it in place), whether backward hands it
the rule's fresh result or has to copy (Backward.swift, `ownedGradient(taking:)`): no two
gradients, and no gradient and another tensor, may share memory."""
import numpy as np

import swiftgrad as sg


def bump(t):
    with sg.no_grad():
        t += 100.0


def test_one_cotangent_for_two_leaves_gives_two_gradients():
    a = sg.tensor(np.arange(6.0), requires_grad=True)
    b = sg.tensor(np.ones(6), requires_grad=True)
    (a + b).sum().backward()  # Add's rule hands the same cotangent to both inputs
    bump(a.grad)
    np.testing.assert_array_equal(np.asarray(b.grad), np.ones(6))
    np.testing.assert_array_equal(np.asarray(a.grad), np.full(6, 101.0))


def test_a_reshaped_view_of_a_cotangent_is_not_shared():
    a = sg.tensor(np.arange(6.0), requires_grad=True)
    b = sg.tensor(np.ones((2, 3)), requires_grad=True)
    w = sg.tensor(np.arange(6.0).reshape(2, 3))
    ((a.reshape(2, 3) + b) * w).sum().backward()  # a gets a reshaped view of b's cotangent
    want = np.arange(6.0)
    bump(b.grad)
    np.testing.assert_array_equal(np.asarray(a.grad), want)
    bump(a.grad)
    np.testing.assert_array_equal(np.asarray(b.grad), want.reshape(2, 3) + 100.0)


def test_a_gradient_returned_by_a_hook_is_copied():
    kept = sg.tensor(np.full(3, 7.0))
    a = sg.tensor(np.ones(3), requires_grad=True)
    a.register_hook(lambda g: kept)
    (a * 2).sum().backward()
    bump(a.grad)
    np.testing.assert_array_equal(np.asarray(kept), np.full(3, 7.0))


def test_a_seed_gradient_is_copied():
    seed = sg.tensor(np.full(4, 3.0))
    a = sg.tensor(np.ones(4), requires_grad=True)
    a.backward(seed)
    bump(a.grad)
    np.testing.assert_array_equal(np.asarray(seed), np.full(4, 3.0))
    np.testing.assert_array_equal(np.asarray(a.grad), np.full(4, 103.0))


def test_a_gradient_saved_by_a_custom_rule_is_copied():
    saved = {}

    @sg.custom_vjp
    def f(x):
        return x * 1.0

    def fwd(x):
        return x * 1.0, None

    def bwd(res, g):
        saved["g"] = sg.tensor(np.asarray(g) * 2)  # the rule keeps what it returns
        return (saved["g"],)

    f.defvjp(fwd, bwd)
    a = sg.tensor(np.ones(5), requires_grad=True)
    f(a).sum().backward()
    bump(a.grad)
    np.testing.assert_array_equal(np.asarray(saved["g"]), np.full(5, 2.0))


def test_numpy_memory_is_never_adopted():
    buffer = np.full(3, 5.0)
    a = sg.tensor(np.ones(3), requires_grad=True)
    a.register_hook(lambda g: sg.from_numpy(buffer))
    (a * 1).sum().backward()
    bump(a.grad)
    np.testing.assert_array_equal(buffer, np.full(3, 5.0))


def test_gradients_accumulate_across_backward_calls():
    a = sg.tensor(np.ones(3), requires_grad=True)
    for _ in range(3):
        (a * 2).sum().backward()
    np.testing.assert_array_equal(np.asarray(a.grad), np.full(3, 6.0))
