"""NumPy's keyword spellings work on the shape and join functions."""
import numpy as np
import pytest

import swiftgrad as sg

A = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("call,expected", [
    (lambda: sg.concatenate([A, A], axis=1), np.concatenate([A, A], axis=1)),
    (lambda: sg.stack(arrays=[A, A], axis=-1), np.stack([A, A], axis=-1)),
    (lambda: sg.transpose(A, axes=(1, 0)), A.T),
    (lambda: sg.transpose(A, axes=None), A.T),
    (lambda: sg.reshape(A, shape=(3, 2)), A.reshape(3, 2)),
    (lambda: sg.reshape(A, newshape=(-1,)), A.reshape(-1)),
    (lambda: sg.broadcast_to(A, shape=(4, 2, 3)), np.broadcast_to(A, (4, 2, 3))),
    (lambda: sg.expand_dims(A, axis=1), np.expand_dims(A, 1)),
    (lambda: sg.squeeze(A[None], axis=0), A),
])
def test_keyword_spellings_match_numpy(call, expected):
    np.testing.assert_array_equal(call().numpy(), expected)


def test_bad_keywords_raise_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'order'"):
        sg.reshape(A, (3, 2), order="F")
    with pytest.raises(TypeError, match="multiple values for argument 'axis'"):
        sg.concatenate([A, A], 0, axis=1)
    with pytest.raises(TypeError, match="missing argument 'a'"):
        sg.reshape(shape=(3, 2))
