"""`sg.odeint`: differentiable solutions of dy/dt = f(t, y[, params]) at given times.

Two ways to differentiate (docs/TRANSFORMS.md, "ODE solver"):
- `adjoint=False`: the solver's steps are ordinary swiftgrad operations, so backward goes
  through them (exact gradient of the discrete solution; memory grows with the steps taken;
  second order and forward mode work).
- `adjoint=True`: a `custom_vjp` node whose rule integrates the adjoint ODE backwards in time
  (Chen et al. 2018): da/dt = -a df/dy, da_p/dt = -a df/dp, with y re-integrated backwards from
  the saved outputs. Memory is O(1) in the number of steps; the gradient is that of the ODE
  (accurate to the tolerances), first order only. The parameters of `f` must then be passed
  as `params` (a pytree of tensors, `f(t, y, params)`); a tensor that `f` closes over and that
  requires grad raises TypeError, as in any custom_vjp.

Every floating-point operation is a swiftgrad op; the step-size controller reads the error norm
as a Python float (a control-flow decision, not differentiated). Times `t` are constants.
"""
import math

import numpy as np

from ._tensor import Tensor
from .tree_util import tree_flatten, tree_unflatten

__all__ = ["odeint"]

# Dormand-Prince 5(4): nodes, stage weights, 5th-order solution weights and the error weights
# (5th minus embedded 4th order). The seventh stage is f at the new point (first same as last).
_C_NODES = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_A = ((), (1 / 5,), (3 / 40, 9 / 40), (44 / 45, -56 / 15, 32 / 9),
      (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
      (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
      (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_E = tuple(b5 - b4 for b5, b4 in zip(_B5, _B4))


def odeint(f, y0, t, params=None, *, method="dopri5", rtol=1e-7, atol=1e-9, adjoint=False, step_size=None,
           max_steps=100_000):
    """Solves dy/dt = f(t, y) (or f(t, y, params)) from y(t[0]) = y0 and returns the solution at
    every time of `t` stacked along a new first axis (shape (len(t),) + y0.shape).

    `t`: strictly increasing or strictly decreasing floats. `method`: "dopri5" (adaptive
    Dormand-Prince 5(4) with error per step below atol + rtol |y| in the RMS norm) or "rk4"
    (classical Runge-Kutta, one step per interval of `t`, or steps of at most `step_size`).
    `f` receives t as a Python float. `adjoint`: see the module docstring."""
    from . import asarray, stack

    if method not in ("dopri5", "rk4"):
        raise ValueError(f"odeint: method must be 'dopri5' or 'rk4', got {method!r}")
    if rtol < 0 or atol < 0 or (method == "dopri5" and rtol == 0 and atol == 0):
        raise ValueError(f"odeint: tolerances must be non-negative and not both zero, got rtol={rtol}, atol={atol}")
    if step_size is not None and not step_size > 0:
        raise ValueError(f"odeint: step_size must be positive, got {step_size}")
    times = np.asarray(t, dtype=np.float64)
    if times.ndim != 1 or times.size < 1 or not np.isfinite(times).all():
        raise ValueError(f"odeint: t must be a non-empty 1-D sequence of finite times, got shape {times.shape}")
    steps = np.diff(times)
    if steps.size and not ((steps > 0).all() or (steps < 0).all()):
        raise ValueError("odeint: t must be strictly increasing or strictly decreasing")
    y0 = y0 if isinstance(y0, Tensor) else asarray(y0)
    if not np.issubdtype(y0.dtype, np.floating):
        raise TypeError(f"odeint: y0 must be floating point, got {y0.dtype}")
    options = dict(method=method, rtol=rtol, atol=atol, step_size=step_size, max_steps=max_steps)
    if adjoint:
        _refuse_closed_over_tensors(f, float(times[0]), y0, params)
        return _adjoint_solver(f, times, options, params is not None)(y0, params)
    field = (lambda s, ys: [f(s, ys[0])]) if params is None else (lambda s, ys: [f(s, ys[0], params)])
    return stack([y[0] for y in _integrate(field, [y0], times, **options)], axis=0)


def _integrate(field, state, times, method, rtol, atol, step_size, max_steps):
    """The states (lists of tensors) at every time; `field(t, state) -> list of derivatives`."""
    out = [state]
    t, h = float(times[0]), None
    derivative = None  # f at (t, state), reused by dopri5's next step (first same as last)
    budget = [max_steps]
    for target in times[1:]:
        target = float(target)
        if method == "rk4":
            count = 1 if step_size is None else max(1, math.ceil(abs(target - t) / step_size - 1e-12))
            _spend(budget, count, t)
            dt = (target - t) / count
            for i in range(count):
                state = _rk4_step(field, t + i * dt, state, dt)
        else:
            state, derivative, h = _dopri5_interval(field, t, target, state, derivative, h, rtol, atol, budget)
        t = target
        out.append(state)
    return out


def _spend(budget, count, t):
    budget[0] -= count
    if budget[0] < 0:
        raise RuntimeError(f"odeint: more than max_steps steps were needed (at t={t}); the problem may be stiff, "
                           "or raise max_steps / loosen the tolerances")


def _combine(state, terms):
    """state + sum(c * k for c, k in terms), per component (zero coefficients skipped)."""
    result = []
    for i, y in enumerate(state):
        acc = y
        for c, k in terms:
            if c != 0.0:
                acc = acc + k[i] * c
        result.append(acc)
    return result


def _rk4_step(field, t, y, h):
    k1 = field(t, y)
    k2 = field(t + h / 2, _combine(y, [(h / 2, k1)]))
    k3 = field(t + h / 2, _combine(y, [(h / 2, k2)]))
    k4 = field(t + h, _combine(y, [(h, k3)]))
    return _combine(y, [(h / 6, k1), (h / 3, k2), (h / 3, k3), (h / 6, k4)])


def _error_ratio(error, y_old, y_new, rtol, atol):
    """RMS over all components of error / (atol + rtol max(|y_old|, |y_new|)), as a float."""
    from . import abs as sg_abs, maximum, sum as sg_sum

    total, count = 0.0, 0
    for e, a, b in zip(error, y_old, y_new):
        scaled = e / (maximum(sg_abs(a), sg_abs(b)) * rtol + atol)
        total += float(sg_sum(scaled * scaled).item())
        count += e.size
    return math.sqrt(total / max(count, 1))


def _initial_step(field, t, state, derivative, rtol, atol, direction):
    """Hairer, Norsett & Wanner's starting step (II.4): from the sizes of y and f(t, y)."""
    d0 = _error_ratio(state, state, state, rtol, atol)
    d1 = _error_ratio(derivative, state, state, rtol, atol)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    probe = field(t + direction * h0, _combine(state, [(direction * h0, derivative)]))
    d2 = _error_ratio([p - d for p, d in zip(probe, derivative)], state, state, rtol, atol) / h0
    h1 = max(1e-6, h0 * 1e-3) if max(d1, d2) <= 1e-15 else (0.01 / max(d1, d2)) ** (1 / 5)
    return min(100 * h0, h1)


def _dopri5_interval(field, t, target, state, derivative, h, rtol, atol, budget):
    """Adaptive steps from t to exactly `target` (the last step is shortened to land on it)."""
    direction = 1.0 if target > t else -1.0
    if derivative is None:
        derivative = field(t, state)
    if h is None:
        h = _initial_step(field, t, state, derivative, rtol, atol, direction)
        if not math.isfinite(h) or h <= 0:
            raise RuntimeError(f"odeint: f returned non-finite values at t={t} (or y0 is not finite)")
    while direction * (target - t) > 0:
        _spend(budget, 1, t)
        last = h >= abs(target - t) * (1 - 1e-12)
        step = abs(target - t) if last else h
        dt = direction * step
        k = [derivative]
        for stage in range(1, 7):
            k.append(field(t + _C_NODES[stage] * dt,
                           _combine(state, [(dt * a, k[j]) for j, a in enumerate(_A[stage])])))
        new_state = _combine(state, [(dt * a, k[j]) for j, a in enumerate(_A[6])])
        k.append(field(t + dt, new_state))
        error = [sum((k[j][i] * (dt * e) for j, e in enumerate(_E) if e != 0.0), start=k[0][i] * 0.0)
                 for i in range(len(state))]
        ratio = _error_ratio(error, state, new_state, rtol, atol)
        if not math.isfinite(ratio):
            ratio = 1e10  # an overflow or NaN in a trial step: retry with a much smaller step
        factor = 10.0 if ratio == 0 else min(10.0, max(0.2, 0.9 * ratio ** -0.2))
        if ratio <= 1.0:
            t = target if last else t + dt
            state, derivative = new_state, k[6]
            h = max(h, step * factor) if last else step * factor  # a shortened last step keeps h
        else:
            h = step * factor
        if h < 1e-14 * max(1.0, abs(t)):
            raise RuntimeError(f"odeint: step size underflow at t={t}; the problem may be stiff or singular, "
                               "or f returns non-finite values there")
    return state, derivative, h


def _refuse_closed_over_tensors(f, t0, y0, params):
    """The adjoint's forward solve records nothing (that is its point), so one recorded
    evaluation of f finds the tensors requiring grad that f reads besides y and params."""
    from .autograd import _closed_over, enable_grad
    from .custom import _refuse_closure

    with enable_grad():
        out = f(t0, y0) if params is None else f(t0, y0, params)
    if isinstance(out, Tensor) and out.requires_grad:
        inputs = [y0] + [p for p in tree_flatten(params)[0] if isinstance(p, Tensor)]
        _refuse_closure(_closed_over(out, inputs), "odeint(adjoint=True): f")


def _adjoint_solver(f, times, options, has_params):
    """A custom_vjp function (y0, params) -> solution whose rule integrates the adjoint ODE."""
    from . import autograd, custom_vjp, enable_grad, no_grad, stack, zeros_like

    def field(s, ys, params):
        return [f(s, ys[0], params) if has_params else f(s, ys[0])]

    def solve(y0, params):
        with no_grad():
            return stack([y[0] for y in _integrate(lambda s, ys: field(s, ys, params), [y0], times, **options)], 0)

    solver = custom_vjp(solve)

    def forward(y0, params):
        out = solve(y0, params)
        return out, (out, params)

    def backward(residuals, g):
        out, params = residuals
        leaves, treedef = tree_flatten(params)
        grad_leaves = [i for i, p in enumerate(leaves) if isinstance(p, Tensor) and
                       np.issubdtype(p.dtype, np.floating)]

        def augmented(s, state):
            # state = [y, a, a_p...]: dy/dt = f, da/dt = -a df/dy, da_p/dt = -a df/dp.
            with enable_grad():
                y = state[0].detach().requires_grad_()
                detached = list(leaves)
                for i in grad_leaves:
                    detached[i] = leaves[i].detach().requires_grad_()
                p = tree_unflatten(treedef, detached)
                dy = field(s, [y], p)[0]
                wrt = [y] + [detached[i] for i in grad_leaves]
                vjps = autograd.grad(dy, wrt, grad_outputs=state[1], allow_unused=True)
            vjps = [zeros_like(w) if v is None else v for v, w in zip(vjps, wrt)]
            return [dy.detach()] + [-v for v in vjps]

        state = [out[-1], g[-1]] + [zeros_like(leaves[i]) for i in grad_leaves]
        with no_grad():
            for i in range(len(times) - 1, 0, -1):
                state = _integrate(augmented, state, np.array([times[i], times[i - 1]]), **options)[-1]
                # Restart y from the saved forward solution (no drift) and add this time's cotangent.
                state = [out[i - 1], state[1] + g[i - 1]] + state[2:]
        grads = list(leaves)
        for slot, i in enumerate(grad_leaves):
            grads[i] = state[2 + slot]
        for i in range(len(grads)):
            if i not in grad_leaves:
                grads[i] = None
        return state[1], (tree_unflatten(treedef, grads) if has_params else None)

    solver.defvjp(forward, backward)
    return solver
