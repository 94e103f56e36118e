"""Data-parallel W2: the MLP training step of overhead.py (784-512-512-10, float32, softmax cross-entropy,
SGD) on 1 process against 2 MPI processes x 1 thread with DistributedDataParallel.

    python benchmarks/distributed.py [--steps 40] [--json FILE]

Each configuration runs in its own `python -m swiftgrad.distributed.launch` job (this file with
`--worker`): 1 process x 1 thread, 1 process x 2 threads, and 2 processes x 1 thread, each with the
global batch of 128 split over the processes (64 per process with 2) and with 128 per process (twice
the data per step). Reported: the median step time (every rank starts each step together after a
barrier; the slowest rank counts), examples per second, and the share of the step spent blocked
waiting for the gradient all-reduces (what backward did not hide, plus any imbalance between ranks).
Prints benchmarks/_peers.machine() first.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(per_rank, steps, bucket_cap_mb=25, warmup=5, compute_only=False):
    import numpy as np

    import swiftgrad as sg
    import swiftgrad.distributed as dist
    from swiftgrad import nn

    dist.init()
    rank, world = dist.rank(), dist.world_size()
    sg.random.seed(0)
    with sg.default_dtype(sg.float32):
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    # compute_only: every rank trains its own replica on its own data, nothing is reduced: the step
    # time of two busy cores (shared caches, memory bandwidth and clock) without DDP's work.
    synced = world > 1 and not compute_only
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb) if synced else model
    opt = sg.optim.SGD(model.parameters(), lr=0.01)
    opt = dist.DistributedOptimizer(opt) if synced else opt
    rng = np.random.default_rng(rank)
    x = sg.tensor(rng.standard_normal((per_rank, 784)).astype(np.float32))
    labels = sg.tensor(rng.integers(0, 10, per_rank))
    times, waits = [], []
    for i in range(warmup + steps):
        dist.barrier()
        wait0 = ddp.communication_wait_seconds if synced else 0.0
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = sg.nn.functional.cross_entropy(ddp(x), labels)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
            waits.append((ddp.communication_wait_seconds if synced else 0.0) - wait0)
    times, waits = np.array(times), np.array(waits)
    slowest = np.empty_like(times)
    dist.comm().Allreduce(times, slowest, op=_max_op())  # per step, the slowest rank
    wait_share = dist.comm().allreduce(float(np.sum(waits) / np.sum(times)), op=_max_op())
    bare = comm_only(dist, sum(p.size for p in model.parameters())) if synced else 0.0
    if rank == 0:
        med = float(np.median(slowest))
        print("RESULT " + json.dumps({"world": world, "per_rank": per_rank, "step_ms": med * 1e3,
                                      "examples_per_s": world * per_rank / med, "wait_share": wait_share,
                                      "allreduce_ms": bare * 1e3,
                                      "buckets": len(ddp.buckets) if synced else 0,
                                      "compute_only": compute_only}), flush=True)


def _max_op():
    from mpi4py import MPI

    return MPI.MAX


def comm_only(dist, n, rounds=20):
    """Median time of one blocking Allreduce of all gradients (n float32) on their own."""
    import numpy as np
    from mpi4py import MPI

    buf = np.ones(n, np.float32)
    out = []
    for _ in range(rounds):
        dist.barrier()
        t0 = time.perf_counter()
        dist.comm().Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        out.append(time.perf_counter() - t0)
    return float(np.median(out))


def run(nprocs, threads, per_rank, steps, bucket_cap_mb=25):
    """bucket_cap_mb=None: the compute-only run (no DDP)."""
    compute_only = bucket_cap_mb is None
    bucket_cap_mb = 25 if compute_only else bucket_cap_mb
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "python") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "swiftgrad.distributed.launch", "-n", str(nprocs), "--threads", str(threads),
           str(Path(__file__).resolve()), "--worker", "--per-rank", str(per_rank), "--steps", str(steps),
           "--bucket-cap-mb", str(bucket_cap_mb)] + (["--compute-only"] if compute_only else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if out.returncode or line is None:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[len("RESULT "):])
    result["threads"], result["bucket_cap_mb"] = threads, bucket_cap_mb
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--per-rank", type=int, default=128, help=argparse.SUPPRESS)
    parser.add_argument("--bucket-cap-mb", type=float, default=25, help=argparse.SUPPRESS)
    parser.add_argument("--compute-only", action="store_true", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.worker:
        return worker(ns.per_rank, ns.steps, ns.bucket_cap_mb, compute_only=ns.compute_only)
    sys.path.insert(0, str(HERE))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from _peers import machine

    print(machine())
    print()
    configs = [(1, 1, 64, 25), (2, 1, 64, None), (1, 1, 128, 25), (1, 2, 128, 25), (2, 1, 64, 25), (2, 1, 64, 0.5),
               (1, 1, 256, 25), (2, 1, 128, 25), (2, 1, 128, 0.5)]
    results = [run(n, t, b, ns.steps, cap) for n, t, b, cap in configs]
    print("### W2 data-parallel (784-512-512-10, float32, SGD)\n")
    print("| procs x threads | batch/proc (global) | buckets | median step ms | examples/s | waiting | "
          "bare all-reduce ms |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        if r["compute_only"]:
            print(f"| {r['world']} x {r['threads']}, compute only (no DDP) | {r['per_rank']} (each its own) | - | "
                  f"{r['step_ms']:.2f} | {r['examples_per_s']:.0f} | - | - |")
            continue
        print(f"| {r['world']} x {r['threads']} | {r['per_rank']} ({r['world'] * r['per_rank']}) | "
              f"{r['buckets']} ({r['bucket_cap_mb']:g} MB cap) | {r['step_ms']:.2f} | {r['examples_per_s']:.0f} | "
              f"{100 * r['wait_share']:.0f}% | "
              f"{r['allreduce_ms']:.2f} |" if r["world"] > 1 else
              f"| {r['world']} x {r['threads']} | {r['per_rank']} ({r['per_rank']}) | - | {r['step_ms']:.2f} | "
              f"{r['examples_per_s']:.0f} | - | - |")
    half = next(r for r in results if r["world"] == 1 and r["per_rank"] == 64)
    best = min(r["step_ms"] for r in results if r["world"] == 2 and r["per_rank"] == 64 and not r["compute_only"])
    both = next(r for r in results if r["compute_only"])
    print(f"\nDDP step on 2 processes x 64 / one process's step on its half batch (64): "
          f"{best:.2f} / {half['step_ms']:.2f} ms = {best / half['step_ms']:.2f}x (target <= 1.15x); of that, "
          f"two busy cores without DDP: {both['step_ms']:.2f} ms ({both['step_ms'] / half['step_ms']:.2f}x), "
          f"DDP's own share {best / both['step_ms']:.2f}x")
    if ns.json:
        Path(ns.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
