"""JAX-style function transforms: grad, value_and_grad, vjp, jvp, jacfwd, jacrev, jacobian,
hessian, hvp, linearize. See docs/TRANSFORMS.md.

This module only orchestrates: it turns arguments into tensors, opens forward-mode levels and
asks the Swift core for tangents (`_C.forward_*`) and cotangents (`autograd.grad`). Arguments
and results may be tensors, NumPy arrays, Python scalars, or pytrees of them (`sg.tree_util`).

Note [Nesting]: the reverse transforms differentiate with respect to `_C.reverse_input(x)`, which
stays connected to `x`'s graph when `x` already requires grad (an outer `grad`) and keeps `x`'s
forward tangents (an outer `jvp`). Their backward pass is recorded only when the result can be
differentiated again (`_C.result_needs_graph`). Forward tangents are tagged with a fresh level
per `jvp`, so nested transforms never confuse their perturbations.
"""
import itertools
import sys
import threading

import numpy as np

from . import _C
from ._tensor import Tensor
from ._dtypes import is_inexact as _is_inexact
from .tree_util import flatten as _flatten, tree_flatten
from .autograd import enable_grad, grad as _autograd_grad
from ._vmap import vmap

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "jacobian", "hessian", "hvp",
           "linearize", "vmap"]


def _asarray(x):
    return x if type(x) is Tensor else sys.modules[__package__].asarray(x)  # no import statement: see _vmap


def _argnums(argnums, nargs, name):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise ValueError(f"{name}: argnums must name at least one argument")
    for i in nums:
        if not isinstance(i, int):
            raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= i < nargs:
            raise ValueError(f"{name}: argnums {argnums!r} out of range for {nargs} positional arguments")
    return tuple(i % nargs for i in nums)


def _is_float(t):
    return _is_inexact(t.dtype)


def _float_input(x, name):
    """`x`, which must be floating-point: the derivative with respect to an integer does not exist
    (TypeError, as JAX's jacfwd/jacrev/grad)."""
    if not _is_float(x):
        raise TypeError(f"{name} requires floating-point inputs, got {x.dtype} of shape {x.shape}; cast it "
                        "(x.astype(float64)) first")
    return x


def _zeros_like(t):
    from . import zeros

    return zeros(t.shape, t.dtype)


def _stack_reshape(parts, shape, dtype, axis):
    from . import reshape, stack, zeros

    if not parts:
        return zeros(shape, dtype)
    return reshape(stack(parts, axis), shape)


# --- Reverse mode ---------------------------------------------------------------------------


class _ReverseTrace:
    """`f` evaluated once on reverse inputs; pull back cotangents through it any number of times."""

    def __init__(self, f, args, kwargs, argnums, has_aux, name):
        self.nums = _argnums(argnums, len(args), name)
        self.aux = None
        args = list(args)
        self.in_leaves, self.in_rebuilds = [], []
        for i in self.nums:
            leaves, rebuild = _flatten(args[i])
            zs = [_C.reverse_input(_asarray(leaf)) for leaf in leaves]
            args[i] = rebuild(iter(zs))
            self.in_leaves.append(zs)
            self.in_rebuilds.append(rebuild)
        self.inputs = [z for zs in self.in_leaves for z in zs]
        with enable_grad():
            result = f(*args, **kwargs)
        if has_aux:
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                raise TypeError(f"{name}(has_aux=True) needs f to return a pair (output, aux), got "
                                f"{type(result).__name__}")
            result, self.aux = result
        leaves, self.out_rebuild = _flatten(result)
        self.out_leaves = [_asarray(o) for o in leaves]
        self.out = self.out_rebuild(iter(self.out_leaves))
        self.create = None

    def pullback(self, cotangents, retain=True):
        """Cotangents of the inputs (flat) for one cotangent (or None) per output leaf.

        With retain=False the graph is released after the sweep unless it is being recorded
        (then an outer transform still needs it)."""
        live = [(o, c) for o, c in zip(self.out_leaves, cotangents)
                if c is not None and o.requires_grad and _is_float(o)]
        if not live or not self.inputs:
            return [_zeros_like(x) for x in self.inputs]
        outs = [o for o, _ in live]
        if self.create is None:  # whether the graph reaches outside, decided once per trace
            with enable_grad():
                self.create = _C.result_needs_graph([o for o in self.out_leaves if o.requires_grad], self.inputs)
        # Record the sweep when the graph reaches outside, and when a cotangent requires grad: the
        # result must then be differentiable in it (a custom rule's bwd transposed by forward mode).
        create = (self.create or any(getattr(c, "requires_grad", False) for _, c in live)) and _C.is_grad_enabled()
        grads = _autograd_grad(outs, self.inputs, [c for _, c in live], retain_graph=retain or create,
                               create_graph=create, allow_unused=True)
        return [g if g is not None else _zeros_like(x) for g, x in zip(grads, self.inputs)]

    def per_argument(self, flat, single):
        """Flat per-input values regrouped into the argument structures (a tuple unless single)."""
        it = iter(flat)
        trees = tuple(rebuild(it) for rebuild in self.in_rebuilds)
        return trees[0] if single else trees


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning `(f(*args), gradient)`; with has_aux, `((value, aux), gradient)`.

    `f` must return a single floating-point element. The gradient has the structure of the
    argument(s) named by `argnums` (a tuple of them for a tuple `argnums`).
    """

    def value_and_grad_f(*args, **kwargs):
        trace = _ReverseTrace(f, args, kwargs, argnums, has_aux, "grad")
        if len(trace.out_leaves) != 1 or trace.out_leaves[0].size != 1:
            shapes = [o.shape for o in trace.out_leaves]
            raise TypeError(f"grad requires f to return one scalar, got output shape(s) {shapes}; "
                            "use jacrev, jacobian or vjp for other outputs")
        out = trace.out_leaves[0]
        if not _is_float(out):
            raise TypeError(f"grad requires a floating-point output, got {out.dtype}")
        grads = trace.pullback([np.ones(out.shape, out.dtype)], retain=False)
        g = trace.per_argument(grads, isinstance(argnums, int))
        return ((trace.out, trace.aux), g) if has_aux else (trace.out, g)

    value_and_grad_f.__wrapped__ = f
    return value_and_grad_f


def grad(f, argnums=0, has_aux=False):
    """The gradient of scalar-valued `f` (JAX's `grad`); with has_aux, `(gradient, aux)`."""
    vg = value_and_grad(f, argnums, has_aux)

    def grad_f(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    grad_f.__wrapped__ = f
    return grad_f


def vjp(f, *primals, has_aux=False):
    """`(f(*primals), vjp_fn)`; `vjp_fn(cotangent)` returns one cotangent per primal, as a tuple.

    `vjp_fn` may be called any number of times. With has_aux: `(out, vjp_fn, aux)`.
    """
    trace = _ReverseTrace(f, primals, {}, tuple(range(len(primals))), has_aux, "vjp") if primals else None
    if trace is None:
        raise TypeError("vjp needs at least one primal")

    def vjp_fn(cotangent):
        leaves, _ = _flatten(cotangent)
        if len(leaves) != len(trace.out_leaves):
            raise ValueError(f"vjp_fn: cotangent has {len(leaves)} leaves, the output has {len(trace.out_leaves)}")
        cts = []
        for c, o in zip(leaves, trace.out_leaves):
            c = _asarray(c)
            if c.shape != o.shape:
                raise ValueError(f"vjp_fn: cotangent shape {c.shape} does not match output shape {o.shape}")
            cts.append(c)
        return trace.per_argument(trace.pullback(cts), single=False)

    return (trace.out, vjp_fn, trace.aux) if has_aux else (trace.out, vjp_fn)


# --- Forward mode ---------------------------------------------------------------------------


_levels = threading.local()


class _Level:
    """Marks a forward-mode level as open on this thread while `f` runs (see `_active_levels`)."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        _active_levels().append(self.level)

    def __exit__(self, *exc):
        _active_levels().pop()
        return False


def _active_levels():
    """The forward-mode levels `jvp`/`jacfwd` have open on this thread (innermost last)."""
    stack = getattr(_levels, "stack", None)
    if stack is None:
        stack = _levels.stack = []
    return stack


def _check_pairs(primals, tangents, name):
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{name}: primals and tangents must be tuples (or lists), got "
                        f"{type(primals).__name__} and {type(tangents).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"{name}: {len(primals)} primals but {len(tangents)} tangents")


def _duals(primals, tangents, level, name):
    args = []
    for k, (p, t) in enumerate(zip(primals, tangents)):
        p_leaves, rebuild = _flatten(p)
        t_leaves = _matching_leaves(p, t, f"{name}: tangent {k}")
        duals = [_C.forward_make_dual(_checked_primal(_asarray(pl), tl, name), tl, level)
                 for pl, tl in zip(p_leaves, t_leaves)]
        args.append(rebuild(iter(duals)))
    return args


def _checked_primal(p, t, name):
    """`p`; an integer or bool primal must come with a zero tangent (it has no other), else ValueError."""
    if not _is_float(p) and t is not None and np.any(np.asarray(t)):
        raise ValueError(f"{name}: a primal of dtype {p.dtype} and shape {p.shape} has a non-zero tangent; "
                         "integer and bool inputs are constants (give zeros, or cast the primal to a floating dtype)")
    return p


def _matching_leaves(primal, other, what):
    """The leaves of `other`, which must have `primal`'s pytree structure (ValueError otherwise)."""
    leaves, treedef = tree_flatten(other)
    expected = tree_flatten(primal)[1]
    if treedef != expected:
        raise ValueError(f"{what} has structure {treedef!r}, its primal {expected!r}")
    return leaves


def _split(out, level):
    leaves, rebuild = _flatten(out)
    leaves = [_asarray(o) for o in leaves]
    primal = rebuild(iter([_C.forward_strip(o, level) for o in leaves]))
    tangent = rebuild(iter([_C.forward_tangent(o, level) for o in leaves]))
    return primal, tangent


def _strip_aux(aux, level):
    """`aux` with tensors seen from outside the level; other leaves (None, strings) unchanged."""
    leaves, rebuild = _flatten(aux)
    return rebuild(iter([_C.forward_strip(x, level) if isinstance(x, Tensor) else x for x in leaves]))


def jvp(f, primals, tangents, has_aux=False):
    """`(f(*primals), J tangents)`: forward mode, one pass. With has_aux: `(out, tangent_out, aux)`.

    Integer and bool outputs get zero tangents.
    """
    _check_pairs(primals, tangents, "jvp")
    level = _C.forward_new_level()
    with _Level(level):
        result = f(*_duals(primals, tangents, level, "jvp"))
    if has_aux:
        result, aux = result
        out, t = _split(result, level)
        return out, t, _strip_aux(aux, level)
    return _split(result, level)


def linearize(f, *primals):
    """`(f(*primals), jvp_fn)` where `jvp_fn(*tangents)` gives J tangents without running `f` again.

    J t is the gradient, with respect to a dummy cotangent u, of <J^T u, t> (the "double VJP"
    trick), so each call is two reverse sweeps over the graph recorded once here.
    """
    from . import sum as _sum, zeros

    trace = _ReverseTrace(f, primals, {}, tuple(range(len(primals))), False, "linearize")
    live = [i for i, o in enumerate(trace.out_leaves) if o.requires_grad and _is_float(o)]
    dummies = {}
    for i in live:
        u = zeros(trace.out_leaves[i].shape, trace.out_leaves[i].dtype)
        u.requires_grad = True
        dummies[i] = u
    transposed = []
    if live:
        transposed = _autograd_grad([trace.out_leaves[i] for i in live], trace.inputs,
                                    [dummies[i] for i in live], retain_graph=True, create_graph=True,
                                    allow_unused=True)
    create = bool(live) and _C.result_needs_graph([trace.out_leaves[i] for i in live], trace.inputs)

    def jvp_fn(*tangents):
        if len(tangents) != len(primals):
            raise ValueError(f"linearize: {len(primals)} primals but {len(tangents)} tangents")
        flat = [leaf for t in tangents for leaf in _flatten(t)[0]]
        if len(flat) != len(trace.inputs):
            raise ValueError("linearize: a tangent's structure does not match its primal's")
        with enable_grad():
            inner = None
            for g, t, x in zip(transposed, flat, trace.inputs):
                t = _asarray(t)
                if t.shape != x.shape:
                    raise ValueError(f"linearize: tangent shape {t.shape} does not match primal shape {x.shape}")
                if g is not None and g.requires_grad:
                    term = _sum(g * t)
                    inner = term if inner is None else inner + term
        results = [_zeros_like(o) for o in trace.out_leaves]
        if inner is not None and inner.requires_grad:
            us = [dummies[i] for i in live]
            grads = _autograd_grad([inner], us, retain_graph=True, create_graph=create, allow_unused=True)
            for i, g in zip(live, grads):
                if g is not None:
                    results[i] = g
        return trace.out_rebuild(iter(results))

    return trace.out, jvp_fn


# --- Jacobians and Hessians (shapes follow JAX: out.shape + in.shape) --------------------------


def _assemble(out_leaves, out_rebuild, in_leaves_per_arg, in_rebuilds, blocks, single):
    """blocks[o][k]: Jacobian of output leaf o w.r.t. flat input leaf k -> nested structure."""
    entries = []
    for o in range(len(out_leaves)):
        it = iter(blocks[o])
        trees = tuple(rebuild(it) for rebuild in in_rebuilds)
        entries.append(trees[0] if single else trees)
    return out_rebuild(iter(entries))


def _basis(size, shape, dtype):
    """The standard basis of a `shape`-shaped space, stacked: (size, *shape)."""
    return np.eye(size, dtype=dtype).reshape((size,) + tuple(shape))


def _jacrev_from(trace, single, chunk_size=None):
    """One batched pullback per output leaf: vmap over the rows of the identity (JAX's
    vmap(vjp)), instead of one reverse sweep per output element."""
    blocks = []
    n_out = len(trace.out_leaves)
    for o, out in enumerate(trace.out_leaves):
        if not _is_float(out) or out.size == 0:
            blocks.append([_stack_reshape([], out.shape + x.shape, x.dtype, 0) for x in trace.inputs])
            continue

        def pull(e, o=o):
            return trace.pullback([e if m == o else None for m in range(n_out)])

        if out.size == 1:  # one basis vector: a plain pullback, no batch level needed
            rows = pull(np.ones(out.shape, out.dtype))
        else:
            rows = vmap(pull, chunk_size=chunk_size, randomness="same")(_basis(out.size, out.shape, out.dtype))
        from . import reshape

        blocks.append([reshape(r, out.shape + x.shape) for r, x in zip(rows, trace.inputs)])
    return _assemble(trace.out_leaves, trace.out_rebuild, trace.in_leaves, trace.in_rebuilds, blocks, single)


def jacrev(f, argnums=0, has_aux=False, chunk_size=None):
    """Reverse-mode Jacobian: one evaluation of `f`, then one batched VJP per output leaf (over
    the stacked basis; `chunk_size` basis vectors at a time bounds memory)."""

    def jacrev_f(*args, **kwargs):
        trace = _ReverseTrace(f, args, kwargs, argnums, has_aux, "jacrev")
        jac = _jacrev_from(trace, isinstance(argnums, int), chunk_size)
        return (jac, trace.aux) if has_aux else jac

    return jacrev_f


def jacfwd(f, argnums=0, has_aux=False, chunk_size=None):
    """Forward-mode Jacobian: one batched JVP over the stacked basis of every input element
    (vmap of jvp; `chunk_size` basis vectors at a time bounds memory)."""

    def jacfwd_f(*args, **kwargs):
        sg = sys.modules[__package__]
        moveaxis, reshape = sg.moveaxis, sg.reshape
        nums = _argnums(argnums, len(args), "jacfwd")
        args = list(args)
        in_leaves, in_rebuilds = [], []
        for i in nums:
            leaves, rebuild = _flatten(args[i])
            in_leaves.append([_float_input(_asarray(leaf), "jacfwd") for leaf in leaves])
            in_rebuilds.append(rebuild)
        flat_in = [x for xs in in_leaves for x in xs]
        total = sum(x.size for x in flat_in)

        def evaluate(leaves):
            it = iter(leaves)
            call = list(args)
            for n, i_arg in enumerate(nums):
                call[i_arg] = in_rebuilds[n](it)
            return f(*call, **kwargs)

        def push(*tangents):
            level = _C.forward_new_level()
            duals = [_C.forward_make_dual(x, t, level) for x, t in zip(flat_in, tangents)]
            with _Level(level):
                result = evaluate(duals)
            aux = None
            if has_aux:
                result, aux = result
                aux = _strip_aux(aux, level)
            leaves, rebuild = _flatten(result)
            leaves = [_asarray(o) for o in leaves]
            return ([_C.forward_tangent(o, level) for o in leaves], [_C.forward_strip(o, level) for o in leaves],
                    aux, rebuild)

        if total == 0:  # no input elements: evaluate once for the output structure
            result = evaluate(flat_in)
            aux = None
            if has_aux:
                result, aux = result
            leaves, out_rebuild = _flatten(result)
            out_leaves = [_asarray(o) for o in leaves]
            columns = [[None for _ in flat_in] for _ in out_leaves]
        else:
            eye = np.eye(total)
            offsets = [0, *itertools.accumulate(x.size for x in flat_in)]
            tangents = [eye[:, offsets[k]:offsets[k + 1]].astype(x.dtype).reshape((total,) + x.shape)
                        for k, x in enumerate(flat_in)]
            structure = {}

            def push_flat(*ts):
                out_tangents, primals, aux, rebuild = push(*ts)
                structure["rebuild"] = rebuild
                return out_tangents, primals, aux

            # randomness='same': every basis direction differentiates the same draw of a random op.
            stacked, out_leaves, aux = vmap(push_flat, out_axes=(0, None, None), chunk_size=chunk_size,
                                            randomness="same")(*tangents)
            out_rebuild = structure["rebuild"]
            columns = [[stacked[o][offsets[k]:offsets[k + 1]] for k in range(len(flat_in))]
                       for o in range(len(out_leaves))]
        blocks = []
        for o, out in enumerate(out_leaves):
            row = []
            for k, x in enumerate(flat_in):
                col = columns[o][k]
                row.append(_stack_reshape([], out.shape + x.shape, out.dtype, -1) if col is None
                           else reshape(moveaxis(col, 0, -1), out.shape + x.shape))
            blocks.append(row)
        jac = _assemble(out_leaves, out_rebuild, in_leaves, in_rebuilds, blocks, isinstance(argnums, int))
        return (jac, aux) if has_aux else jac

    return jacfwd_f


def jacobian(f, argnums=0, has_aux=False, chunk_size=None):
    """The Jacobian by the cheaper mode: forward when the inputs have fewer elements than the
    outputs (a batched JVP over n basis vectors < a batched VJP over m), reverse otherwise. `f`
    is evaluated once to count outputs, and that evaluation is reused by the reverse branch."""

    def jacobian_f(*args, **kwargs):
        trace = _ReverseTrace(f, args, kwargs, argnums, has_aux, "jacobian")
        n = sum(x.size for x in trace.inputs)
        m = sum(o.size for o in trace.out_leaves)
        if n < m:
            return jacfwd(f, argnums, has_aux, chunk_size)(*args, **kwargs)
        jac = _jacrev_from(trace, isinstance(argnums, int), chunk_size)
        return (jac, trace.aux) if has_aux else jac

    return jacobian_f


def hessian(f, argnums=0, chunk_size=None):
    """Forward over reverse, `jacfwd(jacrev(f))`: shape in.shape + in.shape for scalar `f`;
    each level is one batched pass over its basis."""
    return jacfwd(jacrev(f, argnums, chunk_size=chunk_size), argnums, chunk_size=chunk_size)


def hvp(f, primals, tangents):
    """`(f(*primals), H v)` by forward over reverse: the JVP of the gradient. H is never formed.

    For one primal the product has its structure; for several, a tuple with one entry each.
    """
    _check_pairs(primals, tangents, "hvp")
    vg = value_and_grad(f, argnums=tuple(range(len(primals))))
    (value, _), (_, hv) = jvp(vg, tuple(primals), tuple(tangents))
    return value, (hv[0] if len(primals) == 1 else hv)
