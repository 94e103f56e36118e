"""Bad input to the shape and math operators raises a Python exception naming what is
wrong (never a crash)."""
import numpy as np
import pytest

import swiftgrad as sg

X = sg.ones((2, 3))


@pytest.mark.parametrize("call, exc, pattern", [
    # axes
    (lambda: sg.flip(X, 2), ValueError, "flip: axis 2 is out of bounds for array of dimension 2"),
    (lambda: sg.flip(X, (0, 0)), ValueError, "duplicate value"),
    (lambda: sg.roll(X, 1, 5), ValueError, "roll: axis 5 is out of bounds"),
    (lambda: sg.roll(X, (1, 2, 3), (0, 1)), ValueError, "could not be broadcast"),
    (lambda: sg.roll(X, (1, 2)), ValueError, "axis=None the shift must be a single integer"),
    (lambda: sg.moveaxis(X, (0, 1), 0), ValueError, "same number of elements"),
    (lambda: sg.moveaxis(X, (0, 0), (0, 1)), ValueError, "repeated axis"),
    (lambda: sg.moveaxis(X, 3, 0), ValueError, "axis 3 is out of bounds"),
    (lambda: sg.swapaxes(X, 0, -3), ValueError, "swapaxes: axis -3 is out of bounds"),
    (lambda: sg.cumsum(X, 2), ValueError, "cumsum: axis 2 is out of bounds"),
    (lambda: sg.cumprod(sg.ones(()), 0), ValueError, "cumprod: axis 0 is out of bounds for array of dimension 0"),
    (lambda: sg.argmax(X, -3), ValueError, "argmax: axis -3 is out of bounds"),
    (lambda: sg.argmin(sg.ones((0, 3)), 0), ValueError, r"empty sequence \(shape \(0, 3\)\)"),
    (lambda: sg.argmax(sg.ones((0,))), ValueError, "empty sequence"),
    (lambda: sg.sort(sg.ones(())), ValueError, "sort: axis -1 is out of bounds for array of dimension 0"),
    (lambda: sg.argsort(X, 2), ValueError, "argsort: axis 2 is out of bounds"),
    # k and offsets
    (lambda: sg.topk(X, 4), ValueError, r"k = 4 is out of range for axis 1 of size 3 \(shape \(2, 3\)\)"),
    (lambda: sg.topk(X, -1), ValueError, "k = -1 is out of range"),
    (lambda: sg.topk(sg.ones(()), 1), ValueError, "0-d"),
    (lambda: sg.topk(X, 1, axis=2), ValueError, "topk: axis 2 is out of bounds"),
    (lambda: sg.tril(sg.ones(())), ValueError, "tril: .*0-d"),
    (lambda: sg.triu(X, 2**62), ValueError, "triu: offset .* is out of range"),
    (lambda: sg.diag(sg.ones((2, 2, 2))), ValueError, r"1- or 2-d, got shape \(2, 2, 2\)"),
    (lambda: sg.diag(sg.ones(3), -2**63), ValueError, "out of range"),
    (lambda: sg.diag(sg.ones(3), 2**40), ValueError, "does not fit in memory"),
    (lambda: sg.diagonal(sg.ones(3)), ValueError, r"at least two dimensions, got shape \(3,\)"),
    (lambda: sg.diagonal(X, 0, 1, -1), ValueError, "axis1 and axis2 cannot be the same"),
    (lambda: sg.linalg.trace(sg.ones(3)), ValueError, "at least two dimensions"),
    # tile / repeat
    (lambda: sg.tile(X, (2, -1)), ValueError, "negative repetitions"),
    (lambda: sg.tile(X, (2**40, 2**40)), ValueError, "too large|does not fit"),
    (lambda: sg.repeat(X, -1), ValueError, "negative"),
    (lambda: sg.repeat(X, [1, 2], axis=1), ValueError, r"could not be broadcast together with shape \(3,\) \(2,\)"),
    (lambda: sg.repeat(X, [[1, 2]], axis=1), ValueError, "1-d sequence"),
    (lambda: sg.repeat(X, 1.5), TypeError, "repeats must be integers, got float64"),
    (lambda: sg.repeat(X, 2**62, axis=1), ValueError, "too large|does not fit"),
    # pad
    (lambda: sg.pad(X, 1, mode="bogus"), ValueError, "mode 'bogus' is not supported"),
    (lambda: sg.pad(X, ((1, 2, 3),)), ValueError, r"pad_width of shape \(1, 3\) cannot be broadcast to \(2, 2\)"),
    (lambda: sg.pad(X, ((1, 2), (3, 4), (5, 6))), ValueError, "cannot be broadcast"),
    (lambda: sg.pad(X, -1), ValueError, "negative values"),
    (lambda: sg.pad(X, 1.5), TypeError, "pad_width must be integers"),
    (lambda: sg.pad(sg.ones((0, 2)), 1, mode="reflect"), ValueError, "can't extend empty axis 0"),
    (lambda: sg.pad(X, 2**62), ValueError, "too large|does not fit"),
    # math arguments
    (lambda: sg.gelu(X, approximate="erf"), ValueError, "approximate must be 'none' or 'tanh'"),
    (lambda: sg.round(X, 400), ValueError, "decimals 400 is out of range"),
    (lambda: sg.logaddexp(X, sg.ones(4)), ValueError, r"could not be broadcast together with shapes \(2, 3\) \(4,\)"),
    (lambda: sg.hypot(X, "a"), TypeError, "<U1"),
    (lambda: sg.meshgrid(sg.ones(2), indexing="xyz"), ValueError, "valid values for `indexing`"),
    # einsum subscripts that do not match the operands
    (lambda: sg.einsum("ij,jk->ik", X, sg.ones((2, 4))), ValueError,
     r"size of label 'j' for operand 1 \(2\) does not match previous terms \(3\)"),
    (lambda: sg.einsum("ijk", X), ValueError, "operand 0 has 2 dimensions but its subscripts 'ijk' name 3"),
    (lambda: sg.einsum("ij,jk", X), ValueError, r"name 2 operand\(s\) but 1 were given"),
    (lambda: sg.einsum("ij->ix", X), ValueError, "output subscript 'x' does not appear"),
    (lambda: sg.einsum("ij->ii", X), ValueError, "repeat a label"),
    (lambda: sg.einsum("i1", X), ValueError, "invalid subscript '1'"),
    (lambda: sg.einsum("ij->i->j", X), ValueError, "more than one '->'"),
    (lambda: sg.einsum("......", X), ValueError, "more than one ellipsis"),
    (lambda: sg.einsum("ii", X), ValueError, "size of label 'i'"),
    (lambda: sg.einsum("...i,...i", sg.ones((2, 3)), sg.ones((4, 3))), ValueError, "size of label '...'"),
    (lambda: sg.einsum(3, X), TypeError, "subscripts must be a string"),
    (lambda: sg.einsum(), TypeError, "missing argument 'subscripts'"),
])
def test_bad_input_raises(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_integer_and_bool_tensors_cannot_require_grad_through_new_ops():
    i = sg.arange(6).reshape(2, 3)
    assert sg.cumsum(i, 1).dtype == np.int64 and not sg.cumsum(i, 1).requires_grad
    with pytest.raises(RuntimeError):
        sg.argmax(sg.ones(3, dtype=sg.float64)).requires_grad = True
