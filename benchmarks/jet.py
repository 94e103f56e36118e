"""Taylor mode (issue 18), in one run: a 3-layer tanh MLP R^64 -> R (64-64-64-1, float64).

1. The K-th directional derivative, K = 1..10, by `sg.jet`, by K nested `sg.jvp` (K <= 8) and by
   `jax.experimental.jet` (jitted) when jax is installed.
2. Its Laplacian at d = 64 by `sg.laplacian` (vmap of second-order jets) against
   `trace(sg.hessian)`, and jax's jet doing the same (vmapped, jitted).
Results are checked equal before timing.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 PYTHONPATH=python \
        /work/venv-bench/bin/python benchmarks/jet.py
"""
import numpy as np

import swiftgrad as sg
from _peers import machine, peers
from _timing import measure

D, H = 64, 64


def _params(rng):
    return [rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in [(D, H), (H, H), (H, 1)]]


def _sg_mlp(ws):
    def f(x):
        h = sg.tanh(x @ ws[0])
        h = sg.tanh(h @ ws[1])
        return sg.sum(sg.tanh(h @ ws[2]))
    return f


def _nested(f, v, k):
    def derivative(g):
        return lambda x: sg.jvp(g, (x,), (v,))[1]

    for _ in range(k):
        f = derivative(f)
    return f


def main():
    found = peers()
    jax = found.get("jax")
    rng = np.random.default_rng(0)
    ws = _params(rng)
    x, v = rng.standard_normal(D), rng.standard_normal(D)
    f = _sg_mlp(ws)
    print(machine())
    if jax is not None:
        from jax.experimental.jet import jet as jax_jet
        jnp = jax.numpy
        jws = [jnp.asarray(w) for w in ws]

        def jf(z):
            h = jnp.tanh(z @ jws[0])
            h = jnp.tanh(h @ jws[1])
            return jnp.sum(jnp.tanh(h @ jws[2]))

    print("\n| K | sg.jet ms | ratio to K=1 | nested sg.jvp ms | jvp / jet | jax jet (jit) ms |")
    print("|---|---|---|---|---|---|")
    base = None
    for k in range(1, 11):
        series = [v] + [np.zeros(D)] * (k - 1)
        contenders = {"jet": lambda series=series: sg.jet(f, (x,), (series,))}
        ours = np.asarray(sg.jet(f, (x,), (series,))[1][k - 1])
        if k <= 8:
            g = _nested(f, v, k)
            np.testing.assert_allclose(np.asarray(g(x)), ours, rtol=1e-8, atol=1e-10)
            contenders["nested"] = lambda g=g: g(x)
        if jax is not None:
            jet_k = jax.jit(lambda z, s: jax_jet(jf, (z,), (s,)))
            s = [jnp.asarray(t) for t in series]
            np.testing.assert_allclose(np.asarray(jet_k(x, s)[1][k - 1]), ours, rtol=1e-8, atol=1e-10)
            contenders["jax"] = lambda jet_k=jet_k, s=s: jax.block_until_ready(jet_k(x, s))
        res = measure(contenders, rounds=7 if k <= 6 else 3, warmup=1)
        med = {n: r[0] * 1e3 for n, r in res.items()}
        base = base or med["jet"]
        nested = f"{med['nested']:.3g} | {med['nested'] / med['jet']:.1f}x" if "nested" in med else "- | -"
        peer = f"{med['jax']:.3g}" if "jax" in med else "-"
        print(f"| {k} | {med['jet']:.3g} | {med['jet'] / base:.1f}x | {nested} | {peer} |")

    lap = float(sg.laplacian(f, x))
    ref = float(np.trace(np.asarray(sg.hessian(f)(x))))
    np.testing.assert_allclose(lap, ref, rtol=1e-9)
    contenders = {"sg.laplacian": lambda: sg.laplacian(f, x),
                  "sg.laplacian(collapsed=False)": lambda: sg.laplacian(f, x, collapsed=False),
                  "trace(sg.hessian)": lambda: np.trace(np.asarray(sg.hessian(f)(x)))}
    if jax is not None:
        basis = jnp.eye(D)

        @jax.jit
        def jax_lap(z):
            second = jax.vmap(lambda e: jax_jet(jf, (z,), ([e, jnp.zeros(D)],))[1][1])(basis)
            return jnp.sum(second)

        np.testing.assert_allclose(float(jax_lap(x)), ref, rtol=1e-9)
        contenders["jax jet (vmap, jit)"] = lambda: jax.block_until_ready(jax_lap(x))
    # A Laplacian takes ~0.2 ms: each round times a batch of calls, so a median is not one
    # scheduler tick's worth of noise.
    batch = 25
    res = measure({n: (lambda fn=fn: [fn() for _ in range(batch)]) for n, fn in contenders.items()},
                  rounds=15, warmup=1)
    res = {n: (med / batch, best / batch) for n, (med, best) in res.items()}
    print(f"\n| Laplacian, d = {D} (medians of 15 rounds of {batch} calls) | median ms | ratio to sg.laplacian |")
    print("|---|---|---|")
    for n, (med, _) in res.items():
        print(f"| {n} | {med * 1e3:.3g} | {med / res['sg.laplacian'][0]:.2f}x |")


if __name__ == "__main__":
    main()
