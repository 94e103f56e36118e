"""Peak memory of a backward pass with and without checkpointing (workload W10).

A 64-layer network h <- tanh(W_i h), W_i 256x256, batch 256, float64. Each variant runs in its
own subprocess so that peak resident memory (ru_maxrss) measures that variant alone; gradients
are compared, and the recomputation cost is reported as the time ratio.

    PYTHONPATH=python python3 benchmarks/checkpoint.py [--layers 64] [--width 256] [--batch 256]
"""
import argparse
import json
import subprocess
import sys

CHILD = r'''
import json, resource, sys, time
import numpy as np
import swiftgrad as sg
layers, width, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
mode, segments = sys.argv[4], int(sys.argv[5])
rng = np.random.default_rng(0)
ws = [sg.tensor(rng.standard_normal((width, width)) / np.sqrt(width), requires_grad=True) for _ in range(layers)]
x = sg.tensor(rng.standard_normal((width, batch)))
fs = [lambda h, w=w: sg.tanh(w @ h) for w in ws]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if mode == "plain":
    h = x
    for f in fs:
        h = f(h)
else:
    h = sg.checkpoint_sequential(fs, segments, x)
loss = sg.sum(h * h)
loss.backward()
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_mib": (peak - base) / 1024, "seconds": elapsed, "loss": loss.item(),
                  "grad0": float(np.abs(ws[0].grad.numpy()).sum())}))
'''


def run(mode, args, segments):
    out = subprocess.run([sys.executable, "-c", CHILD, str(args.layers), str(args.width), str(args.batch), mode,
                          str(segments)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=64)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    segments = max(1, round(args.layers ** 0.5))
    plain = run("plain", args, segments)
    ckpt = run("checkpoint", args, segments)
    assert abs(plain["loss"] - ckpt["loss"]) <= 1e-9 * abs(plain["loss"])
    assert abs(plain["grad0"] - ckpt["grad0"]) <= 1e-9 * abs(plain["grad0"])
    print(f"{args.layers} layers of tanh(W h), W {args.width}x{args.width}, batch {args.batch}, float64; "
          f"checkpoint_sequential with {segments} segments")
    print("| variant | extra peak memory (MiB) | forward + backward (s) |")
    print("|---|---|---|")
    print(f"| plain | {plain['peak_mib']:.0f} | {plain['seconds']:.2f} |")
    print(f"| checkpointed | {ckpt['peak_mib']:.0f} | {ckpt['seconds']:.2f} |")
    grads = args.layers * args.width * args.width * 8 / 2**20
    print(f"memory reduction {plain['peak_mib'] / max(ckpt['peak_mib'], 1e-9):.1f}x in total; both peaks include "
          f"{grads:.0f} MiB of weight gradients (the result itself): for everything else (activations, "
          f"temporaries) the reduction is {(plain['peak_mib'] - grads) / max(ckpt['peak_mib'] - grads, 1e-9):.1f}x; "
          f"recompute cost {ckpt['seconds'] / plain['seconds']:.2f}x time; gradients identical")


if __name__ == "__main__":
    main()
