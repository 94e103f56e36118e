"""Differentiable collectives over MPI: `all_reduce`, `all_gather`, `reduce_scatter`, `broadcast`.

Each is an `sg.Function` whose forward is one mpi4py uppercase (buffer) call on the tensors'
memory: `np.asarray(t)` is a zero-copy view, and the result is received straight into a new NumPy
array that becomes the output tensor through `sg.from_numpy` (no copy either way; a non-contiguous
input is made contiguous first). Derivatives are collectives again, written as these same
Functions, so they can be differentiated to any order:

  op               forward (rank r)               VJP (cotangent g_r)            JVP (tangent v_r)
  all_reduce sum   y = sum_q x_q                   all_reduce(g, sum)             all_reduce(v, sum)
  all_reduce mean  y = mean_q x_q                  all_reduce(g, mean)            all_reduce(v, mean)
  all_reduce max   y = max_q x_q (elementwise)     w_r * all_reduce(g, sum)       all_reduce(w * v, sum)
  all_gather       y = concat_q x_q (axis 0)       reduce_scatter(g, sum)         all_gather(v)
  reduce_scatter   y = (sum_q x_q)[block r]        all_gather(g)                  reduce_scatter(v)
  broadcast        y = x_root                      sum_q g_q on root, 0 elsewhere broadcast(v)

The objective differentiated is the sum over ranks of each rank's own loss (what every rank's
`backward()` computes together); for max, w_r is 1 / (number of ranks attaining the maximum)
where rank r attains it and 0 elsewhere (ties share the gradient, as `sg.max`).
"""
import numpy as np

from .. import _C
from ..custom import Function
from ._comm import _mpi, comm

_OPS = ("sum", "mean", "max")


def _tensor(x):
    from .. import asarray

    return asarray(x)


def _contiguous(t):
    a = np.asarray(t)
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _out(a):
    return _C.from_buffer(a)


def _zeros_like(like):
    shape, code = like
    return _C.full(shape, 0.0, code)


def _mpi_op(op):
    MPI = _mpi()
    return {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX}[op]


def _check_op(op, allowed=_OPS):
    if op not in allowed:
        raise ValueError(f"op must be one of {', '.join(map(repr, allowed))}, got {op!r}")


class _AllReduce(Function):
    @staticmethod
    def forward(ctx, t, op):
        c = comm()
        x = _contiguous(t)
        ctx.like = (x.shape, t._dtype_code)  # for a zero tangent; not the tensor (keeps no memory alive)
        out = np.empty_like(x)
        c.Allreduce(x, out, op=_mpi_op(op))
        if op == "mean":
            out /= c.Get_size()
        ctx.op, ctx.weights = op, None
        if op == "max":
            attains = (x == out).astype(x.dtype)
            count = np.empty_like(attains)
            c.Allreduce(attains, count, op=_mpi_op("sum"))
            ctx.weights = _out(attains / np.maximum(count, 1))
        return _out(out)

    @staticmethod
    def backward(ctx, g):
        if ctx.op == "max":
            return all_reduce(g, "sum") * ctx.weights, None
        return all_reduce(g, ctx.op), None

    @staticmethod
    def jvp(ctx, v, _op):
        v = _zeros_like(ctx.like) if v is None else v
        if ctx.op == "max":
            return all_reduce(v * ctx.weights, "sum")
        return all_reduce(v, ctx.op)


class _AllGather(Function):
    @staticmethod
    def forward(ctx, t):
        c = comm()
        x = _contiguous(t)
        ctx.like = (x.shape, t._dtype_code)  # for a zero tangent; not the tensor (keeps no memory alive)
        out = np.empty((c.Get_size(),) + x.shape, dtype=x.dtype)
        c.Allgather(x, out)
        ctx.shape = x.shape
        return _out(out.reshape((-1,) + x.shape[1:]) if x.ndim else out)

    @staticmethod
    def backward(ctx, g):
        return reduce_scatter(g, "sum").reshape(ctx.shape)

    @staticmethod
    def jvp(ctx, v):
        v = _zeros_like(ctx.like) if v is None else v  # every rank must join the collective
        return all_gather(v)


class _ReduceScatter(Function):
    @staticmethod
    def forward(ctx, t, op):
        c = comm()
        x = _contiguous(t)
        ctx.like = (x.shape, t._dtype_code)  # for a zero tangent; not the tensor (keeps no memory alive)
        n = c.Get_size()
        if x.ndim == 0 or x.shape[0] % n:
            raise ValueError(f"reduce_scatter: the first dimension ({x.shape[0] if x.ndim else 'none'}) must be "
                             f"a multiple of the world size {n}")
        out = np.empty((x.shape[0] // n,) + x.shape[1:], dtype=x.dtype)
        c.Reduce_scatter_block(x, out, op=_mpi_op(op))
        if op == "mean":
            out /= n
        ctx.op = op
        return _out(out)

    @staticmethod
    def backward(ctx, g):
        gathered = all_gather(g)
        return (gathered / comm().Get_size() if ctx.op == "mean" else gathered), None

    @staticmethod
    def jvp(ctx, v, _op):
        v = _zeros_like(ctx.like) if v is None else v  # every rank must join the collective
        return reduce_scatter(v, ctx.op)


class _Broadcast(Function):
    @staticmethod
    def forward(ctx, t, root):
        c = comm()
        x = _contiguous(t)
        ctx.like = (x.shape, t._dtype_code)  # for a zero tangent; not the tensor (keeps no memory alive)
        out = np.array(x, copy=True) if c.Get_rank() == root else np.empty_like(x)
        c.Bcast(out, root=root)
        ctx.root = root
        return _out(out)

    @staticmethod
    def backward(ctx, g):
        return _ReduceToRoot.apply(_tensor(g), ctx.root), None

    @staticmethod
    def jvp(ctx, v, _root):
        v = _zeros_like(ctx.like) if v is None else v  # every rank must join the collective
        return broadcast(v, ctx.root)


class _ReduceToRoot(Function):
    """sum_q x_q on `root`, zeros elsewhere: the transpose of broadcast."""

    @staticmethod
    def forward(ctx, t, root):
        c = comm()
        x = _contiguous(t)
        ctx.like = (x.shape, t._dtype_code)  # for a zero tangent; not the tensor (keeps no memory alive)
        out = np.zeros_like(x)
        c.Reduce(x, out if c.Get_rank() == root else None, op=_mpi_op("sum"), root=root)
        ctx.root = root
        return _out(out)

    @staticmethod
    def backward(ctx, g):
        return broadcast(g, ctx.root), None

    @staticmethod
    def jvp(ctx, v, _root):
        v = _zeros_like(ctx.like) if v is None else v  # every rank must join the collective
        return _ReduceToRoot.apply(_tensor(v), ctx.root)


def all_reduce(t, op="sum"):
    """The elementwise reduction of `t` over all ranks ("sum", "mean" or "max"), on every rank.
    Differentiable: the VJP and JVP are all-reduces (see the module docstring)."""
    _check_op(op)
    return _AllReduce.apply(_tensor(t), op)


def all_gather(t):
    """Every rank's `t` concatenated along axis 0 in rank order (shape (world_size * n, ...); a 0-d
    `t` gives shape (world_size,)). Every rank must pass the same shape. VJP: reduce_scatter."""
    return _AllGather.apply(_tensor(t))


def reduce_scatter(t, op="sum"):
    """The sum ("sum") or mean ("mean") of `t` over ranks, split along axis 0 into world_size
    blocks of which rank r receives block r. VJP: all_gather (divided by world_size for mean)."""
    _check_op(op, ("sum", "mean"))
    return _ReduceScatter.apply(_tensor(t), op)


def broadcast(t, root=0):
    """`root`'s `t` on every rank (the others' values are ignored, their shape and dtype must match).
    VJP: the cotangents summed onto `root` (zeros on the other ranks)."""
    return _Broadcast.apply(_tensor(t), int(root))
