"""Gradients of an expectation: the reparameterisation trick vs REINFORCE (course notes D.1, D.2).

For z ~ N(mu, sigma^2) and f(z) = z^2 + sin(z), the gradient of J(mu, sigma) = E[f(z)] is known:

    E[z^2] = mu^2 + sigma^2,   E[sin z] = sin(mu) exp(-sigma^2 / 2),
    dJ/dmu = 2 mu + cos(mu) exp(-sigma^2/2),   dJ/dsigma = 2 sigma - sigma sin(mu) exp(-sigma^2/2).

Two single-sample estimators, both computed by autodiff:

- reparameterisation: z = mu + sigma * eps with eps ~ N(0, 1); differentiate f(z) through z.
- REINFORCE (score function): z sampled and held constant; differentiate f(z) * log p(z; mu, sigma)
  with f(z) a constant, which gives f(z) * grad log p(z).

Per-sample gradients come from one backward pass: mu and sigma are replicated into vectors (one
copy per sample), so the gradient of the summed objective with respect to copy i is sample i's
gradient. The script prints the mean of each estimator with its standard error next to the
analytic gradient, and the ratio of the variances.
"""
import math
import sys

import numpy as np

import swiftgrad as sg

MU, SIGMA, N = 0.5, 1.2, 20000


def f(z):
    return z ** 2 + sg.sin(z)


def analytic():
    damp = math.exp(-SIGMA ** 2 / 2)
    return np.array([2 * MU + math.cos(MU) * damp, 2 * SIGMA - SIGMA * math.sin(MU) * damp])


def per_sample_grads(surrogate, eps):
    """(N, 2) array: row i is d surrogate_i / d(mu, sigma) for sample i."""
    mu = sg.full((N,), MU).requires_grad_()
    sigma = sg.full((N,), SIGMA).requires_grad_()
    sg.sum(surrogate(mu, sigma, eps)).backward()
    return np.stack([mu.grad.numpy(), sigma.grad.numpy()], axis=1)


def reparameterised(mu, sigma, eps):
    return f(mu + sigma * eps)


def log_normal(z, mu, sigma):
    return -sg.log(sigma) - (z - mu) ** 2 / (2 * sigma ** 2) - 0.5 * math.log(2 * math.pi)


def reinforce(mu, sigma, eps):
    z = sg.tensor(MU + SIGMA * eps.numpy())  # a sample, not differentiated through
    return sg.stop_gradient(f(z)) * log_normal(z, mu, sigma)


def main():
    sg.random.seed(0)
    eps = sg.random.randn(N)
    exact = analytic()
    ok = True
    variances = {}
    for name, surrogate in (("reparameterisation", reparameterised), ("REINFORCE", reinforce)):
        g = per_sample_grads(surrogate, eps)
        mean, se = g.mean(axis=0), g.std(axis=0, ddof=1) / math.sqrt(N)
        variances[name] = g.var(axis=0, ddof=1)
        for j, param in enumerate(("mu", "sigma")):
            z_score = (mean[j] - exact[j]) / se[j]
            print(f"{name:>18} dJ/d{param:<5} {mean[j]:+.5f} +- {se[j]:.5f} (analytic {exact[j]:+.5f}, "
                  f"{z_score:+.2f} standard errors)")
            ok &= abs(z_score) < 4.0
    # The score of a normal density, by autodiff, against its closed form.
    z = MU + SIGMA * eps.numpy()
    score = per_sample_grads(lambda mu, sigma, _: log_normal(sg.tensor(z), mu, sigma), eps)
    closed = np.stack([(z - MU) / SIGMA ** 2, -1 / SIGMA + (z - MU) ** 2 / SIGMA ** 3], axis=1)
    score_err = np.abs(score - closed).max()
    print(f"max |autodiff score - closed form| = {score_err:.2e}")
    ratio = variances["REINFORCE"] / variances["reparameterisation"]
    print(f"variance ratio REINFORCE / reparameterisation: mu {ratio[0]:.2f}, sigma {ratio[1]:.2f}")
    ok &= score_err < 1e-12 and bool(np.all(ratio > 3.0))
    print("both estimators are unbiased; REINFORCE has the larger variance" if ok else "check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
