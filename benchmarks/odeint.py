"""Peak memory of a gradient through `sg.odeint` as the number of solver steps grows: the adjoint
method (backward integrates the adjoint ODE, nothing recorded in the forward solve) against
backpropagation through the solver's steps. A tanh layer f(t, y) = tanh(y W + b), y of shape
(256, 64) float64, rk4 over t in [0, 1] with 50, 200 and 800 steps; loss sum(y(1)^2).

Each run is its own subprocess (ru_maxrss after a warm-up, large-buffer cache off so freed blocks
are not kept), so a row's extra peak memory is that run's alone. The two methods' gradients are
compared (they agree to the solver's accuracy).

    PYTHONPATH=python python3 benchmarks/odeint.py [--steps 50,200,800]
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
steps, adjoint = int(sys.argv[1]), sys.argv[2] == "1"
rng = np.random.default_rng(0)
params = {"w": sg.tensor(rng.standard_normal((64, 64)) * 0.1, requires_grad=True),
          "b": sg.tensor(rng.standard_normal(64) * 0.1, requires_grad=True)}
y0 = sg.tensor(rng.standard_normal((256, 64)), requires_grad=True)
f = lambda t, y, p: sg.tanh(y @ p["w"] + p["b"])
def run(n):
    ys = sg.odeint(f, y0, [0.0, 1.0], params, method="rk4", step_size=1.0 / n, adjoint=adjoint)
    sg.sum(ys[-1] ** 2).backward()
run(4)  # warm-up of the code paths
for t in (y0, *params.values()):
    t.grad = None
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
run(steps)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
grad_w = np.asarray(params["w"].grad).tolist()
print(json.dumps({"extra_mib": (peak - base) / 1024, "seconds": elapsed, "grad_w": grad_w}))
'''


def run(steps, adjoint):
    env = {**os.environ, "SWIFTGRAD_CACHE_MB": "0"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(steps), "1" if adjoint else "0"],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", default="50,200,800")
    args = parser.parse_args()
    print(machine())
    print("gradient through odeint (rk4, y (256, 64) float64, f = tanh(y W + b)); extra peak memory of the run")
    print("| solver steps | adjoint: extra MiB | adjoint: s | backprop: extra MiB | backprop: s "
          "| max rel. grad difference |")
    print("|---|---|---|---|---|---|")
    for steps in (int(s) for s in args.steps.split(",")):
        a, b = run(steps, True), run(steps, False)
        ga, gb = np.array(a["grad_w"]), np.array(b["grad_w"])
        diff = float(np.abs(ga - gb).max() / np.abs(gb).max())
        print(f"| {steps} | {a['extra_mib']:.1f} | {a['seconds']:.2f} | {b['extra_mib']:.1f} | {b['seconds']:.2f} "
              f"| {diff:.1e} |")


if __name__ == "__main__":
    main()
