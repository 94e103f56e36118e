"""Coverage-guided fuzzing of the extension's entry points with atheris (local use, not CI):

    pip install atheris
    PYTHONPATH=python python Tests/python/fuzz/atheris_ops.py -atheris_runs=200000

The fuzzer decodes its byte input into an operation, operands (shapes, dtypes, special values),
axes and index expressions. Allowed outcomes: a result, or ValueError/TypeError/IndexError/
RuntimeError/OverflowError with a message. Anything else, or a crash, is a finding.
"""
import sys
import warnings

import atheris
import numpy as np

with atheris.instrument_imports():
    import swiftgrad as sg

ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, OverflowError, MemoryError)
OPS = ["add", "subtract", "multiply", "divide", "power", "maximum", "matmul", "where", "sum", "max", "prod",
       "reshape", "transpose", "broadcast_to", "squeeze", "concatenate", "exp", "log", "sqrt", "index", "setitem",
       "iadd", "backward"]
DTYPES = [np.float64, np.float32, np.int64, np.bool_, np.int32, np.float16]
SPECIAL = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e308, 5e-324, 1.0, -1.0, 2.5]


def operand(fdp):
    if fdp.ConsumeIntInRange(0, 7) == 0:
        return fdp.PickValueInList([0.5, 3, True, None, "s", 2**70, [1.0, 2.0]])
    shape = tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 3)))
    values = [fdp.PickValueInList(SPECIAL) for _ in range(int(np.prod(shape)))]
    return np.array(values, dtype=np.float64).reshape(shape).astype(fdp.PickValueInList(DTYPES))


def index_key(fdp):
    items = []
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        kind = fdp.ConsumeIntInRange(0, 4)
        if kind == 0:
            items.append(fdp.ConsumeIntInRange(-6, 6))
        elif kind == 1:
            items.append(slice(fdp.ConsumeIntInRange(-6, 6), fdp.ConsumeIntInRange(-6, 6), fdp.ConsumeIntInRange(-3, 3)))
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
        else:
            getattr(sg, op)(a, b)
    except ALLOWED as e:
        if not str(e):
            raise AssertionError(f"{type(e).__name__} without a message") from e


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    atheris.Setup(sys.argv, run)
    atheris.Fuzz()
