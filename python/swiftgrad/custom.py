"""Custom derivative rules written in Python and run by the Swift engine.

- `custom_vjp` (JAX style): `f.defvjp(fwd, bwd)`, `fwd(*args) -> (out, residuals)`,
  `bwd(residuals, g) -> tuple` (one cotangent per argument, None for none).
- `custom_jvp` (JAX style): `f.defjvp(rule)`, `rule(primals, tangents) -> (out, tangent_out)`;
  optionally `f.deftaylor(rule)`, `rule(primals, series) -> (out, series_out)` for `sg.jet`
  (also on `custom_vjp`).
- `Function` (PyTorch style): static `forward(ctx, *args)`, `backward(ctx, *grads)`, optional
  `jvp(ctx, *tangents)`; `ctx.save_for_backward`, `ctx.saved_tensors`, `ctx.needs_input_grad`.

Arguments are pytrees (`sg.tree_util`): every tensor among their leaves is an input of the rule's
node, and its cotangent is read from the same place of the structure the rule returns (None for
a whole subtree means zeros, as in JAX). A tensor that requires grad is never dropped: a rule
whose inputs it is not (a closed-over tensor, a tensor among `nondiff_argnums`) raises.

Each becomes one graph node whose rule calls back into Python (see Note [Rules by transposition]
in Sources/SwiftGrad/Primitives/Custom.swift): a VJP-only rule also serves forward mode, a
JVP-only rule also serves reverse mode, provided the rule is linear in its cotangent/tangent and
written with swiftgrad operations. Exceptions raised in a rule surface unchanged at the
`backward()` / `grad()` / `jvp()` call. Outputs may be pytrees of tensors too: `bwd` then gets a
cotangent of the output's structure, `Function.backward` one gradient per output leaf (None for
integer outputs), and a JVP rule returns a tangent of the output's structure.

Note [Calls inside the own rule]: JAX's documentation writes `def f_fwd(x): return f(x), res`.
While `fwd` (or a `custom_jvp` rule, or `Function.forward`) runs, a call of the same function on
the same thread runs its primal (`fun`, or `forward` with a fresh ctx under no_grad) instead of
recording another custom node, so it cannot recurse forever.
"""
import functools
import threading

import numpy as np

from . import _C
from ._dtypes import is_inexact as _is_inexact
from .compiled import _note_custom_rule
from ._tensor import Tensor
from .autograd import _closed_over, no_grad
from .checkpoint import _Packing
from .transforms import _active_levels
from .tree_util import tree_flatten

_local = threading.local()


class _Running:
    """Marks `key` as running its own rule on this thread (Note [Calls inside the own rule])."""

    def __init__(self, key):
        self.key = key

    def __enter__(self):
        active = _active()
        self.added = self.key not in active
        active.add(self.key)

    def __exit__(self, *exc):
        if self.added:
            _active().discard(self.key)
        return False


def _active():
    active = getattr(_local, "active", None)
    if active is None:
        active = _local.active = set()
    return active


def _tensor(x):
    if isinstance(x, Tensor):
        return x
    from . import asarray

    return asarray(x)


class _Outputs:
    """A rule's output pytree. A custom node has one output: the floating-point leaves are packed
    into it (raveled and concatenated, see checkpoint._Packing) and unpacked from it; other leaves
    (integer, bool) are constants."""

    def __init__(self, out, who):
        leaves, self.treedef = tree_flatten(out)
        leaves = [_tensor(x) if _is_numeric(x) else x for x in leaves]
        if not leaves or not all(isinstance(x, Tensor) for x in leaves):
            raise TypeError(f"{who} must return a tensor or a pytree of tensors, got {type(out).__name__}")
        self.leaves = leaves
        self.floats = [k for k, o in enumerate(leaves) if _is_inexact(o.dtype)]
        self.packing = _Packing(leaves, self.floats, single=self.treedef.num_nodes == 1)

    def value(self):
        """The node's output value (None when no leaf is floating-point)."""
        return self.packing.pack(self.leaves)

    def differentiable(self):
        return [self.leaves[k] for k in self.floats]

    def tree(self, node):
        """The user-visible output: the floating-point leaves unpacked from `node`."""
        if self.packing.single and node is not None:
            return node
        leaves = [o.detach() for o in self.leaves]
        if node is not None:
            for k, piece in zip(self.floats, self.packing.unpack(node)):
                leaves[k] = piece
        return self.treedef.unflatten(leaves)

    def per_leaf(self, g):
        """The node's cotangent `g` as one tensor per output leaf (None for non-floating leaves)."""
        leaves = [None] * len(self.leaves)
        for k, piece in zip(self.floats, self.packing.unpack(g)):
            leaves[k] = piece
        return leaves

    def pack_tangent(self, tangent, who, check_shapes=False):
        """A rule's output tangent (a pytree of the output's structure; None for zeros) packed;
        `check_shapes`: ValueError unless every leaf has its output leaf's shape."""
        try:
            leaves = self.treedef.flatten_up_to(tangent, none_is_zero=True)
        except ValueError as e:
            raise ValueError(f"{who}: the output tangent does not have the output's structure: {e}") from None
        for k in self.floats if check_shapes else ():
            if leaves[k] is not None and tuple(np.shape(leaves[k])) != tuple(self.leaves[k].shape):
                where = "" if self.packing.single else f" at {self.treedef.paths()[k]}"
                raise ValueError(f"{who} has shape {tuple(np.shape(leaves[k]))}{where}, the output has shape "
                                 f"{tuple(self.leaves[k].shape)}")
        if all(leaves[k] is None for k in self.floats):
            return None
        return self.packing.pack([None if t is None else _tensor(t) for t in leaves], detach=False)


def _is_numeric(x):
    return isinstance(x, (np.ndarray, np.generic, int, float, bool))


class _Flat:
    """The arguments at positions `diff`, flattened: `tensors` are the node's inputs, `slots[k]`
    says where tensor k sits (argument position, leaf index)."""

    def __init__(self, args, diff, convert):
        self.args = list(args)
        self.diff = diff
        self.leaves, self.treedefs, self.tensors, self.slots = {}, {}, [], []
        for i in diff:
            leaves, treedef = tree_flatten(args[i])
            if convert:
                leaves = [_tensor(x) if _is_numeric(x) else x for x in leaves]
            self.leaves[i], self.treedefs[i] = leaves, treedef
            for j, x in enumerate(leaves):
                if isinstance(x, Tensor):
                    self.tensors.append(x)
                    self.slots.append((i, j))
            self.args[i] = treedef.unflatten(leaves)

    def rebuilt(self, tensors, fill=None):
        """The arguments with the tensors replaced by `tensors`; other leaves of the differentiable
        arguments are `fill(leaf)` when `fill` is given."""
        leaves = {i: (list(ls) if fill is None else [fill(x) for x in ls]) for i, ls in self.leaves.items()}
        for (i, j), t in zip(self.slots, tensors):
            leaves[i][j] = t
        args = list(self.args)
        for i in self.diff:
            args[i] = self.treedefs[i].unflatten(leaves[i])
        return args

    def cotangents(self, per_argument, who):
        """The cotangent of each tensor input from one pytree per differentiable argument."""
        flat = {}
        for i, ct in zip(self.diff, per_argument):
            treedef = self.treedefs[i]
            try:
                flat[i] = treedef.flatten_up_to(ct, none_is_zero=True)
            except ValueError as e:
                raise ValueError(f"{who}: the cotangent for argument {i} does not have the argument's structure "
                                 f"{treedef!r}: {e}") from None
            for j, (leaf, c) in enumerate(zip(self.leaves[i], flat[i])):
                if c is None:
                    continue
                if not isinstance(leaf, Tensor):
                    raise ValueError(f"{who} returned a cotangent for {self._where(i, j)}, which is not a tensor "
                                     f"({type(leaf).__name__}); return None there")
                if isinstance(c, Tensor):
                    shape = c.shape
                elif _is_numeric(c):
                    shape = np.shape(c)
                else:
                    raise TypeError(f"{who} returned a {type(c).__name__} as the cotangent of {self._where(i, j)}; "
                                    "expected a tensor, an array or None")
                if tuple(shape) != tuple(leaf.shape):
                    raise ValueError(f"{who} returned a cotangent of shape {tuple(shape)} for {self._where(i, j)}, "
                                     f"which has shape {tuple(leaf.shape)}")
        return tuple(flat[i][j] for i, j in self.slots)

    def _where(self, i, j):
        return f"argument {i}{self.treedefs[i].paths()[j]}"

    def refuse_grad_in(self, positions, who):
        """TypeError if a tensor that requires grad sits in an argument the rule does not differentiate."""
        for i in positions:
            leaves, treedef = tree_flatten(self.args[i])
            for leaf, path in zip(leaves, treedef.paths()):
                if isinstance(leaf, Tensor) and leaf.requires_grad:
                    raise TypeError(f"{who}: argument {i}{path} is in nondiff_argnums but holds a tensor that "
                                    f"requires grad (shape {tuple(leaf.shape)}); its gradient would be dropped. Make "
                                    "it a differentiable argument, or pass sg.stop_gradient(...) of it")


def _requires_grad(x):
    return isinstance(x, Tensor) and x.requires_grad


def _probe_like(t):
    """A fixed non-zero seed shaped like `t` (no history) for `_check_linear`'s second call."""
    if t is None:
        return None
    return _tensor(np.cos(np.arange(1.0, t.size + 1.0)).reshape(t.shape).astype(t.dtype))


def _check_linear(results, seeds, rerun, who, what, seed_name="cotangent", inputs=None):
    """A rule's results must depend on its cotangent/tangent seeds through recorded swiftgrad ops
    when a seed requires grad (forward mode transposing a VJP, reverse mode transposing a JVP,
    higher order): a result that does not would be silently dropped by them. A result with no
    history is fine if it is the constant zero (an unreached input): `rerun(probe_seeds)` calls
    the rule again on non-zero seeds to tell. Results for integer inputs are not checked."""
    if not _C.is_grad_enabled() or not any(_requires_grad(s) for s in seeds):
        return
    suspects = [k for k, r in enumerate(results) if r is not None and not _requires_grad(r)
                and (inputs is None or _is_inexact(inputs[k].dtype))]
    if not suspects:
        return
    with no_grad():
        again = rerun([_probe_like(s) for s in seeds])
    for k in suspects:
        if again[k] is not None and np.any(np.asarray(again[k]) != 0):
            raise RuntimeError(f"{who}: {what} {k} does not depend on the {seed_name} through swiftgrad operations "
                               "(computed with NumPy, or detached), so it cannot be transposed or differentiated "
                               "again; write the rule with swiftgrad operations")


def _refuse_tangent_closure(out, who):
    """TypeError if `out`, computed from detached arguments, carries a tangent of an open
    `jvp`/`jacfwd` level: it reads a closed-over tensor whose tangent the rule would drop."""
    if any(_C.forward_has_tangent(out, level) for level in _active_levels()):
        raise TypeError(f"{who} reads a closed-over tensor that carries a forward-mode tangent (inside sg.jvp or "
                        "sg.jacfwd); its tangent would be dropped. Pass it as an argument (containers of tensors "
                        "are fine)")


def _refuse_closure(found, who):
    if found:
        shapes = ", ".join(str(tuple(t.shape)) for t in found[:4])
        raise TypeError(f"{who} reads {len(found)} tensor(s) that require grad but are not its arguments "
                        f"(closed over; shapes {shapes}); their gradients would be dropped. Pass them as arguments "
                        "(containers of tensors are fine) and return their cotangents, or stop_gradient them")


def _split_arguments(args, nondiff_argnums, kind, name):
    """(nondiff, diff, flat) for a call of custom rule `name` ("custom_vjp"/"custom_jvp" `kind`):
    the non-differentiable argument positions, the others, and their pytree leaves; refuses
    tensors that need gradients inside nondiff arguments."""
    _note_custom_rule(name)
    what = f"{kind} function {name}"
    nondiff = [i % len(args) if args else i for i in nondiff_argnums]
    diff = [i for i in range(len(args)) if i not in nondiff]
    flat = _Flat(args, diff, convert=True)
    flat.refuse_grad_in(nondiff, what)
    return nondiff, diff, flat


def _taylor_callback(owner, rule, args, diff, flat, outputs, name):
    """The C callback of a `deftaylor` rule: gets the n flat primals then each one's K derivative
    terms (None for a constant input), calls `rule(primals, series)` on the argument pytrees and
    returns the output's K terms packed (the node's one output). Scaling is done in Swift."""
    n = len(flat.tensors)

    def taylor_rule(*flat_args):
        primals, order = flat_args[:n], (len(flat_args) - n) // n
        per_input = [[t if t is not None else _C.full(p.shape, 0.0, p._dtype_code)
                      for t in flat_args[n + i * order:n + (i + 1) * order]] for i, p in enumerate(primals)]
        terms = [flat.rebuilt([per_input[i][k] for i in range(n)], fill=lambda _: None) for k in range(order)]
        series = tuple(tuple(terms[k][i] for k in range(order)) if i in diff else None for i in range(len(args)))
        with _Running(owner):
            result = rule(tuple(flat.rebuilt(primals)), series)
        who = f"{name}'s taylor rule"
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(f"{who} must return (primal_out, series_out), got {type(result).__name__}")
        series_out = result[1]
        if not isinstance(series_out, (tuple, list)):
            raise TypeError(f"{who} must return series_out as a sequence of terms, got {type(series_out).__name__}")
        if len(series_out) != order:
            raise ValueError(f"{who} returned {len(series_out)} terms for a jet of order {order} "
                             f"(the output has shape {_shapes(outputs)})")
        return tuple(outputs.pack_tangent(term, f"{who} (term {k + 1})", check_shapes=True)
                     for k, term in enumerate(series_out))

    return taylor_rule


def _shapes(outputs):
    shapes = [tuple(outputs.leaves[k].shape) for k in outputs.floats]
    return shapes[0] if len(shapes) == 1 else shapes


class custom_vjp:
    """A function with a user-defined VJP (reverse-mode rule), as `jax.custom_vjp`.

    `f.defvjp(fwd, bwd)`: `fwd(*args) -> (out, residuals)` runs with recording on;
    `bwd(*nondiff_args, residuals, g)` returns a tuple with one cotangent per differentiable
    argument, each a pytree of the argument's structure (None anywhere means zeros there).
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = self.taylor = None

    def defvjp(self, fwd, bwd):
        """Sets the rule: `fwd(*args) -> (out, residuals)`, `bwd(residuals, g) -> tuple`."""
        self.fwd, self.bwd = fwd, bwd
        return self

    def deftaylor(self, rule):
        """Sets the Taylor rule for `sg.jet` (as `custom_jvp.deftaylor`); usable as a decorator."""
        self.taylor = rule
        return rule

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"custom_vjp function {self.__name__} has no rule: call .defvjp(fwd, bwd) first")
        if self in _active():  # called inside its own fwd: Note [Calls inside the own rule]
            return self.fun(*args)
        name = self.__name__
        nondiff, diff, flat = _split_arguments(args, self.nondiff_argnums, "custom_vjp", name)
        fixed = [args[i] for i in nondiff]
        # fwd runs recorded, so residuals stay connected to the inputs: a bwd written with
        # swiftgrad ops can then be differentiated again.
        with _Running(self):
            out, residuals = self.fwd(*flat.args)
        outputs = _Outputs(out, f"{name}'s fwd")
        value = outputs.value()
        if value is None:  # no floating-point output: nothing to differentiate
            return outputs.tree(None)
        for o in outputs.differentiable():
            if o.requires_grad:
                _refuse_closure(_closed_over(o, flat.tensors), f"custom_vjp function {name}'s fwd")
        if _active_levels():  # inside jvp/jacfwd: a closure carrying a tangent would lose it
            with _Running(self):
                probe = self.fwd(*flat.rebuilt([t.detach() for t in flat.tensors]))[0]
            for o in tree_flatten(probe)[0]:
                _refuse_tangent_closure(o, f"custom_vjp function {name}'s fwd")
        bwd = self.bwd

        def run_bwd(g):
            g_tree = g if outputs.packing.single else outputs.treedef.unflatten(outputs.per_leaf(g))
            cotangents = bwd(*fixed, residuals, g_tree)
            if not isinstance(cotangents, tuple):
                raise TypeError(f"{name}'s bwd must return a tuple (one cotangent per argument), "
                                f"got {type(cotangents).__name__}")
            if len(cotangents) != len(diff):
                raise ValueError(f"{name}'s bwd returned {len(cotangents)} cotangents for {len(diff)} arguments")
            return flat.cotangents(cotangents, f"{name}'s bwd")

        def vjp_rule(g):
            flat_cts = run_bwd(g)
            _check_linear(flat_cts, (g,), lambda seeds: run_bwd(seeds[0]), f"{name}'s bwd", "the cotangent of input",
                          inputs=flat.tensors)
            return flat_cts

        taylor = None if self.taylor is None else _taylor_callback(self, self.taylor, args, diff, flat, outputs, name)
        return outputs.tree(_C.custom_function(name, flat.tensors, value, vjp_rule, None, taylor))


class custom_jvp:
    """A function with a user-defined JVP (forward-mode rule), as `jax.custom_jvp`; reverse mode
    transposes the rule. `rule(primals, tangents)` gets tuples of the arguments and of their
    tangents (same pytree structures; zeros where an input has no tangent)."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.rule = self.taylor = None

    def defjvp(self, rule):
        """Sets the rule `rule(primals, tangents) -> (out, tangent_out)`; usable as a decorator."""
        self.rule = rule
        return rule

    def deftaylor(self, rule):
        """Sets the Taylor rule for `sg.jet`, `rule(primals, series) -> (primal_out, series_out)`
        (as a `jax.experimental.jet` rule; usable as a decorator). `series` has one entry per
        argument: a tuple of its K derivative terms (JAX's scaling, as `sg.jet`; None for a
        non-differentiable argument); `series_out` is the output's K terms. Without one a jet of
        order 1 uses the JVP rule and a higher order raises."""
        self.taylor = rule
        return rule

    def __call__(self, *args):
        if self.rule is None:
            raise TypeError(f"custom_jvp function {self.__name__} has no rule: call .defjvp(rule) first")
        if self in _active():  # called inside its own rule: Note [Calls inside the own rule]
            return self.fun(*args)
        name = self.__name__
        nondiff, diff, flat = _split_arguments(args, self.nondiff_argnums, "custom_jvp", name)
        # The primal value only: its derivatives come from the rule, not from fun's operations.
        with _Running(self):
            outputs = _Outputs(self.fun(*flat.rebuilt([t.detach() for t in flat.tensors])), name)
        value = outputs.value()
        if value is None:  # no floating-point output: nothing to differentiate
            return outputs.tree(None)
        for o in outputs.differentiable():
            if o.requires_grad:  # every argument was detached, so this comes from a closure
                _refuse_closure(_closed_over(o, []), f"custom_jvp function {name}")
            _refuse_tangent_closure(o, f"custom_jvp function {name}")
        rule, n = self.rule, len(flat.tensors)

        def jvp_rule(*primals_and_tangents):
            primals = primals_and_tangents[:n]
            tangents = [t if t is not None else _C.full(p.shape, 0.0, p._dtype_code)
                        for p, t in zip(primals, primals_and_tangents[n:])]
            primal_args = tuple(flat.rebuilt(primals))

            def run_rule(tangents):
                tangent_args = flat.rebuilt(tangents, fill=lambda _: None)
                with _Running(self):
                    _, tangent_out = rule(primal_args, tuple(tangent_args[i] if i in diff else None
                                                             for i in range(len(args))))
                return (outputs.pack_tangent(tangent_out, f"{name}'s jvp rule"),)

            tangent_out = run_rule(tangents)
            _check_linear(tangent_out, tangents, run_rule, f"{name}'s jvp rule", "the output tangent", "tangents")
            return tangent_out[0]

        taylor = None if self.taylor is None else _taylor_callback(self, self.taylor, args, diff, flat, outputs, name)
        return outputs.tree(_C.custom_function(name, flat.tensors, value, None, jvp_rule, taylor))


class FunctionCtx:
    """The `ctx` of `Function.forward/backward`."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *tensors):
        """Keeps tensors for `backward`, available there as `ctx.saved_tensors`."""
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Accepted for PyTorch compatibility (integer outputs never get gradients anyway)."""
        self.non_differentiable = tensors


class Function:
    """PyTorch-style custom autograd function: subclass with static `forward(ctx, *args)` and
    `backward(ctx, *grads)` (optionally `jvp(ctx, *tangents)`), then call `.apply(*args)`.

    The tensors among the arguments' leaves (arguments may be lists, tuples, dicts: pytrees)
    are the differentiable inputs. `backward` returns one gradient per argument: a tensor, None,
    or for a container argument a container of the same structure (None anywhere for none); a
    single gradient may be returned bare. `ctx.needs_input_grad[i]` is True when a tensor of
    argument i requires grad."""

    @staticmethod
    def forward(ctx, *args):
        """Computes the output (runs under no_grad); override in subclasses."""
        raise NotImplementedError("Function subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        """Returns one gradient per argument of forward; override in subclasses."""
        raise NotImplementedError("Function subclasses must implement backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args):
        """`forward(ctx, *args)` recorded as one node whose gradients come from `backward`."""
        _note_custom_rule(cls.__name__)
        flat = _Flat(args, list(range(len(args))), convert=False)
        needs = tuple(any(isinstance(x, Tensor) and x.requires_grad for x in flat.leaves[i]) for i in range(len(args)))
        ctx = FunctionCtx(needs)
        if cls in _active():  # apply inside its own forward: Note [Calls inside the own rule]
            with no_grad():
                return cls.forward(ctx, *args)
        with no_grad(), _Running(cls):
            outputs = _Outputs(cls.forward(ctx, *args), f"{cls.__name__}.forward")
        value = outputs.value()
        if value is None:  # no floating-point output: nothing to differentiate
            return outputs.tree(None)
        who = f"function {cls.__name__}.backward"

        def run_backward(g):
            grads = cls.backward(ctx, *outputs.per_leaf(g))
            if not isinstance(grads, tuple) or (len(args) == 1 and type(args[0]) is tuple and len(grads) != 1
                                                and len(grads) == len(args[0])):
                grads = (grads,)
            if len(grads) != len(args):
                raise ValueError(f"{who} returned {len(grads)} gradients, "
                                 f"expected {len(args)} (one per argument of forward)")
            return flat.cotangents(grads, who)

        def vjp_rule(g):
            flat_grads = run_backward(g)
            _check_linear(flat_grads, (g,), lambda seeds: run_backward(seeds[0]), who, "the gradient of input",
                          inputs=flat.tensors)
            return flat_grads

        jvp_rule = None
        if "jvp" in cls.__dict__:
            n = len(flat.tensors)

            def run_jvp(tangents):
                tangent_out = cls.jvp(ctx, *flat.rebuilt(tangents, fill=lambda _: None))
                return (outputs.pack_tangent(tangent_out, f"function {cls.__name__}.jvp"),)

            def jvp_rule(*primals_and_tangents):
                tangent_out = run_jvp(primals_and_tangents[n:])
                _check_linear(tangent_out, primals_and_tangents[n:], run_jvp, f"function {cls.__name__}.jvp",
                              "the output tangent", "tangents")
                return tangent_out[0]

        return outputs.tree(_C.custom_function(cls.__name__, flat.tensors, value, vjp_rule, jvp_rule))
