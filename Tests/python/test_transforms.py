"""The transforms: conventions (JAX shapes, argnums, has_aux, containers), nesting to any order,
perturbation confusion, and the issue's worked examples."""
import math

import numpy as np
import pytest

import swiftgrad as sg


def course_notes_f(x1, x2):
    return sg.log(x1) + x1 * x2 - sg.sin(x2)


# --- Worked examples ------------------------------------------------------------------------


def test_course_notes_forward_trace():
    y, dy = sg.jvp(course_notes_f, (2.0, 5.0), (1.0, 0.0))
    assert abs(y.item() - (math.log(2) + 10 - math.sin(5))) < 1e-12
    assert dy.item() == 5.5
    _, dy2 = sg.jvp(course_notes_f, (2.0, 5.0), (0.0, 1.0))
    assert abs(dy2.item() - (2 - math.cos(5))) < 1e-12


@pytest.mark.parametrize("x", [2.0, np.float64(2.0), np.array(2.0), sg.tensor(2.0)])
def test_nested_grad_of_x4(x):
    f = lambda x: x**4  # noqa: E731
    derivatives, g = [], f
    for _ in range(4):
        g = sg.grad(g)
        derivatives.append(g(x).item())
    assert derivatives == [32.0, 48.0, 48.0, 24.0]


def test_fourth_derivative_through_every_mix_of_modes():
    f = lambda x: x**4  # noqa: E731

    def d_fwd(g):
        return lambda x: sg.jvp(g, (x,), (1.0,))[1]

    for modes in ["rrrr", "ffff", "frfr", "rfrf", "ffrr", "rrff"]:
        g = f
        for m in modes:
            g = sg.grad(g) if m == "r" else d_fwd(g)
        assert g(2.0).item() == 24.0, modes


def test_hessian_of_200_dim_function_matches_jacrev_jacrev():
    rng = np.random.default_rng(0)
    n = 200
    B = rng.standard_normal((n, n)) / np.sqrt(n)
    f = lambda x: sg.sum(sg.tanh(B @ x) ** 2) + sg.sum(x**3)  # noqa: E731
    x = rng.standard_normal(n)
    H = sg.hessian(f)(x)
    assert H.shape == (n, n)
    sg.testing.assert_allclose(H, sg.jacrev(sg.jacrev(f))(x).numpy(), rtol=1e-12, atol=1e-12)
    sg.testing.assert_allclose(H, H.numpy().T, atol=1e-12)


def test_hvp_of_quadratic_is_AtA_v():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 5))
    b = rng.standard_normal(5)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    f = lambda x: 0.5 * sg.sum((A @ x) ** 2) + sg.sum(b * x)  # noqa: E731
    value, hv = sg.hvp(f, (x,), (v,))
    sg.testing.assert_allclose(hv, A.T @ A @ v, rtol=1e-12)
    np.testing.assert_allclose(value.item(), 0.5 * np.sum((A @ x) ** 2) + b @ x, rtol=1e-12)


@pytest.mark.parametrize("x", [-3.0, 0.0, 0.5, 7.0])
def test_no_perturbation_confusion(x):
    """d/dx [x * d/dy (x + y)] = 1 in every combination of modes."""

    def inner_r(x):
        return sg.grad(lambda y: x + y)(1.0)

    def inner_f(x):
        return sg.jvp(lambda y: x + y, (1.0,), (1.0,))[1]

    for inner in (inner_r, inner_f):
        g = lambda x, inner=inner: x * inner(x)  # noqa: E731
        assert sg.grad(g)(x).item() == 1.0
        assert sg.jvp(g, (x,), (1.0,))[1].item() == 1.0


# --- grad / value_and_grad ----------------------------------------------------------------------


def test_grad_argnums_and_has_aux():
    f = lambda a, b: (sg.sum(a * b), {"double": 2 * sg.asarray(a)})  # noqa: E731
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    g, aux = sg.grad(f, argnums=1, has_aux=True)(a, b)
    sg.testing.assert_allclose(g, a)
    sg.testing.assert_allclose(aux["double"], 2 * a)
    (value, aux), (ga, gb) = sg.value_and_grad(f, argnums=(0, 1), has_aux=True)(a, b)
    assert value.item() == 11.0
    sg.testing.assert_allclose(ga, b)
    sg.testing.assert_allclose(gb, a)
    gb_neg = sg.grad(lambda a, b: sg.sum(a * b), argnums=-1)(a, b)
    sg.testing.assert_allclose(gb_neg, a)


def test_grad_of_containers():
    params = {"w": np.array([1.0, -2.0]), "b": [np.array(0.5), 3.0]}

    def loss(p, x):
        return sg.sum(p["w"] * x) + p["b"][0] * p["b"][1]

    g = sg.grad(loss)(params, np.array([4.0, 5.0]))
    assert set(g) == {"w", "b"} and isinstance(g["b"], list)
    sg.testing.assert_allclose(g["w"], [4.0, 5.0])
    assert g["b"][0].item() == 3.0 and g["b"][1].item() == 0.5


def test_grad_inputs_may_require_grad_or_not():
    f = lambda x: sg.sum(x**3)  # noqa: E731
    data = np.array([1.0, 2.0])
    expected = 3 * data**2
    for x in (data, sg.tensor(data), sg.tensor(data, requires_grad=True)):
        sg.testing.assert_allclose(sg.grad(f)(x), expected)
    # A gradient taken at a tensor that requires grad is itself differentiable.
    x = sg.tensor(data, requires_grad=True)
    sg.sum(sg.grad(f)(x)).backward()
    sg.testing.assert_allclose(x.grad, 6 * data)
    assert not sg.grad(f)(data).requires_grad  # nothing outside to differentiate it


def test_grad_through_closure_over_outer_variable():
    """d/dw [d/dx (x^2 w^3)] at x=2, w=3 = 2x * 3w^2 = 108: the inner grad must be recorded."""
    outer = lambda w: sg.grad(lambda x: x**2 * w**3)(2.0)  # noqa: E731
    assert sg.grad(outer)(3.0).item() == 108.0


def test_grad_float32_gives_float32():
    g = sg.grad(lambda x: sg.sum(x * x))(np.ones(3, np.float32))
    assert g.dtype == np.float32


def test_grad_unused_input_is_zero_and_constant_output():
    g = sg.grad(lambda a, b: sg.sum(a), argnums=(0, 1))(np.ones(2), np.ones(3))
    sg.testing.assert_allclose(g[1], np.zeros(3))
    assert sg.grad(lambda x: sg.tensor(1.0))(np.ones(2)).numpy().tolist() == [0.0, 0.0]


def test_grad_errors():
    with pytest.raises(TypeError, match="scalar"):
        sg.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match="floating-point"):
        sg.grad(lambda x: x * 2)(3)
    with pytest.raises(ValueError, match="argnums"):
        sg.grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(TypeError, match="pair"):
        sg.grad(lambda x: x, has_aux=True)(1.0)


def test_grad_works_inside_no_grad():
    with sg.no_grad():
        assert sg.grad(lambda x: x**2)(3.0).item() == 6.0


# --- vjp / jvp / linearize ------------------------------------------------------------------


def test_vjp_returns_tuple_and_is_reusable():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out, vjp_fn = sg.vjp(lambda x: sg.tanh(A @ x), np.array([0.1, -0.2]))
    for _ in range(2):
        v = np.array([1.0, -1.0, 2.0])
        (ct,) = vjp_fn(v)
        sg.testing.assert_allclose(ct, A.T @ (v * (1 - out.numpy() ** 2)), rtol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        vjp_fn(np.ones(2))


def test_vjp_several_primals_and_container_output():
    out, vjp_fn = sg.vjp(lambda a, b: {"p": a * b, "s": a + b}, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    ga, gb = vjp_fn({"p": np.ones(2), "s": np.array([1.0, 0.0])})
    sg.testing.assert_allclose(ga, [4.0, 4.0])
    sg.testing.assert_allclose(gb, [2.0, 2.0])


def test_jvp_containers_and_integer_outputs():
    def f(p):
        return {"y": p["a"] * p["b"], "n": sg.sum(p["a"] > 0), "k": [2 * p["a"]]}

    primals = ({"a": np.array([1.0, -2.0]), "b": np.array([3.0, 4.0])},)
    tangents = ({"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])},)
    out, t = sg.jvp(f, primals, tangents)
    sg.testing.assert_allclose(t["y"], [3.0, -2.0])
    assert t["n"].item() == 0 and out["n"].item() == 1
    sg.testing.assert_allclose(t["k"][0], [2.0, 0.0])


def test_jvp_errors():
    with pytest.raises(ValueError, match="tangent shape"):
        sg.jvp(sg.exp, (np.ones(3),), (np.ones(2),))
    with pytest.raises(ValueError, match="primals"):
        sg.jvp(sg.exp, (np.ones(3),), ())
    with pytest.raises(TypeError, match="tuples"):
        sg.jvp(sg.exp, np.ones(3), np.ones(3))


def test_jvp_of_grad_and_grad_of_jvp_agree():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 3))
    f = lambda x: sg.sum(sg.sin(A @ x) ** 2)  # noqa: E731
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    _, hv = sg.jvp(sg.grad(f), (x,), (v,))
    grad_of_jvp = sg.grad(lambda x: sg.jvp(f, (x,), (v,))[1])(x)
    sg.testing.assert_allclose(hv, grad_of_jvp.numpy(), rtol=1e-12, atol=1e-12)
    sg.testing.assert_allclose(hv, sg.hessian(f)(x).numpy() @ v, rtol=1e-12, atol=1e-12)


def test_linearize_matches_jvp_without_reevaluating():
    calls = []
    A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])

    def f(x):
        calls.append(1)
        return sg.sin(A @ x) * x[0]

    x = np.array([0.3, -0.7])
    out, f_jvp = sg.linearize(f, x)
    assert len(calls) == 1
    for t in (np.array([1.0, 0.0]), np.array([0.2, -1.5])):
        expected = sg.jvp(f, (x,), (t,))[1]
        sg.testing.assert_allclose(f_jvp(t), expected.numpy(), rtol=1e-12, atol=1e-14)
    assert len(calls) == 3  # only the two reference jvp calls above


# --- Jacobians and Hessians ---------------------------------------------------------------------


def test_jacobian_shapes_follow_jax():
    rng = np.random.default_rng(4)
    W = rng.standard_normal((2, 3, 4))
    f = lambda x: sg.tanh(sg.sum(W * x, axis=-1))  # noqa: E731  (4,) -> (2, 3)
    x = rng.standard_normal(4)
    for jac in (sg.jacfwd, sg.jacrev, sg.jacobian):
        J = jac(f)(x)
        assert J.shape == (2, 3, 4)
        t = np.tanh((W * x).sum(-1))
        sg.testing.assert_allclose(J, (1 - t**2)[..., None] * W, rtol=1e-12)
    H = sg.hessian(lambda X: sg.sum(X**3))(np.ones((2, 2)))
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.numpy().reshape(4, 4), 6 * np.eye(4))


def test_jacobian_tuple_argnums_and_containers():
    f = lambda a, b: {"s": a * b[0], "t": sg.sum(b[1])}  # noqa: E731
    a, b = np.array([1.0, 2.0]), [np.array([3.0, 4.0]), np.ones(3)]
    for jac in (sg.jacfwd, sg.jacrev, sg.jacobian):
        J = jac(f, argnums=(0, 1))(a, b)
        Ja, (Jb0, Jb1) = J["s"]
        sg.testing.assert_allclose(Ja, np.diag([3.0, 4.0]))
        sg.testing.assert_allclose(Jb0, np.diag([1.0, 2.0]))
        assert Jb1.shape == (2, 3) and not Jb1.numpy().any()
        assert J["t"][1][1].shape == (3,)


def test_jacobian_picks_the_cheaper_mode():
    calls = []

    def wide(x):  # R^2 -> R^5: forward (one batched JVP of 2 basis vectors) after one evaluation
        calls.append(1)
        return sg.concatenate([x, x, x[:1]])

    sg.jacobian(wide)(np.ones(2))
    assert len(calls) == 1 + 1
    calls.clear()
    sg.jacobian(lambda x: (calls.append(1), sg.sum(x**2) * sg.ones(2))[1])(np.ones(5))
    assert len(calls) == 1  # reverse: one evaluation, two VJPs


def test_jacfwd_of_jacrev_equals_jacrev_of_jacfwd():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((3, 3))
    f = lambda x: sg.exp(A @ x) * x  # noqa: E731  R^3 -> R^3, Jacobian of Jacobian (3, 3, 3)
    x = rng.standard_normal(3)
    a = sg.jacfwd(sg.jacrev(f))(x).numpy()
    np.testing.assert_allclose(a, sg.jacrev(sg.jacfwd(f))(x).numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a, sg.jacfwd(sg.jacfwd(f))(x).numpy(), rtol=1e-12, atol=1e-12)


def test_hvp_several_primals():
    f = lambda a, b: sg.sum(a**2 * b)  # noqa: E731
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    value, (ha, hb) = sg.hvp(f, (a, b), (np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    # H = [[2 diag(b), 2 diag(a)], [2 diag(a), 0]]
    sg.testing.assert_allclose(ha, [6.0, 4.0])
    sg.testing.assert_allclose(hb, [2.0, 0.0])
    assert value.item() == 19.0


def test_tangent_that_depends_on_an_outer_variable():
    """d/dx [jvp(y -> sin(x y), (x,), (x^2,))] = d/dx [x^3 cos(x^2)], by both outer modes."""
    g = lambda x: sg.jvp(lambda y: sg.sin(y * x), (x,), (x * x,))[1]  # noqa: E731
    x = 0.7
    expected = 3 * x**2 * math.cos(x**2) - 2 * x**4 * math.sin(x**2)
    assert abs(sg.jvp(g, (x,), (1.0,))[1].item() - expected) < 1e-12
    assert abs(sg.grad(g)(x).item() - expected) < 1e-12


def test_deeply_nested_jvp_matches_nested_grad_and_stays_cheap():
    f = lambda x: sg.exp(sg.sin(x)) * x / (1 + x * x)  # noqa: E731
    fwd, rev = f, f
    for _ in range(5):
        fwd = (lambda g: lambda x: sg.jvp(g, (x,), (1.0,))[1])(fwd)
        rev = sg.grad(rev)
    a, b = fwd(0.7).item(), rev(0.7).item()
    assert abs(a - b) <= 1e-12 * abs(b)


def test_has_aux_for_jvp_jacobians_and_vjp():
    f = lambda x: (sg.sin(x), {"cos": sg.cos(x), "note": None})  # noqa: E731
    x = np.array([0.1, 0.2])
    out, t, aux = sg.jvp(f, (x,), (np.ones(2),), has_aux=True)
    sg.testing.assert_allclose(t, np.cos(x))
    assert aux["note"] is None
    sg.testing.assert_allclose(aux["cos"], np.cos(x))
    for jac in (sg.jacfwd, sg.jacrev, sg.jacobian):
        J, aux = jac(f, has_aux=True)(x)
        sg.testing.assert_allclose(J, np.diag(np.cos(x)))
        sg.testing.assert_allclose(aux["cos"], np.cos(x))
    out, vjp_fn, aux = sg.vjp(f, x, has_aux=True)
    np.testing.assert_allclose(vjp_fn(np.ones(2))[0].numpy(), np.cos(x))


def test_transforms_on_several_threads():
    import threading

    results, errors = {}, []

    def work(k):
        try:
            for _ in range(20):
                x = float(k + 1)
                d3 = sg.jvp(sg.grad(lambda y: sg.jvp(lambda z: z**4, (y,), (1.0,))[1]), (x,), (1.0,))[1]
                assert d3.item() == 24 * x, (k, d3.item())
            results[k] = True
        except Exception as e:  # reported below: a failed thread must fail the test
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
