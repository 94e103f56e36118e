"""A language model with row-sparse embedding gradients whose step memory does not grow with the
vocabulary (docs/NN_AND_OPTIM.md, "Sparse gradients").

The model predicts the next token of a synthetic corpus (each of 2,000 active token ids, spread
over the whole vocabulary, is followed by a fixed successor 90% of the time) with two embedding
tables, input and output, trained by negative sampling (the word2vec objective: log sigmoid of the
true pair's score plus log sigmoid of minus five random pairs' scores), so no step touches more
than batch x 7 rows. Both tables use `sparse=True` and `optim.SGD` with momentum, whose buffer is
row-sparse too. Each vocabulary size (10^4, 10^5, 10^6) trains in its own process, where peak
resident memory (ru_maxrss) above the tables' own memory measures the steps alone; a dense-gradient
run at 10^6 shows what the sparse gradient avoids.

    PYTHONPATH=python python3 examples/sparse_embedding_lm.py
"""
import json
import os
import subprocess
import sys

import numpy as np

import swiftgrad as sg

DIM, ACTIVE, BATCH, NEGATIVES, STEPS, LR = 32, 2000, 256, 5, 150, 8.0


def corpus_pairs(rng, vocab, count):
    ids = rng.choice(vocab, size=ACTIVE, replace=False)
    successor = np.roll(ids, 1)
    words = rng.integers(0, ACTIVE, size=count)
    noisy = rng.random(count) < 0.1
    nxt = np.where(noisy, ids[rng.integers(0, ACTIVE, size=count)], successor[words])
    return ids, ids[words], nxt


def peak_rss():
    """Peak resident memory of this process in bytes (Linux's VmHWM)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))


def reset_peak_rss():
    """Resets the peak to the current resident memory (so that building the tables, whose
    initialisation has large temporaries, does not hide the steps' peak) and returns it."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return peak_rss()


def train(vocab, sparse):
    sg.random.seed(0)
    rng = np.random.default_rng(0)
    ids, words, targets = corpus_pairs(rng, vocab, STEPS * BATCH)
    inputs = sg.nn.Embedding(vocab, DIM, dtype=np.float32, sparse=sparse)
    outputs = sg.nn.Embedding(vocab, DIM, dtype=np.float32, sparse=sparse)
    with sg.no_grad():
        inputs.weight *= 0.1
        outputs.weight *= 0.1
    opt = sg.optim.SGD([inputs.weight, outputs.weight], lr=LR, momentum=0.9)
    base = reset_peak_rss()
    losses = []
    for step in range(STEPS if sparse else 5):  # the dense run only shows its memory
        w = words[step * BATCH:(step + 1) * BATCH]
        t = targets[step * BATCH:(step + 1) * BATCH]
        negatives = ids[rng.integers(0, ACTIVE, size=(BATCH, NEGATIVES))]
        v = inputs(w)  # (B, D)
        u = outputs(np.concatenate([t[:, None], negatives], axis=1))  # (B, 1 + K, D)
        scores = sg.sum(u * v[:, None, :], axis=-1)
        sign = np.concatenate([np.ones((BATCH, 1)), -np.ones((BATCH, NEGATIVES))], axis=1).astype(np.float32)
        loss = sg.sum(sg.softplus(-(scores * sign))) * (1 / BATCH)  # -log sigmoid, per pair
        opt.zero_grad()
        loss.backward()
        if step == 0:
            assert inputs.weight.grad.is_sparse == sparse and outputs.weight.grad.is_sparse == sparse
        opt.step()
        losses.append(loss.item())
    peak = peak_rss()
    # Ranking quality on held-out pairs: the true successor against a random active token.
    w, t = words[:1000], targets[:1000]
    other = ids[rng.integers(0, ACTIVE, size=1000)]
    with sg.no_grad():
        v = inputs(w)
        true_score = sg.sum(outputs(t) * v, axis=-1).numpy()
        other_score = sg.sum(outputs(other) * v, axis=-1).numpy()
    return {"step_mib": (peak - base) / 2 ** 20, "first_loss": float(np.mean(losses[:10])),
            "last_loss": float(np.mean(losses[-10:])), "ranking": float(np.mean(true_score > other_score))}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(train(int(sys.argv[2]), sys.argv[3] == "sparse")))
        return
    env = dict(os.environ, SWIFTGRAD_CACHE_MB="0")  # freed blocks are not kept: RSS is what the step needs
    runs = [(10 ** 4, "sparse"), (10 ** 5, "sparse"), (10 ** 6, "sparse"), (10 ** 6, "dense")]
    results = {}
    for vocab, kind in runs:
        out = subprocess.run([sys.executable, __file__, "--child", str(vocab), kind], capture_output=True, text=True,
                             check=True, env=env)
        results[vocab, kind] = r = json.loads(out.stdout.strip().splitlines()[-1])
        line = f"vocab {vocab:>9,} {kind:>6} gradients: extra peak memory of the steps {r['step_mib']:7.1f} MiB"
        if kind == "sparse":
            line += (f", {STEPS} steps: loss {r['first_loss']:.3f} -> {r['last_loss']:.3f}, held-out ranking "
                     f"accuracy {r['ranking']:.3f}")
        print(line)
    sparse = [results[v, "sparse"] for v in (10 ** 4, 10 ** 5, 10 ** 6)]
    spread = max(r["step_mib"] for r in sparse) - min(r["step_mib"] for r in sparse)
    dense = results[10 ** 6, "dense"]["step_mib"]
    print(f"sparse step memory spread over 10^4 -> 10^6: {spread:.1f} MiB; dense gradients at 10^6: {dense:.0f} MiB")
    ok = (spread < 8 and all(r["step_mib"] < 24 for r in sparse) and dense > 100
          and all(r["last_loss"] < 0.5 * r["first_loss"] and r["ranking"] > 0.9 for r in sparse))
    print("step memory stays flat as the vocabulary grows" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
