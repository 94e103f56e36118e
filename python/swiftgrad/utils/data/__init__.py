"""Datasets, samplers and `DataLoader` with PyTorch's names (`torch.utils.data`):
`Dataset`, `TensorDataset`, `Subset`, `ConcatDataset`, `random_split`, `Sampler`,
`SequentialSampler`, `RandomSampler`, `SubsetRandomSampler`, `BatchSampler`, `DistributedSampler`,
`default_collate` and `DataLoader` (batching, shuffling from a seed or generator, worker processes)."""
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, DistributedSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler
from .dataloader import DataLoader, default_collate, get_worker_info

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "BatchSampler", "DistributedSampler", "DataLoader",
           "default_collate", "get_worker_info"]
