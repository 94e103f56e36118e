"""Interleaved timing: every contender runs once per round, medians and minimums over rounds,
so a noisy shared machine affects all contenders alike."""
import statistics
import time


def measure(contenders, rounds=15, warmup=2):
    """contenders: {name: zero-arg callable}. Returns {name: (median_s, min_s)}."""
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    samples = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(s), min(s)) for name, s in samples.items()}


def table(title, results, unit, scale, baseline="numpy", lower_is_better=True):
    lines = [f"### {title}", "", f"| library | median {unit} | min {unit} | ratio to {baseline} |", "|---|---|---|---|"]
    base = results.get(baseline, (None,))[0]
    for name, (med, mn) in results.items():
        ratio = f"{med / base:.2f}x" if base else "-"
        lines.append(f"| {name} | {med * scale:.3g} | {mn * scale:.3g} | {ratio} |")
    return "\n".join(lines) + "\n"
