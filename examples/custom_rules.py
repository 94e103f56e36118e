"""Custom derivative rules in practice: stable log-sum-exp and softplus via custom_vjp, a
straight-through estimator for rounding, and implicit differentiation of ridge regression
checked against differentiating through 200 unrolled gradient-descent steps."""
import numpy as np

import swiftgrad as sg

# 1. Stable log-sum-exp: the naive formula overflows at x = 1000; the rule uses the softmax.
@sg.custom_vjp
def logsumexp(x):
    m = sg.max(x).detach()
    return m + sg.log(sg.sum(sg.exp(x - m)))


def _lse_fwd(x):
    out = logsumexp.fun(x)
    return out, (x, out)


logsumexp.defvjp(_lse_fwd, lambda res, g: (g * sg.exp(res[0] - res[1]),))

x = sg.tensor([1000.0, 1000.0, 999.0], requires_grad=True)
y = logsumexp(x)
y.backward()
expected = 1000 + np.log(2 + np.exp(-1))
print(f"logsumexp([1000, 1000, 999]) = {y.item():.6f} (expected {expected:.6f}); gradient {x.grad.numpy().round(6)}")
assert abs(y.item() - expected) < 1e-9 and abs(x.grad.numpy().sum() - 1) < 1e-12
assert sg.gradcheck(logsumexp, (np.array([0.1, -2.0, 3.0]),))
assert sg.gradgradcheck(logsumexp, (np.array([0.1, -2.0, 3.0]),))

# 2. Softplus with its derivative, the sigmoid, stated directly.
@sg.custom_vjp
def softplus(x):
    return sg.softplus(x)


softplus.defvjp(lambda x: (sg.softplus(x), x), lambda x, g: (g * sg.sigmoid(x),))
grad_at_big = sg.grad(lambda v: sg.sum(softplus(v)))(np.array([-800.0, 0.0, 800.0]))
print("softplus'([-800, 0, 800]) =", grad_at_big.numpy())
assert np.allclose(grad_at_big.numpy(), [0.0, 0.5, 1.0])

# 3. Straight-through rounding: forward rounds, backward passes the gradient unchanged.
class RoundSTE(sg.Function):
    @staticmethod
    def forward(ctx, x):
        return sg.tensor(np.round(x.numpy()))  # non-differentiable value

    @staticmethod
    def backward(ctx, g):
        return g


w = sg.tensor([0.4, 1.6, -2.3], requires_grad=True)
q = RoundSTE.apply(w)
sg.sum(q * q).backward()
print("round(w) =", q.numpy(), " straight-through gradient of sum(round(w)^2) =", w.grad.numpy())
assert q.tolist() == [0.0, 2.0, -2.0] and w.grad.tolist() == [0.0, 4.0, -4.0]

# 4. Ridge regression z*(theta) = argmin 1/2|Az - b|^2 + theta/2 |z|^2, differentiated
#    implicitly: dz*/dtheta = -(A^T A + theta I)^{-1} z*.
rng = np.random.default_rng(0)
A = np.eye(5) + 0.1 * rng.standard_normal((5, 5))
b = rng.standard_normal(5)
H = A.T @ A


@sg.custom_vjp
def ridge(theta):
    return sg.linalg.solve(sg.tensor(H) + theta * sg.eye(5), sg.tensor(A.T @ b))


def _ridge_fwd(theta):
    z = ridge.fun(theta)
    return z, (theta, z)


def _ridge_bwd(res, g):
    theta, z = res
    dz_dtheta = -sg.linalg.solve(sg.tensor(H) + theta * sg.eye(5), z)
    return (sg.sum(g * dz_dtheta),)


ridge.defvjp(_ridge_fwd, _ridge_bwd)


def unrolled(theta, steps=200, lr=0.5):
    z = sg.zeros(5)
    for _ in range(steps):
        z = z - lr * (sg.tensor(H) @ z - sg.tensor(A.T @ b) + theta * z)
    return z


theta0 = np.array(0.7)
implicit = sg.grad(lambda t: sg.sum(ridge(t)))(theta0).item()
through_steps = sg.grad(lambda t: sg.sum(unrolled(t)))(theta0).item()
print(f"d sum(z*)/d theta: implicit {implicit:.10f}, through 200 unrolled steps {through_steps:.10f}")
assert abs(implicit - through_steps) < 1e-8
