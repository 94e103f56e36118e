"""DLPack exchange: zero-copy round trips with NumPy and, when installed, PyTorch and JAX."""
import numpy as np
import pytest

import swiftgrad as sg


def test_numpy_roundtrip_through_dlpack_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    t = sg.from_numpy(a)
    back = np.from_dlpack(t)
    t2 = sg.from_dlpack(back)
    a[0, 0] = 42.0
    assert back[0, 0] == 42.0 and t2[0, 0].item() == 42.0
    assert np.shares_memory(np.asarray(t2), a)
    assert t.__dlpack_device__() == (1, 0)


def test_numpy_torch_swiftgrad_roundtrip_shares_memory():
    torch = pytest.importorskip("torch", reason="PyTorch is an optional peer library for interop tests")
    a = np.arange(6.0).reshape(2, 3)
    t = sg.from_numpy(a)
    pt = torch.from_dlpack(t)
    t2 = sg.from_dlpack(pt)
    a[1, 2] = -7.0
    assert pt[1, 2].item() == -7.0 and t2[1, 2].item() == -7.0
    assert np.shares_memory(np.asarray(t2), a)
    pt[0, 0] = 5.0
    assert a[0, 0] == 5.0


def test_jax_arrays_import_read_only():
    jnp = pytest.importorskip("jax.numpy", reason="JAX is an optional peer library for interop tests")
    j = jnp.arange(3.0)
    t = sg.from_dlpack(j)
    np.testing.assert_array_equal(t.numpy(), np.arange(3.0, dtype=t.dtype))
    with pytest.raises(ValueError, match="read-only"):
        t += 1


def test_python_dash_m_swiftgrad_prints_build_info():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "swiftgrad"], capture_output=True, text=True, check=True).stdout
    assert "swiftgrad 0.1.0" in out and "OpenBLAS" in out and "[2.0, 4.0]" in out
