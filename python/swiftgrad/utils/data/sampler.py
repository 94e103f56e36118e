"""Samplers: the order in which a `DataLoader` visits a dataset's indices.

Randomness comes from a `numpy.random.Generator` (or an int seed that makes one); without one, each
epoch's permutation uses a seed drawn from `sg.random`, so `sg.random.seed(...)` alone makes the
order reproducible and `sg.utils.checkpoint_io` can restore it. Random samplers can report and
restore the state they start an epoch from (`state_dict` / `load_state_dict`), which is what lets a
`DataLoader` resume in the middle of an epoch.
"""
import numpy as np


def _seed_from_sg():
    from ... import random

    u = random.uniform(size=(2,), dtype=np.float64).numpy()
    return (int(u[0] * 2**32) << 32) | int(u[1] * 2**32)


def resolve_generator(generator):
    """`generator` as a `numpy.random.Generator`: an int seeds a new one, None makes one from a
    seed drawn from `sg.random`."""
    if generator is None:
        return np.random.default_rng(_seed_from_sg())
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be a numpy.random.Generator, an int seed or None, got {type(generator).__name__}")


class Sampler:
    """Base class: iterating gives dataset indices; `len` is their number."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class _RandomBase(Sampler):
    """Keeps the generator and the state each epoch starts from."""

    def __init__(self, generator):
        self.generator = None if generator is None else resolve_generator(generator)
        self._epoch_start = None   # what the running epoch drew from: ("np", state) or ("sg", seed)
        self._pending = None       # a state to start the next epoch from (load_state_dict)

    def _epoch_rng(self):
        pending, self._pending = self._pending, None
        if self.generator is not None:
            if pending is not None:
                self.generator.bit_generator.state = pending
            self._epoch_start = ("np", self.generator.bit_generator.state)
            return self.generator
        seed = pending if pending is not None else _seed_from_sg()
        self._epoch_start = ("sg", seed)
        return np.random.default_rng(seed)

    def state_dict(self, in_epoch=False):
        """The state the next epoch starts from: the running epoch's start when `in_epoch` (so it can
        be replayed), else the generator's current state (None when drawing from `sg.random`)."""
        if in_epoch and self._epoch_start is not None:
            kind, value = self._epoch_start
        elif self.generator is not None:
            kind, value = "np", self.generator.bit_generator.state
        else:
            kind, value = "sg", None
        return {"kind": kind, "value": value}

    def load_state_dict(self, state):
        """Makes the next epoch start from `state` (from `state_dict`)."""
        if state["kind"] == "np" and self.generator is None:
            raise ValueError("this sampler draws from sg.random, the saved state is of a numpy generator")
        self._pending = state["value"]


class RandomSampler(_RandomBase):
    """A random permutation of the indices each epoch, or `num_samples` indices drawn with
    replacement when `replacement=True` (PyTorch's `RandomSampler`)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        super().__init__(generator)
        self.data_source, self.replacement = data_source, replacement
        self._num_samples = num_samples
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")

    @property
    def num_samples(self):
        """How many indices one epoch gives (the dataset's length unless set)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, count = len(self.data_source), self.num_samples
        rng = self._epoch_rng()
        if self.replacement:
            return iter(rng.integers(0, n, size=count).tolist())
        perms = [rng.permutation(n) for _ in range(-(-count // n))] if n else [np.zeros(0, np.int64)]
        return iter(np.concatenate(perms)[:count].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(_RandomBase):
    """The given indices in a random order each epoch."""

    def __init__(self, indices, generator=None):
        super().__init__(generator)
        self.indices = list(indices)

    def __iter__(self):
        rng = self._epoch_rng()
        return iter([self.indices[i] for i in rng.permutation(len(self.indices)).tolist()])

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (the last one shorter unless
    `drop_last`)."""

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
    """The share of a dataset's indices one rank of a data-parallel job visits (PyTorch's
    `DistributedSampler`): every epoch, all ranks compute the same order (a permutation from
    `seed + epoch` when `shuffle`, else 0, 1, ...), pad it by repeating indices from its start to a
    multiple of `num_replicas` (or drop the tail with `drop_last`), and rank r takes positions
    r, r + num_replicas, ... The shards are disjoint (up to the padding) and cover the dataset.
    Call `set_epoch(epoch)` before each epoch for a new shuffle; `num_replicas` and `rank` default
    to `sg.distributed.world_size()` and `rank()`."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed

            num_replicas = distributed.world_size() if num_replicas is None else num_replicas
            rank = distributed.rank() if rank is None else rank
        if not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = -(-n // self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """Selects the shuffle of epoch `epoch` (the same on every rank)."""
        self.epoch = int(epoch)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:
            order = np.resize(order, self.total_size) if n else order
        order = order[:self.total_size]
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def state_dict(self, in_epoch=False):
        """The epoch (which fixes the order); `in_epoch` is accepted for `DataLoader.state_dict`."""
        return {"kind": "epoch", "value": self.epoch}

    def load_state_dict(self, state):
        """Restores the epoch saved by `state_dict`."""
        self.epoch = int(state["value"])
