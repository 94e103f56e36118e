"""Data-parallel training over MPI (through mpi4py, an optional dependency: `pip install
swiftgrad[distributed]` or `pip install mpi4py mpich`). docs/DISTRIBUTED.md explains it.

- the world: `init()`, `comm()` (the mpi4py communicator), `rank()`, `world_size()`, `barrier()`,
  `abort()`, `is_initialized()`
- differentiable collectives: `all_reduce(t, op="sum"|"mean"|"max")`, `all_gather(t)`,
  `reduce_scatter(t, op="sum"|"mean")`, `broadcast(t, root=0)`
- training: `DistributedDataParallel(module, bucket_cap_mb=25)` (with `no_sync()` and
  `sync_gradients()`), `DistributedOptimizer(optimizer)`, `broadcast_parameters`,
  `broadcast_optimizer_state`; data sharding: `sg.utils.data.DistributedSampler`
- launcher: `python -m swiftgrad.distributed.launch -n N script.py [args]`

Importing this package does not import mpi4py; the first call that needs MPI does.
"""
from ._comm import abort, barrier, comm, init, is_initialized, rank, world_size
from .collectives import all_gather, all_reduce, broadcast, reduce_scatter
from .ddp import DistributedDataParallel, DistributedOptimizer, broadcast_optimizer_state, broadcast_parameters

__all__ = ["init", "comm", "is_initialized", "rank", "world_size", "barrier", "abort", "all_reduce", "all_gather",
           "broadcast", "reduce_scatter", "DistributedDataParallel", "DistributedOptimizer",
           "broadcast_parameters", "broadcast_optimizer_state"]
