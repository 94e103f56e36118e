"""Forward mode over the whole op table: for every op, the JVP against float64 central differences
in a random direction, and the JVP against the VJP by <v, J t> = <J^T v, t>; then the same two
checks at second order, on the VJP function h(x) = J(x)^T v (forward over reverse) and on the
scalar <v, J(x) t> (reverse over forward)."""
import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL

EPS = 1e-6


def _flat(values):
    values = values if isinstance(values, (tuple, list)) else (values,)
    return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])


def _central(fn, arrays, tangents):
    plus = fn(*[a + EPS * t for a, t in zip(arrays, tangents)])
    minus = fn(*[a - EPS * t for a, t in zip(arrays, tangents)])
    return (_flat(plus) - _flat(minus)) / (2 * EPS)


def _random_like(rng, arrays):
    return [rng.standard_normal(np.shape(a)) for a in arrays]


@pytest.mark.parametrize("case", ALL, ids=repr)
def test_jvp_first_order(case):
    arrays = case.inputs()
    rng = np.random.default_rng(7)
    tangents = _random_like(rng, arrays)
    out, t_out = sg.jvp(case.fn, tuple(arrays), tuple(tangents))
    np.testing.assert_allclose(out.numpy(), case.reference(*arrays), rtol=1e-12, atol=1e-12)
    assert t_out.shape == out.shape and t_out.dtype == out.dtype
    np.testing.assert_allclose(_flat(t_out), _central(case.fn, arrays, tangents), rtol=1e-5, atol=1e-6)
    # <v, J t> = <J^T v, t>
    v = rng.standard_normal(out.shape)
    _, vjp_fn = sg.vjp(case.fn, *arrays)
    cotangents = vjp_fn(v)
    assert len(cotangents) == len(arrays)
    lhs = float(np.vdot(v, np.asarray(t_out)))
    rhs = float(np.vdot(_flat(cotangents), _flat(tangents)))
    assert abs(lhs - rhs) <= 1e-10 * (1 + abs(lhs))


@pytest.mark.parametrize("case", [c for c in ALL if c.second_order], ids=repr)
def test_jvp_second_order(case):
    arrays = case.inputs(seed=1)
    rng = np.random.default_rng(11)
    out = case.fn(*arrays)
    v = rng.standard_normal(out.shape)
    t = _random_like(rng, arrays)
    s = _random_like(rng, arrays)

    def h(*xs):  # J(x)^T v, one cotangent per input
        return sg.vjp(case.fn, *xs)[1](v)

    # Forward over reverse: the JVP of h against central differences of h.
    _, h_dot = sg.jvp(h, tuple(arrays), tuple(s))
    np.testing.assert_allclose(_flat(h_dot), _central(h, arrays, s), rtol=1e-4, atol=1e-5)

    # Reverse over forward: d/dx <v, J(x) t>, paired with s, equals <(d/ds h) , t>.
    def k(*xs):
        return sg.sum(sg.jvp(case.fn, xs, tuple(t))[1] * v)

    g = sg.grad(k, argnums=tuple(range(len(arrays))))(*arrays)
    lhs = float(np.vdot(_flat(g), _flat(s)))
    rhs = float(np.vdot(_flat(h_dot), _flat(t)))
    assert abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs))
    # ... and that gradient against central differences of the scalar k.
    np.testing.assert_allclose(lhs, _central(k, arrays, s)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", [c for c in ALL if c.second_order], ids=repr)
def test_forward_over_forward(case):
    """Nested jvp (two live levels through every rule): <v, f''[t, s]> = <(J^T v)' s, t>."""
    arrays = case.inputs(seed=2)
    rng = np.random.default_rng(13)
    v = rng.standard_normal(np.shape(case.fn(*arrays)))
    t = _random_like(rng, arrays)
    s = _random_like(rng, arrays)
    _, second = sg.jvp(lambda *xs: sg.jvp(case.fn, xs, tuple(t))[1], tuple(arrays), tuple(s))
    _, h_dot = sg.jvp(lambda *xs: sg.vjp(case.fn, *xs)[1](v), tuple(arrays), tuple(s))
    lhs = float(np.vdot(v, np.asarray(second)))
    rhs = float(np.vdot(_flat(h_dot), _flat(t)))
    assert abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs))
