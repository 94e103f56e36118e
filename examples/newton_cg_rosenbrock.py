"""Newton-CG on the Rosenbrock function with SciPy, derivatives from swiftgrad.

scipy.optimize.minimize(method="Newton-CG") needs the gradient (`jac`) and Hessian-vector
products (`hessp`); it never needs the Hessian itself. `sg.grad` gives the gradient by one
reverse sweep and `sg.hvp` gives H v by forward over reverse, at a small constant times the
cost of a gradient. NumPy arrays cross the boundary in both directions: SciPy hands us float64
arrays, we hand back float64 arrays.
"""
import sys

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess_prod

import swiftgrad as sg


def rosenbrock(x):
    # sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, minimum 0 at (1, ..., 1)
    return sg.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


grad_f = sg.grad(rosenbrock)


def fun(x):
    return rosenbrock(x).item()


def jac(x):
    return grad_f(x).numpy()


def hessp(x, p):
    _, hv = sg.hvp(rosenbrock, (x,), (p,))
    return hv.numpy()


def main(n=10):
    x0 = np.zeros(n)
    x0[::2] = -1.2  # the classic start (-1.2, 1, -1.2, 1, ...)
    x0[1::2] = 1.0
    # SciPy ships the closed forms; check ours against them before trusting them.
    p = np.random.default_rng(0).standard_normal(n)
    np.testing.assert_allclose(fun(x0), rosen(x0), rtol=1e-14)
    np.testing.assert_allclose(jac(x0), rosen_der(x0), rtol=1e-13)
    np.testing.assert_allclose(hessp(x0, p), rosen_hess_prod(x0, p), rtol=1e-12)
    result = minimize(fun, x0, jac=jac, hessp=hessp, method="Newton-CG",
                      options={"xtol": 1e-10, "maxiter": 500})
    error = np.abs(result.x - 1.0).max()
    print(f"n = {n}: {result.nit} Newton iterations, {result.nfev} evaluations, "
          f"{result.njev} gradients, {result.nhev} Hessian-vector products")
    print(f"f(x*) = {result.fun:.3e}, max |x* - 1| = {error:.3e}")
    return result, error


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    result, error = main(n)
    if error > 1e-6:
        raise SystemExit(f"Newton-CG did not reach (1, ..., 1): max error {error:.3e}")
    print("converged to (1, ..., 1)")
