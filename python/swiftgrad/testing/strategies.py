"""Hypothesis strategies producing swiftgrad tensors, modelled on hypothesis.extra.numpy.

    from hypothesis import given
    from swiftgrad.testing import strategies as sgst

    @given(sgst.tensors(dtype="float64", shape=sgst.array_shapes(max_dims=3)))
    def test_double(x): ...

Needs hypothesis (`pip install hypothesis`); `swiftgrad.testing` itself does not.
"""
try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as err:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("swiftgrad.testing.strategies needs hypothesis: pip install hypothesis") from err

import numpy as np

__all__ = ["DTYPES", "array_shapes", "arrays_and_axes", "broadcastable_shapes", "dtypes",
           "mutually_broadcastable_shapes", "tensors"]

DTYPES = ("bool", "int64", "float32", "float64")  # the dtypes swiftgrad has


def dtypes(names=DTYPES):
    """A strategy drawing one of swiftgrad's dtypes (as NumPy dtype objects) from `names`."""
    for name in names:
        if name not in DTYPES:
            raise ValueError(f"swiftgrad has no dtype {name!r}; choose from {DTYPES}")
    return st.sampled_from([np.dtype(n) for n in names])


def array_shapes(*, min_dims=1, max_dims=None, min_side=1, max_side=None):
    """Shapes (tuples of ints), as hypothesis.extra.numpy.array_shapes."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(shape, *, min_dims=0, max_dims=None, min_side=1, max_side=None):
    """Shapes that broadcast with `shape`, as hypothesis.extra.numpy.broadcastable_shapes."""
    return hnp.broadcastable_shapes(tuple(shape), min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                    max_side=max_side)


def mutually_broadcastable_shapes(num_shapes, *, base_shape=(), min_dims=0, max_dims=None, min_side=1,
                                  max_side=None):
    """`num_shapes` shapes that broadcast together (a named tuple of input_shapes and result_shape),
    as hypothesis.extra.numpy.mutually_broadcastable_shapes."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, base_shape=tuple(base_shape), min_dims=min_dims,
                                             max_dims=max_dims, min_side=min_side, max_side=max_side)


def _default_elements(dtype):
    if dtype.kind == "f":  # finite values whose products and exponentials stay finite
        return st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=dtype.itemsize * 8)
    if dtype.kind == "i":
        return st.integers(-(2 ** 31), 2 ** 31 - 1)
    return None


def tensors(dtype="float64", shape=None, *, elements=None, fill=None, unique=False, requires_grad=False):
    """Swiftgrad tensors, as hypothesis.extra.numpy.arrays: `dtype` is a dtype-like or a strategy
    of them (see `dtypes`); `shape` an int, a tuple or a strategy of shapes (default: up to 3
    dimensions of up to 5 elements); `elements` a strategy of values (default: finite floats in
    [-1e3, 1e3], 32-bit-range integers, booleans). `requires_grad` marks float tensors as leaves
    of the autograd graph."""
    from .. import tensor

    if shape is None:
        shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)

    def build(dt):
        dt = np.dtype(dt)
        if dt.name not in DTYPES:
            raise ValueError(f"swiftgrad has no dtype {dt}; choose from {DTYPES}")
        arrays = hnp.arrays(dt, shape, elements=elements if elements is not None else _default_elements(dt),
                            fill=fill, unique=unique)
        return arrays.map(lambda a: tensor(a, requires_grad=requires_grad and dt.kind == "f"))

    if isinstance(dtype, st.SearchStrategy):
        return dtype.flatmap(build)
    return build(dtype)


@st.composite
def arrays_and_axes(draw, dtype="float64", shape=None, *, elements=None, allow_none=True, allow_tuple=True,
                    min_dims=0):
    """Pairs (tensor, axis) for reductions: `axis` is None (if allow_none), an int (negative ones
    included) or a tuple of distinct ints (if allow_tuple) valid for the tensor's ndim."""
    if shape is None:
        shape = hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=1, max_side=4)
    x = draw(tensors(dtype, shape, elements=elements))
    choices = []
    if allow_none:
        choices.append(st.none())
    if x.ndim:
        choices.append(st.integers(-x.ndim, x.ndim - 1))
        if allow_tuple:
            choices.append(hnp.valid_tuple_axes(x.ndim, min_size=1))
    if not choices:
        choices.append(st.just(()))
    return x, draw(st.one_of(*choices))
