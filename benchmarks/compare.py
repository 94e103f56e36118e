"""All thirteen workloads of the performance issue in one run, side by side with NumPy and every peer
library that is installed (PyTorch, JAX, HIPS autograd; an absent peer is reported as absent).
Interleaved rounds, medians and minimums, results checked equal before timing; prints Markdown
and writes JSON (`--json`).

    PYTHONPATH=python python3 benchmarks/compare.py [--rounds 7] [--json results.json] [--only W5,W8]
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see overhead.py: one BLAS thread per library

import numpy as np  # noqa: E402

import swiftgrad as sg  # noqa: E402
from _peers import machine, peers  # noqa: E402
from _timing import measure, table  # noqa: E402
import models  # noqa: E402
import overhead  # noqa: E402
import vmap as vmap_workloads  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def w4(found, rounds):
    """4M-element elementwise expression and its gradient (GB/s of the inputs read)."""
    n = 4_000_000
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    ta, tb = sg.tensor(a), sg.tensor(b)
    tag = sg.tensor(a, requires_grad=True)

    def np_forward():
        return np.tanh(a) * b + np.exp(-a * a)

    def sg_forward():
        return sg.tanh(ta) * tb + sg.exp(-ta * ta)

    def sg_backward():
        tag.grad = None
        sg.sum(sg.tanh(tag) * tb + sg.exp(-tag * tag)).backward()
        return tag.grad

    compiled_forward = sg.compile(lambda a, b: sg.tanh(a) * b + sg.exp(-a * a))
    compiled_gradient = sg.compile(sg.grad(lambda a, b: sg.sum(sg.tanh(a) * b + sg.exp(-a * a))))
    np.testing.assert_allclose(sg_forward().numpy(), np_forward(), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(compiled_forward(ta, tb).numpy(), sg_forward().numpy())
    np.testing.assert_array_equal(compiled_gradient(ta, tb).numpy(), sg_backward().numpy())
    contenders = {"numpy forward": np_forward, "swiftgrad forward": sg_forward,
                  "swiftgrad forward+backward": sg_backward,
                  "swiftgrad compiled forward": lambda: compiled_forward(ta, tb),
                  "swiftgrad compiled gradient": lambda: compiled_gradient(ta, tb)}
    if "torch" in found:
        torch = found["torch"]
        pa, pb = torch.tensor(a), torch.tensor(b)
        contenders["torch forward"] = lambda: torch.tanh(pa) * pb + torch.exp(-pa * pa)
    results = measure(contenders, rounds=max(3, rounds // 2), warmup=1)
    gbs = {k: (2 * n * 8 / m / 1e9, 2 * n * 8 / mn / 1e9) for k, (m, mn) in results.items()}
    lines = ["### W4: 4M-element `tanh(a) * b + exp(-a*a)` (float64)", "",
             "| contender | median ms | GB/s (inputs) | ratio to numpy forward |", "|---|---|---|---|"]
    base = results["numpy forward"][0]
    for k, (m, _) in results.items():
        lines.append(f"| {k} | {m * 1e3:.1f} | {gbs[k][0]:.2f} | {m / base:.2f}x |")
    return "\n".join(lines) + "\n", {k: v[0] for k, v in results.items()}


def _mlp_loss_factory(rng, width=64):
    X = rng.standard_normal((32, 16))
    Y = rng.standard_normal((32, 1))
    shapes = [(16, width), (width, width), (width, 1)]
    sizes = [r * c for r, c in shapes]
    theta0 = rng.standard_normal(sum(sizes)) * 0.2

    def unpack(theta, lib_slice, reshape):
        out, start = [], 0
        for (r, c), s in zip(shapes, sizes):
            out.append(reshape(lib_slice(theta, start, start + s), (r, c)))
            start += s
        return out

    def sg_loss(theta):
        w1, w2, w3 = unpack(theta, lambda t, a, b: t[a:b], sg.reshape)
        h = sg.tanh(sg.tanh(sg.tensor(X) @ w1) @ w2) @ w3
        return sg.mean((h - Y) ** 2)

    return X, Y, shapes, sizes, theta0, unpack, sg_loss


def w5(found, rounds):
    """hvp of a small MLP loss relative to one gradient."""
    rng = np.random.default_rng(0)
    X, Y, shapes, sizes, theta0, unpack, sg_loss = _mlp_loss_factory(rng)
    v = rng.standard_normal(theta0.size)
    grad_fn = sg.grad(sg_loss)
    contenders = {"swiftgrad grad": lambda: grad_fn(theta0), "swiftgrad hvp": lambda: sg.hvp(sg_loss, (theta0,), (v,))}
    if "torch" in found:
        torch = found["torch"]
        tX, tY = torch.tensor(X), torch.tensor(Y)

        def t_loss(theta):
            w1, w2, w3 = unpack(theta, lambda t, a, b: t[a:b], lambda t, s: t.reshape(s))
            return ((torch.tanh(torch.tanh(tX @ w1) @ w2) @ w3 - tY) ** 2).mean()

        tt, tv = torch.tensor(theta0), torch.tensor(v)
        contenders["torch grad"] = lambda: torch.func.grad(t_loss)(tt)
        contenders["torch hvp"] = lambda: torch.func.jvp(torch.func.grad(t_loss), (tt,), (tv,))[1]
        np.testing.assert_allclose(sg.hvp(sg_loss, (theta0,), (v,))[1].numpy(),
                                   contenders["torch hvp"]().numpy(), rtol=1e-9, atol=1e-12)
    if "jax" in found:
        jax = found["jax"]
        jnp = jax.numpy

        def j_loss(theta):
            w1, w2, w3 = unpack(theta, lambda t, a, b: t[a:b], lambda t, s: t.reshape(s))
            return jnp.mean((jnp.tanh(jnp.tanh(X @ w1) @ w2) @ w3 - Y) ** 2)

        jg = jax.jit(jax.grad(j_loss))
        jh = jax.jit(lambda t, u: jax.jvp(jax.grad(j_loss), (t,), (u,))[1])
        contenders["jax.jit grad"] = lambda: jg(theta0).block_until_ready()
        contenders["jax.jit hvp"] = lambda: jh(theta0, v).block_until_ready()
    results = measure(contenders, rounds=rounds)
    text = table("W5: hvp of a small MLP loss (16-64-64-1, 5,248 parameters) vs one gradient", results, "ms", 1e3,
                 baseline="swiftgrad grad")
    ratio = results["swiftgrad hvp"][0] / results["swiftgrad grad"][0]
    return text + f"\nswiftgrad hvp / gradient = {ratio:.2f} (target <= 4)\n", {k: v[0] for k, v in results.items()}


def w6(found, rounds):
    """Full Hessian of a 200-dimensional function."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((200, 200)) / 15
    x0 = rng.standard_normal(200)
    f = lambda x: sg.sum(sg.tanh(sg.tensor(A) @ x) ** 2) + 0.5 * sg.sum(x * x)  # noqa: E731
    compiled = sg.compile(sg.hessian(f))  # the 200 forward-over-reverse passes, recorded once
    np.testing.assert_allclose(compiled(x0).numpy(), sg.hessian(f)(x0).numpy(), rtol=1e-12, atol=1e-14)
    contenders = {"swiftgrad hessian": lambda: sg.hessian(f)(x0), "swiftgrad compiled hessian": lambda: compiled(x0)}
    if "torch" in found:
        torch = found["torch"]
        tA = torch.tensor(A)
        tf = lambda x: (torch.tanh(tA @ x) ** 2).sum() + 0.5 * (x * x).sum()  # noqa: E731
        contenders["torch.func.hessian"] = lambda: torch.func.hessian(tf)(torch.tensor(x0))
        np.testing.assert_allclose(sg.hessian(f)(x0).numpy(), contenders["torch.func.hessian"]().numpy(),
                                   rtol=1e-9, atol=1e-12)
    if "jax" in found:
        jax = found["jax"]
        jf = lambda x: (jax.numpy.tanh(A @ x) ** 2).sum() + 0.5 * (x * x).sum()  # noqa: E731
        jh = jax.jit(jax.hessian(jf))
        contenders["jax.jit hessian"] = lambda: jh(x0).block_until_ready()
    results = measure(contenders, rounds=max(3, rounds // 2), warmup=1)
    return table("W6: full Hessian of a 200-dimensional function", results, "ms", 1e3,
                 baseline="swiftgrad hessian"), {k: v[0] for k, v in results.items()}


def w7(found, rounds):
    """Jacobians of R^1000 -> R^10 and R^10 -> R^1000 in both modes."""
    rng = np.random.default_rng(2)
    out = {}
    lines = ["### W7: Jacobians, both modes", "", "| case | contender | median ms |", "|---|---|---|"]
    for n, m in ((1000, 10), (10, 1000)):
        W = rng.standard_normal((m, n)) / np.sqrt(n)
        x = rng.standard_normal(n)
        f = lambda v, W=W: sg.tanh(sg.tensor(W) @ v)  # noqa: E731
        contenders = {"swiftgrad jacfwd": lambda f=f, x=x: sg.jacfwd(f)(x),
                      "swiftgrad jacrev": lambda f=f, x=x: sg.jacrev(f)(x),
                      "swiftgrad jacobian (auto)": lambda f=f, x=x: sg.jacobian(f)(x)}
        if "torch" in found:
            torch = found["torch"]
            tW, tx = torch.tensor(W), torch.tensor(x)
            tf = lambda v, tW=tW, torch=torch: torch.tanh(tW @ v)  # noqa: E731
            contenders["torch jacfwd (vmap)"] = lambda tf=tf, tx=tx, torch=torch: torch.func.jacfwd(tf)(tx)
            contenders["torch jacrev (vmap)"] = lambda tf=tf, tx=tx, torch=torch: torch.func.jacrev(tf)(tx)
        results = measure(contenders, rounds=max(3, rounds // 2), warmup=1)
        for k, (med, _) in results.items():
            lines.append(f"| R^{n} -> R^{m} | {k} | {med * 1e3:.2f} |")
            out[f"{n}->{m} {k}"] = med
    return "\n".join(lines) + "\n", out


def w8(found, rounds, steps=20_000):
    """A 20,000-op deep chain, forward and backward (µs per op)."""
    def sg_chain():
        x = sg.tensor([0.5], requires_grad=True)
        y = x
        for _ in range(steps):
            y = sg.sin(y)
        y.backward(sg.ones(1))
        return x.grad.item()

    contenders = {"swiftgrad": sg_chain}
    if "torch" in found:
        torch = found["torch"]

        def torch_chain():
            x = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
            y = x
            for _ in range(steps):
                y = torch.sin(y)
            y.backward(torch.ones(1, dtype=torch.float64))
            return x.grad.item()

        contenders["torch"] = torch_chain
        np.testing.assert_allclose(sg_chain(), torch_chain(), rtol=1e-12)
    results = measure(contenders, rounds=max(3, rounds // 2), warmup=1)
    per_op = {k: (m / steps, mn / steps) for k, (m, mn) in results.items()}
    return table(f"W8: {steps:,}-op chain, forward + backward", per_op, "µs/op", 1e6, baseline="swiftgrad"), \
        {k: v[0] for k, v in per_op.items()}


def w9(found, rounds):
    """Import time of each library (fresh interpreter, best of a few)."""
    env = dict(os.environ)
    out = {}
    for name in ["numpy", "swiftgrad"] + list(found):
        times = []
        for _ in range(3):
            code = f"import time; t = time.perf_counter(); import {name}; print(time.perf_counter() - t)"
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
            if r.returncode == 0:
                times.append(float(r.stdout.strip().splitlines()[-1]))
        if times:
            out[name] = min(times)
    lines = ["### W9: import time (fresh interpreter, best of 3)", "", "| library | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in out.items()]
    if "torch" in out:
        lines.append(f"\nswiftgrad / torch = {out['swiftgrad'] / out['torch']:.2f} (target <= 0.1)")
    return "\n".join(lines) + "\n", out


def w10(found, rounds):
    """Peak memory with and without checkpointing (benchmarks/checkpoint.py)."""
    r = subprocess.run([sys.executable, os.path.join(HERE, "checkpoint.py")], capture_output=True, text=True,
                       check=True)
    return "### W10: peak memory with and without checkpointing\n\n" + r.stdout + "\n", {"report": r.stdout}


WORKLOADS = {"W1": overhead.w1, "W2": overhead.w2, "W3": overhead.w3, "W4": w4, "W5": w5, "W6": w6, "W7": w7,
             "W8": w8, "W9": w9, "W10": w10, "W11": models.w11, "W12": models.w12, "W13": vmap_workloads.w13}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json")
    parser.add_argument("--only", help="comma-separated workload names, e.g. W1,W5")
    parser.add_argument("--no-peers", action="store_true", help="swiftgrad and NumPy only (as overhead.py)")
    args = parser.parse_args()
    found = {} if args.no_peers else peers()
    absent = [p for p in ("torch", "jax", "autograd") if p not in found]
    print(f"# swiftgrad benchmarks, {time.strftime('%Y-%m-%d')}\n\npeers installed: {', '.join(found) or 'none'}; "
          f"absent: {', '.join(absent) or 'none'}; BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}\n")
    print(machine() + "\n", flush=True)
    chosen = args.only.split(",") if args.only else list(WORKLOADS)
    results = {}
    for name in chosen:
        text, numbers = WORKLOADS[name](found, args.rounds)
        print(text, flush=True)
        results[name] = numbers
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    main()
