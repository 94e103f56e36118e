"""Deliberately wrong derivative rules for the check_grads mutation test (test_testing.py).

Each maker takes `bug` and returns (f, args): with bug=False the rule is right (check_grads must
pass), with bug=True it has one mistake (check_grads must fail). Arguments are float64 arrays
from a fixed generator; the test also runs every case on float32 copies."""
import numpy as np

import swiftgrad as sg

_rng = np.random.default_rng(42)
A = _rng.uniform(0.5, 1.5, (3, 3))  # positive: log, sqrt and powers stay in their domain
B = _rng.uniform(0.5, 1.5, (3, 3))
V = _rng.uniform(0.5, 1.5, (3,))
MUTATIONS = []


def mutation(make):
    MUTATIONS.append(make)
    return make


def _vjp(fun, fwd, bwd, nondiff_argnums=()):
    f = sg.custom_vjp(fun, nondiff_argnums=nondiff_argnums)
    f.defvjp(fwd, bwd)
    return f


def _jvp(fun, rule):
    f = sg.custom_jvp(fun)
    f.defjvp(rule)
    return f


# --- custom_vjp: first-order mistakes ------------------------------------------------------------

@mutation
def vjp_sin_wrong_sign(bug):
    return _vjp(sg.sin, lambda x: (sg.sin(x), x), lambda x, g: ((-g if bug else g) * sg.cos(x),)), (A,)


@mutation
def vjp_exp_missing_factor(bug):
    return _vjp(sg.exp, lambda x: (sg.exp(x), sg.exp(x)), lambda e, g: (g if bug else g * e,)), (A,)


@mutation
def vjp_square_missing_two(bug):
    return _vjp(sg.square, lambda x: (x * x, x), lambda x, g: (g * x * (1.0 if bug else 2.0),)), (A,)


@mutation
def vjp_log_multiplies(bug):
    return _vjp(sg.log, lambda x: (sg.log(x), x), lambda x, g: (g * x if bug else g / x,)), (A,)


@mutation
def vjp_tanh_missing_square(bug):
    return _vjp(sg.tanh, lambda x: (sg.tanh(x), sg.tanh(x)),
                lambda y, g: (g * (1 - y) if bug else g * (1 - y * y),)), (A,)


@mutation
def vjp_sigmoid_missing_term(bug):
    return _vjp(sg.sigmoid, lambda x: (sg.sigmoid(x), sg.sigmoid(x)),
                lambda s, g: (g * s if bug else g * s * (1 - s),)), (A - 1,)


@mutation
def vjp_cube_missing_square(bug):
    return _vjp(lambda x: x ** 3, lambda x: (x ** 3, x), lambda x, g: (3 * g * (x if bug else x * x),)), (A,)


@mutation
def vjp_multiply_swapped(bug):
    return _vjp(sg.multiply, lambda x, y: (x * y, (x, y)),
                lambda r, g: (g * r[0], g * r[1]) if bug else (g * r[1], g * r[0])), (A, B)


@mutation
def vjp_multiply_one_argument_wrong(bug):
    return _vjp(sg.multiply, lambda x, y: (x * y, (x, y)),
                lambda r, g: (g if bug else g * r[1], g * r[0])), (A, B)


@mutation
def vjp_divide_denominator_sign(bug):
    return _vjp(sg.divide, lambda x, y: (x / y, (x, y)),
                lambda r, g: (g / r[1], (1 if bug else -1) * g * r[0] / (r[1] * r[1]))), (A, B)


@mutation
def vjp_matmul_transposed_right(bug):
    return _vjp(sg.matmul, lambda a, b: (a @ b, (a, b)),
                lambda r, g: (g @ (r[1] if bug else r[1].T), r[0].T @ g)), (A, B)


@mutation
def vjp_matmul_transposed_left(bug):
    return _vjp(sg.matmul, lambda a, b: (a @ b, (a, b)),
                lambda r, g: (g @ r[1].T, g.T @ r[0] if bug else r[0].T @ g)), (A, B)


@mutation
def vjp_broadcast_reduced_by_mean(bug):
    return _vjp(lambda x, b: x + b, lambda x, b: (x + b, None),
                lambda _, g: (g, sg.mean(g, axis=0) if bug else sg.sum(g, axis=0))), (A, V)


@mutation
def vjp_broadcast_reduced_on_wrong_axis(bug):
    return _vjp(lambda x, b: x * b, lambda x, b: (x * b, (x, b)),
                lambda r, g: (g * r[1], sg.sum(g * r[0], axis=1 if bug else 0))), (A, V)


@mutation
def vjp_sum_broadcast_on_wrong_axis(bug):
    return _vjp(lambda x: sg.sum(x, axis=1), lambda x: (sg.sum(x, axis=1), None),
                lambda _, g: (sg.broadcast_to(g if bug else g[:, None], (3, 3)),)), (A,)


@mutation
def vjp_mean_missing_normalisation(bug):
    return _vjp(sg.mean, lambda x: (sg.mean(x), None),
                lambda _, g: (sg.broadcast_to(g if bug else g / 9.0, (3, 3)),)), (A,)


@mutation
def vjp_transpose_not_transposed(bug):
    return _vjp(lambda x: x.T, lambda x: (x.T, None), lambda _, g: (g if bug else g.T,)), (A,)


@mutation
def vjp_norm_missing_division(bug):
    def fwd(x):
        n = sg.sqrt(sg.sum(x * x))
        return n, (x, n)
    return _vjp(lambda x: sg.sqrt(sg.sum(x * x)), fwd, lambda r, g: (g * r[0] if bug else g * r[0] / r[1],)), (A,)


@mutation
def vjp_logsumexp_unnormalised(bug):
    def fwd(x):
        m = sg.logsumexp(x)
        return m, (x, m)
    return _vjp(sg.logsumexp, fwd,
                lambda r, g: (g * sg.exp(r[0]) if bug else g * sg.exp(r[0] - r[1]),)), (A,)


@mutation
def vjp_nonlinear_in_cotangent(bug):
    return _vjp(sg.sin, lambda x: (sg.sin(x), x), lambda x, g: ((g * g if bug else g) * sg.cos(x),)), (A,)


@mutation
def vjp_five_percent_off(bug):
    return _vjp(sg.exp, lambda x: (sg.exp(x), sg.exp(x)), lambda e, g: (g * e * (1.05 if bug else 1.0),)), (A,)


@mutation
def vjp_nondiff_scale_ignored(bug):
    return _vjp(lambda k, x: x * k, lambda k, x: (x * k, None),
                lambda k, _, g: (g if bug else g * k,), nondiff_argnums=(0,)), (3, A)


@mutation
def vjp_in_a_pytree(bug):
    f = vjp_sin_wrong_sign(bug)[0]
    return (lambda params, x: {"out": [f(params["w"]) * x], "aux": x}), ({"w": A, "name": "layer"}, B)


# --- custom_vjp: right at first order, wrong second derivative ---------------------------------------

@mutation
def vjp_sin_residual_from_numpy(bug):
    def fwd(x):
        return sg.sin(x), (sg.tensor(np.cos(np.asarray(x))) if bug else sg.cos(x))
    return _vjp(sg.sin, fwd, lambda c, g: (g * c,)), (A,)


@mutation
def vjp_exp_residual_detached(bug):
    def fwd(x):
        e = sg.exp(x)
        return e, (sg.stop_gradient(e) if bug else e)
    return _vjp(sg.exp, fwd, lambda e, g: (g * e,)), (A,)


@mutation
def vjp_square_detached_in_bwd(bug):
    return _vjp(sg.square, lambda x: (x * x, x), lambda x, g: (2 * g * (x.detach() if bug else x),)), (A,)


@mutation
def vjp_multiply_cross_term_detached(bug):
    return _vjp(sg.multiply, lambda x, y: (x * y, (x, y)),
                lambda r, g: (g * (r[1].detach() if bug else r[1]), g * r[0])), (A, B)


# --- custom_jvp ---------------------------------------------------------------------------------------

@mutation
def jvp_sin_wrong_sign(bug):
    return _jvp(sg.sin, lambda p, t: (sg.sin(p[0]), (-1 if bug else 1) * t[0] * sg.cos(p[0]))), (A,)


@mutation
def jvp_exp_missing_factor(bug):
    return _jvp(sg.exp, lambda p, t: (sg.exp(p[0]), t[0] if bug else t[0] * sg.exp(p[0]))), (A,)


@mutation
def jvp_product_missing_term(bug):
    return _jvp(sg.multiply, lambda p, t: (p[0] * p[1], t[0] * p[1] + (0 if bug else 1) * p[0] * t[1])), (A, B)


@mutation
def jvp_matmul_transposed(bug):
    return _jvp(sg.matmul, lambda p, t: (p[0] @ p[1], t[0] @ p[1] + (t[1] @ p[0] if bug else p[0] @ t[1]))), (A, B)


@mutation
def jvp_cube_missing_square(bug):
    return _jvp(lambda x: x ** 3, lambda p, t: (p[0] ** 3, 3 * t[0] * (p[0] if bug else p[0] * p[0]))), (A,)


@mutation
def jvp_sin_derivative_detached(bug):
    def rule(p, t):
        c = sg.cos(p[0])
        return sg.sin(p[0]), t[0] * (sg.stop_gradient(c) if bug else c)
    return _jvp(sg.sin, rule), (A,)


@mutation
def jvp_reduction_wrong_axis(bug):
    return _jvp(lambda x: sg.sum(x, axis=0),
                lambda p, t: (sg.sum(p[0], axis=0), sg.sum(t[0], axis=1 if bug else 0))), (A,)


# --- sg.Function (PyTorch style) ----------------------------------------------------------------------

def _function(forward, backward, jvp=None):
    members = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    if jvp is not None:
        members["jvp"] = staticmethod(jvp)
    return type("Custom", (sg.Function,), members).apply


def _save(ctx, *ts):
    ctx.save_for_backward(*ts)


@mutation
def function_exp_wrong_factor(bug):
    def forward(ctx, x):
        _save(ctx, x)
        return sg.exp(x)
    return _function(forward, lambda ctx, g: g * (ctx.saved_tensors[0] if bug else sg.exp(ctx.saved_tensors[0]))), \
        (A,)


@mutation
def function_multiply_same_gradient_twice(bug):
    def forward(ctx, x, y):
        _save(ctx, x, y)
        return x * y
    return _function(forward, lambda ctx, g: (g * ctx.saved_tensors[1], g * ctx.saved_tensors[1 if bug else 0])), \
        (A, B)


@mutation
def function_backward_from_numpy(bug):
    def forward(ctx, x):
        _save(ctx, x)
        return sg.sin(x)

    def backward(ctx, g):
        x = ctx.saved_tensors[0]
        return g * (sg.tensor(np.cos(np.asarray(x))) if bug else sg.cos(x))
    return _function(forward, backward), (A,)


@mutation
def function_wrong_jvp_sign(bug):
    def forward(ctx, x):
        _save(ctx, x)
        return sg.sin(x)
    return _function(forward, lambda ctx, g: g * sg.cos(ctx.saved_tensors[0]),
                     lambda ctx, t: (-t if bug else t) * sg.cos(ctx.saved_tensors[0])), (A,)


@mutation
def function_jvp_missing_factor(bug):
    def forward(ctx, x):
        _save(ctx, x)
        return x * x
    return _function(forward, lambda ctx, g: 2 * g * ctx.saved_tensors[0],
                     lambda ctx, t: (1 if bug else 2) * t * ctx.saved_tensors[0]), (A,)
