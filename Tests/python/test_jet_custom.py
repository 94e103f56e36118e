"""`deftaylor`: Taylor rules of Python custom functions for `sg.jet` (docs/CUSTOM_RULES.md).

The rules below are hand recurrences in JAX's scaling (derivative terms): for y = g(x(t)) with
g' = h, y^(k) = sum_{j=1}^{k} C(k-1, j-1) x^(j) h^(k-j) (Faa di Bruno for y' = h(x) x'). Each is
checked against the built-in op's jet at every order up to 5 on a general input curve."""
import math

import numpy as np
import pytest

import swiftgrad as sg

ORDER = 5


def _ode_term(xs, hs, k):
    """y^(k) from y' = h x': the derivative terms xs[1..k] of x and hs[0..k-1] of h."""
    return sum(math.comb(k - 1, j - 1) * xs[j] * hs[k - j] for j in range(1, k + 1))


def _exp_rule(primals, series):
    (x,), (terms,) = primals, series
    ys = [sg.exp(x)]
    xs = [x] + list(terms)
    for k in range(1, len(xs)):
        ys.append(_ode_term(xs, ys, k))
    return ys[0], ys[1:]


def _sin_rule(primals, series):
    (x,), (terms,) = primals, series
    s, c = [sg.sin(x)], [sg.cos(x)]
    xs = [x] + list(terms)
    for k in range(1, len(xs)):
        s_k, c_k = _ode_term(xs, c, k), -_ode_term(xs, s, k)
        s.append(s_k)
        c.append(c_k)
    return s[0], s[1:]


def _custom(name, fun, deriv, rule, kind="jvp"):
    if kind == "jvp":
        f = sg.custom_jvp(fun)

        @f.defjvp
        def _(primals, tangents):
            return f(primals[0]), deriv(primals[0]) * tangents[0]
    else:
        f = sg.custom_vjp(fun)
        f.defvjp(lambda x: (fun(x), x), lambda x, g: (g * deriv(x),))
    f.__name__ = name
    if rule is not None:
        f.deftaylor(rule)
    return f


def _curve(rng, n, order):
    return rng.standard_normal(n), [rng.standard_normal(n) for _ in range(order)]


def _assert_same_jet(f, builtin, x, series):
    y, terms = sg.jet(f, (x,), (series,))
    y_ref, terms_ref = sg.jet(builtin, (x,), (series,))
    np.testing.assert_allclose(np.asarray(y), np.asarray(y_ref), rtol=1e-13, atol=1e-13)
    assert len(terms) == len(terms_ref) == len(series)
    for k, (t, r) in enumerate(zip(terms, terms_ref), 1):
        r = np.asarray(r)
        np.testing.assert_allclose(np.asarray(t), r, rtol=1e-11, atol=1e-11 * (1 + np.abs(r).max()),
                                   err_msg=f"term {k}")


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
@pytest.mark.parametrize("which", ["exp", "sin"])
def test_deftaylor_matches_the_builtin_jet_up_to_order_5(which, kind):
    fun, deriv, rule = {"exp": (sg.exp, sg.exp, _exp_rule), "sin": (sg.sin, sg.cos, _sin_rule)}[which]
    f = _custom("my" + which, fun, deriv, rule, kind)
    rng = np.random.default_rng(1)
    for order in range(1, ORDER + 1):
        x, series = _curve(rng, 4, order)
        _assert_same_jet(f, fun, x, series)
        # composed with built-in ops on both sides
        _assert_same_jet(lambda z: sg.tanh(f(z * 0.7)) * z, lambda z: sg.tanh(fun(z * 0.7)) * z, x, series)


def test_rule_is_used_rather_than_the_jvp_at_order_1():
    calls = []

    def rule(primals, series):
        calls.append(len(series[0]))
        return _exp_rule(primals, series)

    f = _custom("myexp", sg.exp, sg.exp, rule)
    x, series = _curve(np.random.default_rng(2), 3, 1)
    _assert_same_jet(f, sg.exp, x, series)
    assert calls == [1]


def test_without_deftaylor_order_1_works_and_order_2_raises():
    f = _custom("noteuler", sg.exp, sg.exp, None)
    x, series = _curve(np.random.default_rng(3), 3, 2)
    _assert_same_jet(f, sg.exp, x, series[:1])
    with pytest.raises(RuntimeError, match=r"\[jet\] custom function 'noteuler' has no Taylor rule.*order 2"):
        sg.jet(f, (x,), (series,))


def test_two_arguments_and_a_constant_one():
    """A custom product: Leibniz' rule; an argument without a series (a closed-over constant) gets zeros."""
    f = sg.custom_jvp(lambda a, b: a * b)

    @f.defjvp
    def _(primals, tangents):
        (a, b), (ta, tb) = primals, tangents
        return a * b, ta * b + a * tb

    seen = []

    @f.deftaylor
    def _(primals, series):
        (a, b), (sa, sb) = primals, series
        seen.append([np.asarray(t).copy() for t in sb])
        As, Bs = [a] + list(sa), [b] + list(sb)
        return a * b, [sum(math.comb(k, i) * As[i] * Bs[k - i] for i in range(k + 1)) for k in range(1, len(As))]

    rng = np.random.default_rng(4)
    (x, sx), (z, sz) = _curve(rng, 3, 4), _curve(rng, 3, 4)
    y, terms = sg.jet(f, (x, z), (sx, sz))
    _, ref = sg.jet(lambda a, b: a * b, (x, z), (sx, sz))
    for t, r in zip(terms, ref):
        np.testing.assert_allclose(np.asarray(t), np.asarray(r), rtol=1e-12)
    c = sg.asarray(rng.standard_normal(3))
    _, terms = sg.jet(lambda a: f(a, c), (x,), (sx,))
    for k, t in enumerate(terms):
        np.testing.assert_allclose(np.asarray(t), sx[k] * np.asarray(c), rtol=1e-12)
    assert all(not np.any(t) for t in seen[-1]) and len(seen[-1]) == 4


def test_pytree_output():
    f = sg.custom_jvp(lambda x: {"e": sg.exp(x), "s": sg.sin(x)})

    @f.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), {"e": sg.exp(x) * t, "s": sg.cos(x) * t}

    @f.deftaylor
    def _(primals, series):
        ye, te = _exp_rule(primals, series)
        ys, ts = _sin_rule(primals, series)
        return {"e": ye, "s": ys}, [{"e": a, "s": b} for a, b in zip(te, ts)]

    x, series = _curve(np.random.default_rng(5), 3, 3)
    _, terms = sg.jet(lambda z: f(z)["e"] + 2 * f(z)["s"], (x,), (series,))
    _, ref = sg.jet(lambda z: sg.exp(z) + 2 * sg.sin(z), (x,), (series,))
    for t, r in zip(terms, ref):
        np.testing.assert_allclose(np.asarray(t), np.asarray(r), rtol=1e-12)


def test_bad_rule_outputs_raise_value_errors_naming_shapes():
    x, series = _curve(np.random.default_rng(6), 3, 3)

    def few(primals, series):
        y, terms = _exp_rule(primals, series)
        return y, terms[:-1]

    f = _custom("few", sg.exp, sg.exp, few)
    with pytest.raises(ValueError, match=r"few's taylor rule returned 2 terms for a jet of order 3.*\(3,\)"):
        sg.jet(f, (x,), (series,))

    def wide(primals, series):
        y, terms = _exp_rule(primals, series)
        return y, terms[:1] + [sg.ones((2, 3))] + terms[2:]

    f = _custom("wide", sg.exp, sg.exp, wide)
    with pytest.raises(ValueError, match=r"wide's taylor rule \(term 2\) has shape \(2, 3\).*output has shape \(3,\)"):
        sg.jet(f, (x,), (series,))
    f = _custom("bare", sg.exp, sg.exp, lambda p, s: _exp_rule(p, s)[1])
    with pytest.raises(TypeError, match=r"bare's taylor rule must return \(primal_out, series_out\)"):
        sg.jet(f, (x,), (series,))

    def raising(primals, series):
        raise KeyError("inside the rule")

    f = _custom("raising", sg.exp, sg.exp, raising)
    with pytest.raises(KeyError, match="inside the rule"):
        sg.jet(f, (x,), (series,))


def test_grad_through_a_jet_of_a_deftaylor_function():
    rng = np.random.default_rng(7)
    v = sg.asarray(rng.standard_normal(3))
    f = _custom("mysin", sg.sin, sg.cos, _sin_rule)

    def third(x, fn=f):
        return sg.sum(sg.jet(lambda z: fn(z * z), (x,), ([v, v * 0.5, sg.zeros_like(v)],))[1][2])

    x = sg.tensor(rng.standard_normal(3), requires_grad=True)
    g = sg.grad(third)(x)
    g_ref = sg.grad(lambda z: third(z, sg.sin))(x)
    np.testing.assert_allclose(np.asarray(g), np.asarray(g_ref), rtol=1e-11)
    assert sg.gradcheck(third, (x,), eps=1e-6, atol=1e-7, rtol=1e-6)
    assert sg.gradgradcheck(third, (x,), eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("collapsed", [True, False])
def test_laplacian_of_a_deftaylor_function(collapsed):
    f = _custom("myexp", sg.exp, sg.exp, _exp_rule)
    w = sg.asarray(np.random.default_rng(8).standard_normal((3, 3)))
    x = np.array([0.2, -0.4, 0.9])
    lap = sg.laplacian(lambda z: sg.sum(f(z @ w)), x, collapsed=collapsed)
    ref = sg.laplacian(lambda z: sg.sum(sg.exp(z @ w)), x, collapsed=collapsed)
    np.testing.assert_allclose(float(lap), float(ref), rtol=1e-12)


def test_jet_of_vmap_of_a_deftaylor_function():
    f = _custom("myexp", sg.exp, sg.exp, _exp_rule)
    rng = np.random.default_rng(9)
    x, series = rng.standard_normal((2, 3)), [rng.standard_normal((2, 3)) for _ in range(3)]
    _assert_same_jet(sg.vmap(lambda z: f(z) * z[0]), sg.vmap(lambda z: sg.exp(z) * z[0]), x, series)


def test_nondiff_argnums_get_no_series():
    g = sg.custom_jvp(lambda x, n: x ** n, nondiff_argnums=(1,))

    @g.defjvp
    def _(primals, tangents):
        (x, n), (t, _) = primals, tangents
        return x ** n, n * x ** (n - 1) * t

    seen = []

    @g.deftaylor
    def _(primals, series):
        (x, n), (s, none) = primals, series
        seen.append(none)
        return x ** n, [n * x ** (n - 1) * s[0], n * (n - 1) * x ** (n - 2) * s[0] ** 2 + n * x ** (n - 1) * s[1]]

    x, series = _curve(np.random.default_rng(10), 3, 2)
    _assert_same_jet(lambda z: g(z, 3.0), lambda z: z ** 3, x, series)
    assert seen == [None]
