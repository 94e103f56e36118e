"""The empirical neural tangent kernel of a small MLP (course notes, appendix E.2):
Θ(x, x') = J(x) J(x')ᵀ, J the Jacobian of the network's output with respect to its parameters.

Built from `vmap` over `jvp`: pushing every parameter-space basis vector through the network at
once gives J(X)ᵀ for all inputs X in one batched forward pass, and Θ = Jᵀᵀ Jᵀ. Checked against
the kernel from the reverse-mode Jacobian (`jacrev`) and against a Python loop over input pairs.
"""
import numpy as np

import swiftgrad as sg

SIZES = [(2, 16), (16, 16), (16, 1)]


def unflatten(theta):
    """The (W, b) pairs of the MLP from one flat parameter vector."""
    params, k = [], 0
    for n_in, n_out in SIZES:
        w = sg.reshape(theta[k:k + n_in * n_out], (n_in, n_out))
        k += n_in * n_out
        params.append((w, theta[k:k + n_out]))
        k += n_out
    return params


def mlp(theta, x):
    h = x
    for i, (w, b) in enumerate(unflatten(theta)):
        h = h @ w + b
        if i < len(SIZES) - 1:
            h = sg.tanh(h)
    return h[..., 0]  # one output per input


def ntk_from_vmap_of_jvp(theta, xs):
    n_params = theta.shape[0]
    # Row p: J(X) e_p, the directional derivative of every output along parameter p.
    jt = sg.vmap(lambda v: sg.jvp(lambda th: mlp(th, xs), (theta,), (v,))[1])(np.eye(n_params))
    return jt.T @ jt  # (n_inputs, n_inputs)


def ntk_from_jacrev(theta, xs):
    j = sg.jacrev(lambda th: mlp(th, xs))(theta)  # (n_inputs, n_params)
    return j @ j.T


def ntk_entry_by_loop(theta, x1, x2):
    g1 = sg.grad(lambda th: mlp(th, x1))(theta)
    g2 = sg.grad(lambda th: mlp(th, x2))(theta)
    return float(sg.sum(g1 * g2))


def main(seed=0):
    rng = np.random.default_rng(seed)
    n_params = sum(a * b + b for a, b in SIZES)
    theta = sg.tensor(rng.normal(0, 1, n_params) / 4)
    xs = rng.uniform(-1, 1, (6, 2))
    kernel = ntk_from_vmap_of_jvp(theta, xs).numpy()
    np.testing.assert_allclose(kernel, ntk_from_jacrev(theta, xs).numpy(), rtol=1e-10, atol=1e-12)
    for i in range(len(xs)):
        for j in range(len(xs)):
            assert abs(kernel[i, j] - ntk_entry_by_loop(theta, xs[i], xs[j])) < 1e-10 * (1 + abs(kernel[i, j]))
    eigenvalues = np.linalg.eigvalsh(kernel)
    assert np.allclose(kernel, kernel.T) and eigenvalues.min() > -1e-10  # a Gram matrix
    print(f"NTK of a 2-16-16-1 MLP ({n_params} parameters) on {len(xs)} inputs, from vmap over jvp:")
    print(np.array2string(kernel, precision=3, suppress_small=True))
    print(f"eigenvalues {np.array2string(eigenvalues, precision=3)}; equals J Jᵀ from jacrev and the loop")


if __name__ == "__main__":
    main()
