"""Running out of memory in the middle of backward (Note [Backward is all or nothing]): the
MemoryError reaches Python, parameters and `.grad` are unchanged, and training goes on once memory
is available again. Runs in its own interpreter under an address-space limit (RLIMIT_AS)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r"""
import resource
import numpy as np
import swiftgrad as sg

def vm_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()

rng = np.random.default_rng(0)
W1 = sg.tensor(rng.standard_normal((1024, 1024)) * 0.03, requires_grad=True)   # 8 MiB each
W2 = sg.tensor(rng.standard_normal((1024, 1024)) * 0.03, requires_grad=True)
x = sg.tensor(rng.standard_normal((2048, 1024)))                                # 16 MiB

def loss():
    return sg.sum(sg.tanh(sg.tanh(x @ W1) @ W2) ** 2)

loss().backward()                      # a first step: .grad holds values now
before = [W1.numpy().copy(), W2.numpy().copy(), W1.grad.numpy().copy(), W2.grad.numpy().copy()]
sg._blas  # BLAS buffers exist already (the first step ran its products)
_, hard = resource.getrlimit(resource.RLIMIT_AS)
value = loss()                         # the forward fits; its backward needs ~50 MiB more
resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + (12 << 20), hard))
try:
    value.backward()
    print("no error")
except MemoryError as e:
    print("MemoryError", "cannot allocate" in str(e))
resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
after = [W1.numpy(), W2.numpy(), W1.grad.numpy(), W2.grad.numpy()]
print("unchanged", all(np.array_equal(a, b) for a, b in zip(before, after)))
loss().backward()                      # memory is back: the loop goes on
print("continued", bool(np.allclose(W1.grad.numpy(), 2 * before[2])))
"""


@pytest.mark.skipif(bool(os.environ.get("SWIFTGRAD_SANITIZED")),
                    reason="sanitizer runtimes map terabytes of shadow memory, which an RLIMIT_AS cap forbids")
def test_memory_error_mid_backward_leaves_parameters_and_grads_unchanged():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), SWIFTGRAD_CACHE_MB="0"))
    assert out.returncode == 0, f"exit {out.returncode}: {out.stderr[-3000:]}"
    assert out.stdout.split("\n")[:3] == ["MemoryError True", "unchanged True", "continued True"], out.stdout
