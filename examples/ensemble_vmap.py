"""An ensemble of 8 small MLPs trained at once: the parameters are stacked along a leading axis
and `sg.vmap` maps the loss over it, so every step is one batched forward and backward pass for
all members (each with its own initialisation and its own bootstrap sample of the data).

Checks that one batched step equals 8 separate steps, and that every member fits sin(3x).
"""
import numpy as np

import swiftgrad as sg

MEMBERS, HIDDEN = 8, 32


def init(rng):
    return {"w1": rng.normal(0, 1, (MEMBERS, 1, HIDDEN)), "b1": np.zeros((MEMBERS, HIDDEN)),
            "w2": rng.normal(0, 1 / np.sqrt(HIDDEN), (MEMBERS, HIDDEN, 1)), "b2": np.zeros((MEMBERS, 1))}


def predict(params, x):
    return (sg.tanh(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"])[:, 0]


def loss(params, x, y):
    return sg.mean((predict(params, x) - y) ** 2)


# One member's loss, mapped over the stacked parameters and each member's own data.
ensemble_loss = sg.vmap(loss, in_axes=(0, 0, 0))
ensemble_grad = sg.grad(lambda p, x, y: sg.sum(ensemble_loss(p, x, y)))


def step(params, x, y, lr=0.05):
    grads = ensemble_grad(params, x, y)
    return {k: sg.asarray(params[k]) - lr * grads[k] for k in params}


def main(seed=0, steps=1500):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (64, 1))
    y = np.sin(3 * x[:, 0])
    boot = rng.integers(0, 64, (MEMBERS, 64))  # a bootstrap sample per member
    xs, ys = x[boot], y[boot]
    params = init(rng)

    batched = step(params, xs, ys)
    for m in range(MEMBERS):
        single = {k: v[m] for k, v in params.items()}
        g = sg.grad(loss)(single, xs[m], ys[m])
        for k in params:
            np.testing.assert_allclose(batched[k].numpy()[m], single[k] - 0.05 * g[k].numpy(), rtol=1e-10,
                                       atol=1e-12)
    print(f"one batched step of {MEMBERS} members equals {MEMBERS} separate steps")

    before = ensemble_loss(params, xs, ys).numpy()
    for _ in range(steps):
        params = step(params, xs, ys)
    after = ensemble_loss(params, xs, ys).numpy()
    print("training loss per member:", np.array2string(after, precision=4))
    assert np.all(after < 0.05 * before), (before, after)
    spread = predict_spread(params, x)
    print(f"ensemble spread (std of the members' predictions) on the training inputs: {spread:.4f}")


def predict_spread(params, x):
    preds = sg.vmap(predict, in_axes=(0, None))(params, x).numpy()
    return float(preds.std(axis=0).mean())


if __name__ == "__main__":
    main()
