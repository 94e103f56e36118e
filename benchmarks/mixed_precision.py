"""Mixed precision, in one run: a 1024^3 matmul in bfloat16 and float16 against float32, and the W2
MLP training step (784-512-512-10, batch 128) under bf16 autocast against float32, each beside
PyTorch's CPU equivalents when torch is installed (torch.autocast("cpu", dtype=torch.bfloat16)).

    python benchmarks/mixed_precision.py [--rounds N]

Compare at equal thread counts: OPENBLAS_NUM_THREADS=1 SWIFTGRAD_NUM_THREADS=1 (torch follows
OPENBLAS_NUM_THREADS, see _peers.py).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402
from _timing import measure, table  # noqa: E402
from overhead import mlp_params  # noqa: E402

import swiftgrad as sg  # noqa: E402


def matmul_workload(found, rounds, n=1024):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
    contenders = {}
    for name, dt in (("float32", sg.float32), ("bfloat16", sg.bfloat16), ("float16", sg.float16)):
        x, y = sg.tensor(a, dtype=dt), sg.tensor(b, dtype=dt)
        contenders[f"swiftgrad {name}"] = (lambda x=x, y=y: x @ y)
    if "torch" in found:
        torch = found["torch"]
        for name, dt in (("float32", torch.float32), ("bfloat16", torch.bfloat16), ("float16", torch.float16)):
            x, y = torch.tensor(a).to(dt), torch.tensor(b).to(dt)
            contenders[f"torch {name}"] = (lambda x=x, y=y: x @ y)
    # The low-precision products agree with float32's to the dtype's resolution.
    ref = a @ b
    for dt in (sg.bfloat16, sg.float16):
        got = np.asarray(sg.tensor(a, dtype=dt) @ sg.tensor(b, dtype=dt)).astype(np.float32)
        err = np.abs(got - ref).max() / np.abs(ref).max()
        assert err < 0.05, (dt, err)
    results = measure(contenders, rounds=rounds)
    text = table(f"matmul {n}x{n} @ {n}x{n}", results, "ms", 1e3, baseline="swiftgrad float32")
    base = results["swiftgrad float32"][0]
    for name in ("bfloat16", "float16"):
        text += f"\nswiftgrad {name}: {base / results[f'swiftgrad {name}'][0]:.2f}x float32's speed"
    if "torch" in found:
        tbase = results["torch float32"][0]
        for name in ("bfloat16", "float16"):
            text += f"\ntorch {name}: {tbase / results[f'torch {name}'][0]:.2f}x float32's speed"
    return text + "\n"


def mlp_workload(found, rounds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 128)
    base = mlp_params(rng)
    sx = sg.tensor(x)

    def sg_step(params, low):
        def forward():
            h = sx
            for i, (w, b) in enumerate(params):
                h = h @ w + b
                if i < len(params) - 1:
                    h = sg.relu(h)
            return sg.nn.functional.cross_entropy(h, labels)

        if low:
            with sg.autocast(dtype=sg.bfloat16):
                loss = forward()
        else:
            loss = forward()
        loss.backward()
        with sg.no_grad():
            for w, b in params:
                w -= 0.01 * w.grad
                b -= 0.01 * b.grad
                w.grad = None
                b.grad = None
        return loss

    def sg_params():
        return [(sg.tensor(w, requires_grad=True), sg.tensor(b, requires_grad=True)) for w, b in base]

    p32, p16 = sg_params(), sg_params()
    contenders = {"swiftgrad float32": lambda: sg_step(p32, False),
                  "swiftgrad bf16 autocast": lambda: sg_step(p16, True)}
    if "torch" in found:
        torch = found["torch"]
        tx, tl = torch.tensor(x), torch.tensor(labels)

        def t_params():
            return [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in base]

        def t_step(params, low):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=low):
                h = tx
                for i, (w, b) in enumerate(params):
                    h = h @ w + b
                    if i < len(params) - 1:
                        h = torch.relu(h)
                loss = torch.nn.functional.cross_entropy(h.float(), tl)
            loss.backward()
            with torch.no_grad():
                for w, b in params:
                    w -= 0.01 * w.grad
                    b -= 0.01 * b.grad
                    w.grad = None
                    b.grad = None
            return loss

        t32, t16 = t_params(), t_params()
        contenders["torch float32"] = lambda: t_step(t32, False)
        contenders["torch bf16 autocast"] = lambda: t_step(t16, True)
    first = {name: float(fn()) for name, fn in contenders.items()}
    for name, value in first.items():
        np.testing.assert_allclose(value, first["swiftgrad float32"], rtol=2e-2, err_msg=name)
    results = measure(contenders, rounds=rounds)
    text = table("W2 MLP step (784-512-512-10, batch 128)", results, "ms", 1e3, baseline="swiftgrad float32")
    if "torch" in found:
        ratio = results["swiftgrad bf16 autocast"][0] / results["torch bf16 autocast"][0]
        text += f"\nswiftgrad bf16 autocast / torch bf16 autocast: {ratio:.2f}x (target <= 1)\n"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    found = _peers.peers()
    print(_peers.machine())
    info = sg.show_config("dicts")
    print(f"bfloat16 GEMM: {info['bf16_gemm']} (CPU has AVX512-BF16: {info['cpu_avx512_bf16']})")
    print("peers:", ", ".join(found) or "none (pip install torch for the PyTorch columns)")
    print()
    print(matmul_workload(found, args.rounds))
    print(mlp_workload(found, args.rounds))


if __name__ == "__main__":
    main()
