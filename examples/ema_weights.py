"""An exponential moving average of the weights (course notes G.2) with
`sg.optim.swa_utils.AveragedModel`.

    ema_1 = theta_1,   ema_t = decay * ema_{t-1} + (1 - decay) * theta_t

is updated after every optimizer step by `ema.update_parameters(model)`, in place and under
`no_grad` (the update records no graph nodes). The script trains a small regression model with
noisy mini-batch SGD, recomputes the recurrence by hand in NumPy, compares, and evaluates the
EMA model and the last iterate on held-out data (the average smooths out the SGD noise).
"""
import sys

import numpy as np

import swiftgrad as sg
from swiftgrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

DECAY, STEPS = 0.9, 200


def main():
    sg.random.seed(0)
    rng = np.random.default_rng(0)
    w_true = rng.normal(size=(6, 1))
    x_all = rng.normal(size=(4096, 6))
    y_all = x_all @ w_true + 0.5 * rng.normal(size=(4096, 1))
    x_test, y_test = sg.tensor(x_all[:1024]), sg.tensor(x_all[:1024] @ w_true)

    model = sg.nn.Linear(6, 1)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(DECAY))
    opt = sg.optim.SGD(model.parameters(), lr=0.1)
    mse = sg.nn.MSELoss()
    hand = None
    for _ in range(STEPS):
        idx = rng.integers(1024, 4096, size=8)
        opt.zero_grad()
        mse(model(sg.tensor(x_all[idx])), sg.tensor(y_all[idx])).backward()
        opt.step()
        ema.update_parameters(model)
        theta = [p.numpy().copy() for p in model.parameters()]
        hand = theta if hand is None else [DECAY * e + (1 - DECAY) * t for e, t in zip(hand, theta)]

    err = max(np.abs(p.numpy() - h).max() for p, h in zip(ema.parameters(), hand))
    no_graph = all(p.is_leaf and p.grad_fn is None and p.grad is None for p in ema.parameters())
    with sg.no_grad():
        last = mse(model(x_test), y_test).item()
        averaged = mse(ema(x_test), y_test).item()
    print(f"{int(ema.n_averaged.item())} EMA updates (decay {DECAY}); "
          f"max |AveragedModel - hand-computed recurrence| = {err:.2e}")
    print(f"EMA parameters are leaves without gradients: {no_graph}")
    print(f"held-out MSE: last iterate {last:.5f}, EMA {averaged:.5f}")
    ok = err < 1e-12 and no_graph and int(ema.n_averaged.item()) == STEPS and averaged < last
    print("the EMA follows the recurrence" if ok else "check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
