"""Pickling and copying of tensors (`pickle`, `copy.copy`, `copy.deepcopy`).

What is kept: the values, dtype, shape, `requires_grad` and the class (a `Parameter` stays one);
`copy.deepcopy` also copies `.grad`. Never the autograd graph: a copy of a tensor produced by a
recorded operation is a leaf with the same `requires_grad`, as after `detach().requires_grad_()`.

Sharing (Note [Deep copies keep views sharing]): the Swift storage behind a tensor is not exposed,
so sharing is found with `_shares_memory` and the byte ranges the tensors cover. Within one
`copy.deepcopy` call, a tensor whose elements lie inside the memory of a tensor copied earlier in
the same call *and* of the same storage becomes a view of that copy, with the same offset and
strides: `deepcopy([x, x.T, x[0]])` gives three tensors sharing one new buffer, and
`deepcopy((model, model.state_dict()))` gives a state dict viewing the copied parameters. A view
copied *before* the tensor that contains it gets memory of its own (the copy cannot be grown
afterwards). `pickle` keeps the sharing of one tensor object referenced twice (pickle's memo) but
not between distinct views (each is written on its own); `copy.copy` copies the values.
"""
import numpy as np

from . import _C
from ._dtypes import from_array as _from_array

_GROUPS = object()  # the deepcopy memo key (by id) of the storages already copied in one call


def contiguous(a):
    """`a` in C order, copied only when it is not (unlike `np.ascontiguousarray`, 0-d stays 0-d)."""
    return a if a.flags.c_contiguous else a.copy(order="C")


def _rebuild(cls, array, requires_grad, state=None):
    """The unpickling side of `Tensor.__reduce_ex__`: a tensor of class `cls` owning `array`."""
    t = _from_array(contiguous(array))
    return _finish(t, cls, requires_grad, state)


def _finish(t, cls, requires_grad, state):
    if type(t) is not cls:
        t = _C._alias_as(cls, t)
    if requires_grad:
        t.requires_grad = True
    if state:
        t.__dict__.update(state)
    return t


def _state(t):
    d = getattr(t, "__dict__", None)
    return dict(d) if d else None


def reduce_ex(t, protocol):
    """`(rebuild, args)` with a contiguous array of the values (copied into the pickle stream)."""
    array = contiguous(t.numpy())
    return (_rebuild, (type(t), array, bool(t.requires_grad), _state(t)))


def shallow_copy(t):
    """`copy.copy`: new memory holding the same values (NumPy's `ndarray.__copy__`), same class
    and `requires_grad`, no history and no `.grad`."""
    return _finish(_from_array(np.array(t.numpy(), order="K", copy=True)), type(t), t.requires_grad, _state(t))


def _extent(a):
    """The byte range [lo, hi) covered by the elements of array `a`, and its first element's
    address."""
    start = a.__array_interface__["data"][0]
    lo = hi = start
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize, start


def deep_copy(t, memo):
    """`copy.deepcopy` with views kept sharing (see the module docstring)."""
    import copy

    a = t.numpy()
    if a.size == 0:
        new = _from_array(np.empty(a.shape, a.dtype))
    else:
        groups = memo.setdefault(id(_GROUPS), [])
        lo, hi, start = _extent(a)
        view = None
        for source, g_lo, g_hi, root in groups:
            if g_lo <= lo and hi <= g_hi and t._shares_memory(source):
                view = np.ndarray(a.shape, a.dtype, buffer=root, offset=start - g_lo, strides=a.strides)
                break
        if view is None:
            root = np.empty(hi - lo, np.uint8)
            view = np.ndarray(a.shape, a.dtype, buffer=root, offset=start - lo, strides=a.strides)
            view[...] = a
            groups.append((t, lo, hi, root))
        new = _from_array(view)
    state = _state(t)
    new = _finish(new, type(t), t.requires_grad, copy.deepcopy(state, memo) if state else None)
    memo[id(t)] = new
    grad = t.grad
    if grad is not None and t.is_leaf:
        new.grad = copy.deepcopy(grad, memo)
    return new
