"""Custom derivative rules written in Python and run by the Swift engine.

- `custom_vjp` (JAX style): `f.defvjp(fwd, bwd)`, `fwd(*args) -> (out, residuals)`,
  `bwd(residuals, g) -> tuple` (one cotangent per argument, None for none).
- `custom_jvp` (JAX style): `f.defjvp(rule)`, `rule(primals, tangents) -> (out, tangent_out)`.
- `Function` (PyTorch style): static `forward(ctx, *args)`, `backward(ctx, *grads)`, optional
  `jvp(ctx, *tangents)`; `ctx.save_for_backward`, `ctx.saved_tensors`, `ctx.needs_input_grad`.

Each becomes one graph node whose rule calls back into Python (see Note [Rules by transposition]
in Sources/SwiftGrad/Primitives/Custom.swift): a VJP-only rule also serves forward mode, a
JVP-only rule also serves reverse mode, provided the rule is linear in its cotangent/tangent and
written with swiftgrad operations. Exceptions raised in a rule surface unchanged at the
`backward()` / `grad()` / `jvp()` call. Functions return a single tensor.
"""
import functools

from . import _C
from ._tensor import Tensor
from .autograd import no_grad


def _tensor(x):
    from . import asarray

    return asarray(x)


def _single_output(out, what):
    if isinstance(out, (tuple, list)):
        raise TypeError(f"{what} must return a single tensor, got a {type(out).__name__}")
    return _tensor(out)


class custom_vjp:
    """A function with a user-defined VJP (reverse-mode rule)."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        """Sets the rule: `fwd(*args) -> (out, residuals)`, `bwd(residuals, g) -> tuple`."""
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"custom_vjp function {self.__name__} has no rule: call .defvjp(fwd, bwd) first")
        fixed = [args[i] for i in self.nondiff_argnums]
        diff = [i for i in range(len(args)) if i not in self.nondiff_argnums]
        call_args = [a if i in self.nondiff_argnums else _tensor(a) for i, a in enumerate(args)]
        # fwd runs recorded, so residuals stay connected to the inputs: a bwd written with
        # swiftgrad ops can then be differentiated again.
        out, residuals = self.fwd(*call_args)
        out = _single_output(out, f"{self.__name__}'s fwd")
        bwd, name = self.bwd, self.__name__

        def vjp_rule(g):
            cotangents = bwd(*fixed, residuals, g)
            if not isinstance(cotangents, tuple):
                raise TypeError(f"{name}'s bwd must return a tuple (one cotangent per argument), "
                                f"got {type(cotangents).__name__}")
            if len(cotangents) != len(diff):
                raise ValueError(f"{name}'s bwd returned {len(cotangents)} cotangents for {len(diff)} arguments")
            return cotangents

        return _C.custom_function(name, [call_args[i] for i in diff], out, vjp_rule, None)


class custom_jvp:
    """A function with a user-defined JVP (forward-mode rule); reverse mode transposes it."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.rule = None

    def defjvp(self, rule):
        """Sets the rule `rule(primals, tangents) -> (out, tangent_out)`; usable as a decorator."""
        self.rule = rule
        return rule

    def __call__(self, *args):
        if self.rule is None:
            raise TypeError(f"custom_jvp function {self.__name__} has no rule: call .defjvp(rule) first")
        diff = [i for i in range(len(args)) if i not in self.nondiff_argnums]
        call_args = [a if i in self.nondiff_argnums else _tensor(a) for i, a in enumerate(args)]
        # The primal value only: its derivatives come from the rule, not from fun's operations.
        out = _single_output(self.fun(*[a.detach() if isinstance(a, Tensor) else a for a in call_args]),
                             self.__name__)
        rule, n = self.rule, len(diff)

        def jvp_rule(*primals_and_tangents):
            primals = list(call_args)
            tangents = [None] * len(args)
            for k, i in enumerate(diff):
                primals[i] = primals_and_tangents[k]
                t = primals_and_tangents[n + k]
                tangents[i] = t if t is not None else _C.full(primals[i].shape, 0.0, primals[i]._dtype_code)
            _, tangent_out = rule(tuple(primals), tuple(tangents))
            return tangent_out

        return _C.custom_function(self.__name__, [call_args[i] for i in diff], out, None, jvp_rule)


class FunctionCtx:
    """The `ctx` of `Function.forward/backward`."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *tensors):
        """Keeps tensors for `backward`, available there as `ctx.saved_tensors`."""
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Accepted for PyTorch compatibility; outputs of a Function are one tensor here."""
        self.non_differentiable = tensors


class Function:
    """PyTorch-style custom autograd function: subclass with static `forward(ctx, *args)` and
    `backward(ctx, *grads)` (optionally `jvp(ctx, *tangents)`), then call `.apply(*args)`.
    Tensor arguments are the differentiable inputs; `backward` returns one gradient per
    argument (a single one may be returned bare; None for inputs that need none)."""

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
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            out = _single_output(cls.forward(ctx, *args), f"{cls.__name__}.forward")

        def vjp_rule(g):
            grads = cls.backward(ctx, g)
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(args):
                raise ValueError(f"function {cls.__name__}.backward returned {len(grads)} gradients, "
                                 f"expected {len(args)} (one per argument of forward)")
            return tuple(grads[i] for i in positions)

        jvp_rule = None
        if "jvp" in cls.__dict__:
            n = len(positions)

            def jvp_rule(*primals_and_tangents):
                tangents = [None] * len(args)
                for k, i in enumerate(positions):
                    tangents[i] = primals_and_tangents[n + k]
                return cls.jvp(ctx, *tangents)

        return _C.custom_function(cls.__name__, [args[i] for i in positions], out, vjp_rule, jvp_rule)
