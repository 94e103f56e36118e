"""Bad input raises a Python exception naming what is wrong; nothing crashes."""
import subprocess
import sys

import numpy as np
import pytest

import swiftgrad as sg


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: sg.add(sg.ones((2, 3)), sg.ones((4,))), ValueError,
     r"could not be broadcast together with shapes \(2, 3\) \(4,\)"),
    (lambda: sg.matmul(sg.ones((2, 3)), sg.ones((2, 3))), ValueError, r"shapes \(2, 3\) and \(2, 3\)"),
    (lambda: sg.matmul(sg.ones(()), sg.ones((2,))), ValueError, "not have enough dimensions"),
    (lambda: sg.sum(sg.ones((2, 3)), axis=2), ValueError, "axis 2 is out of bounds for array of dimension 2"),
    (lambda: sg.max(sg.ones((2, 3)), axis=(0, 0)), ValueError, "duplicate value in 'axis'"),
    (lambda: sg.max(sg.ones((0, 3)), axis=0), ValueError, r"zero-size array to reduction operation maximum.*\(0, 3\)"),
    (lambda: sg.reshape(sg.ones((2, 3)), (4, 2)), ValueError, r"cannot reshape array of size 6 into shape \(4, 2\)"),
    (lambda: sg.reshape(sg.ones((2, 3)), (-1, -1)), ValueError, "invalid target shape"),
    (lambda: sg.transpose(sg.ones((2, 3)), (0, 0)), ValueError, "don't match array of shape"),
    (lambda: sg.broadcast_to(sg.ones((2, 3)), (3, 3)), ValueError,
     r"cannot broadcast an array of shape \(2, 3\) to shape \(3, 3\)"),
    (lambda: sg.squeeze(sg.ones((2, 3)), 0), ValueError, "size not equal to one"),
    (lambda: sg.concatenate([sg.ones((2, 3)), sg.ones((3, 2))]), ValueError, r"array 1 has shape \(3, 2\)"),
    (lambda: sg.concatenate([]), ValueError, "need at least one array"),
    (lambda: sg.stack([sg.ones(2), sg.ones(3)]), ValueError, "must have the same shape"),
    (lambda: sg.ones((2, 3))[2], IndexError, "index 2 is out of bounds for axis 0 with size 2"),
    (lambda: sg.ones((2, 3))[0, 0, 0], IndexError,
     "too many indices for array: array is 2-dimensional, but 3 were indexed"),
    (lambda: sg.ones((2, 3))[..., ...], IndexError, "single ellipsis"),
    (lambda: sg.ones((2, 3))[::0], ValueError, "slice step cannot be zero"),
    (lambda: sg.ones((2, 3))["a"], IndexError, "only integers, slices"),
    (lambda: sg.ones((2, 3))[2**70], IndexError, "cannot fit"),
    (lambda: sg.power(sg.arange(3), -1), ValueError, "Integers to negative integer powers"),
    (lambda: sg.zeros((-1, 2)), ValueError, "negative dimensions"),
    (lambda: sg.zeros((2**40, 2**40)), ValueError, "does not fit in memory"),
    (lambda: sg.ones(3) + None, TypeError, "unsupported operand"),
    (lambda: sg.exp(None), TypeError, "got None"),
    (lambda: sg.exp("text"), TypeError, "cannot make a tensor from an array of dtype <U4"),
    (lambda: sg.tensor(np.ones(2, dtype="datetime64[s]")), TypeError, "datetime64"),
    (lambda: sg.tensor([1, 2], dtype="timedelta64[s]"), TypeError, "timedelta64"),
    (lambda: sg.sigmoid(np.ones(2, dtype=np.complex64)), TypeError, "sigmoid does not support complex dtypes yet"),
    (lambda: sg.from_numpy(np.array([b"abc"])), TypeError, "S3"),
    (lambda: sg.tensor([1, 2], requires_grad=True), RuntimeError,
     "only Tensors of floating point dtype can require gradients, got int64"),
    (lambda: sg.add(1, 2**70), ValueError, "too large to convert to int64"),
    (lambda: float(sg.ones(3)), ValueError, "only a tensor with one element"),
    (lambda: bool(sg.ones(3)), ValueError, "truth value of a tensor with more than one element"),
    (lambda: len(sg.tensor(1.0)), TypeError, "len\\(\\) of a 0-d tensor"),
    (lambda: sg.ones(3).item(), ValueError, "only a tensor with one element"),
    (lambda: pow(sg.ones(3), 2, 3), TypeError, "modulus"),
])
def test_bad_input_raises(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_autograd_misuse_raises():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    y = sg.sum(x * x)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        sg.tensor([1.0]).backward()
    z = sg.sum(x * 2)
    unused = sg.tensor([3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        sg.autograd.grad(z, [x, unused])
    gx, gu = sg.autograd.grad(sg.sum(x * 2), [x, unused], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"):
        (x * 2).backward(sg.ones(3))
    with pytest.raises(TypeError, match="not a Tensor"):
        sg.autograd.grad([1.0], [x])
    with pytest.raises(RuntimeError, match="leaf variables"):
        (x * 2).requires_grad = False


CRASHERS = r'''
import numpy as np, swiftgrad as sg
calls = [
    lambda: sg.ones((3, 0)) @ sg.ones((0, 2)),
    lambda: sg.sum(sg.ones((0, 3)), axis=1),
    lambda: sg.max(sg.ones((2, 0)), axis=0),
    lambda: sg.tensor(np.ones((2, 3))[:, ::-1]).T[::-2],
    lambda: sg.from_numpy(np.ones((4, 4))[::-1, ::3]) * 2,
    lambda: sg.arange(1e300),
    lambda: sg.linspace(0, 1, -5),
    lambda: sg.eye(-3),
    lambda: sg.ones(3)[None, ..., None, 1:-1:-1],
    lambda: sg.where(sg.ones((2, 1)) > 0, sg.ones((1, 2)), np.float32(1)),
    lambda: sg.reshape(sg.ones((2, 3)).T, (6,)),
    lambda: sg.tensor(np.nan) ** sg.tensor(np.inf),
    lambda: sg.tensor([np.nan, np.inf]).astype(np.int64),
    lambda: sg.tensor([2**62]) * sg.tensor([2**62]),
    lambda: sg.abs(sg.tensor([np.iinfo(np.int64).min])),
]
for c in calls:
    try:
        c()
    except (ValueError, TypeError, IndexError, RuntimeError, OverflowError) as e:
        assert str(e)
print("survived")
'''


def test_edge_cases_in_a_subprocess_do_not_crash():
    result = subprocess.run([sys.executable, "-c", CRASHERS], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "survived" in result.stdout, result.stderr[-3000:]
