"""The core's operation table (Note [One op table]) against everything built from it: every
operation is published under its Python name, exercised by the op test table, declared in the
stubs, and listed in docs/OPERATORS.md. Adding a primitive without its OpCase fails here."""
import importlib.util
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL
from swiftgrad import _C

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = list(_C.operations)


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_is_nonempty_and_names_are_unique():
    names = [op.__name__ for op in OPERATIONS]
    assert len(names) > 100
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.__name__)
def test_each_operation_is_published_under_its_name(op):
    assert getattr(_C, op.__name__) is op
    if op.namespace == "":
        assert getattr(sg, op.__name__) is op
    elif op.namespace == "linalg":
        assert getattr(sg.linalg, op.__name__) is op
    elif op.namespace == "fft":
        assert getattr(sg.fft, op.__name__) is op
    elif op.namespace == "nn.functional":
        assert getattr(sg.nn.functional, op.__name__) is op
    else:
        assert op.namespace == "_"
        assert getattr(sg, op.__name__, None) is not op and getattr(sg.linalg, op.__name__, None) is not op
    if op.method:
        assert getattr(sg.Tensor, op.method) is op
    assert op.__doc__.startswith(op.__name__ + op.__text_signature__)


def test_every_operation_is_exercised_by_the_op_table():
    previous = _C.count_operation_calls(True)
    try:
        for case in ALL:
            case.fn(*[sg.tensor(a) for a in case.inputs()])
        calls = _C.operation_calls()
    finally:
        _C.count_operation_calls(previous)
    unexercised = [op.__name__ for op, n in zip(OPERATIONS, calls) if n == 0]
    assert unexercised == [], f"operations no OpCase in Tests/python/op_table.py calls: {unexercised}"


def test_counting_is_off_by_default_and_counts_calls():
    assert _C.count_operation_calls(False) is False
    _C.count_operation_calls(True)
    sg.exp(np.ones(3))
    sg.exp(np.ones(3))
    calls = _C.operation_calls()
    _C.count_operation_calls(False)
    assert calls[OPERATIONS.index(sg.exp)] == 2
    assert calls[OPERATIONS.index(sg.log)] == 0


def test_stubs_are_generated_from_the_table():
    gen = _script("gen_stubs")
    current = (ROOT / "python" / "swiftgrad" / "_C.pyi").read_text()
    table = gen.read_table(sg._isa.info()["library"])
    assert gen.render(gen.TEMPLATE.read_text(), table) == current, "rebuild: make build"
    assert [name for name, *_ in table] == [op.__name__ for op in OPERATIONS]
    for op in OPERATIONS:
        assert f"def {op.__name__}(" in current


def test_operator_reference_lists_every_operation():
    page = (ROOT / "docs" / "OPERATORS.md").read_text()
    for op in OPERATIONS:
        prefixes = {"": "sg.", "linalg": "sg.linalg.", "fft": "sg.fft.", "nn.functional": "F.", "_": "sg._C."}
        prefix = prefixes[op.namespace]
        assert f"| `{prefix}{op.__name__}` | `{op.__text_signature__}` |" in page


@pytest.mark.parametrize("call,expected", [
    (lambda: sg.transpose(np.ones((2, 3))), (3, 2)),
    (lambda: sg.reshape(np.ones(6), 2, 3), (2, 3)),
    (lambda: sg.ones(6).reshape((3, 2)), (3, 2)),
    (lambda: sg.ones((2, 3, 4)).transpose(2, 0, 1), (4, 2, 3)),
    (lambda: sg.ones((2, 3, 4)).transpose(None), (4, 3, 2)),
    (lambda: sg.sort(np.ones((2, 3)), axis=None), (6,)),
    (lambda: sg.meshgrid(np.ones(2), np.ones(3), indexing="ij")[0], (2, 3)),
])
def test_signatures_bind_like_numpy(call, expected):
    assert call().shape == expected


@pytest.mark.parametrize("call,pattern", [
    (lambda: sg.sum(np.ones(3), 0, False, 1), "takes at most 3 positional arguments"),
    (lambda: sg.sum(np.ones(3), axis=0, axes=1), "unexpected keyword argument 'axes'"),
    (lambda: sg.argmax(np.ones(3), 0, True), "takes at most 2 positional arguments"),
    (lambda: sg.swapaxes(np.ones((2, 3)), 0.5, 1), "argument 'axis1' must be an integer, not float"),
    (lambda: sg.pad(np.ones(3), 1, mode=3), "mode must be a string, not int"),
    (lambda: sg.reshape(np.ones(3)), "missing argument 'shape'"),
    (lambda: sg.ones(3).reshape(), "missing argument 'shape'"),
])
def test_binding_errors_are_type_errors(call, pattern):
    with pytest.raises(TypeError, match=pattern):
        call()


def _longest_pause_during(work):
    """Runs `work` once in a thread while this thread keeps running Python: (the call's
    duration, the longest this thread waited for the GIL meanwhile). A call holding the GIL
    stalls this thread for its whole duration."""
    done = threading.Event()
    duration = []

    def run():
        start = time.perf_counter()
        work()
        duration.append(time.perf_counter() - start)
        done.set()

    thread = threading.Thread(target=run)
    last, longest = time.perf_counter(), 0.0
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    thread.join()
    return duration[0], longest


MATRIX = np.random.default_rng(0).normal(size=(250, 250))
ONES = np.ones((1000, 1000))
ROWS = np.random.default_rng(1).normal(size=(10, 200_000))


@pytest.mark.parametrize("name,work", [
    ("svd", lambda: sg.linalg.svd(MATRIX)),
    ("einsum", lambda: sg.einsum("ij,jk,kl->il", ONES, ONES, ONES)),
    ("sort", lambda: sg.sort(ROWS, axis=-1)),
])
def test_every_family_releases_the_gil_for_large_operands(name, work):
    work()  # warm up (BLAS threads, buffer cache)
    duration, pause = _longest_pause_during(work)
    assert duration > 0.02, f"{name}: the call took {duration * 1e3:.1f} ms, too short to tell"
    assert pause < 0.5 * duration, f"{name}: Python waited {pause * 1e3:.1f} ms during a {duration * 1e3:.1f} ms call"
