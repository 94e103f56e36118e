"""Finite-difference checks of derivatives: the tools the test suite and users verify rules with.

Numerical derivatives are float64 central differences. The analytic Jacobian is built from
reverse-mode passes (one VJP per output element). Entries are compared with
|analytic - numerical| <= atol + rtol * |numerical|.

Complex inputs and outputs are checked through their parts (Note [Complex dtypes] in
Sources/SwiftGrad/Kernels/Complex.swift): `f` is wrapped into the real function taking each
complex input as a float64 array with a trailing axis (real, imaginary), rebuilt with
`re + 1j * im`, and returning each complex output as the stack of its real and imaginary parts.
Central differences then perturb the real and the imaginary part of every element separately,
and the reverse pass through the wrapper checks PyTorch's convention: the gradient of a real
loss with respect to z is dL/d(re z) + i dL/d(im z), which the wrapper's `re + 1j * im` turns back
into the two real partials only if every complex rule conjugates as it should.
"""
import numpy as np

from .autograd import grad as _autograd_grad


class GradcheckError(RuntimeError):
    """Raised when an analytic derivative disagrees with finite differences."""


def _flat_outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    from . import asarray

    return [asarray(o) for o in outs]


def _is_complex(x):
    d = getattr(x, "dtype", None)
    return (np.iscomplexobj(x) if d is None else np.dtype(d).kind == "c")


def _realified(f, inputs):
    """(g, real inputs): `f` seen as a function of real arrays (complex inputs as (..., 2) parts)
    with real outputs (complex outputs stacked as (..., 2) parts), or `f` itself when nothing is complex."""
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    flags = [_is_complex(x) for x in inputs]

    def parts(o):
        from . import imag, real, stack

        return stack([real(o), imag(o)], axis=-1) if np.dtype(o.dtype).kind == "c" else o

    def g(*xs):
        args = [x[..., 0] + x[..., 1] * 1j if c else x for x, c in zip(xs, flags)]
        out = f(*args)
        if isinstance(out, (tuple, list)):
            return tuple(parts(o) for o in _flat_outputs(out))
        return parts(_flat_outputs(out)[0])

    real_inputs = [np.stack([np.asarray(x).real, np.asarray(x).imag], axis=-1).astype(np.float64) if c else x
                   for x, c in zip(inputs, flags)]
    return g, tuple(real_inputs)


def _prepare(inputs):
    from . import tensor

    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    for x in inputs:
        d = getattr(x, "dtype", None)
        if d is not None and np.dtype(d).itemsize == 2 and np.dtype(d).kind in "fV":
            raise TypeError(f"gradcheck: {np.dtype(d)} inputs are too coarse for finite differences (step {1e-6} is "
                            "below their resolution); check the derivative in float64 (x.astype(sg.float64))")
    arrays = [np.array(np.asarray(x), dtype=np.float64) for x in inputs]
    return arrays, [tensor(a, requires_grad=True) for a in arrays]


def numerical_jacobian(f, arrays, eps):
    """J[k] has shape (total outputs, inputs[k].size): central differences in float64."""
    from . import tensor

    def evaluate(values):
        # Grad mode stays on: `f` may itself differentiate (gradgradcheck's VJP function).
        outs = _flat_outputs(f(*[tensor(v, requires_grad=True) for v in values]))
        return np.concatenate([np.asarray(o, dtype=np.float64).ravel() for o in outs])

    jacobians = []
    for k, a in enumerate(arrays):
        cols = []
        for i in range(a.size):
            plus = [v.copy() for v in arrays]
            minus = [v.copy() for v in arrays]
            plus[k].flat[i] += eps
            minus[k].flat[i] -= eps
            cols.append((evaluate(plus) - evaluate(minus)) / (2 * eps))
        jacobians.append(np.stack(cols, axis=1) if cols else np.zeros((evaluate(arrays).size, 0)))
    return jacobians


def analytic_jacobian(f, leaves):
    """J[k] of shape (total outputs, inputs[k].size) from one reverse pass per output element."""
    outs = _flat_outputs(f(*leaves))
    total = sum(o.size for o in outs)
    jacobians = [np.zeros((total, x.size)) for x in leaves]
    row = 0
    for j, o in enumerate(outs):
        for i in range(o.size):
            if not o.requires_grad:
                row += 1
                continue
            seed = np.zeros(o.shape, dtype=o.dtype)
            seed.flat[i] = 1
            seeds = [seed if m == j else np.zeros(p.shape, dtype=p.dtype) for m, p in enumerate(outs)]
            live = [m for m, p in enumerate(outs) if p.requires_grad]
            grads = _autograd_grad([outs[m] for m in live], leaves, [seeds[m] for m in live],
                                   retain_graph=True, allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:  # a row-sparse gradient (sparse embedding) is checked densely
                    jacobians[k][row] = np.asarray(g.to_dense() if g.is_sparse else g, dtype=np.float64).ravel()
            row += 1
    return jacobians


def _compare(name, analytic, numerical, atol, rtol, raise_exception):
    for k, (a, n) in enumerate(zip(analytic, numerical)):
        if a.shape != n.shape:
            message = f"{name}: Jacobian for input {k} has shape {a.shape}, expected {n.shape}"
        else:
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            if not (excess.size and (np.nanmax(excess) > 0 or np.isnan(excess).any())):
                continue
            flat = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
            out_i, in_i = np.unravel_index(flat, a.shape)
            message = (f"{name}: mismatch for input {k} at (output {out_i}, input element {in_i}): "
                       f"analytic {a[out_i, in_i]!r}, numerical {n[out_i, in_i]!r} "
                       f"(atol={atol}, rtol={rtol})")
        if raise_exception:
            raise GradcheckError(message)
        return False
    return True


def forward_jacobian_products(f, arrays, directions):
    """J t for each output (flattened, concatenated) by forward mode (`sg.jvp`)."""
    from . import tensor
    from .transforms import jvp

    _, tangent_out = jvp(lambda *xs: tuple(_flat_outputs(f(*xs))), tuple(tensor(a) for a in arrays),
                         tuple(tensor(d) for d in directions))
    return np.concatenate([np.asarray(t, dtype=np.float64).ravel() for t in tangent_out])


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, check_forward=True, seed=0):
    """Checks the first derivatives of `f` at `inputs` (float64) against central differences,
    in reverse mode (the full Jacobian) and, with `check_forward`, in forward mode (J t for a
    random direction t).

    Returns True on success. On failure raises `GradcheckError` naming the worst entry, its
    index, and the analytic and numerical values (or returns False with raise_exception=False).
    Complex inputs and outputs are checked through their real and imaginary parts (module docstring).
    """
    f, inputs = _realified(f, inputs)
    arrays, leaves = _prepare(inputs)
    analytic = analytic_jacobian(f, leaves)
    numerical = numerical_jacobian(f, arrays, eps)
    if not _compare("gradcheck", analytic, numerical, atol, rtol, raise_exception):
        return False
    if not check_forward:
        return True
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(a.shape) for a in arrays]
    forward = forward_jacobian_products(f, arrays, directions)
    expected = sum(j @ d.ravel() for j, d in zip(numerical, directions))
    return _compare("gradcheck (forward mode)", [forward[:, None]], [np.asarray(expected)[:, None]],
                    atol, rtol, raise_exception)


def gradgradcheck(f, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Checks second derivatives: gradcheck of (inputs, v) -> VJP of `f` with cotangent v (complex
    inputs and outputs through their parts, as in `gradcheck`; `grad_outputs` then refers to the parts)."""
    f, inputs = _realified(f, inputs)
    arrays, leaves = _prepare(inputs)
    outs = _flat_outputs(f(*leaves))
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        cotangents = [rng.standard_normal(o.shape) for o in outs]
    else:
        given = grad_outputs if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
        cotangents = [np.asarray(g, dtype=np.float64) for g in given]
    n = len(arrays)

    def vjp_of_f(*args):
        from .transforms import vjp

        xs, vs = args[:n], args[n:]
        _, pullback = vjp(lambda *a: tuple(_flat_outputs(f(*a))), *xs)
        return tuple(pullback(tuple(vs)))

    return gradcheck(vjp_of_f, tuple(arrays) + tuple(cotangents), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
