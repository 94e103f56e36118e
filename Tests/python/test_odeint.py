"""`sg.odeint`: accuracy against closed forms, gradients against closed forms, finite differences
and each other (backprop through the solver vs the adjoint), second order, errors."""
import numpy as np
import pytest

import swiftgrad as sg

from numdiff import central_gradient

T = np.linspace(0.0, 2.0, 5)


def _oscillator(t, y, p):
    """Damped oscillator y = (x, v): x' = v, v' = -w^2 x - c v, plus a forcing term."""
    x, v = y[0], y[1]
    return sg.stack([v, -p["w"] ** 2 * x - p["c"] * v + 0.3 * np.sin(t)])


@pytest.mark.parametrize("method,kwargs,tol", [("dopri5", dict(rtol=1e-10, atol=1e-12), 1e-8),
                                                ("rk4", dict(step_size=0.01), 1e-8)])
def test_solution_matches_closed_form_both_directions(method, kwargs, tol):
    k = 0.7
    for times in (T, T[::-1]):
        ys = sg.odeint(lambda s, y: -k * y, sg.tensor([1.0, -2.0]), times, method=method, **kwargs)
        exact = np.array([1.0, -2.0]) * np.exp(-k * (times - times[0]))[:, None]
        assert ys.shape == (5, 2)
        np.testing.assert_allclose(np.asarray(ys), exact, rtol=tol, atol=tol)
    # An undamped oscillator over several periods: x = cos(t).
    ys = sg.odeint(lambda s, y: sg.stack([y[1], -y[0]]), sg.tensor([1.0, 0.0]), np.linspace(0, 20, 9),
                   method=method, **kwargs)
    np.testing.assert_allclose(np.asarray(ys)[:, 0], np.cos(np.linspace(0, 20, 9)), atol=20 * tol)


@pytest.mark.parametrize("adjoint", [False, True])
def test_gradients_match_the_closed_form(adjoint):
    k = sg.tensor(0.7, requires_grad=True)
    y0 = sg.tensor([1.0, 2.0], requires_grad=True)
    ys = sg.odeint(lambda s, y, p: -p * y, y0, T, k, rtol=1e-11, atol=1e-13, adjoint=adjoint)
    gk, gy = sg.autograd.grad(sg.sum(ys * ys), [k, y0])
    exact = np.array([1.0, 2.0]) * np.exp(-0.7 * T)[:, None]
    np.testing.assert_allclose(float(gk), np.sum(-2 * T[:, None] * exact ** 2), rtol=1e-8)
    np.testing.assert_allclose(np.asarray(gy), np.sum(2 * exact * np.exp(-0.7 * T)[:, None], 0), rtol=1e-8)


def _mlp_field(t, y, p):
    return sg.tanh(p["w"] @ y + p["b"]) * p["s"] - 0.1 * y * np.cos(t)


def _mlp_params(rng, requires_grad=True):
    return {"w": sg.tensor(rng.standard_normal((3, 3)) * 0.8, requires_grad=requires_grad),
            "b": sg.tensor(rng.standard_normal(3) * 0.3, requires_grad=requires_grad),
            "s": sg.tensor(1.3, requires_grad=requires_grad)}


def test_adjoint_matches_backprop_and_finite_differences():
    rng = np.random.default_rng(0)
    params = _mlp_params(rng)
    y0 = sg.tensor(rng.standard_normal(3), requires_grad=True)
    c = rng.standard_normal((5, 3))
    leaves = [y0, params["w"], params["b"], params["s"]]
    grads = {}
    for adjoint in (False, True):
        ys = sg.odeint(_mlp_field, y0, T, params, rtol=1e-10, atol=1e-12, adjoint=adjoint)
        grads[adjoint] = [np.asarray(g) for g in sg.autograd.grad(sg.sum(sg.sin(ys) * c), leaves)]

    def loss(arrays):
        p = {"w": sg.tensor(arrays[1]), "b": sg.tensor(arrays[2]), "s": sg.tensor(arrays[3])}
        ys = sg.odeint(_mlp_field, sg.tensor(arrays[0]), T, p, rtol=1e-12, atol=1e-14)
        return float(sg.sum(sg.sin(ys) * c).item())

    numeric = central_gradient(loss, [np.asarray(x) for x in leaves], eps=1e-5)
    for a, b, n in zip(grads[False], grads[True], numeric):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


def test_rk4_gradcheck_first_and_second_order_and_forward_mode():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((2, 2)) * 0.5

    def f(y0, w):
        return sg.odeint(lambda s, y, p: sg.tanh(p @ y), y0, np.linspace(0, 1, 3), w, method="rk4", step_size=0.25)

    sg.gradcheck(f, [rng.standard_normal(2), w])  # reverse and forward mode through the steps
    sg.gradgradcheck(f, [rng.standard_normal(2), w])


def test_adjoint_records_one_node_and_backprop_records_the_steps():
    rng = np.random.default_rng(2)
    params = _mlp_params(rng)
    y0 = sg.tensor(rng.standard_normal(3), requires_grad=True)
    sizes = {}
    for adjoint in (False, True):
        ys = sg.odeint(_mlp_field, y0, np.linspace(0, 5, 3), params, adjoint=adjoint)
        sizes[adjoint] = len(sg._C.graph_topological_order(ys))
    assert sizes[True] <= 8, sizes  # the custom node, its packing and the inputs
    assert sizes[False] > 200, sizes  # every stage of every step


def test_adjoint_refuses_closed_over_parameters_and_bad_input_raises():
    w = sg.tensor(0.5, requires_grad=True)
    y0 = sg.tensor([1.0])
    with pytest.raises(TypeError, match="argument"):
        sg.autograd.grad(sg.sum(sg.odeint(lambda s, y: -w * y, y0, T, adjoint=True)), [w])
    with pytest.raises(ValueError, match="method"):
        sg.odeint(lambda s, y: y, y0, T, method="euler")
    with pytest.raises(ValueError, match="strictly increasing or strictly decreasing"):
        sg.odeint(lambda s, y: y, y0, [0.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="tolerances"):
        sg.odeint(lambda s, y: y, y0, T, rtol=-1)
    with pytest.raises(TypeError, match="floating point"):
        sg.odeint(lambda s, y: y, np.array([1]), T)
    with pytest.raises(ValueError, match="1-D"):
        sg.odeint(lambda s, y: y, y0, [[0.0, 1.0]])
    with pytest.raises(RuntimeError, match="max_steps"):
        sg.odeint(lambda s, y: -1000.0 * y, y0, [0.0, 10.0], max_steps=20)
    with pytest.raises(RuntimeError, match="non-finite"):
        sg.odeint(lambda s, y: y * np.nan, y0, T)
    with pytest.raises(RuntimeError, match="non-finite"):  # finite at the start, blows up at t = 1
        sg.odeint(lambda s, y: y * (1.0 / (1.0 - s) if s < 1 else np.nan), y0, [0.0, 2.0])
    with pytest.raises(ValueError, match="step_size"):
        sg.odeint(lambda s, y: y, y0, T, method="rk4", step_size=0.0)


def test_single_time_returns_the_initial_state():
    y0 = sg.tensor([1.0, 2.0], requires_grad=True)
    ys = sg.odeint(lambda s, y: -y, y0, [0.5])
    np.testing.assert_array_equal(np.asarray(ys), [[1.0, 2.0]])
    (g,) = sg.autograd.grad(sg.sum(ys), [y0])
    np.testing.assert_array_equal(np.asarray(g), [1.0, 1.0])
