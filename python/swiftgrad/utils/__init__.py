"""Utilities around training: `sg.utils.data` (datasets, samplers, `DataLoader`) and
`sg.utils.checkpoint_io` (saving and resuming training runs). See docs/NN_AND_OPTIM.md."""
from . import checkpoint_io, data

__all__ = ["checkpoint_io", "data"]
