"""Graph mode against eager, side by side: the 200-op chain (W1's workload) and the MLP training
step (W2's), each as eager swiftgrad, `sg.compile`d swiftgrad, PyTorch eager and `jax.jit`
(when installed). Prints what the graph passes did on both graphs. `--json FILE` writes numbers.

Run: `python benchmarks/compile.py [--rounds N]`."""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import swiftgrad as sg
from _peers import peers
from _timing import measure, table
from overhead import CHAIN_STEPS, chain_numpy, chain_torch, mlp_params, mlp_step_torch

OPS = 4 * CHAIN_STEPS


def chain(x):
    y = x
    for _ in range(CHAIN_STEPS):
        y = sg.sin(sg.tanh(y) * 1.01 + 0.1)
    return sg.sum(y)


def chain_workload(found, rounds):
    x0 = np.random.default_rng(0).standard_normal(16)
    x = sg.tensor(x0)
    eager = sg.value_and_grad(chain)
    compiled = sg.compile(eager)
    contenders = {"swiftgrad eager": lambda: eager(x), "swiftgrad compiled": lambda: compiled(x)}
    if "torch" in found:
        contenders["torch eager"] = lambda: chain_torch(found["torch"], x0)
    if "jax" in found:
        jax = found["jax"]
        jnp = jax.numpy

        def jf(v):
            for _ in range(CHAIN_STEPS):
                v = jnp.sin(jnp.tanh(v) * 1.01 + 0.1)
            return jnp.sum(v)

        jitted = jax.jit(jax.value_and_grad(jf))
        contenders["jax.jit"] = lambda: jax.block_until_ready(jitted(x0))
    value, grad = chain_numpy(x0)
    for name in ("swiftgrad eager", "swiftgrad compiled"):
        v, g = contenders[name]()
        np.testing.assert_allclose(float(v), value, rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(g.numpy(), grad, rtol=1e-10, err_msg=name)
    results = measure(contenders, rounds=rounds)
    per_op = {k: (m / OPS, n / OPS) for k, (m, n) in results.items()}
    text = table("200-op chain, forward + backward (16 elements)", per_op, "µs/op", 1e6, baseline="swiftgrad eager")
    speedup = results["swiftgrad eager"][0] / results["swiftgrad compiled"][0]
    text += f"\ncompiled is {speedup:.1f}x faster than eager (target >= 5x)\n\nGraph passes on this graph:\n\n"
    text += "\n".join(f"- {line}" for line in compiled.report().splitlines()) + "\n"
    return text, {k: v[0] for k, v in results.items()}


def mlp_workload(found, rounds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 128)
    onehot = np.eye(10, dtype=np.float32)[labels]
    base = mlp_params(rng)
    sx, so = sg.tensor(x), sg.tensor(onehot)

    def loss_fn(params):
        h = sx
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < len(params) - 1:
                h = sg.relu(h)
        return -sg.sum(so * sg.log_softmax(h, axis=1)) / len(onehot)

    def step(params, lr):
        loss, grads = sg.value_and_grad(loss_fn)(params)
        return loss, [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(params, grads)]

    compiled_step = sg.compile(step, static_argnums=1)
    state = {"eager": [(sg.tensor(w), sg.tensor(b)) for w, b in base]}
    state["compiled"] = list(state["eager"])

    def run(kind, fn):
        def go():
            loss, state[kind] = fn(state[kind], 0.01)
            return loss
        return go

    contenders = {"swiftgrad eager": run("eager", step), "swiftgrad compiled": run("compiled", compiled_step)}
    if "torch" in found:
        torch = found["torch"]
        t_params = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in base]
        tx, to = torch.tensor(x), torch.tensor(onehot)
        contenders["torch eager"] = lambda: mlp_step_torch(torch, t_params, tx, to)
    if "jax" in found:
        jax = found["jax"]
        jnp = jax.numpy

        def jloss(params):
            h = jnp.asarray(x)
            for i, (w, b) in enumerate(params):
                h = h @ w + b
                if i < len(params) - 1:
                    h = jax.nn.relu(h)
            return -jnp.sum(onehot * jax.nn.log_softmax(h, axis=1)) / len(onehot)

        @jax.jit
        def jstep(params):
            loss, grads = jax.value_and_grad(jloss)(params)
            return loss, [(w - 0.01 * gw, b - 0.01 * gb) for (w, b), (gw, gb) in zip(params, grads)]

        jstate = {"p": [(jnp.asarray(w), jnp.asarray(b)) for w, b in base]}

        def jax_step():
            loss, jstate["p"] = jstep(jstate["p"])
            return jax.block_until_ready(loss)

        contenders["jax.jit"] = jax_step
    first = {name: float(fn()) for name, fn in contenders.items()}
    for name, value in first.items():
        np.testing.assert_allclose(value, first["swiftgrad eager"], rtol=1e-4, err_msg=name)
    results = measure(contenders, rounds=rounds)
    text = table("MLP training step (784-512-512-10, float32, batch 128)", results, "ms", 1e3,
                 baseline="swiftgrad eager")
    passes = "\n".join(f"- {line}" for line in compiled_step.report().splitlines())
    text += "\nGraph passes on this graph:\n\n" + passes + "\n"
    return text, {k: v[0] for k, v in results.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json")
    args = parser.parse_args()
    found = peers()
    numbers = {}
    for name, workload in (("chain", chain_workload), ("mlp", mlp_workload)):
        text, numbers[name] = workload(found, args.rounds)
        print(text, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(numbers, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
