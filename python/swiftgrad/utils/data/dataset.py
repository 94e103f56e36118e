"""Map-style datasets: `Dataset`, `TensorDataset`, `Subset`, `ConcatDataset`, `random_split`."""
import bisect
import math

import numpy as np

from .sampler import resolve_generator


class Dataset:
    """A map-style dataset: `__getitem__(index)` gives one sample and `__len__` their number.
    Subclasses define both; `a + b` concatenates datasets."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are tuples of the rows `tensors[k][i]`; every tensor (or array, viewed as a tensor
    without copying) must have the same first dimension. The `DataLoader` takes whole batches of a
    TensorDataset with one gather per tensor instead of stacking rows."""

    def __init__(self, *tensors):
        from ... import asarray

        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(asarray(t) for t in tensors)
        sizes = {t.shape[0] if t.ndim else None for t in self.tensors}
        if None in sizes or len(sizes) != 1:
            raise ValueError("TensorDataset: size mismatch between tensors (first dimensions "
                             f"{[t.shape[0] if t.ndim else None for t in self.tensors]})")

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _get_batch(self, indices):
        """What `default_collate([self[i] for i in indices])` gives, by one `take` per tensor."""
        from ... import take

        idx = np.asarray(indices, dtype=np.int64)
        return tuple(take(t, idx, axis=0) for t in self.tensors)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The datasets one after the other; index `i` goes to the dataset it falls into."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise IndexError("absolute value of index should not exceed dataset length")
            index += len(self)
        if index >= len(self):
            raise IndexError(f"index {index} is out of range for a dataset of length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset, lengths, generator=None):
    """Splits `dataset` into non-overlapping `Subset`s of the given lengths, from a random permutation.

    `lengths` are counts summing to `len(dataset)`, or fractions summing to 1 (PyTorch: each gets
    floor(fraction * n), the remainder goes one by one to the first subsets). `generator` is a
    `numpy.random.Generator` or an int seed; None draws the permutation's seed from `sg.random`
    (so `sg.random.seed` makes the split reproducible)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, (float, np.floating)) for x in lengths) and math.isclose(sum(lengths), 1.0):
        if any(x < 0 or x > 1 for x in lengths):
            raise ValueError(f"random_split: fractions must be in [0, 1], got {lengths}")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths) or sum(int(x) for x in lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} do not sum to the dataset's length {n}")
    rng = resolve_generator(generator)
    order = rng.permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start:start + int(length)]))
        start += int(length)
    return out
