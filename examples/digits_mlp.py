"""Handwritten digits (scikit-learn's 8x8 digits, bundled with it: no download) with an MLP.

Softmax cross-entropy is built here from core ops (max, exp, sum, log) with the usual
max-subtraction for stability, so the example needs nothing beyond sg.nn and sg.optim.
Needs scikit-learn (scripts/install-deps.sh installs it). Shows a progress bar when tqdm is
installed and saves the loss curve as PNG (`--plot PATH`) when matplotlib is.
"""
import argparse
import time

import numpy as np

import swiftgrad as sg
from swiftgrad import nn
from swiftgrad.utils.data import DataLoader, TensorDataset


def log_softmax(logits):
    shifted = logits - sg.stop_gradient(sg.max(logits, axis=1, keepdims=True))
    return shifted - sg.log(sg.sum(sg.exp(shifted), axis=1, keepdims=True))


def softmax_cross_entropy(logits, one_hot):
    return -sg.mean(sg.sum(one_hot * log_softmax(logits), axis=1))


def _progress(iterable):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc="epochs", unit="epoch", leave=False)


def save_loss_curve(losses, path, title="digits MLP"):
    """The training loss per epoch as a PNG; returns False when matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(range(1, len(losses) + 1), losses)
    ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(epochs=40, batch_size=64, seed=0, plot=None):
    started = time.perf_counter()
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.25, random_state=seed,
                                                        stratify=digits.target)
    one_hot = np.eye(10)[y_train]
    # A new shuffle each epoch from a NumPy generator seeded with `seed`: whole batches are gathered
    # from the TensorDataset's tensors in one step.
    loader = DataLoader(TensorDataset(x_train, one_hot), batch_size=batch_size, shuffle=True,
                        generator=np.random.default_rng(seed))

    sg.random.seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = sg.optim.Adam(model.parameters(), lr=3e-3)
    schedule = sg.optim.lr_scheduler.StepLR(opt, step_size=15, gamma=0.3)
    losses = []
    for epoch in _progress(range(epochs)):
        total = 0.0
        for inputs, targets in loader:
            opt.zero_grad()
            loss = softmax_cross_entropy(model(inputs), targets)
            loss.backward()
            opt.step()
            total += loss.item() * len(inputs)
        schedule.step()
        losses.append(total / len(loader.dataset))
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:2d}   training loss {losses[-1]:.4f}")

    with sg.no_grad():
        predicted = model(x_test).numpy().argmax(axis=1)
    accuracy = (predicted == y_test).mean()
    print(f"test accuracy {accuracy:.4f} on {len(y_test)} held-out digits "
          f"({time.perf_counter() - started:.1f} s including data loading)")
    if plot and save_loss_curve(losses, plot):
        print(f"loss curve saved to {plot}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="digits_mlp_loss.png", help="PNG path for the loss curve ('' to skip)")
    accuracy = main(plot=parser.parse_args().plot)
    if accuracy < 0.95:
        raise SystemExit(f"accuracy {accuracy:.4f} is below 0.95")
