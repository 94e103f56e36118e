"""Training utilities: `sg.nn.utils` (gradient clipping, parameter vectors),
`sg.optim.swa_utils.AveragedModel` (EMA / SWA) and `sg.optim.LBFGS`, checked against NumPy,
hand-computed recurrences, finite differences and SciPy."""
import importlib.util
import math

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad.nn.utils import (clip_grad_norm_, clip_grad_value_, get_total_norm, parameters_to_vector,
                                vector_to_parameters)
from swiftgrad.optim.swa_utils import AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn


def _params_with_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    params = [sg.nn.Parameter(sg.tensor(rng.normal(size=s))) for s in shapes]
    grads = [scale * rng.normal(size=s) for s in shapes]
    for p, g in zip(params, grads):
        p.grad = sg.tensor(g)
    return params, grads


def _np_norm(grads, p):
    flat = np.concatenate([g.ravel() for g in grads])
    return np.max(np.abs(flat)) if p == math.inf else np.sum(np.abs(flat) ** p) ** (1 / p)


# --- clip_grad_norm_ / clip_grad_value_ -----------------------------------------------------------


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before(norm_type):
    params, grads = _params_with_grads()
    p = float(norm_type)
    expected = _np_norm(grads, p)
    max_norm = 0.25 * expected
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert isinstance(total, sg.Tensor) and total.shape == ()
    assert total.item() == pytest.approx(expected, rel=1e-12)
    coef = max_norm / (expected + 1e-6)  # PyTorch's formula
    for param, g in zip(params, grads):
        np.testing.assert_allclose(param.grad.numpy(), g * coef, rtol=1e-12)
    assert _np_norm([q.grad.numpy() for q in params], p) == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    params, grads = _params_with_grads(scale=1e-3)
    extra = sg.nn.Parameter(sg.ones((5,)))  # no .grad: skipped
    total = clip_grad_norm_(params + [extra], max_norm=10.0)
    assert total.item() == pytest.approx(_np_norm(grads, 2), rel=1e-12)
    for param, g in zip(params, grads):
        np.testing.assert_array_equal(param.grad.numpy(), g)
    assert extra.grad is None
    assert clip_grad_norm_([extra], 1.0).item() == 0.0


def test_clip_grad_norm_accepts_a_single_tensor_and_a_generator():
    p = sg.nn.Parameter(sg.tensor([3.0, 4.0]))
    p.grad = sg.tensor([3.0, 4.0])
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [3.0 / (5 + 1e-6), 4.0 / (5 + 1e-6)], rtol=1e-12)
    m = sg.nn.Linear(3, 2)
    (m(sg.ones((4, 3))) ** 2.0).sum().backward()
    before = np.concatenate([m.weight.grad.numpy().ravel(), m.bias.grad.numpy()])
    assert clip_grad_norm_(m.parameters(), 0.5).item() == pytest.approx(np.linalg.norm(before), rel=1e-12)


def test_clip_grad_norm_nonfinite():
    params, _ = _params_with_grads()
    params[1].grad = sg.tensor([1.0, np.nan, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert np.isnan(clip_grad_norm_(params, 1.0).item())
    assert np.isnan(params[0].grad.numpy()).all()  # scaled by the nan norm, as PyTorch does
    with pytest.raises(ValueError, match="norm_type"):
        get_total_norm([sg.ones((2,))], norm_type=-1.0)


def test_clip_grad_norm_is_in_place_and_records_no_graph():
    params, _ = _params_with_grads()
    grad_objects = [p.grad for p in params]
    clip_grad_norm_(params, 0.1)
    for p, g in zip(params, grad_objects):  # the tensors read before clipping see the new values
        np.testing.assert_array_equal(g.numpy(), p.grad.numpy())
    assert get_total_norm(grad_objects).item() == pytest.approx(0.1, rel=1e-4)
    assert all(p.grad.grad_fn is None for p in params)


def test_clip_grad_value():
    params, grads = _params_with_grads()
    assert clip_grad_value_(params, 0.5) is None
    for param, g in zip(params, grads):
        np.testing.assert_array_equal(param.grad.numpy(), np.clip(g, -0.5, 0.5))


def test_get_total_norm_of_float32_tensors():
    a = sg.tensor(np.array([3.0, 4.0], dtype=np.float32))
    b = sg.tensor(np.array([12.0], dtype=np.float32))
    assert get_total_norm([a, b]).item() == pytest.approx(13.0, rel=1e-6)
    assert get_total_norm([a, b], norm_type=math.inf).item() == 12.0


# --- parameters_to_vector / vector_to_parameters --------------------------------------------------


def test_parameters_to_vector_round_trip():
    params, _ = _params_with_grads()
    values = [p.numpy().copy() for p in params]
    vec = parameters_to_vector(params)
    np.testing.assert_array_equal(vec.numpy(), np.concatenate([v.ravel() for v in values]))
    vector_to_parameters(vec * 2.0, params)
    for p, v in zip(params, values):
        np.testing.assert_array_equal(p.numpy(), 2 * v)
        assert p.is_leaf and p.requires_grad
    with pytest.raises(ValueError, match="elements"):
        vector_to_parameters(sg.zeros((3,)), params)
    with pytest.raises(TypeError):
        vector_to_parameters(np.zeros(24), params)


def test_parameters_to_vector_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    a = sg.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = sg.tensor(rng.normal(size=(4,)), requires_grad=True)
    w = sg.tensor(rng.normal(size=(10,)))
    assert sg.gradcheck(lambda a, b: sg.sum(sg.sin(parameters_to_vector([a, b])) * w), (a, b))


# --- AveragedModel -----------------------------------------------------------------------------


def _train(model, steps, seed=3):
    rng = np.random.default_rng(seed)
    opt = sg.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        x, y = sg.tensor(rng.normal(size=(8, 3))), sg.tensor(rng.normal(size=(8, 2)))
        opt.zero_grad()
        sg.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        yield [p.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("how", ["multi_avg_fn", "avg_fn", "ema"])
def test_ema_matches_the_hand_computed_recurrence(how):
    sg.random.seed(0)
    model = sg.nn.Linear(3, 2)
    decay = 0.8
    if how == "multi_avg_fn":
        averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    elif how == "avg_fn":
        averaged = AveragedModel(model, avg_fn=get_ema_avg_fn(decay))
    else:
        averaged = AveragedModel.ema(model, decay)
    expected = None
    for values in _train(model, 6):
        averaged.update_parameters(model)
        expected = values if expected is None else [decay * e + (1 - decay) * v for e, v in zip(expected, values)]
    assert averaged.n_averaged.item() == 6 and averaged.n_averaged.dtype == sg.int64
    got = [p.numpy() for p in averaged.parameters()]
    for g, e, v in zip(got, expected, values):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-15)
        assert np.abs(g - v).max() > 1e-4  # the average is not just the last model
    for p in averaged.parameters():
        assert p.is_leaf and p.grad_fn is None


def test_swa_default_is_the_arithmetic_mean_and_forward_runs_the_copy():
    sg.random.seed(1)
    model = sg.nn.Linear(3, 2)
    averaged = AveragedModel(model)
    history = []
    for values in _train(model, 5):
        averaged.update_parameters(model)
        history.append(values)
    for i, p in enumerate(averaged.parameters()):
        np.testing.assert_allclose(p.numpy(), np.mean([h[i] for h in history], axis=0), rtol=1e-13)
    x = sg.ones((2, 3))
    np.testing.assert_allclose(averaged(x).numpy(), averaged.module(x).numpy())
    assert not np.allclose(averaged(x).numpy(), model(x).numpy())
    assert set(averaged.state_dict()) == {"module.weight", "module.bias", "n_averaged"}


def test_buffers_are_copied_or_averaged():
    sg.random.seed(2)
    model = sg.nn.Sequential(sg.nn.Linear(3, 2), sg.nn.BatchNorm1d(2))
    copied = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5))
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5), use_buffers=True)
    means = []
    for _ in _train(model, 3):
        copied.update_parameters(model)
        averaged.update_parameters(model)
        means.append(model[1].running_mean.numpy().copy())
    np.testing.assert_array_equal(copied.module[1].running_mean.numpy(), means[-1])
    expected = means[0]
    for m in means[1:]:
        expected = 0.5 * expected + 0.5 * m
    np.testing.assert_allclose(averaged.module[1].running_mean.numpy(), expected, rtol=1e-13)
    with pytest.raises(ValueError):
        copied.update_parameters(sg.nn.Linear(3, 2))


# --- LBFGS -------------------------------------------------------------------------------------


def _rosenbrock(x):
    return (1.0 - x[0]) ** 2.0 + 100.0 * (x[1] - x[0] ** 2.0) ** 2.0


def _closure(opt, fun, x):
    def closure():
        opt.zero_grad()
        loss = fun(x)
        loss.backward()
        return loss

    return closure


def test_lbfgs_strong_wolfe_minimises_rosenbrock():
    x = sg.nn.Parameter(sg.tensor([-1.5, 2.0]))
    opt = sg.optim.LBFGS([x], max_iter=200, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                         tolerance_change=1e-15)
    first = opt.step(_closure(opt, _rosenbrock, x))
    assert first.item() == pytest.approx(_rosenbrock(np.array([-1.5, 2.0])))
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-8)
    assert opt.state[x]["n_iter"] < 100
    assert opt.state[x]["func_evals"] < 150


def test_lbfgs_first_two_iterations_are_the_textbook_bfgs_steps():
    # Without line search: step 1 is x1 = x0 - t g0 with t = min(1, 1/|g0|_1) lr; step 2 is
    # x2 = x1 - lr H1 g1, H1 the BFGS update of (s.y / y.y) I with the pair (s, y).
    a = np.array([[3.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -2.0])

    def fun(x):
        return 0.5 * sg.dot(x, sg.tensor(a) @ x) - sg.dot(sg.tensor(b), x) + 0.1 * sg.sum(x ** 4.0)

    def grad(x):
        return a @ x - b + 0.4 * x ** 3

    x0 = np.array([0.7, 0.3])
    lr = 0.5
    x = sg.nn.Parameter(sg.tensor(x0))
    opt = sg.optim.LBFGS([x], lr=lr, max_iter=2, max_eval=10, tolerance_change=0.0, tolerance_grad=0.0)
    opt.step(_closure(opt, fun, x))
    g0 = grad(x0)
    x1 = x0 - min(1.0, 1.0 / np.abs(g0).sum()) * lr * g0
    s, y = x1 - x0, grad(x1) - g0
    rho = 1.0 / (y @ s)
    h0 = (s @ y) / (y @ y) * np.eye(2)
    h1 = (np.eye(2) - rho * np.outer(s, y)) @ h0 @ (np.eye(2) - rho * np.outer(y, s)) + rho * np.outer(s, s)
    x2 = x1 - lr * h1 @ grad(x1)
    np.testing.assert_allclose(x.numpy(), x2, rtol=1e-12)


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="scipy (a test dependency)")
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_agrees_with_scipy_on_a_quadratic(line_search_fn):
    from scipy.optimize import minimize

    rng = np.random.default_rng(4)
    m = rng.normal(size=(6, 6))
    a = m @ m.T + 6 * np.eye(6)
    b = rng.normal(size=6)
    ref = minimize(lambda v: 0.5 * v @ a @ v - b @ v, np.zeros(6), jac=lambda v: a @ v - b, method="L-BFGS-B",
                   options=dict(gtol=1e-12, ftol=1e-15))
    assert ref.success
    x = sg.nn.Parameter(sg.zeros((6,)))
    opt = sg.optim.LBFGS([x], lr=1.0, max_iter=100, history_size=10, line_search_fn=line_search_fn,
                         tolerance_grad=1e-12, tolerance_change=1e-15)
    opt.step(_closure(opt, lambda v: 0.5 * sg.dot(v, sg.tensor(a) @ v) - sg.dot(sg.tensor(b), v), x))
    # Both stop when the loss no longer changes in float64 (|g| ~ 1e-8 here).
    np.testing.assert_allclose(x.numpy(), ref.x, atol=1e-7)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), atol=1e-7)
    assert len(opt.state[x]["old_dirs"]) <= 10


def test_lbfgs_state_carries_over_and_multiple_parameters():
    w = sg.nn.Parameter(sg.tensor([[2.0, -1.0]]))
    c = sg.nn.Parameter(sg.tensor([0.5]))
    opt = sg.optim.LBFGS([w, c], max_iter=3, line_search_fn="strong_wolfe")
    def fun(_):
        return (w[0, 0] - 1.0) ** 2.0 + 10.0 * (w[0, 1] + 2.0) ** 2.0 + (c[0] * w[0, 0] - 3.0) ** 2.0

    closure = _closure(opt, fun, None)
    losses = [opt.step(closure).item() for _ in range(10)]
    assert opt.state[w]["n_iter"] > 3  # counted across calls
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 1e-8 < losses[0]
    np.testing.assert_allclose([w[0, 0].item(), w[0, 1].item(), c.item()], [1.0, -2.0, 3.0], atol=1e-4)


def test_lbfgs_errors():
    x = sg.nn.Parameter(sg.zeros((2,)))
    with pytest.raises(ValueError, match="strong_wolfe"):
        sg.optim.LBFGS([x], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="parameter groups"):
        sg.optim.LBFGS([{"params": [x]}, {"params": [sg.nn.Parameter(sg.zeros((1,)))]}])
    with pytest.raises(ValueError, match="at least 1"):
        sg.optim.LBFGS([x], max_iter=0)
    with pytest.raises(RuntimeError, match="closure"):
        sg.optim.LBFGS([x]).step(None)


def test_lbfgs_and_ema_keep_float32_parameters_in_float32():
    x = sg.nn.Parameter(sg.tensor(np.array([-1.5, 2.0], dtype=np.float32)))
    opt = sg.optim.LBFGS([x], max_iter=100, line_search_fn="strong_wolfe")
    opt.step(_closure(opt, _rosenbrock, x))
    assert x.dtype == sg.float32
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-4)
    model = sg.nn.Linear(3, 2, dtype=sg.float32)
    ema = AveragedModel.ema(model, 0.5)
    before = model.weight.numpy().copy()
    ema.update_parameters(model)
    with sg.no_grad():
        model.weight.mul_(3.0)
    ema.update_parameters(model)
    assert ema.module.weight.dtype == sg.float32
    np.testing.assert_allclose(ema.module.weight.numpy(), 2.0 * before, rtol=1e-6)
