"""Checkpointing keeps only inputs and recomputes; gradients are identical in every setting."""
import numpy as np

import swiftgrad as sg

RNG = np.random.default_rng(0)
W_VALUES = [RNG.standard_normal((6, 6)) / 3 for _ in range(6)]


def layers(ws):
    return [lambda h, w=w: sg.tanh(w @ h) for w in ws]


def loss_plain(ws, x):
    h = x
    for f in layers(ws):
        h = f(h)
    return sg.sum(h * h)


def test_checkpoint_sequential_matches_plain_gradients_including_closure_parameters():
    x0 = RNG.standard_normal((6, 4))
    ws = [sg.tensor(w, requires_grad=True) for w in W_VALUES]
    x = sg.tensor(x0, requires_grad=True)
    loss_plain(ws, x).backward()
    expected = [w.grad.numpy().copy() for w in ws] + [x.grad.numpy().copy()]
    ws2 = [sg.tensor(w, requires_grad=True) for w in W_VALUES]
    x2 = sg.tensor(x0, requires_grad=True)
    h = sg.checkpoint_sequential(layers(ws2), 3, x2)
    sg.sum(h * h).backward()
    for got, want in zip([w.grad.numpy() for w in ws2] + [x2.grad.numpy()], expected):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_checkpoint_recomputes_instead_of_storing():
    calls = []
    w = sg.tensor(W_VALUES[0], requires_grad=True)

    def block(h):
        calls.append(1)
        return sg.tanh(w @ h)

    y = sg.checkpoint(block, sg.tensor(np.ones((6, 2)), requires_grad=True))
    assert len(calls) == 1 and y.grad_fn == "custom"
    sg.sum(y).backward()
    assert len(calls) == 2  # recomputed once during backward


def test_checkpoint_with_create_graph_nested_grad_and_forward_mode():
    w = sg.tensor(W_VALUES[1])

    def block(h):
        return sg.sin(w @ h)

    f_plain = lambda x: sg.sum(block(x) ** 2)  # noqa: E731
    f_ckpt = lambda x: sg.sum(sg.checkpoint(block, x) ** 2)  # noqa: E731
    x0 = RNG.standard_normal(6)
    np.testing.assert_allclose(sg.hessian(f_ckpt)(x0).numpy(), sg.hessian(f_plain)(x0).numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sg.grad(f_ckpt)(x0).numpy(), sg.grad(f_plain)(x0).numpy(), rtol=1e-13)
    _, t_ckpt = sg.jvp(f_ckpt, (x0,), (np.ones(6),))
    _, t_plain = sg.jvp(f_plain, (x0,), (np.ones(6),))
    np.testing.assert_allclose(t_ckpt.item(), t_plain.item(), rtol=1e-12)
    assert sg.gradgradcheck(lambda x: sg.checkpoint(block, x), (x0,))


def test_checkpoint_with_custom_rule_inside():
    @sg.custom_vjp
    def softplus(x):
        return sg.log1p(sg.exp(x))

    softplus.defvjp(lambda x: (sg.softplus(x), x), lambda x, g: (g * sg.sigmoid(x),))
    x0 = RNG.standard_normal(5)
    f = lambda x: sg.checkpoint(lambda v: softplus(v) * v, x)  # noqa: E731
    assert sg.gradcheck(f, (x0,)) and sg.gradgradcheck(f, (x0,))
