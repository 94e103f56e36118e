"""Gradient checkpointing: keep only a function's inputs, recompute its inside during backward.

`checkpoint(fn, *args)` runs `fn` once, records which tensors that require grad it reads (its
arguments and the parameters it closes over), frees everything else, and becomes one custom node
whose backward rule recomputes `fn` and differentiates the recomputation. It works with
`create_graph` (higher order), inside `sg.grad`/`sg.jvp` (the rule is linear in the cotangent, so
forward mode transposes it), and with custom rules inside `fn`.
"""
import math

import numpy as np

from . import _C
from ._tensor import Tensor
from .tree_util import tree_flatten
from .autograd import enable_grad, grad as _grad
from .transforms import _active_levels
from ._dtypes import code_of, is_inexact as _is_inexact

_FLOAT64 = code_of(np.float64)


def _watermark():
    """The id the next recorded node will get (node ids follow recording order)."""
    probe = _C.full((), 0.0, _FLOAT64)
    probe.requires_grad = True
    return _C.graph_node_id(probe * 1.0) + 1


def _read_from_outside(outs, stop, watermark):
    """Tensors requiring grad that the graphs of `outs`, recorded from `watermark` on, read from
    outside (leaves, or results recorded earlier): the closed-over parameters. The walk stops
    there and at the tensors of `stop`, so it never visits the enclosing graph."""
    found, seen, stack = [], set(stop), list(outs)
    while stack:
        t = stack.pop()
        tid = _C.graph_tensor_id(t)
        if tid in seen or not t.requires_grad:
            continue
        seen.add(tid)
        node = _C.graph_node_id(t)
        if node is None or node < watermark:
            found.append(t)
        else:
            stack.extend(_C.graph_node_inputs(t))
    return found


def checkpoint(fn, *args):
    """`fn(*args)`, storing only the inputs for backward. `fn` returns a tensor or a pytree of
    tensors (the floating-point ones share one checkpointed node).

    `args` are pytrees (see `sg.tree_util`): every tensor among their leaves, and every tensor that
    requires grad which `fn` reads from its closure, is an input of the checkpointed node and
    gets its gradient. NumPy arrays among the leaves become constant tensors; other leaves
    (numbers, strings, None) are passed through unchanged.
    """
    from . import asarray

    leaves, treedef = tree_flatten(args)
    leaves = [asarray(x) if isinstance(x, np.ndarray) else x for x in leaves]
    tensor_positions = [k for k, x in enumerate(leaves) if isinstance(x, Tensor)]
    # Run once on detached stand-ins, so the recorded graph stays local to fn and shows which
    # closed-over parameters it reads; then keep only the value.
    stand_ins = list(leaves)
    for k in tensor_positions:
        stand_ins[k] = leaves[k].detach()
        if leaves[k].requires_grad:
            stand_ins[k].requires_grad = True
    with enable_grad():
        watermark = _watermark()
        out = fn(*treedef.unflatten(stand_ins))
    out_leaves, out_def = tree_flatten(out)
    if not out_leaves or not all(isinstance(o, Tensor) for o in out_leaves):
        raise TypeError(f"checkpoint: fn must return a Tensor or a pytree of Tensors, got {type(out).__name__}")
    if any(_C.forward_has_tangent(o, level) for o in out_leaves for level in _active_levels()):
        # fn reads a closed-over tensor carrying a forward-mode tangent, which a custom node would
        # drop: run fn plainly (forward mode stores no graph; an enclosing reverse pass then
        # stores fn's inside, as without checkpoint).
        del out, out_leaves, stand_ins
        return fn(*treedef.unflatten(leaves))
    stop = {_C.graph_tensor_id(stand_ins[k]) for k in tensor_positions}
    params = _read_from_outside([o for o in out_leaves if o.requires_grad], stop, watermark)
    floats = [k for k, o in enumerate(out_leaves) if _is_inexact(o.dtype)]
    packing = _Packing(out_leaves, floats, single=out_def.num_nodes == 1)
    value = packing.pack(out_leaves)
    constants = [o.detach() for o in out_leaves]  # the non-float outputs' values (no gradient)
    del out, out_leaves, stand_ins
    if value is None:
        return out_def.unflatten(constants)
    inputs = [leaves[k] for k in tensor_positions] + params

    n_args = len(tensor_positions)

    def vjp_rule(g):
        record_outer = _C.is_grad_enabled()
        levels = _active_levels()
        connected = record_outer or any(_C.forward_has_tangent(t, lv) for lv in levels for t in inputs[:n_args])
        # Note [Checkpoint targets]: the recomputation differentiates with respect to stand-ins of
        # the arguments, so that no path leads from one target to another through an argument's
        # history (that would count it twice). First order: detached leaves. Recorded (higher
        # order, forward mode transposing the rule) or under an open jvp level (forward over
        # reverse): `reverse_input`s, which stay connected to the arguments (and keep their
        # tangents) so the gradients are differentiable in them. Every floating-point argument
        # gets one, even one that does not require grad: forward mode asks for the full J^T g.
        targets = []
        for t in inputs[:n_args]:
            if t.dtype.kind != "f":
                targets.append(t)
            elif connected and (t.requires_grad or any(_C.forward_has_tangent(t, lv) for lv in levels)):
                targets.append(_C.reverse_input(t))
            else:
                targets.append(_leaf(t))
        # A connected argument's history may lead to a closed-over tensor: that tensor's gradient
        # then includes the path through the argument, which the argument's own gradient carries
        # back as well; that part (the argument's VJP) is subtracted below.
        overlap = connected and params and _reaches([t for t in inputs[:n_args] if t.requires_grad], params)
        targets += params
        call_leaves = list(leaves)
        for k, pos in enumerate(tensor_positions):
            call_leaves[pos] = targets[k]
        with enable_grad():
            recomputed = tree_flatten(fn(*treedef.unflatten(call_leaves)))[0]
            outs, cts = [], []
            for k, ct in zip(floats, packing.unpack(g)):
                if recomputed[k].requires_grad:
                    outs.append(recomputed[k])
                    cts.append(ct)
            live = [k for k, t in enumerate(targets) if t.requires_grad]
            # retain_graph: a closure's history outside fn is shared with the enclosing graph
            grads = _grad(outs, [targets[k] for k in live], cts, retain_graph=True, create_graph=record_outer,
                          allow_unused=True) if outs and live else [None] * len(live)
        result = [None] * len(inputs)
        for k, gk in zip(live, grads):
            result[k] = gk
        if overlap:
            through = [(inputs[k], result[k]) for k in range(n_args)
                       if inputs[k].requires_grad and result[k] is not None]
            if through:
                with enable_grad():
                    via = _grad([a for a, _ in through], params, [gk for _, gk in through], retain_graph=True,
                                create_graph=record_outer, allow_unused=True)
                for j, v in enumerate(via):
                    if v is not None and result[n_args + j] is not None:
                        result[n_args + j] = result[n_args + j] - v
        return tuple(result)

    node = _C.custom_function("checkpoint", inputs, value, vjp_rule, None)
    for k, piece in zip(floats, packing.unpack(node)):
        constants[k] = piece
    return out_def.unflatten(constants)


class _Packing:
    """The floating-point outputs of a checkpointed function as one flat tensor (a custom node has
    one output) and back: raveled, cast to their common dtype, concatenated."""

    def __init__(self, out_leaves, floats, single):
        self.single = single
        self.floats = floats
        self.shapes = [out_leaves[k].shape for k in floats]
        self.dtypes = [out_leaves[k].dtype for k in floats]
        if single:
            return
        self.dtype = np.result_type(*self.dtypes) if floats else None
        self.sizes = [math.prod(shape) for shape in self.shapes]

    def pack(self, out_leaves, detach=True):
        """The floating-point leaves as one tensor (None if there are none). With detach=False the
        result stays differentiable in them (packing tangents); a None leaf counts as zeros."""
        if not self.floats:
            return None
        if self.single and out_leaves[0] is not None:
            return out_leaves[0].detach() if detach else out_leaves[0]
        from . import astype, concatenate, ravel, zeros

        parts = [out_leaves[k] for k in self.floats]
        parts = [zeros(shape, dtype) if p is None else (p.detach() if detach else p)
                 for p, shape, dtype in zip(parts, self.shapes, self.dtypes)]
        if self.single:
            return parts[0]
        parts = [ravel(p) for p in parts]
        return concatenate([p if p.dtype == self.dtype else astype(p, self.dtype) for p in parts], 0)

    def unpack(self, flat):
        """One tensor per floating-point output, from `flat` (differentiable: slices, reshapes)."""
        from . import astype, reshape

        if self.single:
            return [flat]
        pieces, start = [], 0
        for shape, dtype, size in zip(self.shapes, self.dtypes, self.sizes):
            piece = reshape(flat[start:start + size], shape)
            pieces.append(piece if piece.dtype == dtype else astype(piece, dtype))
            start += size
        return pieces


def _reaches(starts, targets):
    """Whether the recorded history of `starts` contains one of `targets`."""
    wanted = {_C.graph_tensor_id(t) for t in targets}
    seen, stack = set(), list(starts)
    while stack:
        t = stack.pop()
        tid = _C.graph_tensor_id(t)
        if tid in wanted:
            return True
        if tid in seen or not t.requires_grad or t.is_leaf:
            continue
        seen.add(tid)
        stack.extend(_C.graph_node_inputs(t))
    return False


def _leaf(t):
    leaf = t.detach()
    leaf.requires_grad = True
    return leaf


def checkpoint_sequential(functions, segments, input):
    """Runs `functions` (a list of callables, or a `Sequential`) on `input` in `segments`
    checkpointed segments: the sqrt(L) scheme stores about `segments` activations plus one
    segment's worth during backward."""
    functions = list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be at least 1, got {segments}")
    size = -(-len(functions) // segments)

    def run(chunk):
        def segment(x):
            for f in chunk:
                x = f(x)
            return x
        return segment

    x = input
    for start in range(0, len(functions), size):
        x = checkpoint(run(functions[start:start + size]), x)
    return x
