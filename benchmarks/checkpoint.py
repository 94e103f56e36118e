"""Peak memory of a backward pass with and without checkpointing (workload W10), side by side with
PyTorch when it is installed.

A 64-layer network h <- tanh(W_i h), W_i 256x256, batch 256, float64, in three variants: the
weight gradients of the plain network ("dW"), the input gradient alone ("dx": the weights do not
require grad), and the input gradient through `checkpoint_sequential` with sqrt(64) = 8 segments.
Each run is a subprocess of its own; its peak is the kernel's high-water mark of resident memory
(VmHWM, reset through /proc/self/clear_refs once the weights exist and glibc's free blocks are
trimmed) minus the resident memory at that point, so imports and set-up do not count. Gradients
are compared across runs.

    PYTHONPATH=python python3 benchmarks/checkpoint.py [--layers 64] [--width 256] [--batch 256]
"""
import argparse
import json
import os
import subprocess
import sys

CHILD = r'''
import json, sys, time
import numpy as np
library, layers, width, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
wrt, segments = sys.argv[5], int(sys.argv[6])

def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def setup(layers, width, batch):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(layers)]
    x0 = rng.standard_normal((width, batch))
    if library == "torch":
        import torch
        from torch.utils.checkpoint import checkpoint_sequential
        torch.set_num_threads(1)
        ws = [torch.tensor(w, requires_grad=wrt == "dW") for w in weights]
        x = torch.tensor(x0, requires_grad=wrt == "dx")
        layer = lambda w: (lambda h: torch.tanh(w @ h))
        modules = torch.nn.Sequential(*[Layer(layer(w)) for w in ws])
        run_sequential = lambda: checkpoint_sequential(modules, segments, x, use_reentrant=False)
        total = lambda h: (h * h).sum()
        numpy_of = lambda t: t.detach().numpy()
    else:
        import swiftgrad as sg
        ws = [sg.tensor(w, requires_grad=wrt == "dW") for w in weights]
        x = sg.tensor(x0, requires_grad=wrt == "dx")
        layer = lambda w: (lambda h: sg.tanh(w @ h))
        run_sequential = lambda: sg.checkpoint_sequential([layer(w) for w in ws], segments, x)
        total = lambda h: sg.sum(h * h)
        numpy_of = lambda t: t.numpy()
    fs = [layer(w) for w in ws]

    def step():
        if segments == 0:
            h = x
            for f in fs:
                h = f(h)
        else:
            h = run_sequential()
        loss = total(h)
        del h
        loss.backward()
        return loss
    return ws, x, step, numpy_of


if library == "torch":
    import torch

    class Layer(torch.nn.Module):
        def __init__(self, f):
            super().__init__()
            self.f = f

        def forward(self, h):
            return self.f(h)

# A tiny first run loads and initialises every code path (PyTorch's first backward allocates
# tens of MiB once) without leaving large freed blocks behind for the measured run to reuse.
setup(max(segments, 2), 4, 4)[2]()
ws, x, step, numpy_of = setup(layers, width, batch)
import ctypes
ctypes.CDLL(None).malloc_trim(0)  # free heap blocks back to the system: the run's peak is its own
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets VmHWM to the current resident size
base = status_kib("VmRSS")
start = time.perf_counter()
loss = step()
elapsed = time.perf_counter() - start
peak = status_kib("VmHWM")
grad = ws[0].grad if wrt == "dW" else x.grad
print(json.dumps({"peak_mib": (peak - base) / 1024, "seconds": elapsed, "loss": float(loss.item()),
                  "grad": float(np.abs(numpy_of(grad)).sum())}))
'''

VARIANTS = [("plain, weight gradients (dW)", "dW", False), ("plain, input gradient (dx)", "dx", False),
            ("checkpointed, input gradient (dx)", "dx", True)]


def run(library, wrt, segments, args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, library, str(args.layers), str(args.width), str(args.batch),
                          wrt, str(segments)], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout)


def torch_installed():
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=64)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    segments = max(1, round(args.layers ** 0.5))
    libraries = ["swiftgrad"] + (["torch"] if torch_installed() else [])
    print(f"{args.layers} layers of tanh(W h), W {args.width}x{args.width}, batch {args.batch}, float64; "
          f"checkpoint_sequential with {segments} segments; extra peak resident memory (MiB) and time (s), "
          "each run in its own process")
    print("")
    print("| variant | " + " | ".join(f"{lib} MiB | {lib} s" for lib in libraries) + " |")
    print("|---|" + "---|---|" * len(libraries))
    for title, wrt, checkpointed in VARIANTS:
        results = {lib: run(lib, wrt, segments if checkpointed else 0, args) for lib in libraries}
        reference = results["swiftgrad"]
        for lib, r in results.items():
            assert abs(r["loss"] - reference["loss"]) <= 1e-9 * abs(reference["loss"]), lib
            assert abs(r["grad"] - reference["grad"]) <= 1e-9 * abs(reference["grad"]), lib
        cells = " | ".join(f"{r['peak_mib']:.0f} | {r['seconds']:.3f}" for r in results.values())
        print(f"| {title} | {cells} |")
    grads = args.layers * args.width * args.width * 8 / 2**20
    print(f"\nThe dW peaks include the {grads:.0f} MiB of weight gradients (the result itself); gradients agree "
          "across libraries.")


if __name__ == "__main__":
    main()
