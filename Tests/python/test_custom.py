"""custom_vjp, custom_jvp and Function: every composition the docs promise, each checked."""
import gc
import os

import numpy as np
import pytest

import swiftgrad as sg

X = np.array([0.3, -1.2, 2.0])


@sg.custom_vjp
def sin_vjp(x):
    return sg.sin(x)


sin_vjp.defvjp(lambda x: (sg.sin(x), sg.cos(x)), lambda cos_x, g: (g * cos_x,))


@sg.custom_jvp
def sin_jvp(x):
    return sg.sin(x)


@sin_jvp.defjvp
def _sin_jvp_rule(primals, tangents):
    (x,), (t,) = primals, tangents
    return sg.sin(x), sg.cos(x) * t


class SinFunction(sg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return sg.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sg.cos(x)


class SinWithJvp(SinFunction):
    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return sg.cos(x) * t


CUSTOM_SINS = [sin_vjp, sin_jvp, SinFunction.apply, SinWithJvp.apply]


@pytest.mark.parametrize("f", CUSTOM_SINS, ids=["custom_vjp", "custom_jvp", "Function", "Function+jvp"])
def test_every_transform_composes(f):
    loss = lambda x: sg.sum(f(x))  # noqa: E731
    # backward(), grad, grad of grad, jvp, jvp of grad, hessian, gradcheck and gradgradcheck
    x = sg.tensor(X, requires_grad=True)
    loss(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(X), rtol=1e-14)
    np.testing.assert_allclose(sg.grad(loss)(X).numpy(), np.cos(X), rtol=1e-14)
    np.testing.assert_allclose(sg.grad(lambda x: sg.sum(sg.grad(loss)(x)))(X).numpy(), -np.sin(X), rtol=1e-14)
    out, tangent = sg.jvp(f, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent.numpy(), np.cos(X), rtol=1e-14)
    _, hv = sg.jvp(sg.grad(loss), (X,), (np.ones(3),))
    np.testing.assert_allclose(hv.numpy(), -np.sin(X), rtol=1e-14)
    np.testing.assert_allclose(sg.hessian(loss)(X).numpy(), np.diag(-np.sin(X)), rtol=1e-14, atol=1e-15)
    assert sg.gradcheck(f, (X,)) and sg.gradgradcheck(f, (X,))


def test_gradcheck_catches_a_wrong_custom_vjp():
    @sg.custom_vjp
    def wrong(x):
        return x * x

    wrong.defvjp(lambda x: (x * x, x), lambda x, g: (g * x,))  # should be 2 x g
    with pytest.raises(sg.GradcheckError, match="mismatch for input 0"):
        sg.gradcheck(wrong, (X,))
    assert sg.gradcheck(wrong, (X,), raise_exception=False) is False


def test_function_conventions():
    class Scale(sg.Function):
        @staticmethod
        def forward(ctx, x, factor, y):
            ctx.factor = factor
            seen["needs"] = ctx.needs_input_grad
            return x * factor + y

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None, None  # no gradient for y, even though it is a tensor

    seen = {}
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = sg.tensor([1.0, 1.0])
    out = Scale.apply(x, 3.0, y)
    assert out.grad_fn == "custom" and seen["needs"] == (True, False, False)
    sg.sum(out).backward()
    assert x.grad.tolist() == [3.0, 3.0]
    plain = Scale.apply(sg.tensor([1.0]), 2.0, sg.tensor([0.0]))
    assert not plain.requires_grad


def test_exceptions_in_rules_surface_unchanged_and_engine_stays_usable():
    class Boom(Exception):
        pass

    def bad_bwd(res, g):
        raise Boom("raised inside bwd")

    f = sg.custom_vjp(lambda x: x * 2)
    f.defvjp(lambda x: (x * 2, None), bad_bwd)
    x = sg.tensor([1.0], requires_grad=True)
    with pytest.raises(Boom, match="raised inside bwd"):
        sg.sum(f(x)).backward()
    with pytest.raises(Boom):
        sg.grad(lambda x: sg.sum(f(x)))(np.ones(1))
    wrong_count = sg.custom_vjp(lambda x: x)
    wrong_count.defvjp(lambda x: (x, None), lambda res, g: (g, g))
    with pytest.raises(ValueError, match="returned 2 cotangents for 1 arguments"):
        sg.sum(wrong_count(x)).backward()
    sg.sum(x * 3).backward()  # the engine still works
    assert x.grad.tolist() == [3.0]


@pytest.mark.skipif(bool(os.environ.get("SWIFTGRAD_SANITIZED")),
                    reason="a sanitizer's quarantine keeps freed memory mapped, so RSS growth is no leak signal")
def test_custom_rule_callbacks_do_not_leak():
    def rss():
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    x = sg.tensor(np.ones(256), requires_grad=True)

    def step():
        sg.sum(sin_vjp(x) * SinFunction.apply(x)).backward()
        try:
            bad = sg.custom_vjp(lambda v: v)
            bad.defvjp(lambda v: (v, None), lambda r, g: 1 / 0)
            sg.sum(bad(x)).backward()
        except ZeroDivisionError:
            pass
        x.grad = None

    for _ in range(500):
        step()
    gc.collect()
    before = rss()
    for _ in range(3000):
        step()
    gc.collect()
    assert rss() - before < 4 * 2**20


def test_hooks_replace_or_observe_gradients():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))  # returns None: unchanged
    y.register_hook(lambda g: g * 10)
    sg.sum(y).backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [30.0, 30.0]
    leaf = sg.tensor([1.0], requires_grad=True)
    leaf.register_hook(lambda g: g + 1)
    sg.sum(leaf * 2).backward()
    assert leaf.grad.tolist() == [3.0]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        sg.tensor([1.0]).register_hook(lambda g: g)
    boom = sg.tensor([1.0], requires_grad=True)
    boom.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        sg.sum(boom * 2).backward()


def test_stop_gradient_detach_no_grad_interplay():
    x = sg.tensor([2.0], requires_grad=True)
    y = x * sg.stop_gradient(x)  # d/dx = stop_gradient(x) = 2
    y.backward()
    assert x.grad.tolist() == [2.0]
    with sg.no_grad():
        z = x * x
        with sg.enable_grad():
            w = x * x
    assert not z.requires_grad and w.requires_grad
    d = x.detach()
    assert not d.requires_grad and d._shares_memory(x)
