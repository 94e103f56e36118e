"""Data-parallel training: `DistributedDataParallel`, `DistributedOptimizer`, `broadcast_parameters`,
`broadcast_optimizer_state` (docs/DISTRIBUTED.md tells the whole story).

A `_Reducer` owns flat gradient buckets (one NumPy array each, parameters of one dtype, at most
`bucket_cap_mb`, filled in reverse registration order, which is about the order backward produces
gradients). Each parameter's gradient hook writes `grad / world_size` into its slot of the bucket;
when every slot of a bucket is written, and every earlier bucket has been started, the bucket's
non-blocking `Iallreduce` starts while backward goes on. `finalize()` (called by `sync_gradients()`,
by `DistributedOptimizer.step()`, and on its own by the last hook when every parameter got a
gradient) starts the remaining buckets with missing slots treated as zero, waits, and sets every
parameter's `.grad` to a view of its slot: after the first step no gradient is copied out of the
buckets, and the optimizer reads the averaged values in place.
"""
import contextlib
import time
import warnings
import weakref

import numpy as np

from .. import _C
from ..nn.module import Module
from . import _shared
from ._comm import _mpi, comm

_reducers = weakref.WeakValueDictionary()  # id(parameter) -> the _Reducer whose hook it carries


class _Bucket:
    def __init__(self, index, dtype, params, flat=None):
        self.index = index
        self.params = params
        sizes = [p.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype=dtype) if flat is None else flat
        self.views = [self.flat[a:b].reshape(p.shape) for p, a, b in zip(params, self.offsets, self.offsets[1:])]
        self.tensors = [_C.from_buffer(v) for v in self.views]
        self.ready = 0
        self.request = None


class _Reducer:
    """Gradient buckets and hooks for `params` (one per parameter; see the module docstring)."""

    def __init__(self, params, bucket_cap_mb=25):
        params = [p for p in params if p.requires_grad]
        if not params:
            raise ValueError("no parameter requires grad")
        self.comm = comm().Dup()  # its own communicator: never mixed up with the user's collectives
        self.world = self.comm.Get_size()
        self.params = params
        self.enabled = True
        self.wait_seconds = 0.0  # time spent blocked in Wait (the communication not hidden by backward)
        # ranks on one machine reduce through shared memory (_shared.py), others with Iallreduce
        self.shared = None
        groups = self._groups(params, float(bucket_cap_mb) * 2**20)
        if _shared.usable(self.comm):
            layout = [(dtype, sum(p.size for p in group)) for dtype, group in groups]
            self.shared = _shared.SharedBuckets(self.comm, layout, len(params))
        self.buckets = [_Bucket(i, dtype, group, self.shared.own(i) if self.shared else None)
                        for i, (dtype, group) in enumerate(groups)]
        self.where = {id(p): (b, i) for b in self.buckets for i, p in enumerate(b.params)}
        self._copied = None
        self._reset()
        for p in params:
            if id(p) in _reducers:
                raise ValueError("a parameter already belongs to a DistributedDataParallel or DistributedOptimizer")
            _reducers[id(p)] = self
            p.register_hook(self._hook(p))

    @staticmethod
    def _groups(params, cap_bytes):
        """(dtype, parameters) of each bucket, in reduction order."""
        groups, current = [], {}
        for p in reversed(params):
            dtype = np.dtype(p.dtype)
            group = current.setdefault(dtype, [])
            if group and (sum(q.size for q in group) + p.size) * dtype.itemsize > cap_bytes:
                groups.append((dtype, group))
                group = current[dtype] = []
            group.append(p)
        groups.extend((dtype, group) for dtype, group in current.items() if group)
        return groups

    def _reset(self):
        self.fired = set()
        self.next_bucket = 0
        self.pending = False  # a backward wrote into the buckets and was not finalized yet
        for b in self.buckets:
            b.ready, b.request = 0, None

    def _owns(self, p, grad):
        b, i = self.where[id(p)]
        return np.asarray(grad).ctypes.data == b.views[i].ctypes.data

    def _fill(self, p, g):
        """Writes (p.grad + g) / world into p's slot (p.grad: a local accumulation, or last step's
        averaged value); g None means no new gradient this step."""
        b, i = self.where[id(p)]
        slot = b.views[i]
        old = p.grad
        scale = 1.0 / self.world
        if old is None:
            if g is None:
                slot[...] = 0
            else:
                np.multiply(np.asarray(g), scale, out=slot)  # one pass: the copy and the averaging
            return b
        if g is None:
            if not self._owns(p, old):
                np.multiply(np.asarray(old), scale, out=slot)
            elif self.world > 1:
                slot *= scale
        else:
            np.add(np.asarray(old), np.asarray(g), out=slot)
            if self.world > 1:
                slot *= scale
        return b

    def _hook(self, p):
        ref = weakref.ref(p)

        def hook(g):
            param = ref()
            if param is None or not self.enabled or id(param) in self.fired:
                return None
            self.pending, self._copied = True, None
            self.fired.add(id(param))
            b = self._fill(param, g)
            b.ready += 1
            self._launch_ready()
            if len(self.fired) == len(self.params):
                # Every parameter has its gradient: finish now, so plain optimizers read averaged
                # values. The engine stores this parameter's .grad after the hook returns, so hand it
                # the averaged slot (a copy); sync_gradients() later makes it a view again.
                self.finalize()
                param.grad = None
                self._copied = param
                bucket, i = self.where[id(param)]
                return bucket.tensors[i]
            return None

        return hook

    def _launch_ready(self):
        """Starts, in bucket order (the same on every rank), each bucket whose slots are all written."""
        if self.shared is not None:
            return  # finalize() reduces every bucket at once through shared memory
        MPI = _mpi()
        while self.next_bucket < len(self.buckets):
            b = self.buckets[self.next_bucket]
            if b.ready < len(b.params):
                break
            b.request = self.comm.Iallreduce(MPI.IN_PLACE, b.flat, op=MPI.SUM)
            self.next_bucket += 1
        started = [b.request for b in self.buckets if b.request is not None]
        if started:
            MPI.Request.Testall(started)  # lets MPI progress the started reductions

    def finalize(self):
        """Completes this step's reduction (see the module docstring); a no-op when no backward ran
        since the last call. Parameters with no gradient on any rank keep `.grad` unchanged."""
        if not self.pending:
            p, self._copied = self._copied, None
            if p is not None and p.grad is not None:  # the copy the engine stored after the last hook
                b, i = self.where[id(p)]
                p.grad = b.tensors[i]
            return
        MPI = _mpi()
        for p in self.params:
            if id(p) not in self.fired:
                b = self._fill(p, None)
                b.ready += 1
        self._launch_ready()
        used = np.array([id(p) in self.fired or p.grad is not None for p in self.params], dtype=np.int32)
        started = time.perf_counter()
        if self.shared is not None:
            anywhere = self.shared.allreduce(used)
        else:
            anywhere = np.empty_like(used)
            self.comm.Allreduce(used, anywhere, op=MPI.MAX)
            MPI.Request.Waitall([b.request for b in self.buckets])
        self.wait_seconds += time.perf_counter() - started
        self._reset()
        for p, u in zip(self.params, anywhere):
            if u:
                b, i = self.where[id(p)]
                p.grad = b.tensors[i]


def _params_of(obj):
    if isinstance(obj, Module):
        return list(obj.parameters()) + list(obj.buffers())
    if isinstance(obj, dict):
        return [obj[k] for k in sorted(obj)]
    return [p[1] if isinstance(p, tuple) else p for p in obj]


def broadcast_parameters(params, root=0):
    """Overwrites, in place, each tensor of `params` (a Module: its parameters and buffers; a dict of
    name -> tensor, taken in sorted name order; or an iterable of tensors or (name, tensor) pairs)
    with `root`'s values: one MPI Bcast per tensor on its own memory, no copies."""
    c = comm()
    for t in _params_of(params):
        a = np.asarray(t)
        if not a.flags.c_contiguous:
            raise ValueError("broadcast_parameters: tensors must be contiguous")
        c.Bcast(a, root=root)


def broadcast_optimizer_state(optimizer, root=0):
    """Makes every rank's optimizer state (hyperparameters and per-parameter state such as momentum
    buffers or Adam moments) equal to `root`'s, through its `state_dict()` (pickled broadcast)."""
    state = comm().bcast(optimizer.state_dict() if comm().Get_rank() == root else None, root=root)
    optimizer.load_state_dict(state)


class DistributedDataParallel(Module):
    """Wraps `module` for data-parallel training: every rank runs the same model on its own batch;
    gradients are averaged over ranks during backward, bucket by bucket (`bucket_cap_mb`), with
    non-blocking all-reduces that overlap the rest of backward.

    Construction broadcasts the parameters and buffers from rank 0. Gradients are complete when
    `sync_gradients()` returns; `DistributedOptimizer.step()` calls it, and when every parameter
    received a gradient the last hook does it by itself (so a plain optimizer works too). Call
    `sync_gradients()` (or use `DistributedOptimizer`) when some parameter may get no gradient in a
    step: such a parameter counts as zero in the average. `no_sync()` accumulates locally."""

    def __init__(self, module, bucket_cap_mb=25, broadcast_buffers=True):
        super().__init__()
        self.module = module
        if broadcast_buffers:
            broadcast_parameters(module, root=0)
        else:
            broadcast_parameters(list(module.parameters()), root=0)
        object.__setattr__(self, "reducer", _Reducer(list(module.parameters()), bucket_cap_mb))

    def forward(self, *args, **kwargs):
        """Runs the wrapped module (finalizing a previous backward nobody synchronised, with a warning)."""
        if self.reducer.pending and self.reducer.enabled:
            warnings.warn("DistributedDataParallel: the previous backward's gradients were not synchronised "
                          "before this forward; call ddp.sync_gradients() (or use DistributedOptimizer) "
                          "before optimizer.step() when some parameters get no gradient", RuntimeWarning,
                          stacklevel=2)
            self.reducer.finalize()
        return self.module(*args, **kwargs)

    def sync_gradients(self):
        """Waits for this step's all-reduces; afterwards every parameter's `.grad` is the average over
        ranks and a view into its bucket."""
        self.reducer.finalize()

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates gradients locally without communicating; the first backward
        after the block averages the accumulated sum (PyTorch's `no_sync`)."""
        self.reducer.finalize()
        previous, self.reducer.enabled = self.reducer.enabled, False
        try:
            yield
        finally:
            self.reducer.enabled = previous

    @property
    def buckets(self):
        """The flat gradient buffers (NumPy arrays), in reduction order."""
        return [b.flat for b in self.reducer.buckets]

    @property
    def communication_wait_seconds(self):
        """Total time spent blocked waiting for gradient all-reduces."""
        return self.reducer.wait_seconds


class DistributedOptimizer:
    """Horovod-style wrapper: `step()` first completes the gradient averaging, then runs `optimizer`.
    The gradients come from the `DistributedDataParallel` that owns the parameters, or, for
    parameters of no DDP, from buckets and hooks this wrapper installs itself (`bucket_cap_mb`).
    Every other attribute (zero_grad, param_groups, state_dict, ...) is the wrapped optimizer's."""

    def __init__(self, optimizer, bucket_cap_mb=25):
        self.optimizer = optimizer
        params = [p for g in optimizer.param_groups for p in g["params"] if p.requires_grad]
        self._reducers = list({id(r): r for r in (_reducers.get(id(p)) for p in params) if r is not None}.values())
        own = [p for p in params if id(p) not in _reducers]
        if own:
            self._reducers.append(_Reducer(own, bucket_cap_mb))

    def synchronize(self):
        """Waits for the gradient all-reduces of every parameter of the optimizer."""
        for r in self._reducers:
            r.finalize()

    def step(self, closure=None):
        """`synchronize()`, then the wrapped optimizer's step."""
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
            self.synchronize()
            self.optimizer.step()
            return loss
        self.synchronize()
        return self.optimizer.step()

    def __getattr__(self, name):
        return getattr(self.__dict__["optimizer"], name)
