"""Taylor mode (`sg.jet`, Note [Jet levels]): over the whole op table, every order up to 5 against
nested `jvp` (float64); general input curves against the line through a composed curve; the rule
scan; composition with grad, vmap and compile; custom functions; an ODE's Taylor coefficients;
the helpers `taylor_derivatives` and `laplacian`; JAX's `jax.experimental.jet` where installed."""
import math
import pathlib
import re

import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL

ORDER = 5
CASES = [c for c in ALL if not c.random]


def _flat(values):
    leaves = sg.tree_util.tree_leaves(values)
    return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in leaves]) if leaves else np.zeros(0)


def _nested_jvps(fn, arrays, directions, order):
    """[d^k/dt^k fn(x + t v) at 0 for k = 1..order], by nesting jvp k times."""
    def derivative(g):
        return lambda *xs: sg.jvp(g, tuple(xs), tuple(directions))[1]

    results, g = [], fn
    for _ in range(order):
        g = derivative(g)
        results.append(_flat(g(*arrays)))
    return results


def _assert_close(actual, expected, what):
    scale = 1 + np.max(np.abs(expected), initial=0)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9 * scale, err_msg=what)


def _line_series(directions, order):
    return tuple([v] + [np.zeros_like(v) for _ in range(order - 1)] for v in directions)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_jet_matches_nested_jvp(case):
    arrays = case.inputs(seed=3)
    rng = np.random.default_rng(5)
    directions = [rng.standard_normal(np.shape(a)) for a in arrays]
    order = ORDER if case.second_order else 1
    out, terms = sg.jet(case.fn, tuple(arrays), _line_series(directions, order))
    np.testing.assert_allclose(_flat(out), _flat(case.fn(*arrays)), rtol=1e-12, atol=1e-12)
    expected = _nested_jvps(case.fn, arrays, directions, order)
    leaves = sg.tree_util.tree_leaves(terms, is_leaf=lambda x: isinstance(x, list))
    for k in range(order):
        _assert_close(_flat([leaf[k] for leaf in leaves]), expected[k], f"{case.name}: term {k + 1}")


@pytest.mark.parametrize("case", [c for c in CASES if c.second_order], ids=repr)
def test_jet_of_a_general_curve(case):
    """Input terms beyond the first: jet of fn along x(t) = x + t v + t^2/2 w + t^3/6 u equals the
    jet, along the line t -> t, of fn composed with that curve (a line jet, checked above)."""
    arrays = case.inputs(seed=4)
    rng = np.random.default_rng(6)
    vs, ws, us = ([rng.standard_normal(np.shape(a)) for a in arrays] for _ in range(3))
    series = tuple([v, w, u] for v, w, u in zip(vs, ws, us))
    _, terms = sg.jet(case.fn, tuple(arrays), series)

    def along(t):
        return case.fn(*[a + t * v + t * t / 2 * w + t * t * t / 6 * u for a, v, w, u in zip(arrays, vs, ws, us)])

    t0 = np.zeros(())
    _, expected = sg.jet(along, (t0,), ([np.ones(()), np.zeros(()), np.zeros(())],))
    got = sg.tree_util.tree_leaves(terms, is_leaf=lambda x: isinstance(x, list))
    want = sg.tree_util.tree_leaves(expected, is_leaf=lambda x: isinstance(x, list))
    for k in range(3):
        _assert_close(_flat([g[k] for g in got]), _flat([w[k] for w in want]), f"{case.name}: term {k + 1}")


# --- Every primitive states a Taylor rule (the scan of test_vmap_rules.py, for `taylor`) -------------
ROOT = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "SwiftGrad"
FAMILIES_WITH_RULES = {"ElementwiseUnary", "ElementwiseBinary", "Selecting", "BinaryPartials", "PiecewiseConstant",
                       "LinearPrimitive"}


def _primitives():
    found = {}
    for path in sorted(ROOT.rglob("*.swift")):
        text = path.read_text()
        for m in re.finditer(r"\bstruct (\w+)\s*:\s*([\w\s,&]+?)\s*\{", text):
            depth, i = 1, m.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            conformances = {c.strip() for c in m.group(2).split(",")}
            if conformances & (FAMILIES_WITH_RULES | {"Primitive"}):
                found[m.group(1)] = (path.name, conformances, text[m.end():i])
    return found


def test_every_differentiable_primitive_has_a_taylor_rule():
    prims = _primitives()
    for name in ["Exp", "Tanh", "Mul", "Div", "MatMul", "Sum", "Inverse", "Cholesky", "CustomFunction", "Where"]:
        assert name in prims
    assert len(prims) >= 65
    missing = sorted(f"{name} ({file})" for name, (file, conformances, body) in prims.items()
                     if not conformances & FAMILIES_WITH_RULES and "func taylor(" not in body
                     and "isDifferentiable: Bool { false }" not in body)
    assert missing == [], f"primitives without a Taylor rule: {missing}"


def test_family_extensions_state_the_taylor_rule():
    text = "\n".join(p.read_text() for p in (ROOT / "Primitives").glob("*.swift"))
    for family in ["ElementwiseUnary", "ElementwiseBinary", "LinearPrimitive"]:
        m = re.search(r"extension " + family + r" \{(.*?)\n\}", text, re.S)
        assert m and "func taylor(" in m.group(1), family


# --- Errors ------------------------------------------------------------------------------------------
def test_custom_jvp_order_one_and_the_missing_rule_error():
    @sg.custom_jvp
    def f(x):
        return sg.sin(x) * 2

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 2 * sg.cos(x) * t

    x, v = np.array([0.3, -1.2]), np.array([1.0, 2.0])
    y, (d1,) = sg.jet(f, (x,), ([v],))
    np.testing.assert_allclose(np.asarray(d1), 2 * np.cos(x) * v, rtol=1e-13)
    with pytest.raises(RuntimeError, match=r"\[jet\].*f.*order 2"):
        sg.jet(f, (x,), ([v, v],))


def test_bad_arguments():
    x = np.ones(3)
    with pytest.raises(ValueError, match="same length"):
        sg.jet(lambda a, b: a * b, (x, x), ([x], [x, x]))
    with pytest.raises(ValueError, match="2 primals but 1 series"):
        sg.jet(lambda a, b: a * b, (x, x), ([x],))
    with pytest.raises(ValueError, match="shape"):
        sg.jet(sg.exp, (x,), ([np.ones(4)],))
    with pytest.raises(TypeError, match="floating-point"):
        sg.jet(lambda a: a * 2, (np.arange(3),), ([np.ones(3)],))
    with pytest.raises(TypeError):
        sg.jet(sg.exp, x, ([x],))


# --- Composition -------------------------------------------------------------------------------------
def _mlp(x):
    w1 = sg.asarray(np.linspace(-1, 1, 12).reshape(3, 4))
    w2 = sg.asarray(np.linspace(0.5, -0.7, 4).reshape(4, 1))
    return sg.sum(sg.tanh(sg.tanh(x @ w1) @ w2))


def test_grad_of_jet():
    v = sg.asarray(np.array([[0.3, -0.2, 0.9]]))

    def third(x):
        return sg.jet(_mlp, (x,), ([v, sg.zeros_like(v), sg.zeros_like(v)],))[1][2]

    x = sg.tensor(np.array([[0.1, 0.4, -0.5]]), requires_grad=True)
    assert sg.gradcheck(third, (x,), eps=1e-6, atol=1e-7, rtol=1e-6)
    assert sg.gradgradcheck(third, (x,), eps=1e-6, atol=1e-6, rtol=1e-5)


def test_jet_of_grad_and_jvp_of_jet():
    x = np.array([[0.1, 0.4, -0.5]])
    v = np.array([[0.3, -0.2, 0.9]])
    g = sg.grad(_mlp)
    _, (t1, t2) = sg.jet(g, (x,), ([v, np.zeros_like(v)],))
    ref1 = sg.jvp(g, (x,), (v,))[1]
    ref2 = sg.jvp(lambda z: sg.jvp(g, (z,), (v,))[1], (x,), (v,))[1]
    _assert_close(_flat(t1), _flat(ref1), "jet of grad, term 1")
    _assert_close(_flat(t2), _flat(ref2), "jet of grad, term 2")
    # jvp of a jet's second term = the third directional derivative.
    _, d3 = sg.jvp(lambda z: sg.jet(_mlp, (z,), ([v, np.zeros_like(v)],))[1][1], (x,), (v,))
    _, (_, _, ref3) = sg.jet(_mlp, (x,), ([v, np.zeros_like(v), np.zeros_like(v)],))
    _assert_close(_flat(d3), _flat(ref3), "jvp of jet")


def test_vmap_of_jet():
    xs = np.random.default_rng(0).standard_normal((5, 1, 3))
    v = np.array([[0.3, -0.2, 0.9]])

    def terms(x):
        _, t = sg.jet(_mlp, (x,), ([v, np.zeros_like(v), np.zeros_like(v)],))
        return sg.stack(t)

    batched = sg.vmap(terms)(xs)
    for i in range(5):
        _assert_close(_flat(batched[i]), _flat(terms(xs[i])), f"example {i}")


def test_compile_of_jet():
    v = np.array([[0.3, -0.2, 0.9]])

    def terms(x):
        _, t = sg.jet(_mlp, (x,), ([v, np.zeros_like(v)],))
        return t[0], t[1]

    x = np.array([[0.1, 0.4, -0.5]])
    compiled = sg.compile(terms)
    for a, b in zip(compiled(x), terms(x)):
        _assert_close(_flat(a), _flat(b), "compiled jet")


# --- An ODE: y' = y^2, y(0) = y0 has y(t) = y0 / (1 - y0 t), so y^(k)(0) = k! y0^(k+1) -----------------
def test_ode_taylor_coefficients_by_repeated_jets():
    y0 = np.array([0.5, -0.3, 1.2])
    terms = []  # y^(1) ... y^(k) known; jet of f along y(t) gives f^(k) = y^(k+1)
    for k in range(8):
        fy, f_terms = sg.jet(sg.square, (y0,), (list(terms),))
        terms.append(np.asarray(fy if k == 0 else f_terms[k - 1]))
    for k, t in enumerate(terms, start=1):
        np.testing.assert_allclose(t, math.factorial(k) * y0 ** (k + 1), rtol=1e-12)


# --- Helpers -----------------------------------------------------------------------------------------
def test_taylor_derivatives():
    x, v = np.array([[0.1, 0.4, -0.5]]), np.array([[0.3, -0.2, 0.9]])
    ds = sg.taylor_derivatives(_mlp, x, v, 4)
    assert len(ds) == 5
    np.testing.assert_allclose(np.asarray(ds[0]), np.asarray(_mlp(x)), rtol=1e-14)
    for k, ref in enumerate(_nested_jvps(_mlp, [x], [v], 4), start=1):
        _assert_close(_flat(ds[k]), ref, f"order {k}")
    with pytest.raises(ValueError, match="order"):
        sg.taylor_derivatives(_mlp, x, v, 0)
    with pytest.raises(ValueError, match="order"):
        sg.taylor_derivatives(_mlp, x, v, 2**62)


def test_laplacian_equals_the_trace_of_the_hessian():
    x = np.array([0.1, 0.4, -0.5, 0.8])

    def f(z):
        return sg.sum(sg.tanh(z) * sg.exp(z[::-1] * 0.3)) + sg.sum(z) ** 3

    trace = np.trace(np.asarray(sg.hessian(f)(x)))
    for collapsed in (True, False):
        np.testing.assert_allclose(float(sg.laplacian(f, x, collapsed=collapsed)), trace, rtol=1e-12)
    # Through matmul, attention-free layers and a grad of it (the collapsed rule is differentiable).
    w = np.linspace(-1, 1, 12).reshape(4, 3)
    g = lambda z: sg.sum(sg.sigmoid(sg.tanh(z @ w) * 2))  # noqa: E731
    np.testing.assert_allclose(float(sg.laplacian(g, x)), np.trace(np.asarray(sg.hessian(g)(x))), rtol=1e-12)
    dlap = sg.grad(lambda z: sg.laplacian(g, z))(x)
    ref = sg.grad(lambda z: sg.sum(sg.diagonal(sg.hessian(g)(z))))(x)
    np.testing.assert_allclose(np.asarray(dlap), np.asarray(ref), rtol=1e-10, atol=1e-12)
    from swiftgrad._jet import _jet

    with pytest.raises(ValueError, match="collapsed"):  # the directions must be batched by vmap
        _jet(f, (x,), ([np.ones(4), np.zeros(4)],), collapse=True)


@pytest.mark.parametrize("op", ["tanh", "sigmoid", "exp", "sin", "cos", "log1p", "softplus"])
def test_collapsed_laplacian_of_each_elementwise_op(op):
    """Ops with the collapsed shortcut (Note [Collapsed Taylor mode]: f' and f''/2 stated) and ops
    without it, on a batched primal too (vmap over the points)."""
    w = np.linspace(-0.8, 0.9, 12).reshape(4, 3)
    fn = getattr(sg, op)

    def f(z):
        return sg.sum(fn(z @ w) * sg.asarray([1.0, -0.5, 2.0])) + sg.sum(fn(z[1:] * 0.5))

    x = np.array([0.1, 0.4, -0.5, 0.8])
    trace = np.trace(np.asarray(sg.hessian(f)(x)))
    for collapsed in (True, False):
        np.testing.assert_allclose(float(sg.laplacian(f, x, collapsed=collapsed)), trace, rtol=1e-11)
    points = np.stack([x, x[::-1] * 0.5])
    got = sg.vmap(lambda p: sg.laplacian(f, p))(points)
    want = [np.trace(np.asarray(sg.hessian(f)(p))) for p in points]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-11)
    dlap = sg.grad(lambda z: sg.laplacian(f, z))(x)
    ref = sg.grad(lambda z: sg.sum(sg.diagonal(sg.hessian(f)(z))))(x)
    np.testing.assert_allclose(np.asarray(dlap), np.asarray(ref), rtol=1e-10, atol=1e-12)


def test_laplacian_of_matrix_and_scalar_inputs():
    w = np.linspace(-0.6, 0.7, 6).reshape(3, 2)

    def f(z):
        return sg.sum(sg.tanh(z @ w) ** 2)

    x = np.array([[0.2, -0.1, 0.4], [0.3, 0.5, -0.7]])
    trace = np.trace(np.asarray(sg.hessian(f)(x)).reshape(6, 6))
    for collapsed in (True, False):
        np.testing.assert_allclose(float(sg.laplacian(f, x, collapsed=collapsed)), trace, rtol=1e-12)
        np.testing.assert_allclose(float(sg.laplacian(sg.sin, np.array(0.3), collapsed=collapsed)), -np.sin(0.3),
                                   rtol=1e-14)
        # Second terms the same for every direction (zero, or from the primal only) and float32.
        assert float(sg.laplacian(lambda z: sg.sum(z @ w), x, collapsed=collapsed)) == 0.0
        quadratic = sg.laplacian(lambda z: sg.sum(z * z), x.astype(np.float32), collapsed=collapsed)
        assert quadratic.dtype == sg.float32 and float(quadratic) == 12.0


# --- JAX --------------------------------------------------------------------------------------------
def test_against_jax_experimental_jet():
    jax = pytest.importorskip("jax", reason="jax is not installed in this interpreter (it is in /work/venv-bench)")
    from jax.experimental.jet import jet as jax_jet

    jax.config.update("jax_enable_x64", True)
    x, v = np.array([0.1, 0.4, -0.5]), np.array([0.3, -0.2, 0.9])
    f_sg = lambda z: sg.sum(sg.tanh(z) * sg.sin(z) / (1 + z * z))  # noqa: E731
    f_jax = lambda z: jax.numpy.sum(jax.numpy.tanh(z) * jax.numpy.sin(z) / (1 + z * z))  # noqa: E731
    series = [v, np.zeros(3), np.zeros(3), np.zeros(3)]
    _, ours = sg.jet(f_sg, (x,), (series,))
    _, theirs = jax_jet(f_jax, (x,), (series,))
    _assert_close(_flat(ours), _flat([np.asarray(t) for t in theirs]), "jax.experimental.jet")
