"""sg.optim against step-by-step NumPy references of PyTorch's update formulas (and against
torch itself when it is installed)."""
import math

import numpy as np
import pytest

import swiftgrad as sg

RNG = np.random.default_rng(0)


# --- NumPy references (PyTorch's documented algorithms) -------------------------------------

def ref_sgd(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    p = p.copy()
    buf = None
    out = []
    for g in grads:
        d = -g if maximize else g.copy()
        if weight_decay:
            d = d + weight_decay * p
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
        out.append(p.copy())
    return out


def ref_adam(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    p = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vmax = np.zeros_like(p)
    out = []
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if weight_decay:
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m = m + (1 - b1) * (g - m)
        v = v * b2 + (1 - b2) * g * g
        second = v
        if amsgrad:
            vmax = np.maximum(vmax, v)
            second = vmax
        denom = np.sqrt(second) / math.sqrt(1 - b2**t) + eps
        p = p - lr / (1 - b1**t) * (m / denom)
        out.append(p.copy())
    return out


def run(optimizer_cls, p0, grads, **kwargs):
    """Feeds the given gradients to an sg optimizer, collecting the parameter after each step."""
    p = sg.nn.Parameter(sg.tensor(p0))
    opt = optimizer_cls([p], **kwargs)
    out = []
    for g in grads:
        p.grad = sg.tensor(g)
        opt.step()
        out.append(p.numpy().copy())
    return out


P0 = RNG.normal(size=(3, 4))
GRADS = [RNG.normal(size=(3, 4)) for _ in range(6)]

SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, momentum=0.5, weight_decay=0.01),
    dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_sgd_matches_reference(kwargs):
    got = run(sg.optim.SGD, P0, GRADS, **kwargs)
    for a, b in zip(got, ref_sgd(P0, GRADS, **kwargs)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


ADAM_CASES = [
    dict(lr=0.01),
    dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, maximize=True, weight_decay=0.05),
]


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_adam_matches_reference(kwargs):
    got = run(sg.optim.Adam, P0, GRADS, **kwargs)
    for a, b in zip(got, ref_adam(P0, GRADS, **kwargs)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs", [dict(lr=0.01), dict(lr=0.02, weight_decay=0.1, amsgrad=True)])
def test_adamw_matches_reference(kwargs):
    got = run(sg.optim.AdamW, P0, GRADS, **kwargs)
    ref = ref_adam(P0, GRADS, decoupled=True, **{"weight_decay": 1e-2, **kwargs})
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_float32_parameters_update_in_float32():
    p = sg.nn.Parameter(sg.tensor(P0.astype(np.float32)))
    opt = sg.optim.Adam([p], lr=0.01)
    for g in GRADS:
        p.grad = sg.tensor(g.astype(np.float32))
        opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(p.numpy(), ref_adam(P0, GRADS, lr=0.01)[-1], rtol=1e-4, atol=1e-5)


def test_matches_torch_when_installed():
    torch = pytest.importorskip("torch", reason="torch is an optional peer library for cross-checks")
    for sg_cls, torch_cls, kwargs in [
        (sg.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        (sg.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.2)),
        (sg.optim.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
        (sg.optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    ]:
        tp = torch.tensor(P0, requires_grad=True)
        topt = torch_cls([tp], **kwargs)
        expected = []
        for g in GRADS:
            tp.grad = torch.tensor(g)
            topt.step()
            expected.append(tp.detach().numpy().copy())
        for a, b in zip(run(sg_cls, P0, GRADS, **kwargs), expected):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_step_records_no_graph_and_bumps_version():
    p = sg.nn.Parameter(sg.tensor([1.0, 2.0]))
    y = (p * p).sum()  # saves p for backward
    y.backward(retain_graph=True)
    version = p._version
    opt = sg.optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version == version + 1
    np.testing.assert_allclose(p.numpy(), [1.0 - 0.2, 2.0 - 0.4])
    # The graph saved the old value of p: backward through it now refuses.
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_parameters_without_grad_are_skipped():
    a = sg.nn.Parameter(sg.tensor([1.0]))
    b = sg.nn.Parameter(sg.tensor([1.0]))
    a.grad = sg.tensor([1.0])
    sg.optim.Adam([a, b], lr=0.1).step()
    assert b.numpy()[0] == 1.0 and a.numpy()[0] != 1.0


def test_zero_grad():
    p = sg.nn.Parameter(sg.tensor([1.0, 2.0]))
    opt = sg.optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and np.all(p.grad.numpy() == 0) and np.all(g.numpy() == 0)
    opt.zero_grad()
    assert p.grad is None


def test_invalid_arguments_raise():
    p = sg.nn.Parameter(sg.ones(3))
    with pytest.raises(ValueError, match="learning rate"):
        sg.optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        sg.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta"):
        sg.optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="empty"):
        sg.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        sg.optim.SGD([p * 2], lr=0.1)


def test_kernel_validates_shapes_and_dtypes():
    p = sg.nn.Parameter(sg.ones(3))
    with pytest.raises(ValueError, match=r"gradient of shape \(2,\)"):
        sg._C.optim_sgd_step(p, sg.ones(2), None, 0.1, 0.0, 0.0, 0.0, False, False, False)
    with pytest.raises(TypeError, match="float32"):
        sg._C.optim_sgd_step(p, sg.ones(3, dtype=sg.float32), None, 0.1, 0.0, 0.0, 0.0, False, False, False)
    with pytest.raises(ValueError, match="exp_avg"):
        sg._C.optim_adam_step(p, sg.ones(3), sg.ones(4), sg.ones(3), None, 1, 0.1, 0.9, 0.999, 1e-8, 0.0,
                              False, False)
    with pytest.raises(ValueError, match="momentum buffer"):
        sg._C.optim_sgd_step(p, sg.ones(3), None, 0.1, 0.9, 0.0, 0.0, False, False, False)
    with pytest.raises(TypeError, match="floating point"):
        sg._C.optim_sgd_step(sg.ones(3, dtype=sg.int64), sg.ones(3, dtype=sg.int64), None, 0.1, 0.0, 0.0, 0.0,
                             False, False, False)
    with pytest.raises(RuntimeError, match="recorded operation"):
        sg._C.optim_sgd_step(p * 1, sg.ones(3), None, 0.1, 0.0, 0.0, 0.0, False, False, False)


def test_strided_parameter_is_updated_in_place():
    base = np.arange(12.0).reshape(3, 4)
    t = sg.from_numpy(base.T)  # a non-contiguous view of NumPy memory
    p = sg.nn.Parameter(t)
    p.grad = sg.ones((4, 3))
    sg.optim.SGD([p], lr=0.5).step()
    np.testing.assert_allclose(base, np.arange(12.0).reshape(3, 4) - 0.5)


def test_param_groups_and_state_dict_round_trip():
    a = sg.nn.Parameter(sg.tensor(P0))
    b = sg.nn.Parameter(sg.tensor(P0))
    opt = sg.optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}], lr=0.01)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[1]["lr"] == 0.1
    for g in GRADS[:3]:
        a.grad = sg.tensor(g)
        b.grad = sg.tensor(g)
        opt.step()
    saved = opt.state_dict()
    a2 = sg.nn.Parameter(sg.tensor(a.numpy()))
    b2 = sg.nn.Parameter(sg.tensor(b.numpy()))
    opt2 = sg.optim.Adam([{"params": [a2]}, {"params": [b2]}], lr=0.5)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.1
    for g in GRADS[3:]:
        for p in (a, b, a2, b2):
            p.grad = sg.tensor(g)
        opt.step()
        opt2.step()
    np.testing.assert_array_equal(a.numpy(), a2.numpy())
    np.testing.assert_array_equal(b.numpy(), b2.numpy())


def _lrs(scheduler_cls, n, **kwargs):
    p = sg.nn.Parameter(sg.ones(1))
    opt = sg.optim.SGD([p], lr=0.5)
    sched = scheduler_cls(opt, **kwargs)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]
    return out


def test_lr_schedulers_closed_forms():
    s = sg.optim.lr_scheduler
    assert _lrs(s.StepLR, 7, step_size=3, gamma=0.1) == pytest.approx(
        [0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005])
    assert _lrs(s.ExponentialLR, 4, gamma=0.5) == pytest.approx([0.5, 0.25, 0.125, 0.0625])
    expected = [0.1 + 0.4 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert _lrs(s.CosineAnnealingLR, 5, T_max=4, eta_min=0.1) == pytest.approx(expected)


def test_lr_schedulers_match_torch_when_installed():
    torch = pytest.importorskip("torch", reason="torch is an optional peer library for cross-checks")
    s, ts = sg.optim.lr_scheduler, torch.optim.lr_scheduler
    for ours, theirs, kwargs in [(s.StepLR, ts.StepLR, dict(step_size=2, gamma=0.3)),
                                 (s.ExponentialLR, ts.ExponentialLR, dict(gamma=0.9)),
                                 (s.CosineAnnealingLR, ts.CosineAnnealingLR, dict(T_max=5, eta_min=0.01))]:
        topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        tsched = theirs(topt, **kwargs)
        expected = []
        for _ in range(8):
            expected.append(topt.param_groups[0]["lr"])
            topt.step()
            tsched.step()
        assert _lrs(ours, 8, **kwargs) == pytest.approx(expected, rel=1e-12)
