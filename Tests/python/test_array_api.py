"""`Tensor.__array_namespace__`: code written against the Python array API standard runs on
swiftgrad tensors and stays differentiable."""
import numpy as np
import pytest

import swiftgrad as sg


def standard_softmax_entropy(x):
    """Written only against the standard's names (as a library would)."""
    xp = x.__array_namespace__()
    shifted = x - xp.max(x, axis=-1, keepdims=True)
    p = xp.exp(shifted) / xp.sum(xp.exp(shifted), axis=-1, keepdims=True)
    return -xp.sum(p * xp.log(p))


def test_namespace_is_the_array_api_module():
    x = sg.tensor([1.0, 2.0])
    xp = x.__array_namespace__()
    assert xp is sg.array_api and xp.__array_api_version__ == "2023.12"
    assert x.__array_namespace__(api_version="2022.12") is xp
    with pytest.raises(ValueError, match="2023.12"):
        x.__array_namespace__(api_version="1999.01")


def test_standard_names_map_onto_swiftgrad_operators():
    xp = sg.array_api
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(xp.concat([a, a], axis=0).numpy(), np.concatenate([a, a]))
    np.testing.assert_array_equal(xp.permute_dims(a, (1, 0)).numpy(), a.T)
    np.testing.assert_array_equal(xp.matrix_transpose(np.ones((4, 2, 3))).shape, (4, 3, 2))
    np.testing.assert_array_equal(xp.pow(a, 2.0).numpy(), a**2)
    np.testing.assert_array_equal(xp.positive(a).numpy(), a)
    assert xp.float64 is sg.float64 and xp.bool is sg.bool_
    with pytest.raises(ValueError, match=r"\(3,\)"):
        xp.matrix_transpose(np.ones(3))


def test_supported_and_missing_partition_the_standard():
    xp = sg.array_api
    assert set(xp.SUPPORTED).isdisjoint(xp.MISSING)
    assert set(xp.SUPPORTED) | set(xp.MISSING) == set(xp.STANDARD_FUNCTIONS)
    for name in xp.SUPPORTED:
        assert callable(getattr(xp, name)), name
    for name in xp.MISSING:
        with pytest.raises(AttributeError, match=name):
            getattr(xp, name)


def test_standard_code_is_differentiable():
    x = sg.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert sg.gradcheck(standard_softmax_entropy, (x,))
    assert sg.gradgradcheck(standard_softmax_entropy, (x,))


def test_logical_and_float_classification_functions_match_numpy():
    xp = sg.array_api
    a = np.array([[0.0, np.nan, np.inf], [1.0, -np.inf, 2.0]])
    for name in ("isnan", "isinf", "isfinite"):
        np.testing.assert_array_equal(getattr(xp, name)(a).numpy(), getattr(np, name)(a), err_msg=name)
    b = np.array([[True, False], [True, True]])
    c = np.array([[False, False], [True, False]])
    for name in ("logical_and", "logical_or"):
        np.testing.assert_array_equal(getattr(xp, name)(b, c).numpy(), getattr(np, name)(b, c), err_msg=name)
    np.testing.assert_array_equal(xp.logical_not(b).numpy(), ~b)
    for axis in (None, 0, 1):
        np.testing.assert_array_equal(xp.all(b, axis=axis).numpy(), np.all(b, axis=axis))
        np.testing.assert_array_equal(xp.any(c, axis=axis, keepdims=True).numpy(), np.any(c, axis=axis, keepdims=True))
    np.testing.assert_allclose(xp.log10(np.array([1000.0])).numpy(), [3.0], rtol=1e-15)
