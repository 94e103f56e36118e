"""Advanced indexing (integer arrays, boolean masks, mixed with basic items) against NumPy,
assignment through it, the PyTorch-style gathers and scatters, and their errors."""
import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import swiftgrad as sg

SHAPE = (3, 4, 5)
A = np.arange(60.0).reshape(SHAPE)


@st.composite
def index_keys(draw):
    """Random mixes of ints, slices, None, Ellipsis, integer arrays (negative too) and masks."""
    items, dim, used_ellipsis = [], 0, False
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["int", "slice", "none", "array", "array", "mask", "ellipsis"]))
        if kind == "none":
            items.append(None)
            continue
        if kind == "ellipsis":
            if not used_ellipsis:
                items.append(Ellipsis)
                used_ellipsis = True
            continue
        if dim >= len(SHAPE):
            break
        size = SHAPE[dim]
        if kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            items.append(slice(draw(st.integers(-size, size)), draw(st.integers(-size, size)),
                               draw(st.sampled_from([1, 2, -1, -2]))))
        elif kind == "array":
            length = draw(st.integers(0, 3))
            values = draw(st.lists(st.integers(-size, size - 1), min_size=length, max_size=length))
            items.append(np.array(values, dtype=np.int64).reshape(
                draw(st.sampled_from([(length,), (length, 1)])) if length else (0,)))
        else:
            items.append(np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size))))
        dim += 1
    return tuple(items)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(index_keys())
def test_random_keys_match_numpy(key):
    try:
        expected = A[key]
    except IndexError:  # NumPy refuses (e.g. arrays that do not broadcast): so must we
        with pytest.raises(IndexError):
            sg.tensor(A)[key]
        return
    got = sg.tensor(A)[key].numpy()
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    # The same key as an assignment target.
    if expected.size:
        b, x = A.copy(), sg.tensor(A.copy())
        b[key] = -1.0
        x[key] = -1.0
        sg.testing.assert_equal(x, b)


def test_assignment_semantics():
    x = sg.tensor(np.zeros(5))
    x[[1, 1, 3]] = np.array([1.0, 2.0, 3.0])  # the last of repeated indices wins, as in NumPy
    sg.testing.assert_equal(x, [0, 2, 0, 3, 0])
    view = x.numpy()
    x[x.numpy() > 1] = 9.0  # the write goes into the same memory
    np.testing.assert_array_equal(view, [0, 9, 0, 9, 0])
    i = sg.tensor(np.arange(4))
    i[[0, 2]] = 7.9  # cast to the target's dtype
    sg.testing.assert_equal(i, [7, 1, 7, 3])


def test_gradients_accumulate_over_repeated_indices_and_flow_through_assignment():
    x = sg.tensor(np.arange(4.0), requires_grad=True)
    sg.sum(x[[0, 0, 3]] * np.array([1.0, 2.0, 3.0])).backward()
    sg.testing.assert_equal(x.grad, [3, 0, 0, 3])
    w = sg.tensor(np.ones(3), requires_grad=True)
    v = sg.tensor(np.array([5.0, 6.0]), requires_grad=True)
    y = w * 2.0
    y[[0, 0]] = v  # v[1] wins element 0, so only it gets the gradient
    sg.sum(y * np.array([10.0, 1.0, 1.0])).backward()
    sg.testing.assert_equal(v.grad, [0, 10])
    sg.testing.assert_equal(w.grad, [0, 2, 2])


def test_one_hot_nonzero_argwhere():
    F = sg.nn.functional
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3).numpy(), np.eye(3)[[2, 0]])
    assert F.one_hot(np.array([[1]])).shape == (1, 1, 2)
    assert F.one_hot(np.array([1]), 3, dtype=sg.int64).dtype == np.int64
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.one_hot(np.array([3]), 3)
    with pytest.raises(TypeError, match="integers"):
        F.one_hot(np.array([0.5]), 3)
    m = np.array([[0, 1], [2, 0]])
    for got, want in zip(sg.nonzero(m), np.nonzero(m)):
        sg.testing.assert_equal(got, want)
    sg.testing.assert_equal(sg.argwhere(m), np.argwhere(m))


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch (optional comparison) is not installed")
def test_gather_scatter_index_add_match_pytorch():
    import torch

    rng = np.random.default_rng(0)
    x, src = rng.standard_normal((3, 5)), rng.standard_normal((3, 4))
    index = rng.integers(-5, 5, (3, 2))
    t = torch.tensor(x)
    sg.testing.assert_allclose(sg.gather(x, 1, index), torch.gather(t, 1, torch.tensor(index % 5)).numpy())
    sg.testing.assert_allclose(sg.scatter_add(x, 1, index, src),
                               t.scatter_add(1, torch.tensor(index % 5), torch.tensor(src)).numpy())
    rows = np.array([2, 0, 2])
    source = rng.standard_normal((3, 5))
    sg.testing.assert_allclose(sg.index_add(x, 0, rows, source),
                               t.index_add(0, torch.tensor(rows), torch.tensor(source)).numpy())


ZERO_D_MASKS = [True, False, (True, [0, 1]), (False, 0), (0, True), (slice(None), True), ([0, 1], True),
                (Ellipsis, True), (True, True), ([[0], [1]], slice(None), True), np.bool_(False)]


@pytest.mark.parametrize("key", ZERO_D_MASKS, ids=repr)
def test_zero_d_boolean_index_matches_numpy(key):
    # NumPy: x[True] is x[None] with an advanced index [0] on the new axis (x[False]: []), which
    # broadcasts with the other advanced indices
    a = np.arange(6.0).reshape(2, 3)
    x = sg.tensor(a, requires_grad=True)
    got = x[key]
    np.testing.assert_array_equal(np.asarray(got), a[key])
    assert got.shape == a[key].shape
    y, expected = sg.tensor(a.copy()), a.copy()
    y[key] = -1.0
    expected[key] = -1.0
    np.testing.assert_array_equal(np.asarray(y), expected)
    assert sg.gradcheck(lambda t: t[key] * 3.0, (sg.tensor(a, requires_grad=True),))


def test_mask_axis_of_length_zero_matches_any_length():
    # NumPy: a boolean mask axis of length 0 stands against any axis length and selects nothing
    a = np.arange(6.0).reshape(2, 3)
    for mask in (np.zeros((2, 0), bool), np.zeros((0, 3), bool), np.zeros((0, 0), bool)):
        assert sg.tensor(a)[mask].shape == a[mask].shape == (0,)


@pytest.mark.parametrize("key,error,message", [
    (np.array([3]), IndexError, "index 3 is out of bounds for axis 0 with size 3"),
    (np.array([0.5]), IndexError, "integer \\(or boolean\\) type"),
    ((np.array([0, 1]), np.array([0, 1, 2])), IndexError,
     "could not be broadcast together with shapes \\(2,\\) \\(3,\\)"),
    (np.ones(4, bool), IndexError, "boolean index of shape \\(4,\\) does not match the indexed dimensions \\(3,\\)"),
    ((0, 0, 0, [0]), IndexError, "too many indices"),
    ((Ellipsis, Ellipsis, [0]), IndexError, "single ellipsis"),
    ("a", IndexError, "valid indices"),
])
def test_bad_keys_raise(key, error, message):
    with pytest.raises(error, match=message):
        sg.tensor(A)[key]


def test_bad_assignments_and_scatters_raise():
    x = sg.tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="could not broadcast input array from shape \\(3,\\) into shape \\(2, 4\\)"):
        x[[0, 1]] = np.ones(3)
    with pytest.raises(ValueError, match="must have the rank"):
        sg.gather(np.zeros((3, 4)), 1, np.zeros(3, np.int64))
    with pytest.raises(IndexError, match="out of bounds for axis 1 with size 4"):
        sg.gather(np.zeros((3, 4)), 1, np.full((3, 1), 4))
    with pytest.raises(ValueError, match="source of shape"):
        sg.index_add(np.zeros((3, 4)), 0, np.array([0]), np.ones((2, 4)))
    with pytest.raises(IndexError, match="integers"):
        sg.scatter_add(np.zeros((3, 4)), 1, np.zeros((3, 1)), np.ones((3, 1)))
