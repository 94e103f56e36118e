"""Gradient accumulation (course notes G.1): k micro-batches, each loss scaled by 1/k, give the
big-batch gradient.

`.grad` accumulates (+=) over `backward()` calls, so calling backward on k micro-batch losses,
each the mean over its b = B / k samples divided by k, leaves in `.grad` the gradient of the mean
over all B samples. The script checks this in float64 (to 1e-12) for an MLP, then takes one
SGD step (after clipping the gradient norm with `sg.nn.utils.clip_grad_norm_`) from the same
start both ways and compares the parameters; forgetting the 1/k scaling gives k times the
gradient.
"""
import copy
import sys

import numpy as np

import swiftgrad as sg

B, K = 64, 4  # big batch, number of micro-batches


def main():
    sg.random.seed(0)
    rng = np.random.default_rng(0)
    x = sg.tensor(rng.normal(size=(B, 5)))
    y = sg.tensor(rng.normal(size=(B, 2)))
    big = sg.nn.Sequential(sg.nn.Linear(5, 16), sg.nn.Tanh(), sg.nn.Linear(16, 2))
    accum = copy.deepcopy(big)
    unscaled = copy.deepcopy(big)
    mse = sg.nn.MSELoss()

    mse(big(x), y).backward()  # one big batch

    b = B // K
    for i in range(K):  # k micro-batches
        xb, yb = x[i * b:(i + 1) * b], y[i * b:(i + 1) * b]
        (mse(accum(xb), yb) / K).backward()
        mse(unscaled(xb), yb).backward()  # the mistake: no 1/k

    def flat_grad(model):
        return sg.nn.utils.parameters_to_vector([p.grad for p in model.parameters()]).numpy()

    g_big, g_acc, g_uns = flat_grad(big), flat_grad(accum), flat_grad(unscaled)
    grad_err = np.abs(g_big - g_acc).max()
    print(f"{len(g_big)} gradient entries; max |big-batch - accumulated| = {grad_err:.2e}")
    print(f"without the 1/k scaling the gradient is {np.linalg.norm(g_uns) / np.linalg.norm(g_big):.6f} "
          f"times larger (k = {K})")

    params_before = sg.nn.utils.parameters_to_vector(big.parameters()).numpy()
    norms = []
    for model in (big, accum):
        norms.append(sg.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.2).item())
        opt = sg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt.step()
    p_big = sg.nn.utils.parameters_to_vector(big.parameters()).numpy()
    p_acc = sg.nn.utils.parameters_to_vector(accum.parameters()).numpy()
    step_err = np.abs(p_big - p_acc).max()
    print(f"gradient norm before clipping: big batch {norms[0]:.12f}, accumulated {norms[1]:.12f}")
    print(f"after one clipped SGD step: max |params big - params accumulated| = {step_err:.2e} "
          f"(the step moved them by {np.abs(p_big - params_before).max():.2e})")
    ok = (grad_err < 1e-12 and step_err < 1e-12 and abs(np.linalg.norm(g_uns) / np.linalg.norm(g_big) - K) < 1e-9
          and min(norms) > 0.2 and np.abs(p_big - params_before).max() > 1e-3)
    print("accumulated gradients equal the big-batch gradient" if ok else "check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
