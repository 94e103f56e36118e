"""A small MLP trained with sg.nn + sg.optim: two interleaved half-moons (synthetic data),
logistic loss built from core ops, Adam with a cosine learning-rate schedule."""
import numpy as np

import swiftgrad as sg
from swiftgrad import nn


def two_moons(n, noise, rng):
    t = rng.uniform(0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    labels = rng.integers(0, 2, size=n)
    x = np.where(labels[:, None] == 0, upper, lower) + noise * rng.normal(size=(n, 2))
    return x, labels


def logistic_loss(logits, labels):
    """mean log(1 + exp(-s z)) with s = +-1: the binary cross-entropy of sigmoid(z)."""
    signs = 2.0 * labels.reshape(-1, 1) - 1.0
    return sg.mean(sg.log1p(sg.exp(-signs * logits)))


def main(epochs=300, seed=0):
    rng = np.random.default_rng(seed)
    x_train, y_train = two_moons(400, 0.15, rng)
    x_test, y_test = two_moons(400, 0.15, rng)

    sg.random.seed(seed)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = sg.optim.Adam(model.parameters(), lr=0.02)
    schedule = sg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=1e-3)
    for epoch in range(epochs):
        opt.zero_grad()
        loss = logistic_loss(model(x_train), y_train)
        loss.backward()
        opt.step()
        schedule.step()
        if epoch % 50 == 0:
            print(f"epoch {epoch:3d}   loss {loss.item():.4f}   lr {schedule.get_last_lr()[0]:.4f}")

    model.eval()
    with sg.no_grad():
        predicted = (model(x_test).numpy()[:, 0] > 0).astype(int)
    accuracy = (predicted == y_test).mean()
    print(f"final training loss {loss.item():.4f}   test accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    accuracy = main()
    if accuracy < 0.95:
        raise SystemExit(f"accuracy {accuracy:.3f} is below 0.95")
