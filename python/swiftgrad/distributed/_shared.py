"""Gradient buckets in MPI shared memory, for ranks that share one machine (docs/DISTRIBUTED.md,
"Ranks on one machine").

When every rank of the reducer's communicator is on this node (MPI_COMM_TYPE_SHARED), the buckets
live in one MPI-3 shared-memory window: each rank's segment holds its own flat bucket buffers and
one flag per parameter (did it get a gradient this step). The all-reduce then needs no message
copies: after a barrier, rank r sums its 1/world slice of every bucket over all ranks' segments,
in rank order, and writes the sum into every segment; a second barrier ends it. Each element is
summed once, by one rank, so every rank holds the same bits. On two ranks this moves about a third
of the bytes MPICH's shared-memory Allreduce moves (it copies through its own buffers), and one
barrier replaces the flags' separate Allreduce.

SWIFTGRAD_DDP_SHARED_MEMORY=0 turns it off (the non-blocking Iallreduce path is used instead, as it
always is across machines).
"""
import os

import numpy as np

from ._comm import _mpi

_ALIGN = 64  # bytes: each bucket starts on a cache line


def usable(comm):
    """True when every rank of `comm` shares this node's memory and the setting allows it."""
    if os.environ.get("SWIFTGRAD_DDP_SHARED_MEMORY", "1") == "0" or comm.Get_size() < 2:
        return False
    MPI = _mpi()
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return comm.allreduce(int(node.Get_size() == comm.Get_size()), op=MPI.MIN) == 1
    finally:
        node.Free()


class SharedBuckets:
    """Every rank's flat buffers for buckets of (dtype, count) and its flags, in one window."""

    def __init__(self, comm, layout, flag_count):
        MPI = _mpi()
        self.comm = comm
        self.rank, self.world = comm.Get_rank(), comm.Get_size()
        offsets, size = [], 0
        for dtype, count in layout:
            offsets.append(size)
            size += -(-count * np.dtype(dtype).itemsize // _ALIGN) * _ALIGN
        flags_at = size
        size += flag_count * 4
        self.win = MPI.Win.Allocate_shared(max(size, 1), 1, comm=comm)
        self.win.Lock_all(MPI.MODE_NOCHECK)  # a passive epoch for the whole run: Sync orders the stores
        segments = [np.frombuffer(self.win.Shared_query(r)[0], dtype=np.uint8, count=size) for r in range(self.world)]
        # per bucket, the flat buffer of each rank; per rank, its flags
        self.flats = [[seg[at:at + count * np.dtype(dtype).itemsize].view(dtype) for seg in segments]
                      for (dtype, count), at in zip(layout, offsets)]
        self.flags = [seg[flags_at:flags_at + flag_count * 4].view(np.int32) for seg in segments]
        for flat in self.flats:
            flat[self.rank][...] = 0
        self.flags[self.rank][...] = 0

    def own(self, bucket):
        """This rank's flat buffer of bucket number `bucket`."""
        return self.flats[bucket][self.rank]

    def _barrier(self):
        self.win.Sync()
        self.comm.Barrier()
        self.win.Sync()

    def allreduce(self, used):
        """Sums every bucket over the ranks in place; `used` (int32 per parameter) is this rank's
        flags, and the result says which parameters got a gradient on any rank."""
        self.flags[self.rank][...] = used
        self._barrier()  # every rank's buckets and flags are written
        anywhere = np.max(np.stack(self.flags), axis=0)
        for flat in self.flats:
            n = flat[0].size
            part = slice(self.rank * n // self.world, (self.rank + 1) * n // self.world)
            mine = flat[self.rank][part]
            others = [flat[r][part] for r in range(self.world) if r != self.rank]
            # in rank order (0, 1, 2, ...) on every rank, so all slices round alike
            if self.rank <= 1:  # `mine` is one of the first two addends: NumPy adds elementwise in place
                np.add(flat[0][part], flat[1][part], out=mine)
                for r in range(2, self.world):
                    np.add(mine, flat[r][part], out=mine)
            else:
                total = np.add(flat[0][part], flat[1][part])
                for r in range(2, self.world):
                    np.add(total, flat[r][part], out=total)
                mine[...] = total
            for other in others:
                other[...] = mine
        self._barrier()  # every slice is summed and copied everywhere
        return anywhere
