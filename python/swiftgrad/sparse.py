"""Row-sparse tensors: the gradients of `nn.Embedding(sparse=True)` (docs/NN_AND_OPTIM.md,
"Sparse gradients"). A row-sparse tensor has a dense shape and dtype, `is_sparse` True, and holds
row `indices()` with their `values()`; the representation lives in the Swift core."""
from . import _C

__all__ = ["row_sparse"]


def row_sparse(indices, values, num_rows):
    """A row-sparse tensor of shape (num_rows,) + values.shape[1:]: row indices[i] holds
    values[i] (repeated indices add up). Useful to build or replace gradients in hooks."""
    return _C.sparse_rows(indices, values, int(num_rows))
