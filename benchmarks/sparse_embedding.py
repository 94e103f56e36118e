"""An embedding-table training step with row-sparse against dense gradients, and PyTorch's
`sparse=True` step when torch is installed: a (V, 64) float32 table, V = 10^6 by default, a batch
touching 4,096 distinct rows, loss sum(rows ** 2), backward, SGD step (lr 0.1).

Each variant runs in its own subprocesses: the extra peak resident memory (ru_maxrss) of its steps
after a warm-up (swiftgrad's large-buffer cache switched off so that freed blocks are not kept
around), and the median step time (default settings), are that variant's alone. Both tables are
written (resident) before the steps.

    PYTHONPATH=python python3 benchmarks/sparse_embedding.py [--rows 1000000] [--batch 4096] [--steps 7]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _peers import load, machine  # noqa: E402

CHILD = r'''
import json, os, resource, statistics, sys, time
import numpy as np
clock = time.process_time if os.environ.get("SG_BENCH_CPU_TIME") == "1" else time.perf_counter  # see _timing.py
rows, batch, steps, variant = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
batches = [rng.choice(rows, size=batch, replace=False) for _ in range(steps + 1)]
def make(n):
    """A step function over an (n, 64) table (the table itself is allocated here)."""
    if variant == "torch_sparse":
        import torch
        torch.set_num_threads(int(__import__("os").environ.get("OPENBLAS_NUM_THREADS", "1")))
        table = torch.nn.Embedding(n, 64, sparse=True)  # N(0, 1) rows, written
        opt = torch.optim.SGD(table.parameters(), lr=0.1)
        def step(idx):
            opt.zero_grad()
            (table(torch.from_numpy(idx)) ** 2).sum().backward()
            opt.step()
    else:
        import swiftgrad as sg
        # Written rows, as a real table's (a zeroed table's untouched pages would fault on first use);
        # filled in place so that no temporary raises the peak before the steps.
        w = sg.nn.Parameter(sg.zeros((n, 64), dtype=np.float32))
        with sg.no_grad():
            w.fill_(0.01)
        opt = sg.optim.SGD([w], lr=0.1)
        sparse = variant == "swiftgrad_sparse"
        def step(idx):
            opt.zero_grad()
            sg.sum(sg.nn.functional.embedding(idx, w, sparse=sparse) ** 2).backward()
            opt.step()
    return step
make(8)(np.array([1, 2]))  # warm-up of the code paths on a small table
step = make(rows)
# The table is resident once written; what the steps add beyond it is the gradient's memory.
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for idx in batches[1:]:
    start = clock()
    step(idx)
    times.append(clock() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"extra_mib": (peak - base) / 1024, "median_ms": statistics.median(times) * 1e3}))
'''


def run(variant, args):
    """Memory with swiftgrad's buffer cache off (freed blocks not kept), time with the defaults."""
    results = {}
    for cache in ("0", None):
        env = dict(os.environ)
        if cache is not None:
            env["SWIFTGRAD_CACHE_MB"] = cache
        out = subprocess.run([sys.executable, "-c", CHILD, str(args.rows), str(args.batch), str(args.steps), variant],
                             capture_output=True, text=True, check=True, env=env)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results["extra_mib" if cache else "median_ms"] = r["extra_mib" if cache else "median_ms"]
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=7)
    args = parser.parse_args()
    print(machine())
    variants = ["swiftgrad_sparse", "swiftgrad_dense"] + (["torch_sparse"] if load("torch") else [])
    results = {v: run(v, args) for v in variants}
    print(f"embedding step, table ({args.rows}, 64) float32, {args.batch} rows per batch, SGD; "
          f"medians of {args.steps} steps")
    print("| variant | extra peak memory (MiB) | step (ms) |")
    print("|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['extra_mib']:.1f} | {r['median_ms']:.2f} |")
    sparse, dense = results["swiftgrad_sparse"], results["swiftgrad_dense"]
    print(f"sparse/dense memory {sparse['extra_mib'] / max(dense['extra_mib'], 1e-9):.3f}, "
          f"time {sparse['median_ms'] / dense['median_ms']:.3f}")
    if "torch_sparse" in results:
        print(f"swiftgrad sparse / torch sparse time {sparse['median_ms'] / results['torch_sparse']['median_ms']:.2f}")
    else:
        print("torch: not installed (no PyTorch comparison)")


if __name__ == "__main__":
    main()
