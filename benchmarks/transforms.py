"""Costs of the transforms: jacfwd vs jacrev on a wide and a tall function, and one
Hessian-vector product (forward over reverse) relative to one gradient.

    PYTHONPATH=python python3 benchmarks/transforms.py

Expected shape of the results: on R^1000 -> R^10 reverse mode wins (10 VJPs against 1000
JVPs); on R^10 -> R^1000 forward mode wins; an hvp costs a small constant times a gradient.
"""
import time

import numpy as np

import swiftgrad as sg


def best_time(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def jacobian_costs(n, m, rng):
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    f = lambda x: sg.tanh(W @ x) * 2.0  # noqa: E731
    x = rng.standard_normal(n)
    np.testing.assert_allclose(sg.jacfwd(f)(x).numpy(), sg.jacrev(f)(x).numpy(), rtol=1e-10, atol=1e-12)
    fwd = best_time(lambda: sg.jacfwd(f)(x), repeats=3)
    rev = best_time(lambda: sg.jacrev(f)(x), repeats=3)
    auto = best_time(lambda: sg.jacobian(f)(x), repeats=3)
    print(f"R^{n} -> R^{m}: jacfwd {fwd * 1e3:8.1f} ms   jacrev {rev * 1e3:8.1f} ms   "
          f"jacfwd/jacrev {fwd / rev:6.2f}   jacobian (auto) {auto * 1e3:8.1f} ms")
    return fwd / rev


def hvp_cost(n, rng):
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    f = lambda x: sg.sum(sg.tanh(A @ x) ** 2) + 0.5 * sg.sum(x * x)  # noqa: E731
    x, v = rng.standard_normal(n), rng.standard_normal(n)
    grad_f = sg.grad(f)
    g = best_time(lambda: grad_f(x), repeats=20)
    h = best_time(lambda: sg.hvp(f, (x,), (v,)), repeats=20)
    print(f"n = {n}: gradient {g * 1e3:7.3f} ms   hvp {h * 1e3:7.3f} ms   hvp/gradient {h / g:5.2f} (target < 4)")
    return h / g


def main():
    rng = np.random.default_rng(0)
    print("Jacobians (best of 3)")
    jacobian_costs(1000, 10, rng)
    jacobian_costs(10, 1000, rng)
    print("Hessian-vector product vs one gradient (best of 20)")
    for n in (100, 1000):
        hvp_cost(n, rng)


if __name__ == "__main__":
    main()
