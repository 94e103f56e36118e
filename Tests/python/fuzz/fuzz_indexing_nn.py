"""Seeded random calls of the indexing, gather/scatter and nn entry points (advanced keys with
huge, negative, empty and boolean arrays; convolution and pooling with bad geometry). Every failure
must be an allowed Python exception; a crash kills the process. Run by test_fuzz.py; locally:
`python fuzz_indexing_nn.py 200000 <seed>`."""
import random
import sys

import numpy as np

import swiftgrad as sg
from swiftgrad import _C

F = sg.nn.functional
rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, OverflowError, MemoryError)
def rand_arr():
    shape = tuple(rng.integers(0, 4, rng.integers(0, 4)))
    kind = random.choice(["f", "i", "b", "huge", "neg"])
    if kind == "f":
        return rng.standard_normal(shape)
    if kind == "i":
        return rng.integers(-5, 5, shape)
    if kind == "b":
        return rng.random(shape) > 0.5
    if kind == "huge":
        return np.full(shape, 2**62, dtype=np.int64)
    return np.full(shape, -2**62, dtype=np.int64)
def rand_key():
    items = []
    for _ in range(rng.integers(0, 4)):
        c = random.choice(["int", "slice", "none", "ell", "arr", "list", "hugeint"])
        items.append({"int": lambda: int(rng.integers(-4, 4)),
                      "slice": lambda: slice(int(rng.integers(-4, 4)), None, random.choice([1, -1, 2])),
                      "none": lambda: None, "ell": lambda: Ellipsis, "arr": rand_arr,
                      "list": lambda: list(rng.integers(-3, 3, rng.integers(0, 3))),
                      "hugeint": lambda: 2**62}[c]())
    return tuple(items)
ops = [
    lambda: sg.tensor(rand_arr())[rand_key()],
    lambda: sg.tensor(rand_arr()).__setitem__(rand_key(), rand_arr()),
    lambda: sg.gather(rand_arr(), int(rng.integers(-3, 3)), rand_arr()),
    lambda: sg.scatter_add(rand_arr(), int(rng.integers(-3, 3)), rand_arr(), rand_arr()),
    lambda: sg.index_add(rand_arr(), int(rng.integers(-3, 3)), rand_arr(), rand_arr()),
    lambda: _C.im2col(rand_arr(), *[int(v) for v in rng.integers(-1, 4, 6)]),
    lambda: F.conv2d(rand_arr(), rand_arr(), stride=int(rng.integers(0, 3)), padding=int(rng.integers(-1, 3))),
    lambda: F.max_pool2d(rand_arr(), int(rng.integers(0, 3))),
    lambda: F.layer_norm(rand_arr(), tuple(rng.integers(0, 3, rng.integers(0, 2)))),
    lambda: F.embedding(rand_arr(), rand_arr()),
    lambda: F.one_hot(rand_arr(), int(rng.integers(-1, 4))),
    lambda: sg.take(rand_arr(), rand_arr(), axis=int(rng.integers(-2, 2))),
    lambda: sg.take_along_axis(rand_arr(), rand_arr(), axis=int(rng.integers(-2, 2))),
    lambda: sg.linalg.eigh(rand_arr()),
    lambda: sg.linalg.svd(rand_arr()),
    lambda: sg.linalg.qr(rand_arr()),
    lambda: sg.linalg.slogdet(rand_arr()),
    lambda: sg.linalg.pinv(rand_arr()),
    lambda: sg.linalg.lstsq(rand_arr(), rand_arr()),
    lambda: sg.linalg.matrix_power(rand_arr(), int(rng.integers(-3, 4))),
    lambda: sg.grad(lambda a: sg.sum(sg.linalg.svd(a).S))(rand_arr()),
    lambda: sg.grad(lambda a: sg.linalg.det(a))(rand_arr()),
]
n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
for _ in range(n):
    op = random.randrange(len(ops))
    try:
        ops[op]()
    except ALLOWED:
        pass
    except Exception as e:
        print("bad exception", op, type(e).__name__, e)
        sys.exit(1)
print(f"fuzz: {n} calls, process survived")

