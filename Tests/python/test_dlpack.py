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


# --- 16-bit floats: NumPy has no bfloat16 capsules, swiftgrad relabels its uint16 ones ---------

def test_bfloat16_roundtrip_through_dlpack_shares_memory():
    t = sg.tensor([1.5, 2.25, -3.0, 0.0], dtype=sg.bfloat16)
    back = sg.from_dlpack(t)
    assert back.dtype == sg.bfloat16
    np.testing.assert_array_equal(np.asarray(back).astype(np.float32), [1.5, 2.25, -3.0, 0.0])
    assert np.shares_memory(np.asarray(back), np.asarray(t))
    capsule = t.__dlpack__()
    assert sg._C.dlpack_retype(capsule, -1, 0) == (4, 16, 1)  # kDLBfloat, 16 bits, 1 lane
    with pytest.raises(TypeError):
        sg._C.dlpack_retype(object(), -1, 0)


@pytest.mark.parametrize("name", ["bfloat16", "float16"])
def test_16_bit_floats_with_torch_share_memory(name):
    torch = pytest.importorskip("torch", reason="PyTorch is an optional peer library for interop tests")
    t = sg.tensor([[1.5, -2.0], [0.25, 8.0]], dtype=getattr(sg, name))
    pt = torch.from_dlpack(t)
    assert pt.dtype == getattr(torch, name)
    np.testing.assert_array_equal(pt.float().numpy(), [[1.5, -2.0], [0.25, 8.0]])
    pt[0, 1] = 3.0
    assert float(t[0, 1]) == 3.0
    back = sg.from_dlpack(torch.tensor([1.0, 2.5], dtype=getattr(torch, name)))
    assert back.dtype == getattr(sg, name)
    np.testing.assert_array_equal(np.asarray(back).astype(np.float32), [1.0, 2.5])
    strided = sg.from_dlpack(torch.arange(6.0, dtype=torch.bfloat16).reshape(2, 3).t())
    np.testing.assert_array_equal(np.asarray(strided).astype(np.float32), np.arange(6.0).reshape(2, 3).T)


def test_bfloat16_with_jax():
    jnp = pytest.importorskip("jax.numpy", reason="JAX is an optional peer library for interop tests")
    t = sg.tensor([1.5, 2.25], dtype=sg.bfloat16)
    j = jnp.from_dlpack(t)
    assert j.dtype == jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(j, dtype=np.float32), [1.5, 2.25])
    back = sg.from_dlpack(jnp.array([3.0, -1.0], dtype=jnp.bfloat16))
    assert back.dtype == sg.bfloat16
    np.testing.assert_array_equal(np.asarray(back).astype(np.float32), [3.0, -1.0])
