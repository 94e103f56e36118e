"""Boundary fuzzer generated from the op list: every public operation of `sg`, `sg.linalg`,
`sg.nn.functional`, `sg.random`, indexing and the Tensor methods, called with every integer,
shape, axis and index parameter set to the values where integer arithmetic breaks (0, ±1, ±2**31,
±2**32, ±2**62, 2**63-1, -2**63, 2**64 and huge shapes). Each call must return or raise a Python
exception; a signal (a Swift trap, a segfault) is a failure.

The calls run in a worker process that reports each call before making it; when the worker dies
the runner records the call that killed it and starts a new worker after it, so one run finds
every crashing call. The worker's address space is capped (RLIMIT_AS) so that an allocation
that slips through the size checks fails instead of exhausting the machine.

`python boundary.py [--seed N] [--limit SECONDS] [--list]`; Tests/python/test_boundary.py runs it.
"""
import argparse
import inspect
import random
import re
import resource
import subprocess
import sys
import time

HOSTILE_INTS = [0, 1, -1, 2**31, -2**31, 2**32, -2**32, 2**62, -2**62, 2**63 - 1, -2**63, 2**64]
HOSTILE_SHAPES = [(2**32, 2**32), (2**62, 4), (4, 2**62), (-1, 2**62), (2**63 - 1,), (0, 2**63 - 1),
                  (3, -2**62), (-2**63,), (2**31, 2**31, 4), (2**21, 2**21, 2**21), (-1, -1), (2**64,)]
# Parameters that take a tensor; every other parameter is a target for hostile values.
TENSOR_PARAMS = {"x", "a", "A", "b", "x1", "x2", "y", "v", "array", "ary", "input", "target", "weight", "bias",
                 "condition", "m", "arr", "indices", "index", "src", "source", "query", "key", "value", "mask",
                 "logits", "labels", "tensor", "other", "data", "t", "q", "k_", "running_mean", "running_var",
                 "tensors", "arrays", "operands", "xs", "fill_value", "values", "cond", "p", "self"}
SHAPE_PARAMS = {"shape", "newshape", "size", "reps", "pad_width", "axes", "axis", "dim", "shift", "source",
                "destination", "indices_or_sections", "kernel_size", "stride", "padding", "dilation",
                "output_size", "normalized_shape", "repeats", "s", "dims"}
SKIP = {"compile", "checkpoint", "checkpoint_sequential", "custom_jvp", "custom_vjp", "detect_anomaly",
        "enable_grad", "no_grad", "set_grad_enabled", "show_config", "gradcheck", "gradgradcheck", "grad",
        "value_and_grad", "vjp", "jvp", "linearize", "jacfwd", "jacrev", "jacobian", "hessian", "hvp",
        "Function", "FunctionCtx", "GradcheckError", "Graph", "CompiledFunction", "Tensor", "from_dlpack",
        "from_numpy", "is_grad_enabled", "set_num_threads", "get_num_threads", "seed", "EighResult",
        "QRResult", "SVDResult", "SlogdetResult",
        # Files and process-wide settings: not pure operations (their own tests cover bad arguments).
        "save", "load", "set_default_dtype", "get_default_dtype", "default_dtype", "testing"}


def op_list():
    """(qualified name, callable) for every public operation."""
    import swiftgrad as sg
    import swiftgrad.nn.functional as F

    ops = []
    for prefix, module in (("sg", sg), ("sg.linalg", sg.linalg), ("F", F), ("sg.random", sg.random)):
        for name in sorted(dir(module)):
            f = getattr(module, name)
            if name.startswith("_") or name in SKIP or not callable(f) or isinstance(f, type):
                continue
            ops.append((f"{prefix}.{name}", f))
    for name in sorted(dir(sg.Tensor)):
        f = getattr(sg.Tensor, name)
        if name.startswith("_") or name in SKIP or not callable(f):
            continue
        ops.append((f"Tensor.{name}", f))
    return ops


def parameters(f):
    """[(name, has_default, is_variadic)] from the signature, or the docstring's first line."""
    try:
        sig = inspect.signature(f)
        return [(p.name, p.default is not p.empty, p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
                for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD]
    except (TypeError, ValueError):
        pass
    first = (getattr(f, "__doc__", None) or "").strip().split("\n")[0]
    match = re.match(r"^[\w.]+\((.*?)\)", first)
    if not match:
        return [("x", False, False), ("arg", False, False)]
    out = []
    for part in (p.strip() for p in match.group(1).split(",")):
        if not part or part in ("/", "*"):
            continue
        name = part.split("=")[0].strip().lstrip("*")
        out.append((name, "=" in part, part.startswith("*")))
    return out


def tensor_for(name):
    import swiftgrad as sg

    if name in ("indices", "index", "labels", "target"):
        return sg.tensor([[0, 1, 0], [1, 0, 1]])
    if name in ("tensors", "arrays", "operands", "xs"):
        return [sg.zeros((2, 3)), sg.ones((2, 3))]
    return sg.ones((2, 3))


def calls(seed=0):
    """The list of (label, thunk) calls: every hostile value for every parameter, plus, drawn with
    `seed`, hostile values for two parameters at once."""
    import swiftgrad as sg

    pick = random.Random(seed)
    out = []
    for qualified, f in op_list():
        params = parameters(f)
        method = qualified.startswith("Tensor.")
        if method:
            params = [("self", False, False)] + [p for p in params if p[0] != "self"]
        base = {}
        for name, has_default, _variadic in params:
            if name in TENSOR_PARAMS or (not base and not has_default and name not in SHAPE_PARAMS
                                          and name not in ("N", "n", "start", "stop", "num", "k", "low", "high")):
                base[name] = tensor_for(name)
        targets = [p for p in params if p[0] not in base]
        if not targets:
            out.append((f"{qualified}(tensors)", _thunk(f, params, base, None, None)))
        for name, has_default, _variadic in targets:
            values = list(HOSTILE_INTS)
            if name in SHAPE_PARAMS or name in ("N", "n") or not has_default:
                values += HOSTILE_SHAPES
            for v in values:
                out.append((f"{qualified}({name}={v!r})", _thunk(f, params, base, name, v)))
        for _ in range(4 if len(targets) >= 2 else 0):
            (n1, *_), (n2, *_) = pick.sample(targets, 2)
            v1, v2 = pick.choice(HOSTILE_INTS + HOSTILE_SHAPES), pick.choice(HOSTILE_INTS + HOSTILE_SHAPES)
            out.append((f"{qualified}({n1}={v1!r}, {n2}={v2!r})", _thunk(f, params, base, {n1: v1, n2: v2}, None)))
    # Indexing and slicing, read and write.
    for v in HOSTILE_INTS:
        for key in (v, slice(None, None, v), slice(v, None), slice(None, v), slice(v, v, v), (Ellipsis, v),
                    (slice(None), slice(None, None, v)), [v], (None, v), ([0, 1], [v, 0])):
            out.append((f"x[{key!r}]", lambda key=key: sg.ones((2, 3))[key]))
            out.append((f"x[{key!r}] = 1", lambda key=key: sg.ones((2, 3)).__setitem__(key, 1.0)))
    for v in HOSTILE_SHAPES:
        out.append((f"zeros{v!r}.reshape", lambda v=v: sg.zeros(4).reshape(v)))
        out.append((f"broadcast_to{v!r}", lambda v=v: sg.broadcast_to(sg.zeros(1), v)))
        # Graph mode infers shapes again while recording and replaying.
        out.append((f"compile(reshape{v!r})", lambda v=v: sg.compile(lambda x: sg.reshape(x, v))(sg.zeros(4))))
        out.append((f"compile(tile{v!r})", lambda v=v: sg.compile(lambda x: sg.tile(x, v))(sg.zeros(4))))
    for v in HOSTILE_INTS:
        out.append((f"compile(x[::{v}])", lambda v=v: sg.compile(lambda x: x[::v] * 2)(sg.zeros((2, 3)))))
        out.append((f"compile(sum(axis={v}))", lambda v=v: sg.compile(lambda x: sg.sum(x, axis=v))(sg.zeros((2, 3)))))
    return out


def covered_ops():
    """The qualified names of the ops that at least one generated call exercises."""
    return {label.split("(")[0] for label, _ in calls()}


def _thunk(f, params, base, target, value):
    targets = target if isinstance(target, dict) else {target: value}

    def call():
        args, kwargs = [], {}
        for name, has_default, variadic in params:
            if name in base:
                arg = base[name]
            elif name in targets:
                arg = targets[name]
            elif has_default:
                continue
            else:
                arg = 1
            if variadic:
                args.extend(arg if isinstance(arg, list) else [arg])
            elif has_default and name in targets:
                kwargs[name] = arg
            else:
                args.append(arg)
        return f(*args, **kwargs)
    return call


ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, OverflowError, MemoryError, NotImplementedError,
           KeyError, AttributeError, ZeroDivisionError)


def worker(start, seed):
    """Runs calls[start:] in the shuffled order of `seed`, announcing each on stdout."""
    cap = 6 << 30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import warnings

    warnings.simplefilter("ignore")
    items = calls(seed)
    random.Random(seed).shuffle(items)
    for i in range(start, len(items)):
        label, thunk = items[i]
        sys.stdout.write(f"CALL {i}\n")
        sys.stdout.flush()
        try:
            thunk()
        except ALLOWED as e:
            if not str(e):
                sys.stdout.write(f"EMPTY {i} {type(e).__name__}\n")
        except Exception as e:  # an exception outside the allowed kinds is a finding too
            sys.stdout.write(f"BADEXC {i} {type(e).__name__}: {str(e)[:200]}\n")
    sys.stdout.write("DONE\n")


def run(seed, limit):
    """Runs every call, restarting after crashes; returns (count, crashes, bad exceptions)."""
    total = len(calls(seed))
    crashes, bad = [], []
    start = 0
    deadline = time.monotonic() + limit
    labels = None
    while start < total and time.monotonic() < deadline:
        proc = subprocess.Popen([sys.executable, __file__, "--worker", str(start), "--seed", str(seed)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        last = start - 1
        finished = False
        for line in proc.stdout:
            if line.startswith("CALL "):
                last = int(line.split()[1])
            elif line.startswith(("BADEXC", "EMPTY")):
                bad.append(line.strip())
            elif line.startswith("DONE"):
                finished = True
            if time.monotonic() > deadline:
                proc.kill()
                break
        proc.wait()
        if finished:
            start = total
        elif proc.returncode and last >= start:
            if labels is None:
                items = calls(seed)
                random.Random(seed).shuffle(items)
                labels = [label for label, _ in items]
            crashes.append(f"signal {-proc.returncode}: {labels[last]}")
            start = last + 1
        else:
            break
    return total, start, crashes, bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--limit", type=float, default=110.0, help="seconds for the whole run")
    parser.add_argument("--worker", type=int)
    parser.add_argument("--list", action="store_true", help="print the generated calls and exit")
    args = parser.parse_args()
    if args.worker is not None:
        return worker(args.worker, args.seed)
    if args.list:
        for label, _ in calls():
            print(label)
        return None
    print(f"boundary fuzzer: seed {args.seed}", flush=True)
    total, reached, crashes, bad = run(args.seed, args.limit)
    items = calls(args.seed)
    random.Random(args.seed).shuffle(items)
    for line in crashes:
        print(line)
    for line in bad:
        print(line, "<-", items[int(line.split()[1])][0])
    print(f"{reached} of {total} calls run, {len(crashes)} crashes, {len(bad)} bad exceptions", flush=True)
    sys.exit(1 if crashes or bad or reached < total else 0)


if __name__ == "__main__":
    main()
