"""Central differences in float64 for the pytree and random-program tests."""
import numpy as np

EPS = 1e-6


def central_gradient(f, arrays, eps=EPS, error=False):
    """d f / d arrays[k] for each k, by central differences; `f(list of arrays) -> float`.

    With error=True, also returns per-element truncation estimates |D(eps) - D(2 eps)| (the error
    of D(eps) is about a third of it, as the truncation error grows with eps^2)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]

    def difference(k, i, h):
        plus = [x.copy() for x in arrays]
        minus = [x.copy() for x in arrays]
        plus[k].flat[i] += h
        minus[k].flat[i] -= h
        return (float(f(plus)) - float(f(minus))) / (2 * h)

    grads, errors = [], []
    for k, a in enumerate(arrays):
        g, e = np.zeros_like(a), np.zeros_like(a)
        for i in range(a.size):
            g.flat[i] = difference(k, i, eps)
            if error:
                e.flat[i] = abs(g.flat[i] - difference(k, i, 2 * eps))
        grads.append(g)
        errors.append(e)
    return (grads, errors) if error else grads


def assert_close(got, want, what="", scale=0.0, truncation=0.0):
    """Tolerances for float64 central differences with EPS = 1e-6 on O(1) functions: the
    truncation error is about EPS^2 times the third derivative, the rounding error about
    |f| 2^-52 / EPS. `scale` bounds the magnitude of the terms summed into the differenced
    function (for functions that are not O(1)); it adds 1e-9 * scale, 5x that rounding error.
    `truncation` adds a measured truncation estimate (large third derivatives, near a pole)."""
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64), rtol=1e-6,
                               atol=1e-8 + 1e-9 * scale + truncation, err_msg=what)
