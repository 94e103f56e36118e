"""Random calls of swiftgrad's entry points with random shapes, dtypes, axes, indices and
NaN/inf/huge/empty inputs. Every failure must be a Python exception of an allowed type with a
message; anything else (a crash kills this process) fails. Run by test_fuzz.py in a
subprocess; run it directly for a longer search: `python fuzz_ops.py --examples 20000 --random`.
"""
import argparse
import sys
import warnings

import numpy as np
from hypothesis import HealthCheck, given, seed, settings, strategies as st
from hypothesis.extra import numpy as hnp

import swiftgrad as sg

TRACE = bool(__import__("os").environ.get("SWIFTGRAD_FUZZ_TRACE"))
ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, OverflowError, MemoryError)

UNARY = ["negative", "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "abs", "sign",
         "log1p", "expm1", "square", "copy"]
BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "matmul", "equal",
          "less", "greater_equal"]
REDUCE = ["sum", "mean", "max", "min", "prod"]

dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.int32, np.uint8, np.float16, np.complex128])
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
special = st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 1.0, -1.0])


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(dtypes))
    shape = draw(shapes)
    if dtype.kind == "f":
        return draw(hnp.arrays(dtype, shape, elements=st.one_of(special, st.floats(-10, 10, width=dtype.itemsize * 8))))
    if dtype.kind == "c":
        return np.zeros(shape, dtype)
    return draw(hnp.arrays(dtype, shape))


operands = st.one_of(arrays(), st.floats(allow_nan=True), st.integers(-(2**70), 2**70), st.booleans(), st.none(),
                     st.just("text"), st.lists(st.floats(-3, 3), max_size=4))
axes = st.one_of(st.none(), st.integers(-5, 5), st.tuples(st.integers(-4, 4), st.integers(-4, 4)), st.just("x"))
index_items = st.one_of(st.integers(-5, 5), st.slices(5), st.none(), st.just(Ellipsis), st.just(2**65), st.just(1.5))


@st.composite
def calls(draw):
    kind = draw(st.sampled_from(["unary", "binary", "reduce", "shape", "index", "setitem", "inplace", "grad",
                                 "create"]))
    a = draw(operands)
    if kind == "unary":
        return getattr(sg, draw(st.sampled_from(UNARY))), (a,), {}
    if kind == "binary":
        return getattr(sg, draw(st.sampled_from(BINARY))), (a, draw(operands)), {}
    if kind == "reduce":
        return getattr(sg, draw(st.sampled_from(REDUCE))), (a,), {"axis": draw(axes), "keepdims": draw(st.booleans())}
    if kind == "shape":
        op = draw(st.sampled_from(["reshape", "transpose", "broadcast_to", "expand_dims", "squeeze", "concatenate",
                                   "stack"]))
        shape_arg = draw(st.one_of(st.lists(st.integers(-2, 4), max_size=4).map(tuple), st.integers(-3, 3), st.none()))
        if op in ("concatenate", "stack"):
            return getattr(sg, op), ([a, draw(operands)], draw(st.integers(-3, 3))), {}
        return getattr(sg, op), (a, shape_arg), {}
    if kind == "index":
        key = tuple(draw(st.lists(index_items, max_size=4)))
        return (lambda t, k: sg.asarray(t)[k]), (a, key), {}
    if kind == "setitem":
        key = tuple(draw(st.lists(index_items, max_size=3)))

        def setitem(t, k, v):
            t = sg.tensor(t)
            t[k] = v
            return t

        return setitem, (a, key, draw(operands)), {}
    if kind == "inplace":
        def inplace(t, v):
            t = sg.tensor(t)
            t += v
            t *= v
            return t

        return inplace, (a, draw(operands)), {}
    if kind == "create":
        op = draw(st.sampled_from(["zeros", "ones", "arange", "eye", "linspace"]))
        # Small sizes, plus sizes that must be refused rather than allocated.
        size = st.one_of(st.integers(-3, 50), st.sampled_from([2**62, 2**45, -(2**40)]))
        arg = draw(st.one_of(size, st.floats(allow_nan=True),
                             st.lists(st.one_of(st.integers(-1, 3), size), max_size=3)))
        return getattr(sg, op), (arg,), {}

    def grad_call(t):
        x = sg.tensor(t, requires_grad=True)
        y = sg.sum(sg.tanh(x) * x)
        y.backward()
        y.backward()  # second backward through a freed graph must raise
        return x.grad

    return grad_call, (a,), {}


def check(call):
    fn, args, kwargs = call
    if TRACE:
        print(getattr(fn, "__name__", fn), repr(args)[:300], kwargs, flush=True)
    try:
        fn(*args, **kwargs)
    except ALLOWED as e:
        assert str(e), f"{type(e).__name__} without a message from {fn} {args!r}"


def main():
    warnings.simplefilter("ignore")  # NumPy's overflow warnings while hypothesis builds arrays
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=400)
    parser.add_argument("--random", action="store_true", help="non-derandomized, for local searching")
    args = parser.parse_args()
    config = settings(max_examples=args.examples, derandomize=not args.random, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
    test = config(given(calls())(check))
    if not args.random:
        test = seed(1234)(test)
    test()
    print(f"fuzz: {args.examples} examples, process survived")
    return 0


if __name__ == "__main__":
    sys.exit(main())
