"""NumPy's argument conventions for operations the core declares in a simpler form: the work is in
Swift (`_C._tensordot`, `_C._unique_all`); this module only maps the arguments."""
import operator as _operator

from . import _C


def tensordot(a, b, axes=2):
    """NumPy's tensordot: `axes` an int N (a's last N axes with b's first N) or a pair of axis
    sequences."""
    from . import asarray

    a, b = asarray(a), asarray(b)
    if isinstance(axes, int) or hasattr(axes, "__index__"):
        n = _operator.index(axes)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={n} is out of range for shapes {tuple(a.shape)} and {tuple(b.shape)}")
        return _C._tensordot(a, b, list(range(a.ndim - n, a.ndim)), list(range(n)))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise TypeError(f"tensordot: axes must be an int or a pair of axis sequences, got {axes!r}") from None
    return _C._tensordot(a, b, _axis_list(axes_a), _axis_list(axes_b))


def _axis_list(axes):
    return [_operator.index(axes)] if isinstance(axes, int) else [_operator.index(i) for i in axes]


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """NumPy's unique of the flattened array: sorted values, and on request the first indices,
    the inverse (shaped like `ar`, as NumPy 2) and the counts. NaNs are each their own value (the
    array API's rule; NumPy's `equal_nan=True` default merges them). The values carry gradients."""
    if axis is not None:
        raise NotImplementedError("unique: only axis=None (the flattened array) is supported")
    values, index, inverse, counts = _C._unique_all(ar)
    extra = [t for t, wanted in ((index, return_index), (inverse, return_inverse), (counts, return_counts)) if wanted]
    return (values, *extra) if extra else values
