"""Hessian trace (Hutchinson) and top eigenvalue (power iteration) of a trained network, from
Hessian-vector products alone.

A network's Hessian has P x P entries for P parameters, too many to form for real models, but
`sg.hvp` gives H v by forward over reverse at a few times the cost of a gradient. Two classic
estimators need nothing else:

- Hutchinson: for random v with independent +-1 entries, E[v^T H v] = trace(H). Averaging over
  samples estimates the trace; the sample standard error says how far to trust it.
- Power iteration: v <- H v / |H v| converges to the eigenvector of the largest |eigenvalue|,
  and the Rayleigh quotient v^T H v to that eigenvalue (the loss surface's sharpest curvature).

The network here is small on purpose, so the script can form the exact Hessian with
`sg.hessian` and check both estimates against it.
"""
import numpy as np

import swiftgrad as sg

SIZES = [(1, 8), (8, 8), (8, 1)]  # a 1-8-8-1 tanh network: 97 parameters


def unpack(theta):
    """Weights and biases as slices of one flat parameter vector (so H is a matrix)."""
    layers, at = [], 0
    for n_in, n_out in SIZES:
        w = sg.reshape(theta[at:at + n_in * n_out], (n_in, n_out))
        at += n_in * n_out
        b = theta[at:at + n_out]
        at += n_out
        layers.append((w, b))
    return layers


def n_params():
    return sum(n_in * n_out + n_out for n_in, n_out in SIZES)


def make_loss(x, y):
    def loss(theta):
        h = x
        layers = unpack(theta)
        for i, (w, b) in enumerate(layers):
            h = h @ w + b
            if i < len(layers) - 1:
                h = sg.tanh(h)
        return sg.mean((h - y) ** 2)

    return loss


def train(loss, steps=1500, seed=0):
    rng = np.random.default_rng(seed)
    theta = sg.nn.Parameter(sg.tensor(rng.normal(0.0, 0.5, n_params())))
    opt = sg.optim.Adam([theta], lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        value = loss(theta)
        value.backward()
        opt.step()
    return theta.detach().numpy().copy(), value.item()


def hvp(loss, theta, v):
    return sg.hvp(loss, (theta,), (v,))[1].numpy()


def hutchinson_trace(loss, theta, samples, rng):
    """Mean and standard error of v^T H v over Rademacher vectors v."""
    quads = np.empty(samples)
    for s in range(samples):
        v = rng.choice([-1.0, 1.0], size=theta.size)
        quads[s] = v @ hvp(loss, theta, v)
    return quads.mean(), quads.std(ddof=1) / np.sqrt(samples)


def top_eigenvalue(loss, theta, iterations, rng, tol=1e-10):
    """Power iteration on H v; returns the Rayleigh quotient and the iterations used."""
    v = rng.standard_normal(theta.size)
    v /= np.linalg.norm(v)
    eigenvalue = 0.0
    for it in range(1, iterations + 1):
        hv = hvp(loss, theta, v)
        new = v @ hv
        v = hv / np.linalg.norm(hv)
        if abs(new - eigenvalue) <= tol * abs(new):
            return new, it
        eigenvalue = new
    return eigenvalue, iterations


def main(samples=2000, iterations=500, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (64, 1))
    y = np.sin(x) + 0.05 * rng.standard_normal(x.shape)
    loss = make_loss(x, y)
    theta, final = train(loss)
    print(f"trained a {n_params()}-parameter network: training loss {final:.4f}")

    trace_estimate, stderr = hutchinson_trace(loss, theta, samples, rng)
    eigenvalue, used = top_eigenvalue(loss, theta, iterations, rng)

    exact = sg.hessian(loss)(theta).numpy()
    exact_trace = np.trace(exact)
    exact_eigs = np.linalg.eigvalsh((exact + exact.T) / 2)
    exact_top = exact_eigs[np.argmax(np.abs(exact_eigs))]
    v = rng.standard_normal(theta.size)
    np.testing.assert_allclose(hvp(loss, theta, v), exact @ v, rtol=1e-9, atol=1e-9)  # one H v, exactly
    print(f"trace(H):   Hutchinson ({samples} samples) {trace_estimate:.4f} +- {stderr:.4f}, "
          f"exact {exact_trace:.4f}")
    print(f"top eigenvalue: power iteration ({used} HVPs) {eigenvalue:.6f}, exact {exact_top:.6f}")
    return trace_estimate, stderr, exact_trace, eigenvalue, exact_top


if __name__ == "__main__":
    estimate, stderr, exact_trace, eigenvalue, exact_top = main()
    if abs(estimate - exact_trace) > 4 * stderr:
        raise SystemExit("the Hutchinson estimate is more than 4 standard errors from the exact trace")
    if abs(eigenvalue - exact_top) > 1e-6 * abs(exact_top):
        raise SystemExit("power iteration did not find the top eigenvalue")
    print("both estimates agree with the exact Hessian")
