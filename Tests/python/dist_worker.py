"""Run under `python -m swiftgrad.distributed.launch -n 2 dist_worker.py CASE` by test_distributed.py.
Each case asserts on every rank and prints "OK CASE rank R" when it passes."""
import copy
import os
import sys

import numpy as np

import swiftgrad as sg
import swiftgrad.distributed as dist

dist.init()
RANK, WORLD = dist.rank(), dist.world_size()


def allgather_bytes(arrays):
    """Every rank's concatenated parameter bytes (to compare ranks bitwise)."""
    mine = np.concatenate([np.ascontiguousarray(a).ravel() for a in arrays]).view(np.uint8)
    return dist.comm().allgather(mine.tobytes())


def total(local):
    """The objective: the sum over ranks of each rank's local value (a float)."""
    return dist.comm().allreduce(float(local))


def central_difference_vjp(f, x, weights, eps=1e-6):
    """d(sum_ranks sum(weights_r * f(x)_r)) / dx_r by central differences, every rank in lockstep."""
    est = np.zeros_like(x)
    for owner in range(WORLD):
        for i in range(x.size):
            vals = []
            for sign in (1, -1):
                xp = x.copy()
                if RANK == owner:
                    xp.flat[i] += sign * eps
                with sg.no_grad():
                    vals.append(total(np.sum(weights * np.asarray(f(sg.tensor(xp))))))
            if RANK == owner:
                est.flat[i] = (vals[0] - vals[1]) / (2 * eps)
    return est


def case_collectives():
    rng = np.random.default_rng(100 + RANK)
    x = rng.normal(size=(4, 3))
    if RANK == 1:
        x[0, 0] = 50.0  # a clear maximum on rank 1
    cases = {
        "all_reduce sum": lambda t: dist.all_reduce(t, "sum"),
        "all_reduce mean": lambda t: dist.all_reduce(t, "mean"),
        "all_reduce max": lambda t: dist.all_reduce(t, "max"),
        "all_gather": dist.all_gather,
        "reduce_scatter sum": lambda t: dist.reduce_scatter(t, "sum"),
        "reduce_scatter mean": lambda t: dist.reduce_scatter(t, "mean"),
        "broadcast": lambda t: dist.broadcast(sg.tanh(t), 1),
    }
    xs = dist.comm().allgather(x)
    expected = {
        "all_reduce sum": sum(xs), "all_reduce mean": sum(xs) / WORLD, "all_reduce max": np.maximum(*xs),
        "all_gather": np.concatenate(xs), "reduce_scatter sum": np.split(sum(xs), WORLD)[RANK],
        "reduce_scatter mean": np.split(sum(xs), WORLD)[RANK] / WORLD, "broadcast": np.tanh(xs[1]),
    }
    for name, f in cases.items():
        out = f(sg.tensor(x))
        np.testing.assert_allclose(np.asarray(out), expected[name], rtol=1e-12, err_msg=name)
        weights = np.random.default_rng(7 + RANK).normal(size=out.shape)
        # reverse mode against central differences of the objective summed over ranks
        xt = sg.tensor(x, requires_grad=True)
        sg.sum(f(xt) * sg.tensor(weights)).backward()
        est = central_difference_vjp(f, x, weights)
        np.testing.assert_allclose(np.asarray(xt.grad), est, rtol=1e-5, atol=1e-7, err_msg=f"VJP of {name}")
        # forward mode: every rank moves along its own tangent at once
        v = np.random.default_rng(11 + RANK).normal(size=x.shape)
        _, tangent = sg.jvp(f, (sg.tensor(x),), (sg.tensor(v),))
        eps = 1e-6
        with sg.no_grad():
            fd = (np.asarray(f(sg.tensor(x + eps * v))) - np.asarray(f(sg.tensor(x - eps * v)))) / (2 * eps)
        np.testing.assert_allclose(np.asarray(tangent), fd, rtol=1e-5, atol=1e-7, err_msg=f"JVP of {name}")
    # second order: the VJP of all_reduce is itself differentiable
    xt = sg.tensor(x, requires_grad=True)
    (g,) = sg.autograd.grad(sg.sum(dist.all_reduce(xt ** 3, "sum")), [xt], create_graph=True)
    (gg,) = sg.autograd.grad(sg.sum(g), [xt])
    np.testing.assert_allclose(np.asarray(gg), 6 * WORLD * x, rtol=1e-12)


def mlp(seed, dtype=np.float64):
    sg.random.seed(seed)
    with sg.default_dtype(dtype):
        return sg.nn.Sequential(sg.nn.Linear(5, 16), sg.nn.Tanh(), sg.nn.Linear(16, 16), sg.nn.Tanh(),
                                sg.nn.Linear(16, 3))


def batch(step, n=8):
    rng = np.random.default_rng(1000 + step)
    return rng.normal(size=(2 * n, 5)), rng.normal(size=(2 * n, 3))


def loss_of(model, x, y):
    return sg.nn.functional.mse_loss(model(sg.tensor(x)), sg.tensor(y))


def case_equivalence():
    model = mlp(seed=RANK)  # different on each rank: DDP must broadcast rank 0's parameters
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=0.001)  # ~1 KB: several buckets
    assert len(ddp.buckets) >= 3, len(ddp.buckets)
    # both ranks run on this machine: shared-memory buckets unless switched off
    expect_shared = os.environ.get("SWIFTGRAD_DDP_SHARED_MEMORY", "1") != "0"
    assert (ddp.reducer.shared is not None) == expect_shared, ddp.reducer.shared
    reference = copy.deepcopy(model)
    opt = dist.DistributedOptimizer(sg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    ref_opt = sg.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
    for step in range(20):
        x, y = batch(step)
        half = slice(RANK * 8, RANK * 8 + 8)
        opt.zero_grad()
        loss_of(ddp, x[half], y[half]).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_of(reference, x, y).backward()
        ref_opt.step()
    params = [np.asarray(p) for p in model.parameters()]
    everyone = allgather_bytes(params)
    assert all(b == everyone[0] for b in everyone), "parameters differ across ranks"
    for p, q in zip(params, reference.parameters()):
        np.testing.assert_allclose(p, np.asarray(q), rtol=0, atol=1e-6)
    # after the steps every .grad is a view into its bucket's flat buffer
    ranges = [(b.ctypes.data, b.ctypes.data + b.nbytes) for b in ddp.buckets]
    for p in model.parameters():
        a = np.asarray(p.grad)
        assert any(lo <= a.ctypes.data and a.ctypes.data + a.nbytes <= hi for lo, hi in ranges), "grad not in bucket"
    # the plain-optimizer path (no DistributedOptimizer): the last hook finalizes by itself
    plain = sg.optim.SGD(model.parameters(), lr=0.05)
    x, y = batch(99)
    half = slice(RANK * 8, RANK * 8 + 8)
    plain.zero_grad()
    loss_of(ddp, x[half], y[half]).backward()
    reference.load_state_dict(model.state_dict())
    ref_plain = sg.optim.SGD(reference.parameters(), lr=0.05)
    ref_plain.zero_grad()
    loss_of(reference, x, y).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), np.asarray(q.grad), rtol=0, atol=1e-9)


class Partly(sg.nn.Module):
    """`never` gets no gradient on any rank; `rank1_only` only on rank 1."""

    def __init__(self):
        super().__init__()
        self.lin = sg.nn.Linear(3, 2)
        self.never = sg.nn.Parameter(sg.ones(2))
        self.rank1_only = sg.nn.Parameter(sg.ones(2))

    def forward(self, x):
        out = self.lin(x)
        return out * self.rank1_only if RANK == 1 else out


def case_unused():
    model = Partly()
    ddp = dist.DistributedDataParallel(model)
    opt = dist.DistributedOptimizer(sg.optim.SGD(model.parameters(), lr=0.1))
    x = sg.tensor(np.arange(12.0).reshape(4, 3) + RANK)
    for _ in range(2):
        opt.zero_grad()
        out = ddp(x)
        sg.sum(out).backward()
        with sg.no_grad():  # d sum(lin(x) * rank1_only) / d rank1_only on rank 1, nothing on rank 0
            mine = np.asarray(model.lin(x)).sum(axis=0) if RANK == 1 else np.zeros(2)
        opt.step()
        assert model.never.grad is None, "a parameter unused on every rank must keep grad None"
        expected = dist.comm().allreduce(mine) / WORLD
        np.testing.assert_allclose(np.asarray(model.rank1_only.grad), expected, rtol=1e-12)
    everyone = allgather_bytes([np.asarray(p) for p in model.parameters()])
    assert everyone[0] == everyone[1]


def case_no_sync():
    model = mlp(seed=3)
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=0.001)
    reference = copy.deepcopy(model)
    opt = dist.DistributedOptimizer(sg.optim.Adam(model.parameters(), lr=0.01))
    ref_opt = sg.optim.Adam(reference.parameters(), lr=0.01)
    for step in range(5):
        x, y = batch(step, n=8)  # 16 rows: 4 micro-batches of 4 per rank and step
        mine = [slice(RANK * 8 + 4 * k, RANK * 8 + 4 * k + 4) for k in range(2)]
        opt.zero_grad()
        with ddp.no_sync():
            (loss_of(ddp, x[mine[0]], y[mine[0]]) / 2).backward()
        for p in model.parameters():  # nothing communicated yet: gradients are local
            assert p.grad is not None
        (loss_of(ddp, x[mine[1]], y[mine[1]]) / 2).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_of(reference, x, y).backward()
        ref_opt.step()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(np.asarray(p), np.asarray(q), rtol=0, atol=1e-6)


def case_helpers():
    import warnings

    # DistributedOptimizer alone (no DDP) after broadcast_parameters trains like one process
    model = mlp(seed=10 + RANK)
    dist.broadcast_parameters(model)
    reference = copy.deepcopy(model)
    opt = dist.DistributedOptimizer(sg.optim.SGD(model.parameters(), lr=0.05, momentum=0.5))
    ref_opt = sg.optim.SGD(reference.parameters(), lr=0.05, momentum=0.5)
    for step in range(5):
        x, y = batch(step)
        half = slice(RANK * 8, RANK * 8 + 8)
        opt.zero_grad()
        loss_of(model, x[half], y[half]).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_of(reference, x, y).backward()
        ref_opt.step()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(np.asarray(p), np.asarray(q), rtol=0, atol=1e-9)
    # broadcast_optimizer_state: rank 1's fresh optimizer gets rank 0's momentum buffers
    other = mlp(seed=0)
    other_opt = sg.optim.SGD(other.parameters(), lr=0.1, momentum=0.9)
    if RANK == 0:
        sg.sum(other(sg.ones((2, 5), dtype=np.float64))).backward()
        other_opt.step()
    dist.broadcast_optimizer_state(other_opt)
    state = [np.asarray(other_opt.state[p]["momentum_buffer"]) for p in other.parameters()]
    everyone = allgather_bytes(state)
    assert everyone[0] == everyone[1] and any(np.abs(a).sum() > 0 for a in state)
    # a forward after an unsynchronised backward (unused parameter, plain optimizer) warns and syncs
    part = Partly()
    ddp = dist.DistributedDataParallel(part)
    sg.sum(ddp(sg.ones((2, 3)))).backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ddp(sg.ones((2, 3)))
    assert any("not synchronised" in str(w.message) for w in caught), [str(w.message) for w in caught]


def case_raise():
    if RANK == 1:
        raise ValueError("boom from rank 1")
    dist.all_reduce(sg.ones(3))  # rank 0 would wait here forever without the abort
    dist.barrier()


def case_sampler():
    from swiftgrad.utils.data import DataLoader, DistributedSampler, TensorDataset

    data = TensorDataset(np.arange(20.0))
    sampler = DistributedSampler(data, seed=5)
    assert (sampler.num_replicas, sampler.rank) == (WORLD, RANK)
    seen = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        (values,) = zip(*DataLoader(data, batch_size=5, sampler=sampler))
        seen.append(np.concatenate([np.asarray(v) for v in values]))
    shards = dist.comm().allgather(seen)
    for epoch in range(2):
        both = np.concatenate([s[epoch] for s in shards])
        assert sorted(both.tolist()) == list(range(20)), "shards must be disjoint and cover the dataset"
    assert not np.array_equal(seen[0], seen[1]), "set_epoch must reshuffle"


if __name__ == "__main__":
    case = sys.argv[1]
    globals()["case_" + case]()
    print(f"OK {case} rank {RANK}", flush=True)
