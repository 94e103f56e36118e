"""`check_grads`: derivatives against central finite differences in random directions, in the
manner of jax.test_util.check_grads.

For f: args -> outputs (pytrees), each of `n_directions` random directions t (one per float
argument leaf, all perturbed together) and random output cotangents v checks

- fwd: the JVP J t (`sg.jvp`) against (f(x + eps t) - f(x - eps t)) / (2 eps), elementwise;
- rev: <J^T v, t> (`sg.vjp`) against <v, finite difference>;
- both: the identity <v, J t> = <J^T v, t>, to rounding error.

At order k > 1 the same checks run, with order k - 1, on the VJP function (x, v) -> J(x)^T v
(its derivatives are forward-over-reverse and reverse-over-reverse) and on the JVP function
(x, t) -> J(x) t (forward-over-forward, reverse-over-forward). When a direction fails, the check is
repeated with the direction restricted to one argument leaf at a time, so the failure names the
argument (its pytree path), the order and the mode.

Only the values are compared here, with NumPy; derivatives come from swiftgrad's transforms.
"""

import numpy as np

from .. import asarray
from .._dtypes import is_floating as _is_floating
from ..tree_util import flatten as _flatten, tree_flatten

# --sg-gradcheck-eps of the pytest plugin sets "eps" (the default step when `eps` is not given).
OPTIONS = {"eps": None}

# Working precision -> (eps, rtol, atol, rtol of the <v, J t> = <J^T v, t> identity).
_DEFAULTS = {"float64": (1e-6, 1e-5, 1e-6, 1e-9), "float32": (1e-3, 1e-2, 1e-3, 1e-4)}
_ROUNDING = 4.0  # finite differences are allowed this many ulps of |f| / eps of rounding error


class CheckGradsError(AssertionError):
    """Raised by `check_grads` when a derivative disagrees with finite differences (or the forward
    and reverse modes disagree); the message names the argument, the order and the mode."""

    __module__ = "swiftgrad.testing"  # as pytest and tracebacks show it


def _paths(tree, prefix):
    """The leaves' paths in the order of swiftgrad's pytree flattening (sg.tree_util)."""
    return tree_flatten(tree)[1].paths(prefix)


def _is_float(x):
    from .._tensor import Tensor

    if isinstance(x, float):
        return True
    if isinstance(x, (Tensor, np.ndarray, np.generic)):
        return _is_floating(x.dtype)
    return False


def _tensors(arrays):
    from .. import tensor

    return tuple(tensor(a) for a in arrays)


def _values(outs):
    return [np.array(o, dtype=np.float64) for o in outs]


def _mode_name(stack):
    return "-over-".join(reversed(stack))


class _Settings:
    def __init__(self, name, eps, rtol, atol, id_rtol, precision, n_directions, seed, modes):
        self.name, self.eps, self.rtol, self.atol, self.id_rtol = name, eps, rtol, atol, id_rtol
        self.precision, self.n_directions, self.seed, self.modes = precision, n_directions, seed, modes
        self.ulp = float(np.finfo(precision).eps)


class _Level:
    """One function checked at one order: F maps a tuple of float tensors to a tuple of tensors."""

    def __init__(self, F, xs, in_names, out_names, stack, order, settings):
        self.F, self.xs, self.in_names, self.out_names = F, xs, in_names, out_names
        self.stack, self.order, self.s = stack, order, settings
        raw = F(*_tensors(xs))
        self.out_dtypes = [np.dtype(o.dtype) for o in raw]
        self.outs = _values(raw)
        self._pullback = None

    def finite_differences(self, t):
        """(effective direction, (f(x+) - f(x-)) / 2 eps, rounding allowance) per leaf."""
        eps = self.s.eps
        plus = [(x + eps * d).astype(x.dtype) for x, d in zip(self.xs, t)]
        minus = [(x - eps * d).astype(x.dtype) for x, d in zip(self.xs, t)]
        # The steps actually taken after rounding the perturbed points to the arguments' dtype.
        t_eff = [(p.astype(np.float64) - m.astype(np.float64)) / (2 * eps) for p, m in zip(plus, minus)]
        hi, lo = _values(self.F(*_tensors(plus))), _values(self.F(*_tensors(minus)))
        fd = [(h - m) / (2 * eps) for h, m in zip(hi, lo)]
        noise = [_ROUNDING * self.s.ulp * (np.abs(h) + np.abs(m)) / (2 * eps) for h, m in zip(hi, lo)]
        return t_eff, fd, noise

    def jvp(self, t):
        from ..transforms import jvp

        _, tangents = jvp(self.F, _tensors(self.xs), _tensors([d.astype(x.dtype) for d, x in zip(t, self.xs)]))
        return _values(tangents)

    def vjp(self, v):
        from ..transforms import vjp

        if self._pullback is None:
            _, self._pullback = vjp(self.F, *_tensors(self.xs))
        return _values(self._pullback(_tensors([c.astype(dt) for c, dt in zip(v, self.out_dtypes)])))

    def check_direction(self, t, v, modes):
        """None, or (mode, details) for the first check of this direction that fails."""
        s = self.s
        t_eff, fd, noise = self.finite_differences(t)
        allowed = [s.atol + s.rtol * np.abs(n) + z for n, z in zip(fd, noise)]
        jt = ct = None
        if "fwd" in modes:
            jt = self.jvp(t_eff)
            for j, (a, n, tol) in enumerate(zip(jt, fd, allowed)):
                bad = ~(np.abs(a - n) <= tol)
                if bad.any():
                    return "fwd", self._elementwise(j, a, n, tol, bad)
        if "rev" in modes:
            ct = self.vjp(v)
            analytic = sum(float(np.vdot(c, d)) for c, d in zip(ct, t_eff))
            numerical = sum(float(np.vdot(w, n)) for w, n in zip(v, fd))
            tol = sum(float(np.vdot(np.abs(w), a)) for w, a in zip(v, allowed))
            if not abs(analytic - numerical) <= tol:
                return "rev", [f"<J^T v, t> by reverse mode: {analytic:.10g}",
                               f"<v, J t> by finite differences: {numerical:.10g}",
                               f"difference {abs(analytic - numerical):.3g}, allowed {tol:.3g}"]
        if jt is not None and ct is not None:
            forward = sum(float(np.vdot(w, a)) for w, a in zip(v, jt))
            scale = sum(float(np.vdot(np.abs(w), np.abs(a))) for w, a in zip(v, jt)) + \
                sum(float(np.vdot(np.abs(c), np.abs(d))) for c, d in zip(ct, t_eff))
            tol = s.id_rtol * scale + np.finfo(np.float64).tiny
            if not abs(forward - analytic) <= tol:
                return "fwd/rev", [f"<v, J t> by forward mode: {forward:.17g}",
                                   f"<J^T v, t> by reverse mode: {analytic:.17g}",
                                   f"difference {abs(forward - analytic):.3g}, allowed {tol:.3g}"]
        return None

    def _elementwise(self, j, analytic, numerical, tol, bad):
        k = int(np.argmax(np.where(bad, np.nan_to_num(np.abs(analytic - numerical), nan=np.inf) / tol, -1)))
        idx = tuple(int(i) for i in np.unravel_index(k, analytic.shape)) if analytic.ndim else ()
        return [(f"output: {self.out_names[j]} (shape {analytic.shape}), {int(bad.sum())} of {bad.size} elements "
                 "differ"),
                (f"worst element {idx}: forward mode {analytic.flat[k]:.10g}, finite differences "
                 f"{numerical.flat[k]:.10g} (difference {abs(analytic.flat[k] - numerical.flat[k]):.3g}, "
                 f"allowed {tol.flat[k]:.3g})")]

    def run(self, rng):
        __tracebackhide__ = True
        s = self.s
        for d in range(s.n_directions):
            t = [rng.standard_normal(x.shape) for x in self.xs]
            v = [rng.standard_normal(o.shape) for o in self.outs]
            failure = self.check_direction(t, v, s.modes)
            if failure is not None:
                self.fail(d, t, v, *failure)
        if self.order > 1:
            if "rev" in s.modes:
                v = [rng.standard_normal(o.shape).astype(dt) for o, dt in zip(self.outs, self.out_dtypes)]
                self.vjp_level(v).run(rng)
            if "fwd" in s.modes:
                t = [rng.standard_normal(x.shape).astype(x.dtype) for x in self.xs]
                self.jvp_level(t).run(rng)

    def vjp_level(self, v):
        """The VJP function (x, v) -> J(x)^T v, checked at order - 1."""
        from ..transforms import vjp

        F, n = self.F, len(self.xs)

        def vjp_function(*xv):
            return tuple(vjp(F, *xv[:n])[1](tuple(xv[n:])))

        return _Level(vjp_function, self.xs + v, self.in_names + [f"cotangent of {o}" for o in self.out_names],
                      [f"(J^T v) for {a}" for a in self.in_names], self.stack + ["rev"], self.order - 1, self.s)

    def jvp_level(self, t):
        """The JVP function (x, t) -> J(x) t, checked at order - 1."""
        from ..transforms import jvp

        F, n = self.F, len(self.xs)

        def jvp_function(*xt):
            return tuple(jvp(F, tuple(xt[:n]), tuple(xt[n:]))[1])

        return _Level(jvp_function, self.xs + t, self.in_names + [f"tangent of {a}" for a in self.in_names],
                      [f"(J t) for {o}" for o in self.out_names], self.stack + ["fwd"], self.order - 1, self.s)

    def fail(self, d, t, v, mode, details):
        """Finds the argument leaf that shows the failure on its own, and raises."""
        __tracebackhide__ = True
        culprit = "all arguments perturbed together (no single argument shows it)"
        modes = ("fwd", "rev") if mode == "fwd/rev" else (mode,)
        for k, x in enumerate(self.xs):
            only = [d_ if i == k else np.zeros_like(d_) for i, d_ in enumerate(t)]
            found = self.check_direction(only, v, modes) if x.size else None
            if found is not None and found[0] == mode:
                culprit = f"{self.in_names[k]} (shape {x.shape}, {x.dtype})"
                details = found[1]
                break
        s, order = self.s, len(self.stack) + 1
        mode_name = _mode_name(self.stack + [mode]) if mode != "fwd/rev" else \
            "fwd vs rev" + (f" over {_mode_name(self.stack)}" if self.stack else "")
        what = {"fwd": "forward mode (sg.jvp) disagrees with finite differences",
                "rev": "reverse mode (sg.vjp) disagrees with finite differences",
                "fwd/rev": "forward and reverse mode disagree: <v, J t> != <J^T v, t>"}[mode]
        lines = [f"check_grads of {s.name}: order {order}, mode {mode_name!r}: {what}"]
        if self.stack:
            inner = {"rev": "the VJP function (x, v) -> J(x)^T v", "fwd": "the JVP function (x, t) -> J(x) t"}
            lines.append(f"differentiated function: {' of '.join(inner[m] for m in reversed(self.stack))}")
        lines.append(f"argument: {culprit}")
        lines += details
        lines.append(f"direction {d + 1} of {s.n_directions} (seed {s.seed}); eps {s.eps:g}, rtol {s.rtol:g}, "
                     f"atol {s.atol:g}, computed in {s.precision}")
        raise CheckGradsError("\n".join(lines))


def check_grads(f, args, order=2, modes=("fwd", "rev"), eps=None, atol=None, rtol=None, n_directions=3, seed=0,
                *, upcast=True):
    """Checks the derivatives of `f` at `args` against central finite differences, as
    jax.test_util.check_grads: forward mode (`sg.jvp`), reverse mode (`sg.vjp`) and their
    agreement <v, J t> = <J^T v, t>, in `n_directions` random directions (seeded by `seed`), and,
    up to `order`, the same checks on the VJP function (x, v) -> J^T v and the JVP function
    (x, t) -> J t: order 2 covers forward-over-reverse, reverse-over-reverse, forward-over-forward
    and reverse-over-forward. `modes` selects "fwd" and/or "rev".

    `args` is a tuple of arguments, each a pytree (tensors, arrays, scalars in tuples, lists,
    dicts); floating leaves are differentiated, other leaves (integer indices, strings) are held
    fixed. `f` may return a pytree; its floating leaves are checked. Custom rules (`custom_vjp`,
    `custom_jvp`, `Function`) are checked like any other code, which is what this is for.

    Precision: float32 arguments are checked in float64 copies (upcast=True, the default), unless
    `f` fails in float64; then, as with upcast=False, they are checked in their own dtype. When
    arguments or outputs stay float32, the defaults are eps 1e-3, rtol 1e-2, atol 1e-3; in float64
    eps 1e-6, rtol 1e-5, atol 1e-6. A finite difference is compared with tolerance
    atol + rtol * |fd| plus an allowance for its rounding error. Under pytest, the plugin's
    --sg-gradcheck-eps option sets the default eps.

    Returns None; raises `CheckGradsError` (an AssertionError) naming the order, the mode (for
    example 'fwd-over-rev'), the argument by its pytree path, and the analytic and numerical values.
    """
    __tracebackhide__ = True
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"check_grads: args must be a tuple of arguments, got {type(args).__name__}")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or set(modes) - {"fwd", "rev"}:
        raise ValueError(f"check_grads: modes must be a non-empty subset of ('fwd', 'rev'), got {modes!r}")
    if int(order) < 1:
        raise ValueError(f"check_grads: order must be at least 1, got {order!r}")
    args = tuple(args)
    leaves, rebuild = _flatten(args)
    names = _paths(args, "args")
    diff = [i for i, leaf in enumerate(leaves) if _is_float(leaf)]
    if not diff:
        raise TypeError("check_grads: no floating-point argument to differentiate")
    native = [np.array(np.asarray(leaves[i])) for i in diff]  # copies, in the arguments' dtypes
    out_names = []

    def F(*xs):
        full = list(leaves)
        for i, x in zip(diff, xs):
            full[i] = x
        out = f(*rebuild(iter(full)))
        outs, _ = _flatten(out)
        paths = _paths(out, "out")
        keep = [k for k, o in enumerate(outs) if _is_float(o)]
        out_names[:] = [paths[k] for k in keep]
        return tuple(asarray(outs[k]) for k in keep)

    xs = [a.astype(np.float64) for a in native] if upcast else native
    try:
        outs = F(*_tensors(xs))
    except Exception:
        if not upcast or all(a.dtype == np.float64 for a in native):
            raise
        xs = native  # f does not run in float64: check in the arguments' own dtypes
        outs = F(*_tensors(xs))
    if not outs:
        raise TypeError("check_grads: f has no floating-point output")
    low = any(np.dtype(a.dtype) != np.float64 for a in xs) or any(o.dtype != np.float64 for o in outs)
    precision = "float32" if low else "float64"
    d_eps, d_rtol, d_atol, d_id = _DEFAULTS[precision]
    eps = float(eps if eps is not None else (OPTIONS["eps"] if OPTIONS["eps"] is not None else d_eps))
    rtol = d_rtol if rtol is None else float(rtol)
    atol = d_atol if atol is None else float(atol)
    id_rtol = max(d_id, d_id * rtol / d_rtol)
    settings = _Settings(getattr(f, "__name__", repr(f)), eps, rtol, atol, id_rtol, precision, int(n_directions),
                         seed, modes)
    _Level(F, xs, [names[i] for i in diff], list(out_names), [], int(order), settings).run(np.random.default_rng(seed))
