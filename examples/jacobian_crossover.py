"""Forward vs reverse mode for a full Jacobian: where the crossover lies (exercise 4 of the
course notes).

For f: R^n -> R^m the Jacobian costs n forward passes (one JVP per input direction) or m
reverse passes (one VJP per output), so forward mode should win when n < m and reverse mode
when n > m, with the crossover at n = m. The exercise uses a random linear map f(x) = A x,
A in R^{m x n}:

(a) both modes: `sg.jacfwd(f)` and `sg.jacrev(f)` (each checked to return A);
(b) runtimes for (n, m) in {(10, 100), (100, 10), (50, 50), (1000, 1)}, plus a few more points
    to fill in the curve, among them (5, 1000), the physics simulation of part (e);
(c) the ratio forward / reverse against n / m, plotted on log-log axes;
(d) the ratio near 1 at n = m;
(e) with n = 5 control parameters and m = 1000 state outputs, forward mode needs 5 passes and
    reverse mode 1000: use forward mode (and `sg.jacobian` does).

Finally `sg.jacobian`, which picks a mode from the element counts, is checked to pick the mode
with fewer passes at the extremes. Its choice is observed by counting calls of f: reverse
mode evaluates f once, forward mode once more per input element.

Usage: python jacobian_crossover.py [output.png] [--quick]
"""
import sys
import time
from pathlib import Path

import numpy as np

import swiftgrad as sg

EXERCISE = [(10, 100), (100, 10), (50, 50), (1000, 1)]
EXTRA = [(1, 1000), (5, 1000), (20, 200), (200, 20), (500, 2)]
QUICK = [(1, 300), (10, 30), (20, 20), (30, 10), (300, 1)]


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(n, m, repeats=3, seed=0):
    """(forward seconds, reverse seconds, mode sg.jacobian chose) for f(x) = A x."""
    rng = np.random.default_rng(seed)
    a, x = rng.standard_normal((m, n)), rng.standard_normal(n)
    calls = [0]

    def f(v):
        calls[0] += 1
        return a @ v

    for transform in (sg.jacfwd, sg.jacrev, sg.jacobian):  # (a): all three return A
        np.testing.assert_allclose(transform(f)(x).numpy(), a, rtol=1e-12, atol=1e-12)
    calls[0] = 0
    sg.jacobian(f)(x)
    chosen = "reverse" if calls[0] == 1 else "forward"
    t_fwd = best_time(lambda: sg.jacfwd(f)(x), repeats)
    t_rev = best_time(lambda: sg.jacrev(f)(x), repeats)
    return t_fwd, t_rev, chosen


def run(cases, repeats):
    rows = []
    print(f"{'n':>5} {'m':>5} {'n/m':>8} {'jacfwd ms':>10} {'jacrev ms':>10} {'fwd/rev':>8}  sg.jacobian")
    for n, m in sorted(cases, key=lambda c: c[0] / c[1]):
        t_fwd, t_rev, chosen = measure(n, m, repeats)
        rows.append((n, m, t_fwd, t_rev, chosen))
        print(f"{n:5d} {m:5d} {n / m:8.3g} {1e3 * t_fwd:10.3f} {1e3 * t_rev:10.3f} "
              f"{t_fwd / t_rev:8.3g}  {chosen}")
    return rows


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratio_nm = np.array([n / m for n, m, *_ in rows])
    ratio_t = np.array([f / r for _, _, f, r, _ in rows])
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.loglog(ratio_nm, ratio_t, "o-", label="measured: jacfwd time / jacrev time")
    grid = np.logspace(np.log10(ratio_nm.min()), np.log10(ratio_nm.max()), 50)
    ax.loglog(grid, grid, "--", color="grey", label="prediction: n / m")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axvline(1.0, color="black", linewidth=0.8)
    for n, m, f, r, _ in rows:
        ax.annotate(f"({n},{m})", (n / m, f / r), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("n / m  (inputs / outputs)")
    ax.set_ylabel("runtime ratio forward / reverse")
    ax.set_title("Full Jacobian of f(x) = A x: forward vs reverse mode")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def check(rows):
    """sg.jacobian picks the mode with fewer passes at both extremes of n / m (n forward passes
    against m reverse ones). Timings are printed, not judged: on a loaded machine, or with the
    batched passes that make both modes cost about one pass at these sizes, they are noise."""
    ordered = sorted(rows, key=lambda r: r[0] / r[1])
    for n, m, t_fwd, t_rev, chosen in (ordered[0], ordered[-1]):
        fewer = "forward" if n < m else "reverse"
        if fewer != chosen:
            raise SystemExit(f"(n, m) = ({n}, {m}): {fewer} mode needs fewer passes, sg.jacobian chose {chosen}")
        print(f"(n, m) = ({n}, {m}): {fewer} mode needs fewer passes and sg.jacobian chose it "
              f"(measured forward/reverse: {t_fwd / t_rev:.2f})")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    out = Path(args[0]) if args else Path("jacobian_crossover.png")
    rows = run(QUICK if quick else EXERCISE + EXTRA, repeats=2 if quick else 3)
    plot(rows, out)
    print(f"wrote {out}")
    balanced = [f / r for n, m, f, r, _ in rows if n == m]
    if balanced:
        print(f"(d) at n = m the ratio is {balanced[0]:.2f} (prediction: about 1)")
    check(rows)
