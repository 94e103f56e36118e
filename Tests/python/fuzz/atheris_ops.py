"""Coverage-guided fuzzing of the extension's entry points with atheris (libFuzzer for Python).
CI runs it for 60 s (Tests/python/test_atheris.py); a longer local search:

    PYTHONPATH=python python Tests/python/fuzz/atheris_ops.py -max_total_time=3600

The fuzzer decodes its byte input into an operation (the named ones below, or any op of the
boundary fuzzer's op list), operands (shapes, dtypes, special values, and memory layouts: negative,
zero and non-unit strides, misaligned and read-only buffers), axes, index expressions and autograd
actions (backward, create_graph, grad of grad, in-place writes after recording, hooks). Allowed
outcomes: a result, or an allowed exception with a message. Anything else, or a crash, is a
finding; each finding becomes a regression test.
"""
import os
import resource
import sys
import warnings

import atheris
import numpy as np

with atheris.instrument_imports():
    import swiftgrad as sg

ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, OverflowError, MemoryError, NotImplementedError,
           ZeroDivisionError)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boundary  # noqa: E402

# The integer limits and small values (a uniformly drawn 64-bit integer almost never hits either).
INTS = boundary.HOSTILE_INTS + list(range(-3, 6))
# Legitimate allocations of several GiB (sg.ones(2**29)) would exhaust the machine: under this cap
# they raise MemoryError, as the core checks the address-space limit before allocating.
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

with atheris.instrument_imports():
    OP_LIST = boundary.op_list()
OPS = ["add", "subtract", "multiply", "divide", "power", "maximum", "matmul", "where", "sum", "max", "prod",
       "reshape", "transpose", "broadcast_to", "squeeze", "concatenate", "exp", "log", "sqrt", "index", "setitem",
       "iadd", "backward", "create_graph", "inplace_after_record", "hook", "listed_op", "listed_op_int"]
DTYPES = [np.float64, np.float32, np.int64, np.bool_, np.int32, np.float16]
SPECIAL = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e308, 5e-324, 1.0, -1.0, 2.5]


def operand(fdp):
    if fdp.ConsumeIntInRange(0, 7) == 0:
        return fdp.PickValueInList([0.5, 3, True, None, "s", 2**70, [1.0, 2.0]])
    shape = tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 3)))
    values = [fdp.PickValueInList(SPECIAL) for _ in range(int(np.prod(shape)))]
    a = np.array(values, dtype=np.float64).reshape(shape).astype(fdp.PickValueInList(DTYPES))
    return layout(fdp, a)


def layout(fdp, a):
    """The same values in another memory layout, as NumPy views can have them."""
    kind = fdp.ConsumeIntInRange(0, 6)
    if kind == 1 and a.ndim:
        return a[::-1]  # negative stride
    if kind == 2 and a.ndim and a.shape[0]:
        return np.broadcast_to(a[:1], (fdp.ConsumeIntInRange(0, 4),) + a.shape[1:])  # zero stride
    if kind == 3 and a.ndim:
        return np.repeat(a, 2, axis=0)[::2]  # non-unit stride
    if kind == 4:
        raw = np.zeros(a.nbytes + a.itemsize + 1, np.uint8)  # misaligned by one byte
        view = np.frombuffer(raw.data, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
        view[...] = a
        return view
    if kind == 5:
        a = a.copy()
        a.flags.writeable = False
        return a
    return a


def index_key(fdp):
    items = []
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        kind = fdp.ConsumeIntInRange(0, 4)
        if kind == 0:
            items.append(fdp.ConsumeIntInRange(-6, 6))
        elif kind == 1:
            items.append(slice(fdp.ConsumeIntInRange(-6, 6), fdp.ConsumeIntInRange(-6, 6),
                               fdp.ConsumeIntInRange(-3, 3)))
        elif kind == 2:
            items.append(None)
        elif kind == 3:
            items.append(Ellipsis)
        else:
            items.append(2**64)
    return tuple(items)


def run(data):
    fdp = atheris.FuzzedDataProvider(data)
    op = fdp.PickValueInList(OPS)
    a, b = operand(fdp), operand(fdp)
    axis = fdp.PickValueInList([None, 0, 1, -1, 5, (0, 1), (0, 0)])
    try:
        if op in ("sum", "max", "prod"):
            getattr(sg, op)(a, axis=axis, keepdims=fdp.ConsumeBool())
        elif op in ("exp", "log", "sqrt"):
            getattr(sg, op)(a)
        elif op == "where":
            sg.where(a, b, operand(fdp))
        elif op in ("reshape", "broadcast_to"):
            getattr(sg, op)(a, tuple(fdp.ConsumeIntInRange(-2, 4) for _ in range(fdp.ConsumeIntInRange(0, 3))))
        elif op == "transpose":
            sg.transpose(a, axis if isinstance(axis, tuple) else None)
        elif op == "squeeze":
            sg.squeeze(a, axis)
        elif op == "concatenate":
            sg.concatenate([a, b], fdp.ConsumeIntInRange(-3, 3))
        elif op == "index":
            sg.asarray(a)[index_key(fdp)]
        elif op == "setitem":
            t = sg.tensor(a)
            t[index_key(fdp)] = b
        elif op == "iadd":
            t = sg.tensor(a)
            t += b
        elif op == "backward":
            x = sg.tensor(a, requires_grad=True)
            sg.sum(x * x).backward(retain_graph=fdp.ConsumeBool())
        elif op == "create_graph":
            x = sg.tensor(a, requires_grad=True)
            g, = sg.autograd.grad(sg.sum(sg.sin(x) * x), [x], create_graph=True)
            sg.sum(g * g).backward()
        elif op == "inplace_after_record":
            x = sg.tensor(a, requires_grad=True)
            y = x * 2
            z = sg.exp(y)
            y += sg.asarray(b) if fdp.ConsumeBool() else 1.0
            sg.sum(z).backward()
        elif op == "hook":
            x = sg.tensor(a, requires_grad=True)
            replacement = fdp.PickValueInList([None, 0.0, "bad", (1, 2), operand(fdp)])
            x.register_hook(lambda g: replacement if replacement is None or not isinstance(replacement, np.ndarray)
                            else sg.asarray(replacement))
            sg.sum(x * 3).backward()
        elif op in ("listed_op", "listed_op_int"):
            name, fn = fdp.PickValueInList(OP_LIST)
            extra = [fdp.PickValueInList(INTS)] if op == "listed_op_int" else []
            as_tensor = name.startswith("Tensor.") or fdp.ConsumeBool()  # methods need a tensor as self
            if os.environ.get("SWIFTGRAD_FUZZ_TRACE"):
                print(name, getattr(a, "shape", a), extra, file=sys.stderr)
            fn(sg.asarray(a) if as_tensor else a, *extra)
        else:
            getattr(sg, op)(a, b)
    except ALLOWED as e:
        if not str(e):
            raise AssertionError(f"{type(e).__name__} without a message") from e


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    atheris.Setup(sys.argv, run)
    atheris.Fuzz()
