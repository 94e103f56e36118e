"""Quantisation-aware training with a straight-through estimator (course notes 8.3 and D.3).

A linear model uses weights quantised to a grid of step DELTA and LEVELS levels either side of 0:

    q(w) = DELTA * clip(round(w / DELTA), -LEVELS, LEVELS).

Rounding has derivative 0 almost everywhere, so autodiff through q gives a zero gradient and
training cannot start. The straight-through estimator, written with `sg.custom_vjp`, keeps q in
the forward pass and passes the cotangent unchanged in the backward pass, masked to the
representable range |w / DELTA| <= LEVELS + 1/2, beyond which q saturates (the clipping variant
of the notes): dL/dw ~ dL/dq.

The script shows the zero gradient of plain rounding, checks the STE gradient (it equals the
gradient of the unquantised loss evaluated at q(w), compared with central finite differences of
that loss), trains with SGD and prints the loss before and after.
"""
import sys

import numpy as np

import swiftgrad as sg

DELTA, LEVELS = 0.25, 4  # weights on {-1, -0.75, ..., 1}


def quantise(w):
    return DELTA * sg.clip(sg.round(w / DELTA), -LEVELS, LEVELS)


@sg.custom_vjp
def quantise_ste(w):
    """q(w) forward; the identity (inside the representable range) backward."""
    return quantise(w)


def _ste_fwd(w):
    inside = sg.less_equal(sg.abs(w / DELTA), LEVELS + 0.5)
    return quantise(w), sg.astype(inside, w.dtype)


quantise_ste.defvjp(_ste_fwd, lambda mask, g: (g * mask,))


def main():
    rng = np.random.default_rng(0)
    n, k, m = 256, 8, 3
    w_true = DELTA * rng.integers(-LEVELS, LEVELS + 1, size=(k, m))  # a target on the grid
    x = sg.tensor(rng.normal(size=(n, k)))
    y = x @ sg.tensor(w_true)

    def loss_of(weights):  # the unquantised loss L(v) = mean |x v - y|^2
        return sg.mean((x @ weights - y) ** 2)

    w0 = rng.uniform(-1.0, 1.0, size=(k, m))
    plain = sg.grad(lambda w: loss_of(quantise(w)))(sg.tensor(w0)).numpy()
    print(f"plain rounding: max |dL/dw| = {np.abs(plain).max():.1f} (round has zero derivative)")

    ste = sg.grad(lambda w: loss_of(quantise_ste(w)))(sg.tensor(w0)).numpy()
    q0 = quantise(sg.tensor(w0)).numpy()
    fd = np.zeros_like(q0)
    eps = 1e-6
    for idx in np.ndindex(q0.shape):
        up, down = q0.copy(), q0.copy()
        up[idx] += eps
        down[idx] -= eps
        fd[idx] = (loss_of(sg.tensor(up)).item() - loss_of(sg.tensor(down)).item()) / (2 * eps)
    fd_err = np.abs(ste - fd).max()
    print(f"STE gradient vs central differences of L at q(w): max error {fd_err:.2e}")

    w = sg.nn.Parameter(sg.tensor(w0))
    opt = sg.optim.SGD([w], lr=0.05, momentum=0.9)
    before = loss_of(quantise(w)).item()
    for _ in range(150):
        opt.zero_grad()
        loss = loss_of(quantise_ste(w))
        loss.backward()
        opt.step()
    after = loss_of(quantise(w)).item()
    exact = np.mean(quantise(w).numpy() == w_true)
    print(f"STE training: loss before {before:.4f}, after {after:.3e}; "
          f"{100 * exact:.0f}% of the quantised weights equal the target's")
    ok = np.all(plain == 0.0) and fd_err < 1e-6 and after < 1e-3 * before and exact == 1.0
    print("the straight-through estimator trains the quantised layer" if ok else "check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
