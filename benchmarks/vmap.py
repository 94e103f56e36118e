"""W13 of benchmarks/compare.py: per-sample gradients of the digits CNN (conv 8@3x3, pool, conv
16@3x3, pool, linear 64->10; float64, batch 64), `sg.vmap(sg.grad(loss))` against a Python loop of
`sg.grad`, one batched gradient of the mean loss, `torch.func.vmap(torch.func.grad)` and
`jax.jit(jax.vmap(jax.grad))`. Results are checked equal before timing.

    PYTHONPATH=python python3 benchmarks/compare.py --only W13
"""
import numpy as np

import swiftgrad as sg
from _timing import measure, table

F = sg.nn.functional


def _params(rng):
    def he(*shape):
        return rng.normal(0, np.sqrt(2 / np.prod(shape[1:])), shape)

    return {"c1": he(8, 1, 3, 3), "b1": np.zeros(8), "c2": he(16, 8, 3, 3), "b2": np.zeros(16),
            "w": he(10, 64), "b": np.zeros(10)}


def _sg_cnn(p, x):
    h = F.max_pool2d(F.relu(F.conv2d(x, p["c1"], p["b1"], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["c2"], p["b2"], padding=1)), 2)
    return F.linear(sg.reshape(h, (h.shape[0], -1)), p["w"], p["b"])


def w13(found, rounds, batch=64):
    rng = np.random.default_rng(13)
    params = _params(rng)
    images = rng.uniform(0, 1, (batch, 1, 8, 8))
    labels = rng.integers(0, 10, batch)
    sp = {k: sg.tensor(v) for k, v in params.items()}

    def one(p, x, y):
        return F.cross_entropy(_sg_cnn(p, x[None]), y[None])

    per_sample = sg.vmap(sg.grad(one), in_axes=(None, 0, 0))
    one_grad = sg.grad(one)
    mean_grad = sg.grad(lambda p, x, y: F.cross_entropy(_sg_cnn(p, x), y))
    xs, ys = [sg.tensor(x) for x in images], [sg.tensor(y) for y in labels]

    def loop():
        return [one_grad(sp, x, y) for x, y in zip(xs, ys)]

    reference = per_sample(sp, images, labels)
    looped = loop()
    for k in params:
        np.testing.assert_allclose(reference[k].numpy(), np.stack([g[k].numpy() for g in looped]), rtol=1e-9,
                                   atol=1e-12)
    contenders = {"swiftgrad vmap(grad)": lambda: per_sample(sp, images, labels),
                  "swiftgrad loop of grad": loop,
                  "swiftgrad grad of the mean loss": lambda: mean_grad(sp, images, labels)}
    if "torch" in found:
        contenders.update(_torch(found["torch"], params, images, labels, reference))
    if "jax" in found:
        contenders.update(_jax(found["jax"], params, images, labels, reference))
    # As W1 (Note [Two W1 figures] in overhead.py): one call per sample puts swiftgrad's vmap(grad)
    # right after JAX's run in every round, with the caches that run left, while the mean-loss
    # gradient follows swiftgrad's own loop; three calls in a row per sample show the steady state
    # of a training loop. The targets are judged on the steady figures; both are printed.
    steady = measure(contenders, rounds=max(3, rounds // 2), warmup=1, number=3)
    single = measure(contenders, rounds=max(3, rounds // 2), warmup=0)
    results = dict(steady)
    results.update({k + ", one call after the others": v for k, v in single.items() if k.startswith("swiftgrad")})
    text = table(f"W13: per-sample gradients of the digits CNN (batch {batch})", results, "ms", 1e3,
                 baseline="swiftgrad vmap(grad)")
    for label, r in (("steady", steady), ("one call after the others", single)):
        vm = r["swiftgrad vmap(grad)"][0]
        text += (f"\n{label}: loop / vmap(grad) = {r['swiftgrad loop of grad'][0] / vm:.1f} (target >= 10); "
                 f"vmap(grad) / mean-loss gradient = {vm / r['swiftgrad grad of the mean loss'][0]:.2f} "
                 "(target <= 1.5)")
    text += "\n"
    return text, {k: v[0] for k, v in results.items()}


def _torch(torch, params, images, labels, reference):
    tf = torch.nn.functional
    tp = {k: torch.tensor(v) for k, v in params.items()}

    def cnn(p, x):
        h = tf.max_pool2d(tf.relu(tf.conv2d(x, p["c1"], p["b1"], padding=1)), 2)
        h = tf.max_pool2d(tf.relu(tf.conv2d(h, p["c2"], p["b2"], padding=1)), 2)
        return tf.linear(h.reshape(h.shape[0], -1), p["w"], p["b"])

    def one(p, x, y):
        return tf.cross_entropy(cnn(p, x[None]), y[None])

    per_sample = torch.func.vmap(torch.func.grad(one), in_dims=(None, 0, 0))
    tx, ty = torch.tensor(images), torch.tensor(labels)
    got = per_sample(tp, tx, ty)
    for k in params:
        np.testing.assert_allclose(got[k].numpy(), reference[k].numpy(), rtol=1e-9, atol=1e-12)
    return {"torch.func vmap(grad)": lambda: per_sample(tp, tx, ty)}


def _jax(jax, params, images, labels, reference):
    jnp = jax.numpy

    def conv(x, w, b):
        out = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return out + b[None, :, None, None]

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def one(p, x, y):
        h = pool(jax.nn.relu(conv(x[None], p["c1"], p["b1"])))
        h = pool(jax.nn.relu(conv(h, p["c2"], p["b2"])))
        logits = h.reshape(1, -1) @ p["w"].T + p["b"]
        return -jax.nn.log_softmax(logits)[0, y]

    jp = {k: jnp.asarray(v) for k, v in params.items()}  # float64: _peers enables jax_enable_x64
    per_sample = jax.jit(jax.vmap(jax.grad(one), in_axes=(None, 0, 0)))
    jx, jy = jnp.asarray(images), jnp.asarray(labels)
    got = per_sample(jp, jx, jy)
    for k in params:
        np.testing.assert_allclose(np.asarray(got[k]), reference[k].numpy(), rtol=1e-9, atol=1e-12)
    return {"jax.jit vmap(grad)": lambda: jax.block_until_ready(per_sample(jp, jx, jy))}
