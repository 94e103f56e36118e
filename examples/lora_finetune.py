"""LoRA: fine-tune a frozen linear layer through a trainable low-rank correction (course notes C.2).

A pre-trained weight W0 (d x k) is frozen (`requires_grad=False`) and the layer computes

    h = (W0 + B A) x,    B: d x r (initialised to zero),  A: r x k (random),  r << min(d, k),

so fine-tuning trains r (d + k) numbers instead of d k. The target is a layer whose weight differs
from W0 by a rank-r matrix. The script checks the autodiff gradients of A and B against the
notes' closed forms dL/dA = B^T (dL/dh) x^T and dL/dB = (dL/dh) x^T A^T (and against central
finite differences at one entry), trains A and B with Adam, and reports the loss before and
after, which tensors have a `.grad`, and the gradient storage.
"""
import sys

import numpy as np

import swiftgrad as sg

D, K, R, N = 24, 16, 2, 128  # output dim d, input dim k, rank r, samples


class LoRALinear(sg.nn.Module):
    """A frozen `Linear(k, d)` plus the trainable low-rank update B @ A."""

    def __init__(self, w0, rank, rng):
        super().__init__()
        d, k = w0.shape
        self.weight = sg.nn.Parameter(sg.tensor(w0), requires_grad=False)  # frozen W0
        self.A = sg.nn.Parameter(sg.tensor(rng.normal(0.0, 1.0 / np.sqrt(k), (rank, k))))
        self.B = sg.nn.Parameter(sg.zeros((d, rank)))  # zero: training starts from W0 exactly

    def forward(self, x):  # x: (n, k) -> (n, d)
        return x @ self.weight.T + (x @ self.A.T) @ self.B.T


def main():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(D, K)) / np.sqrt(K)
    w_target = w0 + rng.normal(size=(D, R)) @ rng.normal(size=(R, K)) / np.sqrt(K)
    x = rng.normal(size=(N, K))
    y = x @ w_target.T
    x_t, y_t = sg.tensor(x), sg.tensor(y)

    layer = LoRALinear(w0, R, rng)
    with sg.no_grad():  # a non-zero B for the gradient check (B = 0 makes dL/dA vanish)
        layer.B.add_(sg.tensor(rng.normal(0.0, 0.1, (D, R))))

    def loss_fn():
        return sg.mean(sg.sum((layer(x_t) - y_t) ** 2, axis=1))

    loss = loss_fn()
    loss.backward()
    a, b = layer.A.numpy(), layer.B.numpy()
    dh = 2.0 / N * (x @ (w0 + b @ a).T - y)  # dL/dh for every sample, (n, d)
    closed_a = b.T @ dh.T @ x  # B^T (dL/dh) x^T, summed over samples
    closed_b = dh.T @ x @ a.T  # (dL/dh) x^T A^T
    err = max(np.abs(layer.A.grad.numpy() - closed_a).max(), np.abs(layer.B.grad.numpy() - closed_b).max())
    eps = 1e-6
    shifted = []
    for sign in (1.0, -1.0):
        a_s = a.copy()
        a_s[0, 0] += sign * eps
        pred = x @ (w0 + b @ a_s).T
        shifted.append(np.mean(np.sum((pred - y) ** 2, axis=1)))
    fd = (shifted[0] - shifted[1]) / (2 * eps)
    fd_err = abs(fd - layer.A.grad.numpy()[0, 0])
    print(f"max |autodiff - closed form| over A and B: {err:.2e}")
    print(f"dL/dA[0,0]: autodiff {layer.A.grad.numpy()[0, 0]:.8f}, central difference {fd:.8f}")

    with sg.no_grad():  # restart from W0 as LoRA does
        layer.B.mul_(0.0)
    layer.zero_grad()
    trainable = [p for p in layer.parameters() if p.requires_grad]
    opt = sg.optim.Adam(trainable, lr=0.02)
    before = loss_fn().item()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    after = loss_fn().item()
    with_grad = [name for name, p in layer.named_parameters() if p.grad is not None]
    storage = sum(p.grad.size for p in layer.parameters() if p.grad is not None)
    print(f"loss before {before:.6f}, after {after:.3e} (dropped by a factor {before / after:.3g})")
    print(f"parameters with .grad: {with_grad}; frozen weight.grad is {layer.weight.grad}")
    print(f"gradient storage: {storage} elements = r(d+k) = {R * (D + K)}; full fine-tuning d*k = {D * K}")
    print(f"max |W0 + BA - W_target| = {np.abs(w0 + layer.B.numpy() @ layer.A.numpy() - w_target).max():.2e}")
    ok = (err < 1e-10 and fd_err < 1e-6 and after < 1e-3 * before and with_grad == ["A", "B"]
          and storage == R * (D + K) and np.array_equal(layer.weight.numpy(), w0))
    print("LoRA fine-tuning worked" if ok else "LoRA fine-tuning FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
