"""Row-sparse gradients: `Embedding(sparse=True)`, their accumulation in backward, hooks,
`autograd.grad`, create_graph, and the optimizers that consume them (docs/NN_AND_OPTIM.md)."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad import sparse
from swiftgrad.nn import functional as F

from numdiff import assert_close, central_gradient


def _table(rng, n=7, d=3, dtype=np.float64):
    return sg.tensor(rng.standard_normal((n, d)).astype(dtype), requires_grad=True)


def _dense_reference(indices, rows, n):
    out = np.zeros((n,) + rows.shape[1:])
    np.add.at(out, indices, rows)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_gradient_matches_dense_and_finite_differences(dtype):
    rng = np.random.default_rng(0)
    idx = np.array([[1, 4, 1], [6, -1, 0]])  # a repeat and a negative index
    c = rng.standard_normal((2, 3, 3))
    w = _table(rng, dtype=dtype)
    loss = sg.sum(sg.tanh(F.embedding(idx, w, sparse=True)) * c)
    loss.backward()
    g = w.grad
    assert g.is_sparse and g.shape == (7, 3) and g.dtype == np.dtype(dtype)
    assert sorted(np.asarray(g.indices()).tolist()) == sorted(np.where(idx < 0, idx + 7, idx).ravel().tolist())
    assert g.values().shape == (6, 3)

    wd = sg.tensor(np.asarray(w), requires_grad=True)
    sg.sum(sg.tanh(F.embedding(idx, wd)) * c).backward()
    assert not wd.grad.is_sparse
    np.testing.assert_allclose(np.asarray(g.to_dense()), np.asarray(wd.grad),
                               rtol=1e-6 if dtype == np.float64 else 1e-5)
    if dtype == np.float64:
        (numeric,) = central_gradient(
            lambda a: np.sum(np.tanh(np.asarray(a[0])[idx]) * c), [np.asarray(w)])
        assert_close(np.asarray(g.to_dense()), numeric, "sparse embedding gradient")


def test_gradcheck_and_gradgradcheck_through_sparse_embedding():
    rng = np.random.default_rng(1)
    idx = np.array([0, 2, 2, 3])
    w = rng.standard_normal((4, 2))
    sg.gradcheck(lambda t: sg.sin(F.embedding(idx, t, sparse=True)) ** 2, [w])
    # create_graph: the rule returns the dense, differentiable scatter-add.
    sg.gradgradcheck(lambda t: sg.sin(F.embedding(idx, t, sparse=True)) ** 2, [w])
    t = sg.tensor(w, requires_grad=True)
    (g,) = sg.autograd.grad(sg.sum(F.embedding(idx, t, sparse=True) ** 3), [t], create_graph=True)
    assert not g.is_sparse and g.requires_grad


def test_coalesce_sums_duplicates_and_to_dense():
    rng = np.random.default_rng(2)
    indices = np.array([3, 0, 3, 5, 0, 3])
    values = rng.standard_normal((6, 2))
    s = sparse.row_sparse(indices, values, 6)
    assert s.is_sparse and not s.is_coalesced() and s.shape == (6, 2)
    c = s.coalesce()
    assert c.is_coalesced()
    assert np.asarray(c.indices()).tolist() == [0, 3, 5]
    np.testing.assert_allclose(np.asarray(c.values()),
                               [values[1] + values[4], values[0] + values[2] + values[5], values[3]])
    np.testing.assert_allclose(np.asarray(c.to_dense()), _dense_reference(indices, values, 6))
    np.testing.assert_allclose(np.asarray(s.to_dense()), np.asarray(c.to_dense()))


def test_sparse_plus_sparse_stays_sparse_sparse_plus_dense_is_dense():
    rng = np.random.default_rng(3)
    w = _table(rng)
    a, b = np.array([0, 1]), np.array([1, 5])
    loss = sg.sum(F.embedding(a, w, sparse=True)) + 2 * sg.sum(F.embedding(b, w, sparse=True))
    loss.backward()
    assert w.grad.is_sparse and w.grad.values().shape == (4, 3)
    np.testing.assert_allclose(np.asarray(w.grad.to_dense()),
                               _dense_reference(np.r_[a, b], np.r_[np.ones((2, 3)), 2 * np.ones((2, 3))], 7))
    # A second backward accumulates into the existing sparse .grad.
    sg.sum(F.embedding(b, w, sparse=True)).backward()
    assert w.grad.is_sparse and w.grad.values().shape == (6, 3)
    # A dense use of the same weight makes the sum dense.
    w.grad = None
    (sg.sum(F.embedding(a, w, sparse=True)) + sg.sum(w * w)).backward()
    assert not w.grad.is_sparse
    expected = 2 * np.asarray(w) + _dense_reference(a, np.ones((2, 3)), 7)
    np.testing.assert_allclose(np.asarray(w.grad), expected, rtol=1e-12)


def test_dense_ops_on_a_sparse_gradient_see_its_dense_value():
    rng = np.random.default_rng(4)
    w = _table(rng)
    sg.sum(F.embedding([2, 2, 4], w, sparse=True) ** 2).backward()
    g = w.grad
    dense = np.asarray(g.to_dense())
    np.testing.assert_allclose(np.asarray(g * 3.0), 3 * dense)
    np.testing.assert_allclose(float(sg.sum(g * g)), np.sum(dense ** 2))
    np.testing.assert_allclose(np.asarray(g.detach().to_dense()), dense)
    assert g.detach().is_sparse
    with pytest.raises(BufferError, match="to_dense"):
        np.asarray(g)
    with pytest.raises((RuntimeError, ValueError), match="sparse|read-only"):
        sg._C.fill_(g, 0.0)
    with pytest.raises(RuntimeError, match="not a row-sparse"):
        w.indices()
    assert "row_sparse" in repr(g)


def test_hooks_receive_and_may_replace_the_sparse_gradient():
    rng = np.random.default_rng(5)
    w = _table(rng)
    seen = []

    def hook(g):
        seen.append(g.is_sparse)
        return sparse.row_sparse(g.indices(), g.values() * 10.0, g.shape[0])

    w.register_hook(hook)
    sg.sum(F.embedding([1, 3], w, sparse=True)).backward()
    assert seen == [True]
    assert w.grad.is_sparse
    np.testing.assert_allclose(np.asarray(w.grad.to_dense()), _dense_reference([1, 3], 10 * np.ones((2, 3)), 7))


def test_autograd_grad_returns_the_sparse_gradient():
    rng = np.random.default_rng(6)
    w = _table(rng)
    x = sg.tensor(rng.standard_normal(3), requires_grad=True)
    out = sg.sum(F.embedding([0, 6, 6], w, sparse=True) * x)
    gw, gx = sg.autograd.grad(out, [w, x])
    assert gw.is_sparse and not gx.is_sparse
    np.testing.assert_allclose(np.asarray(gw.to_dense()),
                               _dense_reference([0, 6, 6], np.tile(np.asarray(x), (3, 1)), 7))
    np.testing.assert_allclose(np.asarray(gx), np.asarray(w)[[0, 6, 6]].sum(0))
    assert w.grad is None


def test_module_embedding_sparse_flag_and_zero_grad():
    sg.random.seed(0)
    emb = sg.nn.Embedding(50, 4, sparse=True)
    sg.sum(emb(np.array([[1, 2], [3, 1]]))).backward()
    assert emb.weight.grad.is_sparse
    opt = sg.optim.SGD(emb.parameters(), lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert emb.weight.grad.is_sparse and emb.weight.grad.values().shape == (0, 4)
    np.testing.assert_array_equal(np.asarray(emb.weight.grad.to_dense()), np.zeros((50, 4)))


def test_copies_and_pickles_keep_the_gradient_sparse():
    import copy
    import pickle

    sg.random.seed(1)
    emb = sg.nn.Embedding(20, 3, sparse=True)
    sg.sum(emb(np.array([4, 4, 9])) ** 2).backward()
    g = emb.weight.grad
    for clone in (copy.copy(g), copy.deepcopy(g), pickle.loads(pickle.dumps(g)),
                  copy.deepcopy(emb).weight.grad):
        assert clone.is_sparse and clone.shape == g.shape
        np.testing.assert_array_equal(np.asarray(clone.to_dense()), np.asarray(g.to_dense()))


def test_sgd_state_dict_round_trip_continues_like_the_original():
    rng = np.random.default_rng(8)
    batches = [rng.integers(0, 9, size=4) for _ in range(4)]

    def run(reload_after):
        w = sg.tensor(np.linspace(-1, 1, 27).reshape(9, 3), requires_grad=True)
        opt = sg.optim.SGD([w], lr=0.1, momentum=0.9)
        for i, idx in enumerate(batches):
            if i == reload_after:
                saved = opt.state_dict()
                opt = sg.optim.SGD([w], lr=0.1, momentum=0.9)
                opt.load_state_dict(saved)  # the sparse buffer comes back dense; the step goes dense
            opt.zero_grad()
            sg.sum(F.embedding(idx, w, sparse=True) ** 2).backward()
            opt.step()
        return np.asarray(w)

    np.testing.assert_allclose(run(2), run(None), rtol=1e-12, atol=1e-14)


def test_bad_inputs_raise():
    w = sg.tensor(np.ones((4, 2)), requires_grad=True)
    with pytest.raises(IndexError, match="out of bounds"):
        F.embedding([4], w, sparse=True)
    with pytest.raises(IndexError, match="integers"):
        F.embedding(np.array([0.5]), w, sparse=True)
    with pytest.raises(TypeError, match="floating-point"):
        F.embedding([0], sg.tensor(np.ones((2, 2), dtype=np.int64)), sparse=True)
    with pytest.raises(IndexError, match="out of bounds"):
        sparse.row_sparse([0, 9], np.ones((2, 2)), 4)
    with pytest.raises(ValueError, match="one row per index"):
        sparse.row_sparse([0, 1], np.ones((3, 2)), 4)
    with pytest.raises(TypeError, match="1-D int64"):
        sparse.row_sparse(np.array([[0]]), np.ones((1, 2)), 4)


# --- Optimizers -------------------------------------------------------------------------------

def _train(make_opt, sparse_grad, steps=4, seed=7, dtype=np.float64):
    rng = np.random.default_rng(seed)
    w = sg.tensor(rng.standard_normal((9, 3)).astype(dtype), requires_grad=True)
    opt = make_opt([w])
    batches = [rng.integers(0, 9, size=5) for _ in range(steps)]
    targets = [rng.standard_normal((5, 3)) for _ in range(steps)]
    for idx, t in zip(batches, targets):
        opt.zero_grad()
        sg.sum((F.embedding(idx, w, sparse=sparse_grad) - t.astype(dtype)) ** 2).backward()
        assert w.grad.is_sparse == sparse_grad
        opt.step()
    return np.asarray(w, dtype=np.float64), opt, w


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.5, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True), dict(lr=0.1, maximize=True), dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, momentum=0.8, weight_decay=0.01)])
def test_sgd_sparse_equals_sgd_dense(kwargs):
    sparse_w, opt, w = _train(lambda p: sg.optim.SGD(p, **kwargs), True)
    dense_w, _, _ = _train(lambda p: sg.optim.SGD(p, **kwargs), False)
    np.testing.assert_allclose(sparse_w, dense_w, rtol=1e-12, atol=1e-12)
    assert not np.allclose(sparse_w, _train(lambda p: sg.optim.SGD(p, lr=0.0), False)[0])
    if kwargs.get("momentum") and not kwargs.get("weight_decay"):
        assert opt.state[w]["momentum_buffer"].is_sparse  # PyTorch keeps a sparse buffer


@pytest.mark.parametrize("kwargs", [dict(lr=0.5), dict(lr=0.3, lr_decay=0.1, initial_accumulator_value=0.2),
                                    dict(lr=0.3, maximize=True, eps=1e-3)])
def test_adagrad_sparse_equals_dense_and_reference(kwargs):
    sparse_w, _, _ = _train(lambda p: sg.optim.Adagrad(p, **kwargs), True)
    dense_w, _, _ = _train(lambda p: sg.optim.Adagrad(p, **kwargs), False)
    np.testing.assert_allclose(sparse_w, dense_w, rtol=1e-12, atol=1e-12)
    # NumPy reference of PyTorch's formula on the dense gradient.
    rng = np.random.default_rng(7)
    w = rng.standard_normal((9, 3))
    lr, decay, eps = kwargs["lr"], kwargs.get("lr_decay", 0.0), kwargs.get("eps", 1e-10)
    total = np.full_like(w, kwargs.get("initial_accumulator_value", 0.0))
    batches = [rng.integers(0, 9, size=5) for _ in range(4)]
    targets = [rng.standard_normal((5, 3)) for _ in range(4)]
    for step, (idx, t) in enumerate(zip(batches, targets), start=1):
        g = _dense_reference(idx, 2 * (w[idx] - t), 9) * (-1 if kwargs.get("maximize") else 1)
        total += g * g
        w = w - lr / (1 + (step - 1) * decay) * g / (np.sqrt(total) + eps)
    np.testing.assert_allclose(sparse_w, w, rtol=1e-10, atol=1e-12)


def test_adagrad_sparse_refuses_weight_decay():
    with pytest.raises(ValueError, match="weight_decay"):
        _train(lambda p: sg.optim.Adagrad(p, weight_decay=0.1), True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_adam_matches_reference(dtype):
    kwargs = dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6)
    got, _, _ = _train(lambda p: sg.optim.SparseAdam(p, **kwargs), True, dtype=dtype)
    rng = np.random.default_rng(7)
    w = rng.standard_normal((9, 3)).astype(dtype).astype(np.float64)
    m, v = np.zeros_like(w), np.zeros_like(w)
    (b1, b2), lr, eps = kwargs["betas"], kwargs["lr"], kwargs["eps"]
    batches = [rng.integers(0, 9, size=5) for _ in range(4)]
    targets = [rng.standard_normal((5, 3)).astype(dtype) for _ in range(4)]
    for step, (idx, t) in enumerate(zip(batches, targets), start=1):
        g = _dense_reference(idx, 2 * (w[idx] - t), 9)
        rows = np.unique(idx)
        m[rows] += (g[rows] - m[rows]) * (1 - b1)  # only the touched rows move
        v[rows] += (g[rows] ** 2 - v[rows]) * (1 - b2)
        size = lr * np.sqrt(1 - b2 ** step) / (1 - b1 ** step)
        w[rows] -= size * m[rows] / (np.sqrt(v[rows]) + eps)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, w, rtol=tol, atol=tol)


def test_dense_only_optimizers_name_the_parameter_and_sparse_adam_refuses_dense():
    for make in (sg.optim.Adam, sg.optim.AdamW):
        with pytest.raises(RuntimeError, match=r"does not support sparse gradients: parameter 0 .*shape \(9, 3\)"):
            _train(lambda p, make=make: make(p, lr=0.1), True)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        _train(lambda p: sg.optim.SparseAdam(p), False)


def test_sparse_step_memory_is_proportional_to_the_rows_touched():
    """A 10^6 x 64 float32 table (256 MB) and a batch touching 4,096 rows: backward + SGD step
    must allocate O(rows x 64) (1 MB of values), while the dense gradient needs the whole table."""
    script = textwrap.dedent("""
        import json, resource, sys
        import numpy as np
        import swiftgrad as sg
        sparse = sys.argv[1] == "1"
        rng = np.random.default_rng(0)
        w = sg.nn.Parameter(sg.zeros((1_000_000, 64), dtype=np.float32))
        opt = sg.optim.SGD([w], lr=0.1)
        idx = rng.choice(1_000_000, size=4096, replace=False)
        def step():
            opt.zero_grad()
            sg.sum(sg.nn.functional.embedding(idx, w, sparse=sparse) ** 2).backward()
            opt.step()
        small = sg.nn.Parameter(sg.zeros((8, 64), dtype=np.float32))  # warm-up of the code paths
        sg.sum(sg.nn.functional.embedding([1, 2], small, sparse=sparse) ** 2).backward()
        sg.optim.SGD([small], lr=0.1).step()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(3):
            step()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        g = w.grad
        grad_bytes = (g.values().numpy().nbytes + g.indices().numpy().nbytes) if g.is_sparse else g.numpy().nbytes
        print(json.dumps({"extra_mib": (peak - base) / 1024, "sparse": g.is_sparse, "grad_bytes": grad_bytes}))
    """)
    import json

    results = {}
    for flag in ("1", "0"):
        env_out = subprocess.run([sys.executable, "-c", script, flag], capture_output=True, text=True, check=True,
                                 env={**__import__("os").environ, "SWIFTGRAD_CACHE_MB": "0"})
        results[flag] = json.loads(env_out.stdout.strip().splitlines()[-1])
    assert results["1"]["sparse"] and not results["0"]["sparse"]
    # What the steps made resident: the touched rows' values, not the table.
    assert results["1"]["extra_mib"] < 24, results
    # The gradient itself: 4,096 rows (1 MiB) against the whole table (244 MiB). (The dense run's
    # resident memory is not compared: how much of a zeroed 244 MiB buffer the kernel maps depends
    # on the pages written, 20 to 120 MiB in the runs seen.)
    assert results["1"]["grad_bytes"] * 50 <= results["0"]["grad_bytes"], results
    assert results["1"]["grad_bytes"] <= 4096 * 64 * 4 + 4096 * 8, results
