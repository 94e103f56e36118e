"""`vmap`, the batching transform (JAX's `jax.vmap`, torch.func's `vmap`). See docs/TRANSFORMS.md.

Orchestration only: arguments and in_axes/out_axes are matched as pytrees here, and the Swift core
does the batching (Note [Batching levels] in Sources/SwiftGrad/Autodiff/Batching.swift): every
primitive states a batching rule, so `f` runs once on the whole batch. A primitive without a rule
raises "[vmap] not implemented for <name>"; there is no per-example loop.
"""
import functools
import sys

from . import _C
from ._tensor import Tensor
from .tree_util import tree_flatten

__all__ = ["vmap"]

_RANDOMNESS = {"error": 0, "different": 1, "same": 2}


def _asarray(x):
    # The package's asarray, looked up without an import statement (each one in a function costs
    # an importlib call: a tenth of a small jacfwd's time went to them).
    return x if type(x) is Tensor else sys.modules[__package__].asarray(x)


def _is_axis(a):
    return a is None or (isinstance(a, int) and not isinstance(a, bool))


def _axes_for_leaves(prefix, tree, what):
    """One axis per leaf of `tree`: `prefix` is an axis (int or None) or a pytree prefix of `tree`
    whose leaves are axes (JAX's in_axes/out_axes)."""
    if _is_axis(prefix):
        return [prefix] * len(tree_flatten(tree)[0])
    axes, treedef = tree_flatten(prefix, is_leaf=lambda x: x is None)
    for a in axes:
        if not _is_axis(a):
            raise TypeError(f"vmap: {what} must hold ints or None, got {a!r} of type {type(a).__name__}")
    try:
        subtrees = treedef.flatten_up_to(tree)
    except ValueError as e:
        raise ValueError(f"vmap: {what} {prefix!r} is not a pytree prefix of the value: {e}") from None
    return [a for a, sub in zip(axes, subtrees) for _ in tree_flatten(sub)[0]]


def _per_argument(in_axes, args):
    if _is_axis(in_axes):
        return [in_axes] * len(args)
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not isinstance(in_axes, tuple):
        raise TypeError(f"vmap: in_axes must be an int, None or a tuple with one entry per positional argument, "
                        f"got {type(in_axes).__name__}")
    if len(in_axes) != len(args):
        raise ValueError(f"vmap: in_axes has {len(in_axes)} entries but the function got {len(args)} positional "
                         "arguments")
    return list(in_axes)


class _Batch:
    """The flat leaves of the arguments with their axes, checked, and the common batch size."""

    def __init__(self, args, in_axes, axis_size):
        self.rebuilds, self.leaves, self.axes = [], [], []
        for k, (arg, prefix) in enumerate(zip(args, _per_argument(in_axes, args))):
            leaves, treedef = tree_flatten(arg)
            axes = _axes_for_leaves(prefix, arg, f"in_axes[{k}]")
            self.rebuilds.append(treedef)
            for leaf, axis in zip(leaves, axes):
                if axis is not None:
                    leaf = _asarray(leaf)
                    if not -leaf.ndim <= axis < leaf.ndim:
                        raise ValueError(f"vmap: in_axes {axis} is out of range for argument {k} of shape "
                                         f"{leaf.shape} ({leaf.ndim} dimensions)")
                    axis %= leaf.ndim
                self.leaves.append(leaf)
                self.axes.append(axis)
        sizes = {leaf.shape[a] for leaf, a in zip(self.leaves, self.axes) if a is not None}
        if axis_size is not None:
            if not isinstance(axis_size, int) or axis_size < 1:
                raise ValueError(f"vmap: axis_size must be a positive int, got {axis_size!r}")
            sizes.add(axis_size)
        if not sizes:
            raise ValueError("vmap: at least one argument must be mapped (in_axes are all None); "
                             "pass axis_size to map over nothing")
        if len(sizes) > 1:
            found = ", ".join(f"argument leaf {i}: axis {a} of shape {leaf.shape}"
                              for i, (leaf, a) in enumerate(zip(self.leaves, self.axes)) if a is not None)
            raise ValueError(f"vmap: inconsistent sizes for the mapped axis: {sorted(sizes)} ({found}"
                             + (f"; axis_size={axis_size}" if axis_size is not None else "") + ")")
        self.size = sizes.pop()
        if self.size == 0:
            raise ValueError("vmap: the mapped axis has size 0")

    def arguments(self, leaves):
        it = iter(leaves)
        return [treedef._build(it) for treedef in self.rebuilds]

    def chunk(self, start, stop):
        """The arguments restricted to examples start:stop (views)."""
        def part(leaf, axis):
            if axis is None:
                return leaf
            return leaf[(slice(None),) * axis + (slice(start, stop),)]
        return self.arguments(part(leaf, a) for leaf, a in zip(self.leaves, self.axes))


def _run(f, batch, kwargs, out_axes, randomness):
    level = _C.vmap_new_level()
    leaves = [leaf if a is None else _C.vmap_make_batched(leaf, a, level) for leaf, a in zip(batch.leaves, batch.axes)]
    _C.vmap_push(level, batch.size, randomness)
    try:
        result = f(*batch.arguments(leaves), **kwargs)
    finally:
        _C.vmap_pop()
    outs, treedef = tree_flatten(result)
    axes = _axes_for_leaves(out_axes, result, "out_axes")
    return treedef.unflatten(_exit(o, level, batch.size, a) for o, a in zip(outs, axes))


def _exit(leaf, level, size, axis):
    if axis is None and not isinstance(leaf, Tensor):
        return leaf  # an unmapped non-array output (a string, a Python number) passes through
    return _C.vmap_exit(_asarray(leaf), level, size, axis)


def _concatenate_chunks(parts, out_axes):
    from . import concatenate

    first = parts[0]
    leaves, treedef = tree_flatten(first)
    axes = _axes_for_leaves(out_axes, first, "out_axes")
    columns = [tree_flatten(p)[0] for p in parts]
    joined = []
    for i, a in enumerate(axes):
        if a is None:
            joined.append(leaves[i])
        else:
            joined.append(concatenate([c[i] for c in columns], axis=a))
    return treedef.unflatten(joined)


def vmap(f, in_axes=0, out_axes=0, axis_size=None, randomness="error", chunk_size=None):
    """`f` mapped over a batch axis of its arguments, in one batched evaluation (JAX's `vmap`).

    in_axes: an int or None for every positional argument, or a tuple with one entry per
    positional argument, each an int, None (not mapped: shared by every example) or a pytree
    prefix of that argument holding ints/None. Negative axes count from the end. Keyword
    arguments are passed through unmapped. out_axes: the same for the outputs (None: the output
    must not depend on the mapped arguments). axis_size: the batch size when no argument is
    mapped. randomness: what random ops inside `f` do: "error" (raise), "different"
    (independent samples per example) or "same" (one sample for all). chunk_size: run the
    batch in chunks of at most this many examples (bounds memory; results are concatenated).
    """
    if randomness not in _RANDOMNESS:
        raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size must be a positive int or None, got {chunk_size!r}")
    if not callable(f):
        raise TypeError(f"vmap: f must be callable, got {type(f).__name__}")
    code = _RANDOMNESS[randomness]

    @functools.wraps(f)
    def vmapped(*args, **kwargs):
        batch = _Batch(args, in_axes, axis_size)
        if chunk_size is None or chunk_size >= batch.size:
            return _run(f, batch, kwargs, out_axes, code)
        # randomness="same": every chunk draws what the first drew (one sample for all examples).
        state = _C.random_get_state() if randomness == "same" else None
        parts = []
        for start in range(0, batch.size, chunk_size):
            stop = min(start + chunk_size, batch.size)
            if state is not None:
                _C.random_set_state(state)
            parts.append(_run(f, _Batch(batch.chunk(start, stop), in_axes, stop - start), kwargs, out_axes, code))
        return _concatenate_chunks(parts, out_axes)

    return vmapped
