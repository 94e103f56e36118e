"""Multidimensional scaling by gradient descent (the course notes' example).

Given only the matrix D of squared pairwise distances between N points in R^d, recover
coordinates W (N x d) by minimising
    L(W) = sum_{i,j} (||W_i - W_j||^2 - D_ij)^2
with plain gradient descent; the gradient comes from reverse mode. The answer is unique only up
to rotation, reflection and translation, so we compare distances, not coordinates.
"""
import numpy as np

import swiftgrad as sg


def pairwise_squared_distances(w):
    diff = w[:, None, :] - w[None, :, :]  # (N, N, d) by broadcasting
    return sg.sum(diff * diff, axis=2)


def main(n=12, dim=2, steps=600, lr=2e-3, seed=0):
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1, 1, size=(n, dim))
    d = ((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)  # what we are given

    sg.random.seed(seed)
    w = sg.nn.Parameter(sg.random.normal(0.0, 0.5, size=(n, dim)))
    opt = sg.optim.SGD([w], lr=lr, momentum=0.9)
    for step in range(steps + 1):
        opt.zero_grad()
        residual = pairwise_squared_distances(w) - d
        loss = sg.sum(residual * residual)
        if step % 100 == 0:
            print(f"step {step:4d}   L(W) = {loss.item():.3e}")
        loss.backward()
        opt.step()

    recovered = pairwise_squared_distances(w).numpy()
    error = np.abs(recovered - d).max()
    print(f"max |distance error| = {error:.2e} (distances range up to {d.max():.2f})")
    return loss.item(), error


if __name__ == "__main__":
    loss, error = main()
    if error > 1e-3:
        raise SystemExit(f"MDS did not converge: max distance error {error:.2e}")
    print("recovered the configuration up to rotation, reflection and translation")
