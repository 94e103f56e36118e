"""The explicit graph API (`sg.Graph`): placeholders, variables, gradients by graph extension,
run with feeds, assign; the course notes' session-style training loop."""
import numpy as np
import pytest

import swiftgrad as sg


def _build():
    g = sg.Graph()
    with g.as_default():
        x = g.placeholder((4, 2), name="x")
        y = g.placeholder((4,), name="y")
        w = g.variable(np.zeros(2), name="w")
        b = g.variable(0.0, name="b")
        loss = sg.mean((x @ w + b - y) ** 2)
        dw, db = g.gradients(loss, [w, b])
    return g, x, y, w, b, loss, dw, db


def test_run_matches_eager_values_and_gradients():
    g, x, y, w, b, loss, dw, db = _build()
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((4, 2)), rng.standard_normal(4)
    g.assign(w, [0.5, -1.0])
    got = g.run([loss, dw, db], {x: xv, "y": yv})
    we, be = sg.tensor([0.5, -1.0], requires_grad=True), sg.tensor(0.0, requires_grad=True)
    le = sg.mean((sg.tensor(xv) @ we + be - yv) ** 2)
    le.backward()
    np.testing.assert_allclose(got[0].numpy(), le.numpy(), rtol=1e-14)
    np.testing.assert_allclose(got[1].numpy(), we.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(got[2].numpy(), be.grad.numpy(), rtol=1e-14)
    assert g.run(loss, {x: xv, y: yv}).shape == ()


def test_session_style_training_loop_fits_a_line():
    g, x, y, w, b, loss, dw, db = _build()
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((4, 2))
    yv = xv @ np.array([2.0, -3.0]) + 0.5
    for _ in range(300):
        _, gw, gb = g.run([loss, dw, db], {x: xv, y: yv})
        g.assign(w, g.value(w).numpy() - 0.1 * gw.numpy())
        g.assign(b, g.value(b).numpy() - 0.1 * gb.numpy())
    np.testing.assert_allclose(g.value(w).numpy(), [2.0, -3.0], atol=1e-3)
    np.testing.assert_allclose(g.value(b).numpy(), 0.5, atol=1e-3)


def test_second_order_by_extending_twice():
    g = sg.Graph()
    with g.as_default():
        x = g.placeholder((), name="x")
        f = x ** 4
        d1, = g.gradients(f, [x])
        d2, = g.gradients(d1, [x])
        d3, = g.gradients(d2, [x])
    assert [t.item() for t in g.run([d1, d2, d3], {x: 2.0})] == [32.0, 48.0, 48.0]


def test_errors_name_what_is_wrong():
    g, x, y, w, b, loss, dw, db = _build()
    with pytest.raises(ValueError, match="placeholder 'y'"):
        g.run(loss, {x: np.ones((4, 2))})
    with pytest.raises(ValueError, match="not a placeholder"):
        g.run(loss, {x: np.ones((4, 2)), y: np.ones(4), w: np.ones(2)})
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        g.run(loss, {x: np.ones((4, 2)), y: np.ones(3)})
    with pytest.raises(ValueError, match="has shape"):
        g.assign(w, np.ones(3))
    with pytest.raises(ValueError, match="example has shape"):
        g.placeholder((2,), example=np.ones(3))
    assert "digraph" in g.to_dot([loss, dw])
    assert "dead-code elimination" in g.report(loss)
