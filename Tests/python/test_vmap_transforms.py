"""vmap composed with the other transforms, pytrees, in_axes/out_axes, randomness, custom rules,
checkpointing, compiled functions, in-place writes and errors. References are per-example loops."""
import numpy as np
import pytest

import swiftgrad as sg

RNG = np.random.default_rng(0)
XS = RNG.normal(size=(5, 3))
W = RNG.normal(size=(3, 4))
B = RNG.normal(size=(4,))


def mlp_loss(params, x, y):
    h = sg.tanh(x @ params["w"] + params["b"])
    return sg.sum((h - y) ** 2)


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def test_per_sample_gradients_of_a_pytree_of_parameters():
    params = {"w": sg.tensor(W), "b": sg.tensor(B)}
    ys = RNG.normal(size=(5, 4))
    per_sample = sg.vmap(sg.grad(mlp_loss), in_axes=(None, 0, 0))(params, XS, ys)
    assert set(per_sample) == {"w", "b"} and per_sample["w"].shape == (5, 3, 4)
    for i in range(5):
        g = sg.grad(mlp_loss)(params, XS[i], ys[i])
        close(per_sample["w"][i], g["w"])
        close(per_sample["b"][i], g["b"])


def test_grad_of_a_sum_over_vmap_equals_the_full_batch_gradient():
    ys = RNG.normal(size=(5, 4))
    through_vmap = sg.grad(lambda p: sg.sum(sg.vmap(mlp_loss, (None, 0, 0))(p, XS, ys)))
    full = sg.grad(lambda p: mlp_loss(p, XS, ys))
    params = {"w": sg.tensor(W), "b": sg.tensor(B)}
    for k in params:
        close(through_vmap(params)[k], full(params)[k])


def test_grad_through_vmap_of_grad_differentiates_per_sample_gradients():
    # d/dw sum_i |grad_x f(w, x_i)|^2, against the same through a Python loop.
    def f(w, x):
        return sg.sum(sg.sin(x @ w))

    def norms_vmap(w):
        gx = sg.vmap(sg.grad(f, argnums=1), (None, 0))(w, XS)
        return sg.sum(gx ** 2)

    def norms_loop(w):
        return sg.sum(sg.stack([sg.sum(sg.grad(f, argnums=1)(w, x) ** 2) for x in XS]))

    close(sg.grad(norms_vmap)(sg.tensor(W)), sg.grad(norms_loop)(sg.tensor(W)))


def test_grad_through_vmap_of_grad_with_respect_to_the_mapped_input():
    f = lambda x: sg.sum(sg.sin(x) * x)
    through_vmap = sg.grad(lambda xs: sg.sum(sg.vmap(sg.grad(f))(xs) ** 2))(XS)
    through_loop = sg.grad(lambda xs: sg.sum(sg.stack([sg.grad(f)(x) for x in xs]) ** 2))(XS)
    assert np.abs(np.asarray(through_loop)).max() > 0.1
    close(through_vmap, through_loop)
    # and forward over it: jvp of the per-sample gradients
    t = np.ones_like(XS)
    close(sg.jvp(sg.vmap(sg.grad(f)), (XS,), (t,))[1],
          np.stack([np.asarray(sg.hvp(f, (x,), (np.ones(3),))[1]) for x in XS]))


def test_vmap_of_forward_over_reverse_with_mapped_primals():
    # The jvp level is inside the vmap level: the reverse sweep must read the tangents.
    fs = [lambda x: sg.sum(x * x * x), lambda x: sg.sum(sg.exp(x) * x) * sg.sum(sg.sin(x @ W))]
    v = np.ones(3)
    for f in fs:
        hv = sg.vmap(lambda x, f=f: sg.jvp(sg.grad(f), (x,), (v,))[1])(XS)
        close(hv, np.stack([np.asarray(sg.hvp(f, (x,), (v,))[1]) for x in XS]))
        close(sg.vmap(sg.hessian(f))(XS), np.stack([np.asarray(sg.hessian(f)(x)) for x in XS]))
        close(sg.vmap(sg.jacfwd(sg.grad(f)))(XS), np.stack([np.asarray(sg.hessian(f)(x)) for x in XS]))


def test_vmap_of_hvp_and_hessian_rows():
    f = lambda x: sg.sum(sg.tanh(x @ W) ** 2)
    x = XS[0]
    rows = sg.vmap(lambda v: sg.hvp(f, (x,), (v,))[1])(np.eye(3))
    close(rows, sg.hessian(f)(x))
    hess = sg.vmap(sg.jacrev(sg.grad(f)))(XS)
    for i in range(5):
        close(hess[i], sg.hessian(f)(XS[i]))


def test_jacfwd_and_jacrev_of_vmap_are_block_diagonal():
    f = lambda x: sg.sin(x) * sg.sum(x)
    batched = sg.vmap(f)
    for jac in (sg.jacfwd(batched), sg.jacrev(batched)):
        j = np.asarray(jac(XS))
        assert j.shape == (5, 3, 5, 3)
        for a in range(5):
            for b in range(5):
                expected = np.asarray(sg.jacfwd(f)(XS[a])) if a == b else np.zeros((3, 3))
                close(j[a, :, b, :], expected)


def test_nested_vmap_with_mixed_axes():
    xs = RNG.normal(size=(2, 4, 3))
    ws = RNG.normal(size=(3, 2))  # mapped over its last axis by the outer vmap
    f = lambda x, w: sg.tanh(x @ w)
    out = sg.vmap(sg.vmap(f, in_axes=(0, None)), in_axes=(0, -1))(xs, ws)
    assert out.shape == (2, 4)
    for a in range(2):
        for b in range(4):
            close(out[a, b], f(xs[a, b], ws[:, a]))
    inner_out1 = sg.vmap(sg.vmap(lambda x: x * 2.0, out_axes=1), in_axes=1, out_axes=0)(xs)
    assert inner_out1.shape == (4, 3, 2)
    close(inner_out1, np.transpose(xs, (1, 2, 0)) * 2.0)


def test_vmap_of_vmap_of_grad():
    xs = RNG.normal(size=(2, 3, 3))
    f = lambda x: sg.sum(sg.exp(x) * x)
    out = sg.vmap(sg.vmap(sg.grad(f)))(xs)
    close(out, np.exp(xs) * (1 + xs))


def test_pytree_inputs_outputs_and_out_axes():
    def f(pair, scale):
        a, b = pair
        return {"sum": a + b["v"] * scale, "first": a[0]}

    a = RNG.normal(size=(3, 5))
    bv = RNG.normal(size=(5, 3))
    out = sg.vmap(f, in_axes=((1, {"v": 0}), None), out_axes={"sum": -1, "first": 0})((a, {"v": bv}), 2.0)
    assert out["sum"].shape == (3, 5) and out["first"].shape == (5,)
    close(out["sum"], a + bv.T * 2.0)
    close(out["first"], a[0])


def test_keyword_arguments_are_not_mapped():
    f = lambda x, *, shift: x + shift
    close(sg.vmap(f)(XS, shift=np.ones(3)), XS + 1)


def test_out_axes_none_for_an_unbatched_output_and_broadcast_of_constants():
    out, const = sg.vmap(lambda x: (x * 2, sg.ones(2)), out_axes=(0, None))(XS)
    close(out, XS * 2)
    assert const.shape == (2,)
    # An output that does not depend on the inputs is broadcast along the batch axis.
    close(sg.vmap(lambda x: sg.ones(2))(XS), np.ones((5, 2)))


def test_axis_size_with_nothing_mapped():
    close(sg.vmap(lambda: sg.zeros(2) + 1.0, in_axes=(), axis_size=3)(), np.ones((3, 2)))


def test_chunk_size_gives_the_same_result():
    f = lambda x, w: sg.softmax(x @ w)
    full = sg.vmap(f, (0, None))(XS, W)
    close(sg.vmap(f, (0, None), chunk_size=2)(XS, W), full)
    jac = sg.vmap(sg.jacrev(lambda x: f(x, W)), chunk_size=3)(XS)
    close(jac, sg.vmap(sg.jacrev(lambda x: f(x, W)))(XS))


def test_randomness_modes():
    f = lambda x: x + sg.random.normal(size=(3,))
    with pytest.raises(RuntimeError, match="randomness='error'"):
        sg.vmap(f)(XS)
    zeros = np.zeros((4, 3))
    same = np.asarray(sg.vmap(f, randomness="same")(zeros))
    assert np.all(same == same[0]) and np.any(same[0] != 0)
    different = np.asarray(sg.vmap(f, randomness="different")(zeros))
    assert len({tuple(r) for r in different}) == 4
    nested = np.asarray(sg.vmap(sg.vmap(f, randomness="different"), randomness="different")(np.zeros((2, 3, 3))))
    assert len({tuple(r) for r in nested.reshape(6, 3)}) == 6
    chunked_same = np.asarray(sg.vmap(f, randomness="same", chunk_size=2)(np.zeros((5, 3))))
    assert np.all(chunked_same == chunked_same[0])
    chunked_different = np.asarray(sg.vmap(f, randomness="different", chunk_size=2)(np.zeros((5, 3))))
    assert len({tuple(r) for r in chunked_different}) == 5


def test_dropout_inside_vmap_needs_a_randomness_choice():
    layer = sg.nn.Dropout(0.5)
    layer.train()
    with pytest.raises(RuntimeError, match="randomness"):
        sg.vmap(layer)(np.ones((4, 10)))
    masks = np.asarray(sg.vmap(layer, randomness="different")(np.ones((4, 10))))
    assert masks.shape == (4, 10) and len({tuple(r) for r in masks}) > 1


def _doubling_custom_vjp():
    """sin with a deliberately doubled backward rule, so the tests see which rule ran."""
    @sg.custom_vjp
    def f(x):
        return sg.sin(x)

    f.defvjp(lambda x: (f(x), x), lambda x, g: (2.0 * g * sg.cos(x),))
    return f


def test_custom_vjp_under_vmap_uses_its_rule():
    f = _doubling_custom_vjp()
    close(sg.vmap(f)(XS), np.sin(XS))
    per_sample = sg.vmap(sg.grad(lambda x: sg.sum(f(x))))(XS)
    close(per_sample, 2 * np.cos(XS))
    through = sg.grad(lambda xs: sg.sum(sg.vmap(f)(xs)))(XS)
    close(through, 2 * np.cos(XS))
    # forward mode transposes the rule, also under vmap
    _, t = sg.jvp(sg.vmap(f), (XS,), (np.ones_like(XS),))
    close(t, 2 * np.cos(XS))


def test_custom_jvp_and_function_under_vmap():
    @sg.custom_jvp
    def g(x):
        return sg.exp(x)

    g.defjvp(lambda primals, tangents: (g(primals[0]), 3.0 * tangents[0] * sg.exp(primals[0])))
    close(sg.vmap(sg.grad(lambda x: sg.sum(g(x))))(XS), 3 * np.exp(XS))

    class Cube(sg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    close(sg.vmap(Cube.apply)(XS), XS ** 3)
    close(sg.vmap(sg.grad(lambda x: sg.sum(Cube.apply(x))))(XS), 3 * XS ** 2)
    close(sg.grad(lambda xs: sg.sum(sg.vmap(Cube.apply)(xs)))(XS), 3 * XS ** 2)


def test_checkpoint_under_vmap():
    f = lambda x: sg.sum(sg.checkpoint(lambda z: sg.tanh(z @ W), x))
    close(sg.vmap(sg.grad(f))(XS), np.stack([np.asarray(sg.grad(f)(x)) for x in XS]))
    close(sg.grad(lambda xs: sg.sum(sg.vmap(f)(xs)))(XS), np.stack([np.asarray(sg.grad(f)(x)) for x in XS]))


def test_compile_of_vmap_of_grad_and_vmap_of_a_compiled_function():
    f = lambda w, x: sg.sum(sg.tanh(x @ w))
    per_sample = sg.vmap(sg.grad(f), (None, 0))
    compiled = sg.compile(per_sample)
    expected = np.asarray(per_sample(sg.tensor(W), XS))
    close(compiled(sg.tensor(W), XS), expected)
    close(compiled(sg.tensor(W), XS * 0.5), np.asarray(per_sample(sg.tensor(W), XS * 0.5)))
    compiled_f = sg.compile(lambda x: sg.tanh(x @ W))
    close(sg.vmap(compiled_f)(XS), np.tanh(XS @ W))


def test_in_place_writes():
    def write(x):
        y = x * 1.0
        y[0] = 5.0
        y += x
        return y

    close(sg.vmap(write)(XS), np.concatenate([5 + XS[:, :1], 2 * XS[:, 1:]], axis=1))
    close(sg.vmap(sg.grad(lambda x: sg.sum(write(x) ** 2)))(XS),
          np.stack([np.asarray(sg.grad(lambda x: sg.sum(write(x) ** 2))(x)) for x in XS]))

    def multiply_in_place(x):
        y = x * 1.0
        y *= x  # the product's rule reads y's old values: they must survive the write
        return sg.sum(y)

    close(sg.vmap(sg.grad(multiply_in_place))(XS), 2 * XS)
    close(sg.grad(lambda xs: sg.sum(sg.vmap(multiply_in_place)(xs)))(XS), 2 * XS)

    def write_into_shared(x):
        y = sg.zeros(3)
        y[:] = x
        return y

    with pytest.raises(ValueError, match="batched value into an unbatched tensor"):
        sg.vmap(write_into_shared)(XS)


def test_reading_values_inside_vmap_raises():
    with pytest.raises(RuntimeError, match="vmap"):
        sg.vmap(lambda x: x * float(sg.sum(x)))(XS)
    with pytest.raises(RuntimeError, match="vmap"):
        sg.vmap(lambda x: x.numpy())(XS)


def test_batched_tensor_repr_names_the_level():
    seen = []
    sg.vmap(lambda x: seen.append(repr(x)) or x)(XS)
    assert seen[0].startswith("BatchedTensor(shape=(3,)")


@pytest.mark.parametrize("in_axes, args, message", [
    (0, (XS, RNG.normal(size=(4, 3))), "inconsistent sizes"),
    ((0,), (XS, XS), "in_axes has 1 entries"),
    (2, (XS,), "out of range"),
    (-3, (XS,), "out of range"),
    (((0, 0),), ((XS, XS, XS),), "pytree prefix"),
    ((None, None), (XS, XS), "at least one argument must be mapped"),
    ("a", (XS,), "in_axes must be"),
    ((0.5,), (XS,), "ints or None"),
])
def test_bad_in_axes_raise(in_axes, args, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sg.vmap(lambda *a: a[0], in_axes=in_axes)(*args)


def test_bad_out_axes_and_options_raise():
    with pytest.raises(ValueError, match="out_axes is None"):
        sg.vmap(lambda x: x, out_axes=None)(XS)
    with pytest.raises(ValueError, match="out_axes 3 is out of range"):
        sg.vmap(lambda x: x, out_axes=3)(XS)
    with pytest.raises(ValueError, match="randomness"):
        sg.vmap(lambda x: x, randomness="sometimes")
    with pytest.raises(ValueError, match="chunk_size"):
        sg.vmap(lambda x: x, chunk_size=0)
    with pytest.raises(ValueError, match="axis_size"):
        sg.vmap(lambda x: x, in_axes=(0,), axis_size=4)(XS)


def _loop_jacfwd(f, x):
    """The per-basis-vector loop jacfwd was before it batched: one jvp per input element."""
    cols = [np.asarray(sg.jvp(f, (x,), (np.eye(x.size)[i].reshape(x.shape),))[1]) for i in range(x.size)]
    out_shape = np.shape(cols[0])
    return np.moveaxis(np.stack(cols), 0, -1).reshape(out_shape + x.shape)


def _loop_jacrev(f, x):
    out, pullback = sg.vjp(f, x)
    rows = [np.asarray(pullback(np.eye(out.size)[j].reshape(out.shape))[0]) for j in range(out.size)]
    return np.stack(rows).reshape(out.shape + x.shape)


JACOBIAN_FUNCTIONS = [
    lambda x: sg.tanh(x @ W),  # (5, 3) -> (5, 4)
    lambda x: sg.softmax(x, axis=-1) * sg.sum(x ** 2),
    lambda x: sg.cumprod(sg.sin(x), axis=0)[1:],
    lambda x: sg.linalg.norm(x, axis=1) + x[:, 0] * x[:, 1],
]


@pytest.mark.parametrize("k", range(len(JACOBIAN_FUNCTIONS)))
@pytest.mark.parametrize("chunk_size", [None, 4])
def test_batched_jacobians_equal_the_per_basis_loops(k, chunk_size):
    f = JACOBIAN_FUNCTIONS[k]
    close(sg.jacfwd(f, chunk_size=chunk_size)(XS), _loop_jacfwd(f, XS))
    close(sg.jacrev(f, chunk_size=chunk_size)(XS), _loop_jacrev(f, XS))
    close(sg.jacobian(f, chunk_size=chunk_size)(XS), _loop_jacrev(f, XS))


@pytest.mark.parametrize("chunk_size", [None, 2])
def test_batched_hessian_equals_the_loop(chunk_size):
    f = lambda x: sg.sum(sg.tanh(x @ W) ** 2) + sg.prod(x[:2])
    x = XS[0]
    loop = _loop_jacfwd(sg.grad(f), x)
    close(sg.hessian(f, chunk_size=chunk_size)(x), loop)
    close(sg.hessian(f)(x), sg.jacrev(sg.jacrev(f))(x))


def test_jacobians_of_pytrees_several_outputs_and_aux():
    def f(p, x):
        return {"a": sg.tanh(x @ p["w"]), "b": sg.sum(p["b"] ** 2)}, "aux"

    p = {"w": sg.tensor(W), "b": sg.tensor(B)}
    for jac in (sg.jacfwd, sg.jacrev):
        J, aux = jac(f, has_aux=True)(p, XS[0])
        assert aux == "aux"
        assert J["a"]["w"].shape == (4, 3, 4) and J["a"]["b"].shape == (4, 4)
        assert J["b"]["w"].shape == (3, 4) and J["b"]["b"].shape == (4,)
        close(J["b"]["b"], 2 * B)
        close(J["a"]["b"], np.zeros((4, 4)))
        loop = _loop_jacfwd(lambda w: sg.tanh(XS[0] @ w), sg.tensor(W))
        close(J["a"]["w"], loop)


def test_deep_compositions_in_every_level_order():
    rng = np.random.default_rng(4)
    X, V, v = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=4)
    W4 = rng.normal(size=(4, 4))
    f = lambda x: sg.sum(sg.tanh(x @ W4) * sg.exp(x))
    jv = lambda x, t: sg.jvp(f, (x,), (t,))[1]
    g = lambda x: sg.grad(lambda z: sg.sum(sg.jvp(f, (z,), (v,))[1]))(x)
    close(sg.vmap(g)(X), np.stack([np.asarray(g(x)) for x in X]))                        # vmap(grad(jvp))
    close(sg.jvp(sg.vmap(jv), (X, V), (V, X))[1],
          np.stack([np.asarray(sg.jvp(jv, (x, t), (t, x))[1]) for x, t in zip(X, V)]))   # jvp(vmap(jvp))
    close(sg.grad(lambda X: sg.sum(sg.vmap(jv)(X, V) ** 2))(X),
          sg.grad(lambda X: sg.sum(sg.stack([jv(x, t) for x, t in zip(X, V)]) ** 2))(X))  # grad(vmap(jvp))
    XX, TT = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    k = lambda x, t: sg.jvp(sg.vmap(sg.grad(f)), (x,), (t,))[1]
    close(sg.vmap(k)(XX, TT), np.stack([[np.asarray(sg.jvp(sg.grad(f), (XX[i, j],), (TT[i, j],))[1])
                                          for j in range(3)] for i in range(2)]))   # vmap(jvp(vmap(grad)))
    hv = lambda x, t: sg.jvp(sg.grad(f), (x,), (t,))[1]
    zero = np.zeros_like(X)
    close(sg.jvp(sg.vmap(hv), (X, V), (V, zero))[1],
          np.stack([np.asarray(sg.jvp(hv, (x, t), (t, np.zeros(4)))[1]) for x, t in zip(X, V)]))  # third order
    close(sg.hessian(lambda X: sg.sum(sg.vmap(f)(X)))(X),
          sg.hessian(lambda X: sg.sum(sg.stack([f(x) for x in X])))(X))
    close(sg.vmap(sg.vmap(sg.hessian(f)))(XX),
          np.stack([[np.asarray(sg.hessian(f)(XX[i, j])) for j in range(3)] for i in range(2)]))


def test_batched_indices_into_a_shared_table():
    rng = np.random.default_rng(5)
    table = sg.tensor(rng.normal(size=(6, 3)))
    idx = rng.integers(0, 6, (4, 5))  # 4 examples of 5 indices
    F = sg.nn.functional
    out = sg.vmap(lambda i: F.embedding(i, table))(idx)
    close(out, np.asarray(table)[idx])
    close(sg.vmap(lambda i: sg.take(table, i, axis=0))(idx), np.asarray(table)[idx])
    weights = rng.normal(size=(4, 5, 3))
    g = sg.grad(lambda t: sg.sum(sg.vmap(lambda i: F.embedding(i, t))(idx) * weights))(table)
    expected = np.zeros((6, 3))
    np.add.at(expected, idx.reshape(-1), weights.reshape(-1, 3))
    close(g, expected)
    per_example = sg.vmap(sg.grad(lambda t, i, w: sg.sum(F.embedding(i, t) * w)), (None, 0, 0))(table, idx, weights)
    for b in range(4):
        e = np.zeros((6, 3))
        np.add.at(e, idx[b], weights[b])
        close(per_example[b], e)


def test_vmap_in_several_threads_at_once():
    import threading

    f = lambda w, x: sg.sum(sg.tanh(x @ w))
    expected = np.stack([np.asarray(sg.grad(f)(sg.tensor(W), x)) for x in XS])
    results, errors = [None] * 4, []

    def work(k):
        try:
            for _ in range(20):
                results[k] = np.asarray(sg.vmap(sg.grad(f), (None, 0))(sg.tensor(W), XS))
        except Exception as e:  # reported below: a thread's exception would otherwise be lost
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for r in results:
        close(r, expected)
