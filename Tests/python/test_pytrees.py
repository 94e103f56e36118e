"""sg.tree_util (JAX semantics) and every API that takes pytrees: tensors nested in containers are
differentiated, never dropped. Every derivative is checked against central differences."""
import collections
import warnings

import numpy as np
import pytest

import swiftgrad as sg
from numdiff import assert_close, central_gradient
from swiftgrad import tree_util as tu

RNG = np.random.default_rng(16)
Point = collections.namedtuple("Point", "x y")


class Params:
    """A user container registered as a pytree node."""

    def __init__(self, w, b, name="p"):
        self.w, self.b, self.name = w, b, name


tu.register_pytree_node(Params, lambda p: ((p.w, p.b), p.name), lambda name, c: Params(c[0], c[1], name))


# --- tree_util itself ----------------------------------------------------------------------------


def test_flatten_order_none_namedtuple_and_roundtrip():
    tree = {"b": [1, (2, None)], "a": Point(3, {"z": 4, "y": 5}), "c": None}
    leaves, treedef = tu.tree_flatten(tree)
    assert leaves == [3, 5, 4, 1, 2]  # dict children by sorted key, None has no leaves
    assert treedef.num_leaves == 5 and tu.tree_leaves(None) == [] and tu.tree_leaves([None, ()]) == []
    back = tu.tree_unflatten(treedef, leaves)
    assert back == tree and type(back["a"]) is Point and list(back) == ["a", "b", "c"]
    assert treedef == tu.tree_structure(tree) and hash(treedef) == hash(tu.tree_structure(tree))
    assert treedef != tu.tree_structure({"b": [1, [2, None]], "a": Point(3, {"z": 4, "y": 5}), "c": None})
    assert repr(tu.tree_structure([1, (2,), {"k": None}])) == "PyTreeDef([*, (*,), {'k': None}])"
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    assert tu.tree_leaves(od) == [1, 2]  # insertion order, as JAX
    assert tu.treedef_is_leaf(tu.tree_structure(sg.ones(3))) and tu.all_leaves([1, np.ones(2)])
    with pytest.raises(ValueError, match="has 5 leaves, got 4"):
        tu.tree_unflatten(treedef, leaves[:4])


def test_tree_map_registered_nodes_prefixes_and_is_leaf():
    p = Params(1.0, 2.0, "layer")
    q = tu.tree_map(lambda v: v * 10, p)
    assert isinstance(q, Params) and (q.w, q.b, q.name) == (10.0, 20.0, "layer")
    assert tu.tree_structure(p) != tu.tree_structure(Params(1.0, 2.0, "other"))  # aux data is compared
    assert tu.tree_map(lambda a, b: a + b, {"u": 1, "v": 2}, {"v": 20, "u": 10}) == {"u": 11, "v": 22}
    assert tu.tree_map(lambda a, b: (a, b), [1, 2], [[3], 4]) == [(1, [3]), (2, 4)]  # prefix
    with pytest.raises(ValueError, match="mismatch"):
        tu.tree_map(lambda a, b: a, {"u": 1}, {"w": 1})
    with pytest.raises(ValueError, match=r"mismatch at \[1\]"):
        tu.tree_map(lambda a, b: a, [1, (2, 3)], [1, [2, 3]])
    assert tu.tree_leaves([(1, 2), [3]], is_leaf=lambda x: isinstance(x, tuple)) == [(1, 2), 3]
    with pytest.raises(ValueError, match="already registered"):
        tu.register_pytree_node(Params, lambda p: ((), None), lambda a, c: None)


# --- the bugs users saw ----------------------------------------------------------------------------

W_VALUES = [RNG.standard_normal((3, 3)) / 2 for _ in range(3)]
X0 = RNG.standard_normal(3)


def segment(x, ws):
    for w in ws:
        x = sg.tanh(w @ x)
    return x


def _loss_np(arrays):
    x = arrays[-1]
    for w in arrays[:-1]:
        x = np.tanh(w @ x)
    return np.sum(x * x)


def test_checkpoint_differentiates_tensors_nested_in_arguments():
    want = central_gradient(_loss_np, W_VALUES + [X0])
    f = lambda ws, x: sg.sum(sg.checkpoint(segment, x, ws) ** 2)  # noqa: E731
    g_ws, g_x = sg.grad(f, argnums=(0, 1))(W_VALUES, X0)
    for got, w in zip(list(g_ws) + [g_x], want):
        assert_close(got.numpy(), w)
    value, g = sg.value_and_grad(f)(W_VALUES, X0)
    assert_close(value.item(), _loss_np(W_VALUES + [X0]))
    for got, w in zip(g, want):
        assert_close(got.numpy(), w)
    # requires_grad leaves and .backward(), in a dict, through checkpoint_sequential as well
    ws = {f"w{k}": sg.tensor(w, requires_grad=True) for k, w in enumerate(W_VALUES)}
    sg.sum(sg.checkpoint(lambda x, d: segment(x, [d[f"w{k}"] for k in range(3)]), sg.tensor(X0), ws) ** 2).backward()
    for k, w in enumerate(want[:3]):
        assert_close(ws[f"w{k}"].grad.numpy(), w)
    ws2 = [sg.tensor(w, requires_grad=True) for w in W_VALUES]
    h = sg.checkpoint_sequential([lambda v, w=w: sg.tanh(w @ v) for w in ws2], 2, sg.tensor(X0))
    sg.sum(h * h).backward()
    for w, expected in zip(ws2, want):
        assert_close(w.grad.numpy(), expected)


def test_checkpoint_second_order_and_forward_mode_with_container_arguments():
    f = lambda ws, x: sg.sum(sg.checkpoint(segment, x, ws) ** 2)  # noqa: E731
    plain = lambda ws, x: sg.sum(segment(x, ws) ** 2)  # noqa: E731
    hv = sg.hvp(lambda x: f(W_VALUES, x), (X0,), (np.ones(3),))[1]
    want = sg.hvp(lambda x: plain(W_VALUES, x), (X0,), (np.ones(3),))[1]
    assert_close(hv.numpy(), want.numpy())
    grad_x = lambda a: sg.grad(plain, argnums=1)(W_VALUES, a[0]).numpy()  # noqa: E731
    fd = np.array([(grad_x([X0 + 1e-6 * e]) - grad_x([X0 - 1e-6 * e])) / 2e-6 for e in np.eye(3)]).sum(0)
    assert_close(hv.numpy(), fd)
    t = [RNG.standard_normal((3, 3)) for _ in range(3)]
    _, tangent = sg.jvp(lambda ws: f(ws, X0), (W_VALUES,), (t,))
    g = central_gradient(_loss_np, W_VALUES + [X0])
    assert_close(tangent.item(), sum(np.sum(gk * tk) for gk, tk in zip(g, t)))


def test_custom_vjp_with_a_list_argument():
    @sg.custom_vjp
    def f(a, ws):
        return a * ws[0] * sg.sin(ws[1])

    def f_fwd(a, ws):
        return f(a, ws), (a, ws)

    def f_bwd(res, g):
        a, (w0, w1) = res
        return g * w0 * sg.sin(w1), [g * a * sg.sin(w1), g * a * w0 * sg.cos(w1)]

    f.defvjp(f_fwd, f_bwd)
    a, w0, w1 = RNG.standard_normal((3, 4))
    loss = lambda a, ws: sg.sum(f(a, ws) ** 2)  # noqa: E731
    want = central_gradient(lambda v: np.sum((v[0] * v[1] * np.sin(v[2])) ** 2), [a, w0, w1])
    g = sg.grad(loss, argnums=1)(a, [w0, w1])
    assert isinstance(g, list) and len(g) == 2
    assert_close(g[0].numpy(), want[1])
    assert_close(g[1].numpy(), want[2])
    assert_close(sg.grad(loss)(a, [w0, w1]).numpy(), want[0])
    # forward mode (by transposing bwd) and second order (bwd written with swiftgrad ops)
    _, t = sg.jvp(lambda ws: loss(a, ws), ([w0, w1],), ([np.ones(4), np.zeros(4)],))
    assert_close(t.item(), want[1].sum())
    assert sg.gradcheck(lambda w0, w1: f(a, [w0, w1]), (w0, w1))
    assert sg.gradgradcheck(lambda w0, w1: f(a, [w0, w1]), (w0, w1))


def test_custom_vjp_cotangent_structure_is_checked_and_none_means_zero():
    @sg.custom_vjp
    def f(d):
        return d["u"] * 2 + d["v"]

    f.defvjp(lambda d: (f(d), None), lambda _, g: ({"u": 2 * g, "v": None},))
    u = sg.tensor([1.0, 2.0], requires_grad=True)
    v = sg.tensor([3.0, 4.0], requires_grad=True)
    sg.sum(f({"u": u, "v": v})).backward()
    assert u.grad.tolist() == [2.0, 2.0]
    assert v.grad is None  # None from the rule: no gradient, as PyTorch (sg.grad reads it as zeros)
    for bad, match in [(({"u": 1.0},), "structure"), (([1.0, 2.0],), "structure"),
                       (({"u": sg.ones(3), "v": None},), "shape"),
                       (({"u": [sg.ones(2)], "v": None},), "a list as the cotangent")]:
        f.defvjp(lambda d: (f(d), None), lambda _, g, bad=bad: bad)
        with pytest.raises((ValueError, TypeError), match=match):
            sg.sum(f({"u": u, "v": v})).backward()


def test_function_apply_with_a_dict_argument():
    class Scale(sg.Function):
        @staticmethod
        def forward(ctx, x, params, label):
            ctx.save_for_backward(x, params["w"], params["b"])
            ctx.label = label
            seen.append(ctx.needs_input_grad)
            return x * params["w"] + params["b"]

        @staticmethod
        def backward(ctx, g):
            x, w, b = ctx.saved_tensors
            return g * w, {"w": g * x, "b": g}, None

    seen = []
    x0, w0, b0 = RNG.standard_normal((3, 4))
    x = sg.tensor(x0, requires_grad=True)
    w = sg.tensor(w0, requires_grad=True)
    b = sg.tensor(b0)
    sg.sum(sg.sin(Scale.apply(x, {"w": w, "b": b}, "tag"))).backward()
    assert seen == [(True, True, False)]
    want = central_gradient(lambda v: np.sum(np.sin(v[0] * v[1] + v[2])), [x0, w0, b0])
    assert_close(x.grad.numpy(), want[0])
    assert_close(w.grad.numpy(), want[1])
    g = sg.grad(lambda p: sg.sum(sg.sin(Scale.apply(sg.tensor(x0), p, "tag"))))({"w": w0, "b": b0})
    assert_close(g["w"].numpy(), want[1])
    assert_close(g["b"].numpy(), want[2])

    class Wrong(Scale):
        @staticmethod
        def backward(ctx, g):
            return g, {"w": g}, None

    with pytest.raises(ValueError, match="structure"):
        sg.sum(Wrong.apply(x, {"w": w, "b": b}, "tag")).backward()
    with pytest.raises(ValueError, match="argument 0, which is not a tensor"):  # as PyTorch
        sg.sum(Scale.apply(x0, {"w": w, "b": b}, "tag")).backward()


def test_jax_documentation_example_calls_f_inside_its_fwd():
    @sg.custom_vjp
    def f(x, y):
        return sg.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (sg.cos(x), sg.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return cos_x * g * y, sin_x * g

    f.defvjp(f_fwd, f_bwd)
    x, y = 0.7, 1.3
    gx, gy = sg.grad(f, argnums=(0, 1))(x, y)
    want = central_gradient(lambda v: np.sin(v[0]) * v[1], [x, y])
    assert_close(gx.item(), want[0])
    assert_close(gy.item(), want[1])
    assert_close(sg.jvp(lambda x: f(x, y), (x,), (1.0,))[1].item(), want[0])

    @sg.custom_jvp
    def h(x):
        return sg.exp(x) * 2

    @h.defjvp
    def h_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        ans = h(x)  # the JAX custom_jvp documentation pattern
        return ans, ans * t

    assert_close(sg.grad(lambda x: sg.sum(h(x)))(np.array([0.2, -0.5])).numpy(), 2 * np.exp([0.2, -0.5]))
    assert_close(sg.jvp(h, (0.3,), (1.0,))[1].item(), 2 * np.exp(0.3))


def test_function_forward_may_call_apply_recursively():
    class SumOfSquares(sg.Function):
        """sum(x**2) defined recursively: forward calls apply on a shorter tensor."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            if x.shape[0] == 1:
                return x[0] * x[0]
            return x[0] * x[0] + SumOfSquares.apply(x[1:])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x0 = RNG.standard_normal(4)
    x = sg.tensor(x0, requires_grad=True)
    out = SumOfSquares.apply(x)
    assert_close(out.item(), np.sum(x0**2))
    out.backward()
    assert_close(x.grad.numpy(), central_gradient(lambda v: np.sum(v[0] ** 2), [x0])[0])


# --- gradients are never dropped: they are computed, or the call raises ---------------------------


def test_closed_over_tensors_that_require_grad_raise_in_custom_rules():
    w = sg.tensor([2.0, 3.0], requires_grad=True)
    f = sg.custom_vjp(lambda x: x * w)
    f.defvjp(lambda x: (x * w, None), lambda _, g: (g * w,))
    with pytest.raises(TypeError, match=r"closed over; shapes \(2,\)"):
        f(sg.ones(2))
    j = sg.custom_jvp(lambda x: x * w)
    j.defjvp(lambda p, t: (p[0] * w, t[0] * w))
    with pytest.raises(TypeError, match="not its arguments"):
        j(sg.ones(2))
    const = sg.tensor([2.0, 3.0])  # closing over a constant is fine
    f2 = sg.custom_vjp(lambda x: x * const)
    f2.defvjp(lambda x: (x * const, None), lambda _, g: (g * const,))
    assert sg.grad(lambda x: sg.sum(f2(x)))(np.ones(2)).tolist() == [2.0, 3.0]
    g = sg.custom_vjp(lambda x, scale: x * scale, nondiff_argnums=(1,))
    g.defvjp(lambda x, s: (x * s, None), lambda s, _, ct: (ct * s,))
    assert g(sg.ones(2), 3.0).tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match=r"argument 1\[0\] is in nondiff_argnums"):
        g(sg.ones(2), [w])


def test_compile_static_tensor_that_requires_grad_raises():
    f = sg.compile(lambda x, w: x * w, static_argnums=(1,))
    with pytest.raises(TypeError, match="requires grad"):
        f(sg.ones(2), sg.tensor([1.0, 2.0], requires_grad=True))


# --- transforms and compile with every kind of node -----------------------------------------------


def test_transforms_with_namedtuples_none_and_registered_nodes():
    w0, b0 = RNG.standard_normal((2, 3))

    def loss(p, pt, extra):
        assert extra is None
        return sg.sum(sg.tanh(p.w * pt.x + p.b) * pt.y)

    p, pt = Params(w0, b0), Point(np.arange(3.0), np.ones(3))
    g = sg.grad(loss)(p, pt, None)
    assert isinstance(g, Params) and g.name == "p"
    want = central_gradient(lambda v: np.sum(np.tanh(v[0] * np.arange(3.0) + v[1])), [w0, b0])
    assert_close(g.w.numpy(), want[0])
    assert_close(g.b.numpy(), want[1])
    gp = sg.grad(loss, argnums=1)(p, pt, None)
    assert isinstance(gp, Point)
    _, t = sg.jvp(lambda p: loss(p, pt, None), (p,), (Params(np.ones(3), np.zeros(3)),))
    assert_close(t.item(), want[0].sum())
    with pytest.raises(ValueError, match="structure"):
        sg.jvp(lambda p: loss(p, pt, None), (p,), (Params(np.ones(3), np.zeros(3), "other"),))
    jac = sg.jacrev(lambda p: sg.tanh(p.w * p.b))(p)
    assert isinstance(jac, Params) and jac.w.shape == (3, 3)
    assert_close(np.diag(jac.w.numpy()), (1 - np.tanh(w0 * b0) ** 2) * b0)


def test_compile_with_dicts_namedtuples_and_registered_nodes():
    calls = []

    def f(d, p):
        calls.append(1)
        return {"y": d["a"] * p.w + d["b"], "n": None}

    cf = sg.compile(f)
    d = {"b": np.ones(2), "a": np.arange(2.0)}
    out = cf(d, Params(np.full(2, 3.0), np.zeros(2)))
    assert out["n"] is None and out["y"].tolist() == [1.0, 4.0]
    cf({"a": np.ones(2), "b": np.ones(2)}, Params(np.ones(2), np.zeros(2)))
    assert cf.trace_count == 1  # same structure and shapes: replayed
    cf(d, Params(np.ones(2), np.zeros(2), "other"))
    assert cf.trace_count == 2  # auxiliary data is part of the signature
    g = sg.grad(lambda p: sg.sum(cf(d, p)["y"] ** 2))(Params(np.full(2, 3.0), np.zeros(2)))
    want = central_gradient(lambda v: np.sum((np.arange(2.0) * v[0] + 1) ** 2), [np.full(2, 3.0)])
    assert_close(g.w.numpy(), want[0])


# --- the zero-gradient rules (docs/SEMANTICS.md) ----------------------------------------------------


def test_integer_inputs_raise_instead_of_getting_zero_derivatives():
    ints = np.arange(3)
    for transform in (sg.grad, sg.jacrev, sg.jacfwd, sg.hessian):
        with pytest.raises(TypeError, match="floating-point inputs"):
            transform(lambda x: sg.sum(x * 1.5))(ints)
    with pytest.raises(TypeError, match="floating-point inputs"):
        sg.vjp(lambda x: x * 1.5, ints)
    with pytest.raises(ValueError, match="non-zero tangent"):
        sg.jvp(lambda x: x * 1.5, (ints,), (np.ones(3),))
    # an integer primal with a zero tangent is a constant; integer outputs have zero tangents
    out, t = sg.jvp(lambda x, n: (x * n, sg.sum(n)), (np.ones(3), ints), (np.ones(3), np.zeros(3)))
    assert t[0].tolist() == [0.0, 1.0, 2.0] and t[1].item() == 0


def test_zero_gradients_that_are_exact():
    # an input the output does not depend on has derivative zero (JAX's convention)
    g = sg.grad(lambda a, b: sg.sum(sg.sin(a)), argnums=(0, 1))(np.ones(2), {"b": np.ones(3)})
    assert g[1]["b"].tolist() == [0.0, 0.0, 0.0]
    assert_close(g[0].numpy(), np.cos(np.ones(2)))
    # stop_gradient is a declared zero
    assert sg.grad(lambda x: sg.sum(x * sg.stop_gradient(x)))(np.array([2.0])).tolist() == [2.0]


def test_compiled_functions_never_drop_a_gradient():
    # a captured tensor that requires grad gets its gradient even when no input requires grad
    w0 = np.array([1.0, 2.0, 3.0])
    w = sg.tensor(w0, requires_grad=True)
    cf = sg.compile(lambda x: sg.sum(sg.sin(x * w)))
    cf(sg.ones(3)).backward()
    assert_close(w.grad.numpy(), central_gradient(lambda v: np.sum(np.sin(v[0])), [w0])[0])
    with sg.no_grad():
        assert not cf(sg.ones(3)).requires_grad
    # a custom rule that is not the derivative of its forward (straight-through rounding): from
    # outside, a compiled function can only differentiate the forward, so it raises
    ste = sg.custom_vjp(lambda x: sg.round(x))
    ste.defvjp(lambda x: (sg.round(x), None), lambda _, g: (g,))
    h = lambda x: sg.sum(ste(x) * x)  # noqa: E731
    x0 = np.array([0.3, 1.6])
    want = np.round(x0) + x0  # the rule's gradient
    assert_close(sg.grad(h)(x0).numpy(), want)
    assert_close(sg.compile(sg.grad(h))(x0).numpy(), want)
    assert sg.compile(h)(x0).item() == np.sum(np.round(x0) * x0)
    for differentiate in (lambda f: sg.grad(f)(x0), lambda f: sg.jvp(f, (x0,), (np.ones(2),)),
                          lambda f: sg.jacfwd(f)(x0), lambda f: sg.grad(sg.compile(lambda x: f(x) * 2))(x0)):
        with pytest.raises(RuntimeError, match="inlines the custom rule"):
            differentiate(sg.compile(h))


def test_found_by_the_random_programs():
    # a bwd written with sg.vjp, transposed by forward mode: vjp_fn must be differentiable in
    # its cotangent (it returned a constant, so jvp gave zero)
    f = sg.custom_vjp(lambda x: sg.abs(x) * 3)
    f.defvjp(lambda x: (f(x), x), lambda x, g: sg.vjp(lambda v: sg.abs(v) * 3, x)[1](g))
    x0 = np.array([0.4, -0.7])
    assert_close(sg.jvp(f, (x0,), (np.ones(2),))[1].numpy(), 3 * np.sign(x0))
    # a checkpointed segment closing over a tensor that carries a forward-mode tangent
    c = np.array([1.0, 2.0, 3.0])

    def g(a):
        r = np.ones(3) * sg.exp(0.1 * a)  # closed over by the segment, depends on a
        return sg.sum(sg.checkpoint(lambda h: h * r, 2 * sg.exp(0.2 * a) * np.ones(3)) * c)

    want = central_gradient(lambda v: np.sum(2 * np.exp(0.2 * v[0]) * np.exp(0.1 * v[0]) * c), [0.3])[0]
    assert_close(sg.jvp(g, (0.3,), (1.0,))[1].item(), want)
    assert_close(sg.grad(g)(0.3).item(), want)


def test_rules_that_cannot_be_transposed_raise_instead_of_giving_zero():
    x0 = np.array([0.4, -0.7])
    numpy_bwd = sg.custom_vjp(lambda x: sg.sin(x))
    numpy_bwd.defvjp(lambda x: (sg.sin(x), x), lambda x, g: (sg.tensor(np.cos(np.asarray(x)) * np.asarray(g)),))
    assert_close(sg.grad(lambda x: sg.sum(numpy_bwd(x)))(x0).numpy(), np.cos(x0))  # first order, reverse: fine
    with pytest.raises(RuntimeError, match="does not depend on the cotangent"):
        sg.jvp(numpy_bwd, (x0,), (np.ones(2),))
    with pytest.raises(RuntimeError, match="does not depend on the cotangent"):
        sg.hessian(lambda x: sg.sum(numpy_bwd(x)))(x0)
    numpy_jvp = sg.custom_jvp(lambda x: sg.sin(x))
    numpy_jvp.defjvp(lambda p, t: (sg.sin(p[0]), sg.tensor(np.cos(np.asarray(p[0])) * np.asarray(t[0]))))
    assert_close(sg.jvp(numpy_jvp, (x0,), (np.ones(2),))[1].numpy(), np.cos(x0))  # forward: fine
    with pytest.raises(RuntimeError, match="does not depend on the tangents"):
        sg.grad(lambda x: sg.sum(numpy_jvp(x)))(x0)

    class NumpyBackward(sg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return sg.sin(x)

        @staticmethod
        def backward(ctx, g):
            return sg.tensor(np.cos(np.asarray(ctx.saved_tensors[0])) * np.asarray(g))

    with pytest.raises(RuntimeError, match="does not depend on the cotangent"):
        sg.jvp(NumpyBackward.apply, (x0,), (np.ones(2),))
    zero = sg.custom_vjp(lambda x: sg.sin(x) * 0)  # None is how a rule says zero: accepted
    zero.defvjp(lambda x: (sg.sin(x) * 0, None), lambda _, g: (None,))
    assert sg.jvp(zero, (x0,), (np.ones(2),))[1].tolist() == [0.0, 0.0]


def test_checkpoint_closure_that_an_argument_depends_on():
    # found by the random programs: the recomputation differentiated with respect to the
    # arguments themselves, so a closed-over tensor reached through an argument's history was
    # counted twice (or its graph freed). d/dw [(3 w) w] = 6 w.
    w0 = np.array([2.0, -0.5])
    w = sg.tensor(w0, requires_grad=True)
    sg.sum(sg.checkpoint(lambda h: h * w, w * 3.0)).backward()
    assert_close(w.grad.numpy(), 6 * w0)
    f = lambda w: sg.sum(sg.checkpoint(lambda h: sg.sin(h * w), w * 3.0))  # noqa: E731
    want = central_gradient(lambda v: np.sum(np.sin(3 * v[0] ** 2)), [w0])[0]
    assert_close(sg.grad(f)(w0).numpy(), want)
    # differentiated again (create_graph, forward over reverse, the double-VJP of linearize)
    x = sg.tensor(w0, requires_grad=True)
    (g,) = sg.autograd.grad(sg.sum(sg.checkpoint(lambda h: sg.sin(h * x), x * 3.0)), [x], create_graph=True)
    assert_close(g.numpy(), want)
    grad_f = lambda v: sg.grad(f)(v).numpy()  # noqa: E731
    fd = np.array([(grad_f(w0 + 1e-6 * e) - grad_f(w0 - 1e-6 * e)) / 2e-6 for e in np.eye(2)])
    assert_close(sg.hessian(f)(w0).numpy(), fd)
    assert_close(sg.jacrev(sg.grad(f))(w0).numpy(), fd)
    assert_close(sg.linearize(f, w0)[1](np.array([1.0, 0.0])).item(), want[0])
    assert_close(sg.jvp(f, (w0,), (np.array([1.0, 0.0]),))[1].item(), want[0])


def test_closed_over_tensors_carrying_a_tangent_raise_in_custom_rules():
    w = np.array([1.0, 2.0])

    def h(a, kind):
        scale = sg.exp(a) * w  # closed over below, carries the tangent of a
        if kind == "vjp":
            f = sg.custom_vjp(lambda x: x * scale)
            f.defvjp(lambda x: (x * scale, None), lambda _, g: (g * scale,))
        else:
            f = sg.custom_jvp(lambda x: x * scale)
            f.defjvp(lambda p, t: (p[0] * scale, t[0] * scale))
        return sg.sum(f(sg.ones(2)))

    for kind in ("vjp", "jvp"):
        with pytest.raises(TypeError, match="carries a forward-mode tangent"):
            sg.jvp(lambda a, kind=kind: h(a, kind), (0.0,), (1.0,))
        with pytest.raises(TypeError, match="carries a forward-mode tangent"):
            sg.jacfwd(lambda a, kind=kind: h(a, kind))(0.0)


def test_checkpoint_returns_a_pytree():
    w0, x0 = RNG.standard_normal((3, 3)), RNG.standard_normal(3)

    def seg(x, w):
        h = sg.tanh(w @ x)
        return {"h": h, "stats": (sg.sum(h * h), sg.argmax(h)), "f32": sg.astype(h, sg.float32)}

    def loss(w, x, ck, f32=False):
        out = sg.checkpoint(seg, x, w) if ck else seg(x, w)
        assert out["stats"][1].dtype == np.int64 and out["f32"].dtype == np.float32
        total = sg.sum(out["h"] * x) + out["stats"][0] * 2
        return total + sg.sum(sg.astype(out["f32"], sg.float64) ** 2) if f32 else total

    fd = central_gradient(lambda v: np.sum(np.tanh(v[0] @ x0) * x0) + 2 * np.sum(np.tanh(v[0] @ x0) ** 2), [w0])[0]
    assert_close(sg.grad(lambda w: loss(w, x0, True))(w0).numpy(), fd)
    t = RNG.standard_normal((3, 3))
    _, tangent = sg.jvp(lambda w: loss(w, x0, True), (w0,), (t,))
    assert_close(tangent.item(), np.sum(fd * t))
    grad_x = lambda x: sg.grad(lambda v: loss(w0, v, False))(x).numpy()  # noqa: E731
    fd_hessian = np.array([(grad_x(x0 + 1e-6 * e) - grad_x(x0 - 1e-6 * e)) / 2e-6 for e in np.eye(3)])
    assert_close(sg.hessian(lambda x: loss(w0, x, True))(x0).numpy(), fd_hessian)
    # a float32 output shares the node (cast to the common dtype and back): same gradient as without checkpoint
    np.testing.assert_allclose(sg.grad(lambda w: loss(w, x0, True, True))(w0).numpy(),
                               sg.grad(lambda w: loss(w, x0, False, True))(w0).numpy(), rtol=1e-12, atol=1e-14)


def test_copying_a_tensor_that_requires_grad_warns():
    with pytest.warns(UserWarning, match="without its history"):
        sg.grad(lambda x: sg.sum(sg.tensor(x) * x))(np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sg.tensor(sg.ones(2))  # no history to lose: silent
        sg.tensor(sg.tensor([1.0], requires_grad=True).detach())


def test_custom_rules_with_pytree_outputs():
    x0, y0 = RNG.standard_normal((2, 3))
    want = central_gradient(lambda v: np.sum(np.sin(v[0]) * v[1] * 2) + np.sum(np.cos(v[1]) ** 2), [x0, y0])

    @sg.custom_vjp
    def f(x, y):
        return sg.sin(x) * y, {"c": sg.cos(y), "n": sg.argmax(y)}

    def f_fwd(x, y):
        return f(x, y), (x, y)

    def f_bwd(res, g):
        (x, y), (ga, gd) = res, g
        assert gd["n"] is None  # the integer output has no cotangent
        return ga * sg.cos(x) * y, ga * sg.sin(x) - gd["c"] * sg.sin(y)

    f.defvjp(f_fwd, f_bwd)

    @sg.custom_jvp
    def j(x, y):
        return sg.sin(x) * y, {"c": sg.cos(y), "n": sg.argmax(y)}

    @j.defjvp
    def j_rule(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return j(x, y), (sg.cos(x) * y * tx + sg.sin(x) * ty, {"c": -sg.sin(y) * ty, "n": None})

    class F(sg.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return sg.sin(x) * y, {"c": sg.cos(y), "n": sg.argmax(y)}

        @staticmethod
        def backward(ctx, ga, gc, gn):
            x, y = ctx.saved_tensors
            assert gn is None
            return ga * sg.cos(x) * y, ga * sg.sin(x) - gc * sg.sin(y)

    for rule in (f, j, F.apply):
        def loss(x, y, rule=rule):
            a, d = rule(x, y)
            assert d["n"].dtype == np.int64
            return sg.sum(a * 2) + sg.sum(d["c"] ** 2)

        gx, gy = sg.grad(loss, argnums=(0, 1))(x0, y0)
        assert_close(gx.numpy(), want[0])
        assert_close(gy.numpy(), want[1])
        _, t = sg.jvp(loss, (x0, y0), (np.ones(3), np.zeros(3)))
        assert_close(t.item(), want[0].sum())
        x_fixed = sg.asarray(x0)  # a tensor: Function.backward returns a gradient for it
        grad_y = lambda y, x_fixed=x_fixed: sg.grad(loss, argnums=1)(x_fixed, y).numpy()  # noqa: E731
        fd = np.array([(grad_y(y0 + 1e-6 * e) - grad_y(y0 - 1e-6 * e)) / 2e-6 for e in np.eye(3)])
        assert_close(sg.hessian(loss, argnums=1)(x_fixed, y0).numpy(), fd)
    with pytest.raises(TypeError, match="pytree of tensors"):
        bad = sg.custom_vjp(lambda x: (x, "label"))
        bad.defvjp(lambda x: ((x, "label"), None), lambda _, g: (g[0],))
        bad(sg.ones(2))
