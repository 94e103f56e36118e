"""The foundation issue's snippet and the course notes' worked example."""
import numpy as np

import swiftgrad as sg


def test_course_notes_worked_example():
    x1 = sg.tensor(2.0, requires_grad=True)
    x2 = sg.tensor(5.0, requires_grad=True)
    y = sg.log(x1) + x1 * x2 - sg.sin(x2)
    y.backward()
    assert abs(y.item() - (np.log(2) + 10 - np.sin(5))) < 1e-12
    assert round(y.item(), 3) == 11.652
    assert x1.grad.item() == 5.5
    assert abs(x2.grad.item() - (2 - np.cos(5))) < 1e-12


def test_create_graph_gradient_is_differentiable():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 4))
    W = sg.tensor(w, requires_grad=True)
    loss = sg.sum(sg.tanh(W @ np.ones(4)) ** 2)
    (g,) = sg.autograd.grad(loss, [W], create_graph=True)
    t = np.tanh(w.sum(axis=1))
    np.testing.assert_allclose(g.numpy(), np.outer(2 * t * (1 - t**2), np.ones(4)), rtol=1e-12)
    assert g.requires_grad
    assert sg.gradgradcheck(lambda W: sg.sum(sg.tanh(W @ np.ones(4)) ** 2), (w,))
