"""Interleaved timing: every contender runs once per round, medians and minimums over rounds,
so a noisy shared machine affects all contenders alike."""
import os
import statistics
import time

# SG_BENCH_CPU_TIME=1: time with the process's CPU time instead of the wall clock. On a shared,
# loaded machine it leaves out the time spent waiting for a core; meaningful for one-thread runs
# only (OPENBLAS_NUM_THREADS=1 SWIFTGRAD_NUM_THREADS=1), and peers' worker threads count too.
_clock = time.process_time if os.environ.get("SG_BENCH_CPU_TIME") == "1" else time.perf_counter


def measure(contenders, rounds=15, warmup=2, number=1):
    """contenders: {name: zero-arg callable}. Returns {name: (median_s, min_s)} per call.

    number > 1: each sample is `number` calls in a row (divided by `number`), so the first call
    after another contender's work pays for the caches and branch predictors that work evicted
    once per sample instead of once per call (the steady state a loop of the same calls sees)."""
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    samples = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = _clock()
            for _ in range(number):
                fn()
            samples[name].append((_clock() - t0) / number)
    return {name: (statistics.median(s), min(s)) for name, s in samples.items()}


def table(title, results, unit, scale, baseline="numpy", lower_is_better=True):
    lines = [f"### {title}", "", f"| library | median {unit} | min {unit} | ratio to {baseline} |", "|---|---|---|---|"]
    base = results.get(baseline, (None,))[0]
    for name, (med, mn) in results.items():
        ratio = f"{med / base:.2f}x" if base else "-"
        lines.append(f"| {name} | {med * scale:.3g} | {mn * scale:.3g} | {ratio} |")
    return "\n".join(lines) + "\n"
