"""No leaks across the Swift/Python boundary: 20,000 training steps of a small MLP with
create_graph gradients (a gradient-penalty loss) keep resident memory flat."""
import gc
import os

import numpy as np

import swiftgrad as sg


def _rss_bytes():
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_create_graph_training_loop_keeps_memory_flat():
    rng = np.random.default_rng(0)
    x = sg.tensor(rng.standard_normal((8, 4)), requires_grad=True)
    y = sg.tensor(rng.standard_normal((8, 1)))
    w1 = sg.tensor(rng.standard_normal((4, 8)) * 0.5, requires_grad=True)
    w2 = sg.tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True)

    def step():
        h = sg.tanh(x @ w1)
        out = h @ w2
        loss = sg.mean((out - y) ** 2)
        (gx,) = sg.autograd.grad(loss, [x], create_graph=True)  # gradient penalty term
        total = loss + 0.1 * sg.sum(gx * gx)
        total.backward()
        with sg.no_grad():
            for p in (w1, w2):
                p -= 0.01 * p.grad
                p.grad = None
        x.grad = None
        return total

    for _ in range(2000):
        step()
    gc.collect()
    before = _rss_bytes()
    for _ in range(18000):
        last = step()
    gc.collect()
    growth = _rss_bytes() - before
    assert np.isfinite(last.item())
    assert growth < 4 * 1024 * 1024, f"resident memory grew by {growth / 2**20:.1f} MiB over 18,000 steps"
