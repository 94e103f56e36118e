"""sg.nn: module registration, Linear/Sequential/activations, functional ops, initialisers,
state_dict / .npz round trips, and training a small MLP."""
import math

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad import nn
from swiftgrad.nn import functional as F


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(sg.ones(2))
        self.register_buffer("calls", sg.zeros(()))
        self.note = "plain attributes are not registered"

    def forward(self, x):
        return self.out(sg.tanh(self.hidden(x))) * self.scale


def test_module_registers_parameters_and_submodules():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight"]
    assert [n for n, _ in m.named_children()] == ["hidden", "out"]
    assert m.out.bias is None
    assert all(p.requires_grad and p.is_leaf for p in m.parameters())
    assert [n for n, _ in m.named_buffers()] == ["calls"]
    assert m.note.startswith("plain")
    shared = nn.Sequential(m.hidden, m.hidden)
    assert len(list(shared.parameters())) == 2  # a shared layer is listed once
    with pytest.raises(TypeError):
        m.scale = sg.ones(2)  # a plain tensor cannot replace a parameter
    with pytest.raises(AttributeError):
        _ = m.missing


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(sg.tensor([1.0, 2.0]))
    assert isinstance(p, sg.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    y = p * 2
    assert type(y) is sg.Tensor and y.grad_fn == "mul"
    assert not nn.Parameter(sg.ones(2), requires_grad=False).requires_grad
    assert "Parameter containing" in repr(p)


def test_train_eval_and_zero_grad():
    m = TwoLayer()
    assert m.training and m.hidden.training
    m.eval()
    assert not m.training and not m.hidden.training
    m.train()
    assert m.out.training
    F.mse_loss(m(sg.ones((5, 3))), sg.zeros((5, 2))).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_linear_matches_numpy_and_torch_init_bounds():
    sg.random.seed(1)
    layer = nn.Linear(50, 30)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.shape == (30, 50) and b.shape == (30,)
    bound = 1 / math.sqrt(50)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.9 * bound  # actually spread over the interval
    x = np.random.default_rng(0).normal(size=(7, 50))
    sg.testing.assert_allclose(layer(x), x @ w.T + b, rtol=1e-13)
    assert "in_features=50, out_features=30" in repr(layer)
    sg.random.seed(1)
    np.testing.assert_array_equal(nn.Linear(50, 30).weight.numpy(), w)  # reproducible


def test_linear_float32():
    layer = nn.Linear(3, 2, dtype=sg.float32)
    out = layer(sg.ones((4, 3), dtype=sg.float32))
    assert out.dtype == np.float32


def test_functional_gradients():
    rng = np.random.default_rng(2)
    x, w, b, t = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(4, 2))
    sg.testing.assert_allclose(F.linear(x, w, b), x @ w.T + b)
    np.testing.assert_allclose(F.mse_loss(sg.tensor(x), sg.tensor(x + 1)).item(), 1.0)
    np.testing.assert_allclose(F.mse_loss(sg.tensor(x), sg.tensor(x + 1), reduction="sum").item(), 12.0)
    assert sg.gradcheck(lambda x, w, b: F.mse_loss(F.linear(x, w, b), sg.tensor(t)),
                        [sg.tensor(a, requires_grad=True) for a in (x, w, b)])
    assert sg.gradgradcheck(lambda x, w: F.mse_loss(F.linear(x, w), sg.tensor(t)),
                            [sg.tensor(a, requires_grad=True) for a in (x, w)])
    with pytest.raises(ValueError, match="differs from target shape"):
        F.mse_loss(sg.ones((4, 1)), sg.ones(4))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_with_batch_dimensions_is_one_matrix_product(bias):
    # (..., in) inputs are multiplied as one (rows, in) matrix and reshaped back: the same values
    # and gradients as the batched formula, to any order.
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(6, 5)), rng.normal(size=6)
    args = [sg.tensor(a, requires_grad=True) for a in ((x, w, b) if bias else (x, w))]
    out = F.linear(*args)
    assert out.shape == (2, 3, 4, 6)
    sg.testing.assert_allclose(out, x @ w.T + (b if bias else 0.0), rtol=1e-12, atol=1e-12)
    t = sg.tensor(rng.normal(size=(2, 3, 4, 6)))
    assert sg.gradcheck(lambda *a: F.mse_loss(F.linear(*a), t), args)
    assert sg.gradgradcheck(lambda *a: F.mse_loss(F.linear(*a), t), args[:2])


def test_activations():
    x = np.linspace(-2, 2, 9)
    sg.testing.assert_allclose(nn.Tanh()(x), np.tanh(x))
    sg.testing.assert_allclose(nn.ReLU()(x), np.maximum(x, 0))
    sg.testing.assert_allclose(nn.Sigmoid()(x), 1 / (1 + np.exp(-x)))


def test_sequential_indexing():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert len(seq[:2]) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError):
        seq[3]
    assert seq(sg.ones((5, 2))).shape == (5, 1)


def test_init_functions():
    sg.random.seed(3)
    w = sg.zeros((200, 100))
    version = w._version
    nn.init.xavier_uniform_(w)
    assert w._version > version
    a = math.sqrt(6 / 300)
    assert np.abs(w.numpy()).max() <= a and np.abs(w.numpy()).max() > 0.95 * a
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 100)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.95 * bound
    nn.init.normal_(w, 1.0, 0.1)
    assert abs(w.numpy().mean() - 1) < 0.01 and abs(w.numpy().std() - 0.1) < 0.01
    nn.init.uniform_(w, 2, 3)
    assert w.numpy().min() >= 2 and w.numpy().max() < 3
    nn.init.zeros_(w)
    assert not w.numpy().any()
    nn.init.constant_(w, 0.5)
    assert np.all(w.numpy() == 0.5)
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(sg.zeros(3))


def test_state_dict_round_trip(tmp_path):
    sg.random.seed(4)
    m = TwoLayer()
    sd = m.state_dict()
    assert list(sd) == ["scale", "calls", "hidden.weight", "hidden.bias", "out.weight"]
    assert all(v.grad_fn is None and not v.requires_grad for v in sd.values())
    other = TwoLayer()
    weight = other.hidden.weight
    other.load_state_dict(sd)
    assert other.hidden.weight is weight  # loaded in place: optimizers keep working
    x = np.ones((2, 3))
    sg.testing.assert_equal(other(x), m(x).numpy())

    path = tmp_path / "model.npz"
    m.save(path)
    fresh = TwoLayer()
    fresh.load(path)
    sg.testing.assert_equal(fresh(x), m(x).numpy())
    loaded = nn.load(path)
    assert set(loaded) == set(sd)


def test_load_state_dict_reports_mismatches():
    m = TwoLayer()
    sd = m.state_dict()
    sd["extra"] = sg.ones(1)
    del sd["scale"]
    with pytest.raises(RuntimeError, match="Missing key.*scale|Unexpected key.*extra"):
        m.load_state_dict(sd)
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["scale"] and result.unexpected_keys == ["extra"]
    bad = m.state_dict()
    bad["hidden.weight"] = sg.ones((2, 2))
    with pytest.raises(RuntimeError, match="size mismatch for hidden.weight"):
        m.load_state_dict(bad)


def test_mlp_regression_trains_to_low_loss():
    sg.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(128, 2))
    y = (np.sin(x[:, :1]) * np.cos(x[:, 1:]))
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = sg.optim.Adam(model.parameters(), lr=0.01)
    first = None
    for _ in range(400):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert first > 0.05 and loss.item() < 2e-3


def test_sgd_momentum_trains_linear_model_exactly():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3))
    w_true = np.array([[1.5, -2.0, 0.5]])
    y = x @ w_true.T + 0.3
    model = nn.Linear(3, 1)
    opt = sg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(400):
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
    sg.testing.assert_allclose(model.weight, w_true, atol=1e-6)
    sg.testing.assert_allclose(model.bias, [0.3], atol=1e-6)


def test_in_place_writes_refuse_recorded_tensors_and_broadcast_views():
    p = nn.Parameter(sg.ones(3))
    with pytest.raises(RuntimeError, match="recorded operation"):
        nn.init.zeros_(p * 2)
    with pytest.raises(ValueError, match="broadcast view"):
        sg._C.fill_(sg.broadcast_to(sg.ones(1), (3,)), 0.0)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        sg._C.copy_(p, sg.ones(2))
    sg._C.copy_(p, np.array([1, 2, 3]))  # ints are cast to the destination's dtype
    sg.testing.assert_equal(p, [1.0, 2.0, 3.0])


def test_zero_grad_replaces_a_gradient_that_has_a_graph():
    p = nn.Parameter(sg.tensor([1.0, 2.0]))
    sg.sum(p * p * p).backward(create_graph=True)
    assert p.grad.grad_fn is not None
    m = nn.Module()
    m.p = p
    m.zero_grad(set_to_none=False)
    assert p.grad.grad_fn is None and not p.grad.numpy().any()
