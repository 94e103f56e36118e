"""Graphs of 10^6 ops: forward, backward and teardown without recursion (no stack overflow)."""
import ctypes
import gc
import os

import numpy as np

import swiftgrad as sg

N = 1_000_000


def _bytes_in_use():
    # Under AddressSanitizer freed blocks wait in its quarantine (256 MiB by default) and stay
    # resident, so resident memory says nothing there; its allocator counts the live bytes instead.
    if os.environ.get("SWIFTGRAD_SANITIZED") == "address":
        allocated = ctypes.CDLL(None).__sanitizer_get_current_allocated_bytes
        allocated.restype = ctypes.c_size_t
        return allocated()
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_million_op_chain_backward():
    x = sg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(N):
        y = y * 1.0000001
    sg.sum(y).backward()
    np.testing.assert_allclose(x.grad.item(), 1.0000001**N, rtol=1e-9)


def _build_and_drop_chain():
    x = sg.tensor([0.5], requires_grad=True)
    z = x
    for _ in range(N):
        z = sg.sin(z)
    assert z.grad_fn == "sin"
    del z  # the whole chain goes now, iteratively (no backward ever ran)


def test_million_node_graph_freed_when_last_reference_drops():
    # Memory returned to the allocator is reused: if the graphs were not freed, every round
    # would add a few hundred MiB.
    _build_and_drop_chain()
    gc.collect()
    after_first = _bytes_in_use()
    for _ in range(2):
        _build_and_drop_chain()
    gc.collect()
    growth = _bytes_in_use() - after_first
    assert growth < 32 * 2**20, f"memory in use grew {growth / 2**20:.0f} MiB over two more 10^6-node graphs"
