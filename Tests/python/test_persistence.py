"""Pickle / copy / deepcopy of tensors, modules, optimizers and schedulers; sg.save /
sg.load (.safetensors, .npz); load_state_dict's reports; the default dtype; Jupyter reprs."""
import copy
import os
import pickle
import shutil

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad import nn
from swiftgrad.nn import functional as F


def same(a, b):
    """Same values (bitwise), dtype, shape and requires_grad."""
    assert isinstance(b, sg.Tensor)
    assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def trained_model():
    sg.random.seed(3)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.BatchNorm1d(5), nn.Linear(5, 2))
    opt = sg.optim.Adam(model.parameters(), lr=1e-2)
    sched = sg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    x = np.random.default_rng(0).normal(size=(8, 3))
    for _ in range(3):
        opt.zero_grad()
        F.mse_loss(model(x), np.ones((8, 2))).backward()
        opt.step()
        sched.step()
    return model, opt, sched, x


# --- Tensors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [sg.float32, sg.float64, sg.int64, sg.bool])
def test_tensor_pickle_round_trip_keeps_values_dtype_shape(dtype):
    t = sg.tensor(np.arange(-3, 9).reshape(3, 4) % 5, dtype=dtype)
    for protocol in (2, 4, 5):
        same(t, pickle.loads(pickle.dumps(t, protocol=protocol)))
    strided = t.T[::2]
    same(strided, pickle.loads(pickle.dumps(strided)))
    same(sg.zeros((0, 3), dtype), pickle.loads(pickle.dumps(sg.zeros((0, 3), dtype))))
    same(sg.tensor(2.5), pickle.loads(pickle.dumps(sg.tensor(2.5))))


def test_pickled_tensor_keeps_requires_grad_but_not_the_graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    for copier in (lambda t: pickle.loads(pickle.dumps(t)), copy.copy, copy.deepcopy):
        cx, cy = copier(x), copier(y)
        same(x, cx)
        same(y, cy)
        assert cy.grad_fn is None and cy.is_leaf and cy.requires_grad
        assert not cx._shares_memory(x) and not cy._shares_memory(y)
        (cy * cy).sum().backward()  # the copy is a leaf of its own graph
        np.testing.assert_array_equal(cy.grad.numpy(), 2 * np.array([3.0, 6.0]))
        assert x.grad is None


def test_copies_do_not_share_memory_with_the_original():
    x = sg.tensor([1.0, 2.0, 3.0])
    for c in (copy.copy(x), copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        c[0] = 10.0
        assert x.numpy()[0] == 1.0


def test_deepcopy_copies_grad_and_parameter_class():
    p = nn.Parameter(sg.tensor([1.0, -2.0]))
    (p * p).sum().backward()
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad
    np.testing.assert_array_equal(q.grad.numpy(), [2.0, -4.0])
    assert not q.grad._shares_memory(p.grad)
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.grad is None  # pickle keeps values, not gradients
    f = nn.Parameter(sg.ones(2), requires_grad=False)
    assert not pickle.loads(pickle.dumps(f)).requires_grad


def test_deepcopy_keeps_views_sharing_memory():
    base = sg.tensor(np.arange(12.0).reshape(3, 4))
    b, t, row, col = copy.deepcopy([base, base.T, base[1], base[:, 2]])
    same(base.T, t)
    same(base[1], row)
    b[1, 2] = -1.0
    assert t.numpy()[2, 1] == -1.0 and row.numpy()[2] == -1.0 and col.numpy()[1] == -1.0
    assert base.numpy()[1, 2] == 6.0
    # An unrelated tensor with equal values is not merged with them.
    other = sg.tensor(np.arange(12.0).reshape(3, 4))
    c, d = copy.deepcopy([base, other])
    c[0, 0] = 5.0
    assert d.numpy()[0, 0] == 0.0
    # Separate deepcopy calls never share.
    e, f = copy.deepcopy(base), copy.deepcopy(base.T)
    e[0, 0] = 7.0
    assert f.numpy()[0, 0] == 0.0


def test_pickle_keeps_one_object_referenced_twice():
    x = sg.tensor([1.0, 2.0])
    a, b = pickle.loads(pickle.dumps([x, x]))
    assert a is b


# --- Modules, optimizers, schedulers ----------------------------------------------------------------


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))],
                         ids=["deepcopy", "pickle"])
def test_model_optimizer_scheduler_copies_continue_training_identically(copier):
    model, opt, sched, x = trained_model()
    model2, opt2, sched2 = copier((model, opt, sched))
    assert sched2.optimizer is opt2
    params2 = list(model2.parameters())
    assert [id(p) for g in opt2.param_groups for p in g["params"]] == [id(p) for p in params2]
    assert set(map(id, opt2.state)) == set(map(id, params2))
    for (n1, p1), (n2, p2) in zip(model.named_parameters(), model2.named_parameters()):
        assert n1 == n2 and type(p2) is nn.Parameter and not p2._shares_memory(p1)
        same(p1, p2)
    for b1, b2 in zip(model.buffers(), model2.buffers()):
        same(b1, b2)
    for m, o, s in ((model, opt, sched), (model2, opt2, sched2)):
        for _ in range(2):
            o.zero_grad()
            F.mse_loss(m(x), np.ones((8, 2))).backward()
            o.step()
            s.step()
    for p1, p2 in zip(model.parameters(), model2.parameters()):
        same(p1, p2)
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_shallow_copy_of_module_shares_parameters():
    model = nn.Linear(2, 2)
    clone = copy.copy(model)
    assert clone.weight is model.weight


def test_deepcopy_of_model_and_its_state_dict_keeps_views():
    model = nn.Linear(3, 2)
    m2, sd2 = copy.deepcopy((model, model.state_dict()))
    with sg.no_grad():
        m2.weight[0, 0] = 42.0
    assert sd2["weight"].numpy()[0, 0] == 42.0
    assert model.weight.numpy()[0, 0] != 42.0


# --- sg.save / sg.load ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_save_load_nested_structure(tmp_path, suffix):
    model, opt, sched, _ = trained_model()
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
           "list": [sg.tensor([1, 2]), (sg.tensor(True), 3.5, None, "text", -7)],
           "grad": sg.tensor([0.5], requires_grad=True), "array": np.arange(3, dtype=np.uint8),
           "f32": sg.ones((2, 0), dtype=sg.float32), "param": nn.Parameter(sg.ones(2)), "nan": float("nan"),
           1: {"int key": sg.zeros(())}}
    path = tmp_path / ("ckpt" + suffix)
    assert sg.save(obj, path) == os.fspath(path)
    back = sg.load(path)
    assert list(back) == list(obj)
    assert list(back["model"]) == list(obj["model"]) and type(back["model"]) is type(obj["model"])
    for k, v in obj["model"].items():
        same(v, back["model"][k])
    assert back["optimizer"]["param_groups"] == opt.state_dict()["param_groups"]
    assert set(back["optimizer"]["state"]) == {0, 1, 2, 3, 4, 5}
    for i, entries in opt.state_dict()["state"].items():
        assert back["optimizer"]["state"][i]["step"] == entries["step"] == 3
        same(entries["exp_avg"], back["optimizer"]["state"][i]["exp_avg"])
    assert back["scheduler"] == sched.state_dict()
    same(obj["list"][0], back["list"][0])
    assert isinstance(back["list"], list) and isinstance(back["list"][1], tuple)
    same(obj["list"][1][0], back["list"][1][0])
    assert back["list"][1][1:] == (3.5, None, "text", -7)
    same(obj["grad"], back["grad"])
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.uint8
    same(obj["f32"], back["f32"])
    assert type(back["param"]) is nn.Parameter and back["param"].requires_grad
    assert np.isnan(back["nan"])
    same(obj[1]["int key"], back[1]["int key"])

    fresh_model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.BatchNorm1d(5), nn.Linear(5, 2))
    fresh_opt = sg.optim.Adam(fresh_model.parameters())
    fresh_model.load_state_dict(back["model"])
    fresh_opt.load_state_dict(back["optimizer"])
    for p1, p2 in zip(model.parameters(), fresh_model.parameters()):
        same(p1, p2)


def test_safetensors_file_opens_with_safetensors_numpy(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="safetensors (scripts/install-deps.sh) reads the file")
    model, _, _, _ = trained_model()
    path = tmp_path / "model.safetensors"
    sg.save({"net": model.state_dict(), "step": 3}, path)
    arrays = st.load_file(str(path))
    assert set(arrays) == {"net." + k for k in model.state_dict()}
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(arrays["net." + k], v.numpy())
        assert arrays["net." + k].dtype == v.dtype


def test_torch_style_flat_state_dict_loads_into_module(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="safetensors (scripts/install-deps.sh) writes the file")
    rng = np.random.default_rng(1)
    # What torch.save_file(model.state_dict()) writes for this network: float32, flat names, no metadata.
    flat = {"0.weight": rng.normal(size=(4, 3)).astype(np.float32), "0.bias": rng.normal(size=4).astype(np.float32),
            "2.weight": rng.normal(size=(1, 4)).astype(np.float32), "2.bias": np.zeros(1, np.float32)}
    path = str(tmp_path / "torch_model.safetensors")
    st.save_file(flat, path)
    loaded = sg.load(path)
    assert set(loaded) == set(flat) and all(isinstance(v, sg.Tensor) for v in loaded.values())
    model = nn.Sequential(nn.Linear(3, 4, dtype=sg.float32), nn.ReLU(), nn.Linear(4, 1, dtype=sg.float32))
    assert model.load_state_dict(loaded) == ([], [])
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), flat[k])
    model64 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))  # float64 model: values converted
    model64.load_state_dict(loaded)
    assert model64[0].weight.dtype == sg.float64
    np.testing.assert_array_equal(model64[0].weight.numpy(), flat["0.weight"].astype(np.float64))


def test_torch_reads_swiftgrad_safetensors(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch is optional (not installed in CI)")
    from safetensors.torch import load_file

    model = nn.Linear(3, 2, dtype=sg.float32)
    path = str(tmp_path / "m.safetensors")
    sg.save(model.state_dict(), path)
    tm = torch.nn.Linear(3, 2)
    tm.load_state_dict(load_file(path))
    np.testing.assert_array_equal(tm.weight.detach().numpy(), model.weight.numpy())


def test_npz_from_numpy_loads_flat(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.ones((2, 2)), b=np.arange(2))
    loaded = sg.load(path)
    assert list(loaded) == ["w", "b"]
    same(sg.ones((2, 2)), loaded["w"])
    same(sg.arange(2), loaded["b"])


def test_save_refuses_unknown_suffix_and_objects(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        sg.save({"a": sg.ones(1)}, tmp_path / "x.bin")
    with pytest.raises(TypeError, match="object"):
        sg.save({"a": object()}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dict keys"):
        sg.save({(1, 2): sg.ones(1)}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)  # a failed save leaves no file behind, not even a temporary


def test_save_is_atomic_when_serialisation_fails(tmp_path, monkeypatch):
    from swiftgrad import serialization

    path = tmp_path / "ckpt.npz"
    sg.save({"w": sg.ones(3)}, path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        serialization.save({"w": sg.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_nn_save_load_keep_working(tmp_path):
    model, _, _, x = trained_model()
    for name in ("m.npz", "m.safetensors", "m.weights"):
        model.save(tmp_path / name)
        fresh = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.BatchNorm1d(5), nn.Linear(5, 2))
        fresh.load(tmp_path / name)
        model.eval(), fresh.eval()
        np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_load_state_dict_reports_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = model.state_dict()
    del sd["1.bias"]
    sd["1.extra"] = sg.ones(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd)
    message = str(info.value)
    assert "Missing key(s) in state_dict: '1.bias'" in message
    assert "Unexpected key(s) in state_dict: '1.extra'" in message
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["1.bias"] and result.unexpected_keys == ["1.extra"]
    assert result._fields == ("missing_keys", "unexpected_keys")
    bad = model.state_dict()
    bad["0.weight"] = sg.ones((2, 2))
    for strict in (True, False):  # PyTorch raises on shape mismatches even when not strict
        with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight.*\(2, 2\).*\(3, 2\)"):
            model.load_state_dict(bad, strict=strict)


# --- The default dtype ---------------------------------------------------------------------------


@pytest.fixture
def restore_default_dtype():
    yield
    sg.set_default_dtype(sg.float64)


def test_default_dtype_is_float64_and_validated(restore_default_dtype):
    assert sg.get_default_dtype() == sg.float64
    for bad in (sg.int64, sg.bool, "float16", "nonsense"):
        with pytest.raises(ValueError):
            sg.set_default_dtype(bad)
    assert sg.get_default_dtype() == sg.float64


def test_default_dtype_float32_applies_to_creation_random_and_layers(restore_default_dtype):
    sg.set_default_dtype(sg.float32)
    assert sg.get_default_dtype() == sg.float32
    made = [sg.zeros(2), sg.ones((2, 2)), sg.empty(3), sg.full(2, 1.5), sg.arange(0.0, 1.0, 0.25),
            sg.linspace(0, 1, 3), sg.eye(2), sg.tensor([1.0, 2.0]), sg.tensor(3.0), sg.asarray([0.5]),
            sg.random.rand(2), sg.random.randn(2, 2), sg.random.uniform(size=3), sg.random.normal(size=()),
            F.one_hot(sg.tensor([0, 1]), 2)]
    assert [t.dtype for t in made] == [sg.float32] * len(made)
    for layer in (nn.Linear(2, 3), nn.Conv1d(1, 2, 3), nn.Conv2d(1, 2, 3), nn.Embedding(4, 2), nn.LayerNorm(3),
                  nn.BatchNorm1d(2), nn.BatchNorm2d(2)):
        assert {p.dtype for p in layer.state_dict().values()} == {np.dtype(np.float32)}, layer
    # Integers, booleans, NumPy arrays, tensors and explicit dtypes keep their own dtype.
    assert sg.arange(3).dtype == sg.int64 and sg.full(2, 1).dtype == sg.int64 and sg.tensor([True]).dtype == sg.bool
    assert sg.tensor(np.zeros(2)).dtype == sg.float64 and sg.tensor(sg.zeros(2, dtype=sg.float64)).dtype == sg.float64
    assert sg.zeros(2, dtype=sg.float64).dtype == sg.float64
    assert nn.Linear(1, 1, dtype=sg.float64).weight.dtype == sg.float64
    x = sg.tensor([[1.0, 2.0]])
    assert nn.Linear(2, 1)(x).dtype == sg.float32


def test_default_dtype_context_manager_restores(restore_default_dtype):
    with sg.default_dtype(sg.float32) as d:
        assert d == sg.float32 and sg.zeros(1).dtype == sg.float32
        with sg.default_dtype("float64"):
            assert sg.ones(1).dtype == sg.float64
        assert sg.ones(1).dtype == sg.float32
    assert sg.get_default_dtype() == sg.float64
    with pytest.raises(RuntimeError):
        with sg.default_dtype(sg.float32):
            raise RuntimeError("boom")
    assert sg.get_default_dtype() == sg.float64

    @sg.default_dtype(sg.float32)
    def make():
        return sg.zeros(1)

    assert make().dtype == sg.float32 and sg.zeros(1).dtype == sg.float64


def test_float32_default_values_match_float64_rounded(restore_default_dtype):
    sg.random.seed(5)
    a = sg.random.normal(size=50)
    sg.random.seed(5)
    with sg.default_dtype(sg.float32):
        b = sg.random.normal(size=50)
    np.testing.assert_array_equal(b.numpy(), a.numpy().astype(np.float32))


# --- Jupyter reprs -------------------------------------------------------------------------------------


def test_tensor_repr_html():
    t = sg.tensor([[1.0, 2.0]], requires_grad=True)
    out = t._repr_html_()
    assert "shape=(1, 2)" in out and "dtype=float64" in out and "requires_grad=True" in out
    assert "[[1., 2.]]" in out
    assert "grad_fn=mul" in (t * 2)._repr_html_()
    big = sg.zeros((1000,))._repr_html_()
    assert "..." in big and len(big) < 1000


def test_trace_repr_html_has_every_row():
    table = sg.trace(lambda x1, x2: sg.log(x1) + x1 * x2 - sg.sin(x2), 2.0, 5.0, quiet=True)
    html = table._repr_html_()
    assert html.count("<tr>") == len(table.rows) + 1
    assert "<td>v_7</td>" in html and "y = v_7 = 11.6521" in html
    assert "<td>v_1 * v_2</td>" in html


def _graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    return sg.graph.view((sg.sin(x) * x).sum(), names={"x": x})


def test_graph_view_svg_without_graphviz_is_none(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    view = _graph()
    assert view._repr_svg_() is None
    assert repr(view).startswith("GraphView(4 nodes)\ndigraph swiftgrad")


def test_compiled_function_svg_is_none_without_graphviz_or_graph(monkeypatch):
    f = sg.compile(lambda x: sg.sin(x) * 2)
    assert f._repr_svg_() is None  # nothing recorded yet
    f(sg.ones(3))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert f._repr_svg_() is None


def test_graph_view_svg_with_graphviz():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (optional: apt-get install graphviz)")
    svg = _graph()._repr_svg_()
    assert "<svg" in svg and ">sin #" in svg and ">x</text>" in svg
    f = sg.compile(lambda x: sg.sin(x) * 2)
    f(sg.ones(3))
    assert "<svg" in f._repr_svg_() and "sin" in f._repr_svg_()
