"""Graph mode (`sg.compile`): compiled results equal eager results, values and derivatives,
for every op of the op table and for an MLP training step; signatures, static arguments,
side effects and errors behave as docs/GRAPH_MODE.md says."""
import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL


def _weights(out_shape, seed=3):
    return np.random.default_rng(seed).uniform(0.5, 1.5, out_shape)


def _assert_same(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("case", [c for c in ALL if c.recordable], ids=repr)
def test_compiled_op_matches_eager_values_and_gradients(case):
    inputs = [sg.tensor(a) for a in case.inputs()]
    eager = case.fn(*inputs)
    compiled = sg.compile(case.fn)
    _assert_same(compiled(*inputs), eager)
    _assert_same(compiled(*inputs), eager)  # the replay, not the recording call
    if not np.issubdtype(eager.dtype, np.floating):
        return
    w = _weights(eager.shape)

    def loss(*xs):
        return sg.sum(case.fn(*xs) * w)

    argnums = tuple(range(len(inputs)))
    expected = sg.grad(loss, argnums=argnums)(*inputs)
    for got in (sg.compile(sg.grad(loss, argnums=argnums))(*inputs),
                sg.grad(sg.compile(loss), argnums=argnums)(*inputs)):
        for g, e in zip(got, expected):
            _assert_same(g, e)


def _mlp_step(params, x, y, lr):
    """A functional training step: loss, and the parameters after one SGD step."""
    def loss_fn(params):
        w1, b1, w2, b2 = params
        h = sg.tanh(x @ w1 + b1)
        logits = h @ w2 + b2
        return sg.nn.functional.cross_entropy(logits, y)

    loss, grads = sg.value_and_grad(loss_fn)(params)
    return loss, [p - lr * g for p, g in zip(params, grads)]


def test_compiled_mlp_training_step_matches_eager():
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((8, 16)) * 0.3, np.zeros(16), rng.standard_normal((16, 4)) * 0.3, np.zeros(4)]
    params = [sg.tensor(p) for p in params]
    x, y = sg.tensor(rng.standard_normal((32, 8))), sg.tensor(rng.integers(0, 4, 32))
    step = sg.compile(_mlp_step, static_argnums=3)
    eager_params, compiled_params = params, params
    for _ in range(5):
        eager_loss, eager_params = _mlp_step(eager_params, x, y, 0.5)
        compiled_loss, compiled_params = step(compiled_params, x, y, 0.5)
        _assert_same(compiled_loss, eager_loss)
        for c, e in zip(compiled_params, eager_params):
            _assert_same(c, e)
    assert step.trace_count == 1
    assert float(compiled_loss) < float(_mlp_step(params, x, y, 0.5)[0])


def test_signatures_and_static_arguments_record_again():
    calls = []

    def f(x, n):
        calls.append(n)  # a Python side effect: runs only while recording
        for _ in range(n):  # Python control flow is unrolled at recording time
            x = sg.sin(x)
        return x

    cf = sg.compile(f, static_argnums=1)
    x = np.linspace(0, 1, 5)
    _assert_same(cf(x, 2), f(x, 2))
    _assert_same(cf(x + 1, 2), f(x + 1, 2))
    assert calls == [2, 2, 2] and cf.trace_count == 1
    _assert_same(cf(x, 3), f(x, 3))  # new static value: recorded again
    _assert_same(cf(np.ones(7), 2), f(np.ones(7), 2))  # new shape
    _assert_same(cf(x.astype(np.float32), 2), f(x.astype(np.float32), 2))  # new dtype
    assert cf.trace_count == 4


def test_pytrees_and_non_array_outputs():
    def f(inputs, scale):
        return {"sum": inputs["a"] * scale + inputs["b"], "pair": (sg.exp(inputs["a"]), 3)}

    cf = sg.compile(f)
    a, b = np.arange(3.0), np.ones(3)
    out = cf({"a": a, "b": b}, 2.0)
    _assert_same(out["sum"], a * 2 + b)
    _assert_same(out["pair"][0], np.exp(a))
    assert out["pair"][1] == 3


def test_captured_tensors_are_read_at_run_time():
    w = sg.tensor(np.ones(3))
    cf = sg.compile(lambda x: x * w)
    _assert_same(cf(np.arange(3.0)), np.arange(3.0))
    w += 1.0  # an in-place update of a captured tensor is seen by later runs
    _assert_same(cf(np.arange(3.0)), 2 * np.arange(3.0))


def test_fusion_and_passes_are_reported():
    def chain(x):
        for _ in range(20):
            x = sg.sin(sg.tanh(x) * 1.01 + 0.1)
        return sg.sum(x)

    cf = sg.compile(sg.value_and_grad(chain))
    value, grad = cf(np.linspace(-1, 1, 16))
    e_value, e_grad = sg.value_and_grad(chain)(np.linspace(-1, 1, 16))
    _assert_same(value, e_value)
    _assert_same(grad, e_grad)
    report = cf.report()
    assert "elementwise fusion: " in report and "nodes fused into 2 loops" in report
    assert "digraph" in cf.to_dot()


def test_common_subexpressions_and_dead_code_are_removed():
    def f(x):
        unused = sg.exp(x) * 3  # noqa: F841 - dead code
        return sg.sin(x) + sg.sin(x)  # one sin after CSE

    cf = sg.compile(f)
    _assert_same(cf(np.arange(4.0)), 2 * np.sin(np.arange(4.0)))
    report = cf.report()
    assert "common-subexpression elimination: 1 duplicate nodes merged" in report
    assert "dead-code elimination: 3 nodes removed" in report


def test_forward_mode_through_compiled_function():
    f = sg.compile(lambda x: sg.sum(sg.tanh(x) ** 2))
    x, t = np.linspace(-1, 1, 5), np.ones(5)
    out, tangent = sg.jvp(f, (x,), (t,))
    e_out, e_tangent = sg.jvp(lambda x: sg.sum(sg.tanh(x) ** 2), (x,), (t,))
    _assert_same(out, e_out)
    _assert_same(tangent, e_tangent)
    _, hv = sg.hvp(f, (x,), (t,))
    _assert_same(hv, sg.hvp(lambda x: sg.sum(sg.tanh(x) ** 2), (x,), (t,))[1])


def test_compiled_hvp():
    f = lambda x: sg.sum(sg.tanh(x) ** 2)  # noqa: E731
    chvp = sg.compile(lambda x, v: sg.hvp(f, (x,), (v,)))
    x, v = np.linspace(-1, 1, 5), np.arange(5.0)
    for got, want in zip(chvp(x, v), sg.hvp(f, (x,), (v,))):
        _assert_same(got, want)


def test_bad_inputs_raise():
    with pytest.raises(TypeError, match="not hashable"):
        sg.compile(lambda x, s: x * 2)(np.ones(2), {1, 2})
    with pytest.raises(ValueError, match="static_argnums"):
        sg.compile(lambda x: x, static_argnums=3)(np.ones(2))
    recorder = sg._C.recorder_new()
    sg._C.recorder_add_input(recorder, sg.tensor(np.ones(3)))
    graph = sg._C.recorder_compile(recorder, [])
    with pytest.raises(ValueError, match=r"shape \(4,\) but the graph was recorded with shape \(3,\)"):
        sg._C.compiled_run(graph, [sg.tensor(np.ones(4))])
    with pytest.raises(TypeError, match="dtype float32 but the graph was recorded with dtype float64"):
        sg._C.compiled_run(graph, [sg.tensor(np.ones(3, np.float32))])
    with pytest.raises(ValueError, match="takes 1 inputs, got 2"):
        sg._C.compiled_run(graph, [sg.tensor(np.ones(3)), sg.tensor(np.ones(3))])
    with pytest.raises(TypeError, match="Tensor"):
        sg._C.compiled_run(graph, [np.ones(3)])


def test_in_place_writes_to_intermediates_replay_and_others_are_refused():
    def setitem(x):
        y = x * 2
        y[0] = 5.0
        return y + 1

    def augmented(x):
        y = x * 2
        y += 1
        return sg.sin(y)

    for f in (setitem, augmented):
        cf = sg.compile(f)
        for x in (np.arange(3.0), np.arange(3.0) + 1):
            _assert_same(cf(x), f(x))

    def into_input(x):
        x += 1
        return x

    w = sg.tensor(np.ones(2))

    def into_captured(x):
        w.__iadd__(x)
        return w * 1

    for f in (into_input, into_captured):
        with pytest.raises(RuntimeError, match="cannot be replayed"):
            sg.compile(f)(np.ones(2))
    _assert_same(w, np.ones(2))  # refused before anything was written

    def stale_view(x):
        y = x * 2
        z = y[1:]
        y[0] = 7.0
        return z * 1

    with pytest.raises(RuntimeError, match="graph mode cannot replay it"):
        sg.compile(stale_view)(np.ones(3))


def test_index_arrays_computed_or_fed_are_recomputed_on_every_run():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6))
    cases = {
        "take with fed indices": (lambda x, idx: sg.take(x, idx, axis=1), lambda x, idx: np.take(x, idx, axis=1)),
        "fancy indexing with fed indices": (lambda x, idx: x[:, idx], lambda x, idx: x[:, idx]),
        "sort (argsort inside)": (lambda x, idx: sg.sort(x * 1.0, axis=1), lambda x, idx: np.sort(x, axis=1)),
        "cross-entropy with fed labels": (
            lambda x, idx: sg.nn.functional.cross_entropy(x, idx[:4]),
            lambda x, idx: -np.mean((x - np.log(np.exp(x).sum(1, keepdims=True)))[np.arange(4), idx[:4]])),
    }
    for name, (f, reference) in cases.items():
        cf = sg.compile(f)
        for _ in range(3):
            xv = rng.standard_normal((4, 6))
            idx = rng.integers(0 if "labels" in name else -6, 6, 5)
            np.testing.assert_allclose(np.asarray(cf(xv, idx)), reference(xv, idx), rtol=1e-12, err_msg=name)
        assert cf.trace_count == 1, name
    cf = sg.compile(lambda x, idx: x[:, idx])
    cf(x, np.array([0, 1]))  # recorded with valid indices...
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 1 with size 6"):
        cf(x, np.array([0, 9]))  # ...and checked again on every replay
    with pytest.raises(RuntimeError, match="boolean index"):
        sg.compile(lambda x, m: x[m])(x, x > 0)  # a mask decides the shape: not recordable
    with pytest.raises(RuntimeError, match="nonzero: the result's size depends on the values"):
        sg.compile(lambda x: sg.nonzero(x)[0])(x)
