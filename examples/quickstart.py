"""The first five minutes of swiftgrad: the course notes' worked example, a gradient that is
itself differentiable, and zero-copy NumPy interop."""
import numpy as np

import swiftgrad as sg

# y = ln(x1) + x1*x2 - sin(x2) at (2, 5): the worked example of the course notes.
x1 = sg.tensor(2.0, requires_grad=True)
x2 = sg.tensor(5.0, requires_grad=True)
y = sg.log(x1) + x1 * x2 - sg.sin(x2)
y.backward()
print(f"y = {y.item():.3f}   dy/dx1 = {x1.grad.item():.4f}   dy/dx2 = {x2.grad.item():.4f}"
      f"   (2 - cos 5 = {2 - np.cos(5):.4f})")

# A gradient with create_graph=True is itself differentiable.
sg.random.seed(0)
W = sg.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
loss = sg.sum(sg.tanh(W @ np.ones(4)) ** 2)
(g,) = sg.autograd.grad(loss, [W], create_graph=True)
(gg,) = sg.autograd.grad(sg.sum(g * g), [W])
print("loss =", round(loss.item(), 6), " |dL/dW| =", round(float(np.linalg.norm(g.numpy())), 6),
      " |d|g|^2/dW| =", round(float(np.linalg.norm(gg.numpy())), 6))

# NumPy interop without copies, both ways.
a = np.arange(6.0).reshape(2, 3)
t = sg.from_numpy(a)
a[0, 0] = 42.0
print("from_numpy shares memory:", t[0, 0].item() == 42.0, "| np.asarray(t) shares memory:",
      np.shares_memory(np.asarray(t), a))
