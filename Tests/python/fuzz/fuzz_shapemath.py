"""Random calls of the issue-5 shape and math operators (and a gradient through them) with random
shapes, dtypes, NaN/inf, empty and 0-d arrays, and huge or malformed integer arguments. Every
failure must be an allowed Python exception; a crash kills this process. Run by
test_fuzz_shapemath.py in a subprocess; `python fuzz_shapemath.py --calls 100000 --seed 7` for longer.
Sizes stay small or far beyond memory (rejected): a request that fits in memory is honoured."""
import argparse
import random
import sys
import warnings

import numpy as np

import swiftgrad as sg

ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, OverflowError, MemoryError)
SPECS = ["ij,jk", "ii", "...i,...i->...", "i,i", "ab->ba", "ij->", "iij->j", "a...b", "..,", "ij,jk->ik",
         "abc,cd->abd", "i->ii", "ij,jk,kl", "", "->", "A,a"]
MODES = ["constant", "reflect", "symmetric", "edge", "wrap", "bad"]


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trace", action="store_true")
    opts = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    r = random.Random(opts.seed)

    def arr():
        shape = tuple(r.randint(0, 3) for _ in range(r.randint(0, 3)))
        a = np.random.default_rng(r.randint(0, 99)).uniform(-3, 3, shape)
        if r.random() < 0.2 and a.size:
            a.flat[0] = r.choice([np.nan, np.inf, -np.inf, 0.0])
        return a.astype(r.choice([np.float64, np.float32, np.int64, np.bool_]))

    def ival():
        return r.choice([0, 1, -1, 2, -2, 3, 5, -5, 2**40, -2**62, 2**62, 2**63 - 1, -2**63])

    def ints():
        return r.choice([ival(), tuple(ival() for _ in range(r.randint(0, 3))), None, 1.5, "x", [[1, 2]],
                         np.array([1, 2])])

    def axis():
        return r.choice([None, ival()])

    ops = {
        "floor": lambda: (arr(),), "ceil": lambda: (arr(),), "round": lambda: (arr(), ival()),
        "erf": lambda: (arr(),), "sinh": lambda: (arr(),), "cosh": lambda: (arr(),), "arcsin": lambda: (arr(),),
        "arccos": lambda: (arr(),), "arctan": lambda: (arr(),), "log_sigmoid": lambda: (arr(),),
        "gelu": lambda: (arr(), r.choice(["none", "tanh", "x"])), "logaddexp": lambda: (arr(), arr()),
        "hypot": lambda: (arr(), arr()), "arctan2": lambda: (arr(), arr()),
        "cumsum": lambda: (arr(), axis()), "cumprod": lambda: (arr(), axis()),
        "argmax": lambda: (arr(), axis()), "argmin": lambda: (arr(), axis()),
        "sort": lambda: (arr(), axis()), "argsort": lambda: (arr(), axis()),
        "topk": lambda: (arr(), ival(), ival()), "flip": lambda: (arr(), ints()),
        "roll": lambda: (arr(), ints(), ints()), "moveaxis": lambda: (arr(), ints(), ints()),
        "swapaxes": lambda: (arr(), ival(), ival()), "ravel": lambda: (arr(),), "flatten": lambda: (arr(),),
        "tile": lambda: (arr(), ints()), "repeat": lambda: (arr(), ints(), axis()),
        "pad": lambda: (arr(), ints(), r.choice(MODES)), "tril": lambda: (arr(), ival()),
        "triu": lambda: (arr(), ival()), "diag": lambda: (arr(), ival()),
        "diagonal": lambda: (arr(), ival(), ival(), ival()),
        "meshgrid": lambda: tuple(arr() for _ in range(r.randint(0, 3))),
        "einsum": lambda: (r.choice(SPECS),) + tuple(arr() for _ in range(r.randint(0, 3))),
    }
    names = sorted(ops)
    for _ in range(opts.calls):
        name = r.choice(names)
        args = ops[name]()
        if opts.trace:
            print(name, repr(args)[:300], flush=True)
        try:
            getattr(sg, name)(*args)
            first = args[0] if args else None
            if isinstance(first, np.ndarray) and first.dtype.kind == "f":
                x = sg.tensor(first, requires_grad=True)
                y = getattr(sg, name)(x, *args[1:])
                y = y[0] if isinstance(y, tuple) else y
                if y.dtype.kind == "f":
                    sg.autograd.grad(sg.sum(y), [x], allow_unused=True)
        except ALLOWED as e:
            assert str(e), f"{name}: {type(e).__name__} without a message"
        except Exception as e:  # noqa: BLE001  (anything else is a finding)
            print(f"unexpected {type(e).__name__} from {name}{args!r}: {e}")
            return 1
    print(f"{opts.calls} calls: process survived")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
