"""Peak memory and time of attention forward + backward: the blocked primitive
(`F.scaled_dot_product_attention`, Note [Blocked attention]) against the naive composite
softmax(q k^T / sqrt(d)) v, at T = 4096, d = 64, float32 by default.

Each variant runs in its own subprocess so that peak resident memory (ru_maxrss) measures that
variant alone (the large-buffer cache is switched off so freed blocks are not kept around); the
outputs and gradients of the two are compared.

    PYTHONPATH=python python3 benchmarks/attention.py [--seq 4096] [--dim 64] [--heads 1] [--causal]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _peers import machine  # noqa: E402

CHILD = r'''
import json, resource, sys, time
import numpy as np
import swiftgrad as sg
F = sg.nn.functional
seq, dim, heads, causal, variant = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
rng = np.random.default_rng(0)
q, k, v = (sg.tensor(rng.standard_normal((heads, seq, dim)).astype(np.float32), requires_grad=True) for _ in range(3))
c = sg.tensor(rng.standard_normal((heads, seq, dim)).astype(np.float32))
def naive(q, k, v):
    s = (q @ sg.swapaxes(k, -1, -2)) * (1 / np.sqrt(dim))
    if causal:
        s = sg.where(np.tril(np.ones(s.shape[-2:], bool)), s, -np.inf)
    return sg.softmax(s, -1) @ v
def blocked(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
f = blocked if variant == "blocked" else naive
small = [sg.tensor(rng.standard_normal((1, 8, dim)).astype(np.float32), requires_grad=True) for _ in range(3)]
sg.sum(f(*small)).backward()  # warm-up of the code paths and BLAS
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
out = f(q, k, v)
forward = time.perf_counter() - start
sg.sum(out * c).backward()
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
np.savez(sys.argv[6], out=np.asarray(out), dq=np.asarray(q.grad), dk=np.asarray(k.grad), dv=np.asarray(v.grad))
print(json.dumps({"peak_mib": (peak - base) / 1024, "forward": forward, "seconds": elapsed}))
'''


def run(variant, args, path):
    env = {**os.environ, "SWIFTGRAD_CACHE_MB": "0"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(args.seq), str(args.dim), str(args.heads),
                          "1" if args.causal else "0", variant, path], capture_output=True, text=True, check=True,
                         env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    import tempfile

    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seq", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--heads", type=int, default=1)
    parser.add_argument("--causal", action="store_true")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: os.path.join(tmp, name + ".npz") for name in ("blocked", "naive")}
        results = {name: run(name, args, path) for name, path in paths.items()}
        a, b = np.load(paths["blocked"]), np.load(paths["naive"])
        worst = max(float(np.abs(a[key] - b[key]).max() / max(np.abs(b[key]).max(), 1e-30)) for key in a.files)
    print(f"attention forward + backward, {args.heads} head(s), T={args.seq}, d={args.dim}, float32, "
          f"{'causal' if args.causal else 'no mask'}")
    print("| variant | extra peak memory (MiB) | forward (s) | forward + backward (s) |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['peak_mib']:.0f} | {r['forward']:.3f} | {r['seconds']:.3f} |")
    blocked, naive = results["blocked"], results["naive"]
    print(f"memory reduction {naive['peak_mib'] / max(blocked['peak_mib'], 1e-9):.1f}x, time ratio blocked/naive "
          f"{blocked['seconds'] / naive['seconds']:.2f}x; largest difference of output and gradients relative to "
          f"their magnitude {worst:.1e}")


if __name__ == "__main__":
    main()
