"""NumPy / array API functions added for the standard: integer division and bitwise operators
(also as Python operators), float classification, searchsorted, unique, tensordot, vecdot,
cumulative_sum, cross, matrix_rank, and the namespace's data type functions. Derivatives of the
differentiable ones are checked by the op table (ARRAY_FUNCTIONS in op_table.py)."""
import operator

import numpy as np
import pytest

import swiftgrad as sg

xp = sg.array_api
A = np.array([-7.5, -3.0, 0.0, 2.5, 7.0, -0.0, np.inf, np.nan, 5.0])
B = np.array([2.0, -2.0, 3.0, -1.5, 0.5, 2.0, 3.0, 1.0, -np.inf])
IA = np.array([-7, 7, -7, 7, 5, 0, np.iinfo(np.int64).min])
IB = np.array([2, -2, -2, 2, 0, 3, -1])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", ["floor_divide", "remainder"])
def test_floor_division_matches_numpy_on_special_values(name):
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(getattr(sg, name)(A, B).numpy(), getattr(np, name)(A, B))
        np.testing.assert_array_equal(getattr(sg, name)(IA, IB).numpy(), getattr(np, name)(IA, IB))
    # The sign of zero results follows NumPy too.
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(np.signbit(getattr(sg, name)(A, B).numpy()), np.signbit(getattr(np, name)(A, B)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("op", [operator.floordiv, operator.mod, operator.and_, operator.or_, operator.xor,
                                operator.lshift, operator.rshift])
def test_python_operators_on_integer_tensors(op):
    a, b = np.array([12, -5, 3, 6]), np.array([10, 3, 1, 7])
    for left, right in ((sg.tensor(a), sg.tensor(b)), (sg.tensor(a), 3), (12, sg.tensor(b))):
        expected = op(np.asarray(left.numpy() if isinstance(left, sg.Tensor) else left),
                      np.asarray(right.numpy() if isinstance(right, sg.Tensor) else right))
        got = op(left, right)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)
    np.testing.assert_array_equal((~sg.tensor(a)).numpy(), ~a)
    np.testing.assert_array_equal((~sg.tensor(a > 0)).numpy(), ~(a > 0))
    np.testing.assert_array_equal((sg.tensor(a > 0) & sg.tensor(b > 5)).numpy(), (a > 0) & (b > 5))


def test_float_operators_floordiv_and_mod():
    x, y = np.array([7.5, -7.5, 1.0]), np.array([2.0, 2.0, -0.3])
    np.testing.assert_allclose((sg.tensor(x) // sg.tensor(y)).numpy(), x // y)
    np.testing.assert_allclose((sg.tensor(x) % 2.0).numpy(), x % 2.0)
    g = sg.grad(lambda t: sg.sum(t % 2.0))(sg.tensor(x))
    np.testing.assert_array_equal(g.numpy(), np.ones(3))


def test_bitwise_errors_name_the_dtypes():
    with pytest.raises(TypeError, match="float64"):
        sg.bitwise_and(np.ones(2), np.array([1, 2]))
    with pytest.raises(TypeError, match="float64"):
        ~sg.tensor([1.0])
    with pytest.raises(ValueError, match="non-negative"):
        sg.bitwise_left_shift(np.array([1]), np.array([-1]))
    big = np.array([1, -8])
    np.testing.assert_array_equal(sg.bitwise_left_shift(big, np.array([64, 70])).numpy(), [0, 0])
    np.testing.assert_array_equal(sg.bitwise_right_shift(big, np.array([64, 70])).numpy(), [0, -1])


def test_classification_and_copysign_match_numpy():
    for name in ("isnan", "isinf", "isfinite", "signbit"):
        np.testing.assert_array_equal(getattr(sg, name)(A).numpy(), getattr(np, name)(A), err_msg=name)
        np.testing.assert_array_equal(getattr(sg, name)(IA).numpy(), getattr(np, name)(IA), err_msg=name)
    np.testing.assert_array_equal(sg.copysign(A, B).numpy(), np.copysign(A, B))
    for name in ("log2", "log10", "arccosh", "arctanh", "trunc"):
        x = np.array([1.0, 2.0, 8.0, 1000.0, 0.5, -0.5])
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(getattr(sg, name)(x).numpy(), getattr(np, name)(x), rtol=1e-15,
                                       equal_nan=True, err_msg=name)
    assert sg.log2(np.array([8.0])).item() == 3.0 and sg.log10(np.array([1000.0])).item() == 3.0


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy(side):
    sorted_ = np.array([1.0, 2.0, 2.0, 3.0, np.nan])
    values = np.array([[2.0, 0.0], [5.0, np.nan]])
    np.testing.assert_array_equal(sg.searchsorted(sorted_, values, side=side).numpy(),
                                  np.searchsorted(sorted_, values, side=side))
    with pytest.raises(ValueError, match=r"1-D.*\(2, 2\)"):
        sg.searchsorted(values, values)
    with pytest.raises(ValueError, match="side"):
        sg.searchsorted(sorted_, values, side="middle")


def test_searchsorted_under_vmap_with_batched_sorted_input():
    rows = np.sort(np.random.default_rng(0).uniform(size=(3, 5)), axis=1)
    values = np.array([0.2, 0.5, 0.9])
    got = sg.vmap(lambda r: sg.searchsorted(r, values))(rows).numpy()
    np.testing.assert_array_equal(got, np.stack([np.searchsorted(r, values) for r in rows]))
    got = sg.vmap(lambda v: sg.searchsorted(rows[0], v))(np.stack([values, values[::-1]])).numpy()
    want = np.stack([np.searchsorted(rows[0], values), np.searchsorted(rows[0], values[::-1])])
    np.testing.assert_array_equal(got, want)


def test_unique_matches_numpy_and_keeps_nans_apart():
    x = np.array([[3, 1, 3], [2, 1, 7]])
    values, index, inverse, counts = sg.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for got, want in zip((values, index, inverse, counts),
                         np.unique(x, return_index=True, return_inverse=True, return_counts=True)):
        np.testing.assert_array_equal(got.numpy(), want)
    out = xp.unique_all(np.array([np.nan, 1.0, np.nan]))
    np.testing.assert_array_equal(out.values.numpy(), [1.0, np.nan, np.nan])
    np.testing.assert_array_equal(out.counts.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(out.inverse_indices.numpy(), [1, 0, 2])
    with pytest.raises(RuntimeError, match="recorded graph"):
        sg.compile(lambda t: sg.unique(t))(sg.tensor([1.0, 1.0]))


def test_unique_values_carry_gradients():
    x = sg.tensor([2.0, 1.0, 2.0, 5.0], requires_grad=True)
    sg.sum(sg.unique(x) * sg.tensor([1.0, 10.0, 100.0])).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 1.0, 0.0, 100.0])  # the first 2.0 is the one kept


def test_tensordot_vecdot_cross_and_rank_match_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((4, 5, 2))
    np.testing.assert_allclose(sg.tensordot(a, b).numpy(), np.tensordot(a, b), rtol=1e-12)
    np.testing.assert_allclose(sg.tensordot(a, b, axes=([2, 1], [1, 0])).numpy(),
                               np.tensordot(a, b, axes=([2, 1], [1, 0])), rtol=1e-12)
    np.testing.assert_allclose(sg.tensordot(a, a, axes=0).numpy(), np.tensordot(a, a, axes=0), rtol=1e-12)
    with pytest.raises(ValueError, match=r"shape mismatch.*\(3, 4, 5\)"):
        sg.tensordot(a, b, axes=([0], [0]))
    with pytest.raises(ValueError, match="out of range"):
        sg.tensordot(a, b, axes=4)
    u, v = rng.standard_normal((2, 3)), rng.standard_normal((3,))
    np.testing.assert_allclose(sg.linalg.cross(u, v).numpy(), np.cross(u, v), rtol=1e-12)
    with pytest.raises(ValueError, match="size 3"):
        sg.linalg.cross(np.ones(4), np.ones(4))
    np.testing.assert_allclose(sg.vecdot(u, v).numpy(), u @ v, rtol=1e-12)
    with pytest.raises(ValueError, match="same size"):
        sg.vecdot(np.ones((3, 1)), np.ones((1, 3)), axis=0)  # no broadcasting along the product axis
    low_rank = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 5))
    stacked = np.stack([low_rank, np.eye(4, 5)])
    np.testing.assert_array_equal(sg.linalg.matrix_rank(stacked).numpy(), np.linalg.matrix_rank(stacked))


def test_cumulative_sum_and_array_helpers():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(sg.cumulative_sum(x, axis=0).numpy(), np.cumsum(x, axis=0))
    np.testing.assert_array_equal(sg.cumulative_sum(np.arange(3), include_initial=True).numpy(), [0, 0, 1, 3])
    with pytest.raises(ValueError, match=r"axis is required.*\(2, 3\)"):
        sg.cumulative_sum(x)
    a, b = sg.broadcast_arrays(np.ones((2, 1)), np.arange(3.0))
    assert a.shape == b.shape == (2, 3)
    rows = sg.unstack(x, axis=1)
    assert len(rows) == 3 and rows[1].tolist() == [1.0, 4.0]
    assert sg.full_like(x, 7).tolist() == [[7.0] * 3] * 2 and sg.empty_like(x).shape == (2, 3)
    np.testing.assert_array_equal(sg.any(x > 4, axis=0).numpy(), np.any(x > 4, axis=0))
    np.testing.assert_array_equal(sg.all(x >= 0).numpy(), True)
    assert sg.tensor([0.0, np.nan]).any().item() is True


def test_data_type_functions():
    assert xp.finfo(xp.float32).eps == np.finfo(np.float32).eps and xp.finfo(xp.float64).bits == 64
    assert xp.iinfo(xp.int64).max == 2**63 - 1
    with pytest.raises(ValueError, match="int64"):
        xp.finfo(xp.int64)
    assert xp.isdtype(xp.float32, "real floating") and xp.isdtype(xp.int64, ("bool", "integral"))
    assert not xp.isdtype(xp.bool, "numeric")
    with pytest.raises(ValueError, match="kind"):
        xp.isdtype(xp.float32, "floaty")
    assert xp.result_type(xp.float32, xp.float64) == xp.float64
    assert xp.result_type(xp.int64, xp.bool) == xp.int64
    assert xp.result_type(sg.tensor([1.0], dtype=sg.float32), 2.0) == xp.float32
    assert xp.can_cast(xp.float32, xp.float64) and not xp.can_cast(xp.float64, xp.float32)
    info = xp.__array_namespace_info__()
    assert info.devices() == ["cpu"] and info.default_device() == "cpu"
    assert set(info.dtypes(kind="real floating")) == {"float32", "float64"}
    assert info.default_dtypes()["indexing"] == xp.int64
    with pytest.raises(ValueError, match="cpu"):
        xp.zeros((2,), device="gpu")
    assert xp.zeros((2,), device="cpu").shape == (2,)


def test_array_api_keyword_spellings():
    x = np.array([[1.0, 5.0], [3.0, 2.0]])
    np.testing.assert_allclose(xp.std(x, correction=1).numpy(), np.std(x, ddof=1))
    np.testing.assert_array_equal(xp.clip(x, min=2.0).numpy(), np.clip(x, 2.0, None))
    np.testing.assert_array_equal(xp.clip(x, max=2.0).numpy(), np.clip(x, None, 2.0))
    assert xp.sum(np.array([True, True]), dtype=xp.float32).dtype == xp.float32
    np.testing.assert_array_equal(xp.linspace(0, 1, 4, endpoint=False).numpy(), np.linspace(0, 1, 4, endpoint=False))
    spd = x @ x.T + np.eye(2)
    np.testing.assert_allclose(xp.linalg.cholesky(spd, upper=True).numpy(), np.linalg.cholesky(spd).T, rtol=1e-12)
    np.testing.assert_allclose(xp.linalg.vector_norm(x, axis=(0, 1), ord=1).numpy(), np.abs(x).sum())
    np.testing.assert_allclose(xp.linalg.matrix_norm(x).numpy(), np.linalg.norm(x), rtol=1e-12)
    np.testing.assert_array_equal(xp.linalg.diagonal(x).numpy(), np.diagonal(x))
