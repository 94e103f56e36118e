"""Embedding and attention for `sg.nn.functional`, composed from swiftgrad operations."""
import math

from .. import _C
from .._tensor import Tensor


def embedding(input, weight):
    """Rows of `weight` (num_embeddings, dim) picked by integer `input`; the gradient of a row is
    the sum over its uses (a scatter-add)."""
    return _C.take(weight, input, axis=0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) v over the last two axes (scale 1/sqrt(d) by default). A
    boolean mask keeps the True positions; a float mask is added to the scores."""
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {tuple(q.shape)}, key {tuple(k.shape)} and value "
                         f"{tuple(v.shape)} do not fit (q, k share the last axis; k, v the second last)")
    d = q.shape[-1]
    scores = _C.multiply(_C.matmul(q, _C.swapaxes(k, -1, -2)), (1.0 / math.sqrt(d)) if scale is None else scale)
    if is_causal:
        import numpy as np

        causal = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
        scores = _C.where(causal, scores, -math.inf)
    if attn_mask is not None:
        mask = _as_tensor(attn_mask)
        scores = _C.where(mask, scores, -math.inf) if mask.dtype == bool else _C.add(scores, mask)
    return _C.matmul(_C.softmax(scores, -1), v)


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    from .. import asarray

    return asarray(x)

