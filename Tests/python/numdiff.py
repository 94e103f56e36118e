"""Central differences in float64 for the pytree and random-program tests."""
import numpy as np

EPS = 1e-6


def central_gradient(f, arrays, eps=EPS):
    """d f / d arrays[k] for each k, by central differences; `f(list of arrays) -> float`."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for i in range(a.size):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k].flat[i] += eps
            minus[k].flat[i] -= eps
            g.flat[i] = (float(f(plus)) - float(f(minus))) / (2 * eps)
        grads.append(g)
    return grads


def central_directional(f, arrays, directions, eps=EPS):
    """d/dh f(arrays + h directions) at h = 0; `f(list of arrays)` returns an array."""
    plus = [np.asarray(a, np.float64) + eps * d for a, d in zip(arrays, directions)]
    minus = [np.asarray(a, np.float64) - eps * d for a, d in zip(arrays, directions)]
    return (np.asarray(f(plus), np.float64) - np.asarray(f(minus), np.float64)) / (2 * eps)


def assert_close(got, want, what="", scale=0.0):
    """Tolerances for float64 central differences with EPS = 1e-6 on O(1) functions: the
    truncation error is about EPS^2 times the third derivative, the rounding error about
    |f| 2^-52 / EPS. `scale` bounds the magnitude of the terms summed into the differenced
    function (for functions that are not O(1)); it adds 1e-9 * scale, 5x that rounding error."""
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64), rtol=1e-6,
                               atol=1e-8 + 1e-9 * scale, err_msg=what)
