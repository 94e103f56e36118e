"""The integer dtypes int8, int16, int32, uint8, uint16, uint32, uint64 (issue 23): creation, casts,
NumPy/DLPack interop, persistence, and every integer-capable op against NumPy, including wrapping at
the type's width and uint64 values >= 2^63 (Note [Low-precision forward])."""
import pickle

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad import array_api as xp

NARROW = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]
INTS = NARROW + ["uint64", "int64"]


def _ints(dtype, shape, seed=0, low=None, high=None):
    """Random values over the whole range of `dtype`, boundaries included."""
    info = np.iinfo(dtype)
    low = info.min if low is None else low
    high = info.max if high is None else high
    rng = np.random.default_rng(seed)
    a = rng.integers(low, high, size=shape, dtype=dtype, endpoint=True)
    flat = a.reshape(-1)
    edges = [low, high, 0 if low <= 0 <= high else low, 1 if low <= 1 <= high else high]
    flat[: min(len(edges), flat.size)] = np.array(edges[: flat.size], dtype=dtype)
    return a


def _same(out, expected):
    """`out` holds NumPy's values with NumPy's dtype."""
    got = np.asarray(out)
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(got, expected)


# --- dtypes, creation, casts ---------------------------------------------------------------------


@pytest.mark.parametrize("name", INTS)
def test_dtype_objects_and_namespace(name):
    d = np.dtype(name)
    assert getattr(sg, name) == d and getattr(xp, name) == d
    assert xp.__array_namespace_info__().dtypes()[name] == d
    info = xp.iinfo(getattr(xp, name))
    assert (info.bits, info.min, info.max) == (d.itemsize * 8, np.iinfo(d).min, np.iinfo(d).max)
    kind = "signed integer" if d.kind == "i" else "unsigned integer"
    assert xp.isdtype(d, kind) and xp.isdtype(d, "integral") and not xp.isdtype(d, "real floating")


@pytest.mark.parametrize("name", INTS)
def test_creation(name):
    d = np.dtype(name)
    _same(sg.zeros((2, 3), dtype=d), np.zeros((2, 3), d))
    _same(sg.ones((4,), dtype=d), np.ones(4, d))
    _same(sg.full((2,), 7, dtype=d), np.full(2, 7, d))
    _same(sg.arange(0, 10, 3, dtype=d), np.arange(0, 10, 3, dtype=d))
    _same(sg.asarray([1, 2, 3], dtype=d), np.asarray([1, 2, 3], d))
    top = int(np.iinfo(d).max)
    _same(sg.full((3,), top, dtype=d), np.full(3, top, d))  # exact beyond 2^53 for the 64-bit ones
    t = sg.asarray(np.array([top], d))
    assert t[0].item() == top and isinstance(t[0].item(), int) and int(t[0]) == top
    assert f"dtype={name}" in repr(t) or name == "int64"
    assert str(top) in repr(t)


@pytest.mark.parametrize("name", NARROW + ["uint64"])
def test_python_int_out_of_range_raises_overflow(name):
    d = np.dtype(name)
    too_big = int(np.iinfo(d).max) + 1
    with pytest.raises(OverflowError):
        sg.asarray(too_big, dtype=d)
    with pytest.raises(OverflowError):
        sg.asarray([1, too_big], dtype=d)
    with pytest.raises(OverflowError):
        sg.full((2,), too_big, dtype=d)
    with pytest.raises(OverflowError):
        sg.tensor([int(np.iinfo(d).min) - 1], dtype=d)


@pytest.mark.parametrize("src", INTS + ["bool", "float32", "float64"])
@pytest.mark.parametrize("dst", INTS)
def test_astype_matches_numpy(src, dst):
    if src in INTS:
        a = _ints(src, (40,), seed=1)
    elif src == "bool":
        a = np.array([True, False, True])
    else:  # in range of every destination, so NumPy's result is defined
        a = np.array([0.0, 1.9, 100.5, 127.0, 3.0], dtype=src)
    with np.errstate(all="ignore"):
        _same(sg.astype(sg.asarray(a), np.dtype(dst)), a.astype(dst))
        _same(sg.asarray(a.astype(dst)).astype(src), a.astype(dst).astype(src))


def test_uint64_to_float_and_back_above_two_to_the_63():
    a = np.array([2**64 - 1, 2**63, 2**63 + 2**11, 5, 0], dtype=np.uint64)
    t = sg.asarray(a)
    _same(t.astype(np.float64), a.astype(np.float64))
    _same(t.astype(np.float32), a.astype(np.float32))
    f = np.array([2.0**63, 1.5 * 2.0**63, 3.0], dtype=np.float64)
    _same(sg.asarray(f).astype(np.uint64), f.astype(np.uint64))


# --- interop and persistence ------------------------------------------------------------------------


@pytest.mark.parametrize("name", INTS)
def test_numpy_interop_is_zero_copy(name):
    a = _ints(name, (3, 4))
    t = sg.asarray(a)
    assert t.dtype == a.dtype
    back = np.asarray(t)
    assert back.dtype == a.dtype and np.shares_memory(back, a)
    _same(back, a)
    strided = sg.from_numpy(a[:, ::2])
    _same(strided, a[:, ::2])
    made = sg.arange(5, dtype=np.dtype(name))
    view = np.asarray(made)
    assert view.dtype == np.dtype(name) and np.shares_memory(view, np.asarray(made))


@pytest.mark.parametrize("name", INTS)
def test_dlpack_pickle_save_load(name, tmp_path):
    a = _ints(name, (2, 5), seed=3)
    t = sg.asarray(a)
    _same(np.from_dlpack(t), a)
    _same(sg.from_dlpack(a), a)
    _same(pickle.loads(pickle.dumps(t)), a)
    for suffix in (".npz", ".safetensors"):
        path = tmp_path / f"t{suffix}"
        sg.save({"t": t}, path)
        loaded = sg.load(path)["t"]
        assert isinstance(loaded, sg.Tensor)
        _same(loaded, a)


# --- ops against NumPy ------------------------------------------------------------------------------

# (name, swiftgrad, NumPy): two integer operands of one dtype over their whole range.
BINARY = [
    ("add", sg.add, np.add),
    ("subtract", sg.subtract, np.subtract),
    ("multiply", sg.multiply, np.multiply),
    ("floor_divide", sg.floor_divide, np.floor_divide),
    ("remainder", sg.remainder, np.remainder),
    ("bitwise_and", sg.bitwise_and, np.bitwise_and),
    ("bitwise_or", sg.bitwise_or, np.bitwise_or),
    ("bitwise_xor", sg.bitwise_xor, np.bitwise_xor),
    ("maximum", sg.maximum, np.maximum),
    ("minimum", sg.minimum, np.minimum),
    ("equal", sg.equal, np.equal),
    ("not_equal", sg.not_equal, np.not_equal),
    ("less", sg.less, np.less),
    ("less_equal", sg.less_equal, np.less_equal),
    ("greater", sg.greater, np.greater),
    ("greater_equal", sg.greater_equal, np.greater_equal),
    ("where", lambda a, b: sg.where(sg.greater(a, b), a, b), lambda a, b: np.where(a > b, a, b)),
]

UNARY = [
    ("negative", sg.negative, np.negative),
    ("positive", xp.positive, np.positive),
    ("abs", sg.abs, np.abs),
    ("sign", sg.sign, np.sign),
    ("square", sg.square, np.square),
    ("bitwise_invert", sg.bitwise_invert, np.invert),
    ("floor", sg.floor, np.floor),
    ("ceil", sg.ceil, np.ceil),
    ("trunc", sg.trunc, np.trunc),
    ("sum", sg.sum, np.sum),
    ("sum_axis", lambda x: sg.sum(x, axis=0), lambda x: np.sum(x, axis=0)),
    ("prod_axis", lambda x: sg.prod(x, axis=1), lambda x: np.prod(x, axis=1)),
    ("cumsum", lambda x: sg.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1)),
    ("cumulative_sum", lambda x: xp.cumulative_sum(x, axis=1), lambda x: np.cumsum(x, axis=1)),
    ("max", lambda x: sg.max(x, axis=1), lambda x: np.max(x, axis=1)),
    ("min", sg.min, np.min),
    ("argmax", lambda x: sg.argmax(x, axis=1), lambda x: np.argmax(x, axis=1)),
    ("argmin", lambda x: sg.argmin(x, axis=0), lambda x: np.argmin(x, axis=0)),
    ("sort", lambda x: sg.sort(x, axis=1), lambda x: np.sort(x, axis=1, kind="stable")),
    ("argsort", lambda x: sg.argsort(x, axis=1), lambda x: np.argsort(x, axis=1, kind="stable")),
    ("unique_values", lambda x: xp.unique_values(x), np.unique),
    ("reshape_T", lambda x: sg.reshape(x, (-1,)).T, lambda x: x.reshape(-1).T),
    ("concat", lambda x: xp.concat([x, x], axis=0), lambda x: np.concatenate([x, x], axis=0)),
    ("flip", lambda x: sg.flip(x, axis=1), lambda x: np.flip(x, axis=1)),
    ("matmul", lambda x: sg.matmul(x, x.T), lambda x: np.matmul(x, x.T)),
]


@pytest.mark.parametrize("name", INTS)
@pytest.mark.parametrize("op", BINARY, ids=[c[0] for c in BINARY])
def test_binary_ops_match_numpy(op, name):
    _, fn, ref = op
    a, b = _ints(name, (6, 7), seed=1), _ints(name, (6, 7), seed=2)
    with np.errstate(all="ignore"):
        _same(fn(sg.asarray(a), sg.asarray(b)), ref(a, b))
        # broadcasting against a row, and a Python scalar (weak: the array's dtype is kept)
        _same(fn(sg.asarray(a), sg.asarray(b[0])), ref(a, b[0]))
        if fn not in (sg.equal, sg.not_equal) and "where" not in op[0]:
            _same(fn(sg.asarray(a), 3), ref(a, np.array(3, a.dtype)))


@pytest.mark.parametrize("name", INTS)
@pytest.mark.parametrize("op", UNARY, ids=[c[0] for c in UNARY])
def test_unary_and_reduction_ops_match_numpy(op, name):
    _, fn, ref = op
    a = _ints(name, (5, 6), seed=4)
    with np.errstate(all="ignore"):
        _same(fn(sg.asarray(a)), ref(a))


@pytest.mark.parametrize("name", INTS)
def test_shifts_at_the_width(name):
    d = np.dtype(name)
    bits = d.itemsize * 8
    a = _ints(name, (4, 9), seed=5)
    counts = np.arange(0, bits + 2, max(1, bits // 8), dtype=d)[:9]
    counts = np.resize(counts, 9).astype(d)
    _same(sg.bitwise_left_shift(sg.asarray(a), sg.asarray(counts)), np.left_shift(a, counts))
    _same(sg.bitwise_right_shift(sg.asarray(a), sg.asarray(counts)), np.right_shift(a, counts))


@pytest.mark.parametrize("name", NARROW)
def test_wrapping_at_the_boundaries(name):
    d = np.dtype(name)
    info = np.iinfo(d)
    top, bottom = sg.asarray(np.array([info.max], d)), sg.asarray(np.array([info.min], d))
    _same(top + 1, np.array([info.min], d))
    _same(bottom - 1, np.array([info.max], d))
    _same(top * 2, np.array([info.max], d) * np.array(2, d))
    _same(-bottom, np.negative(np.array([info.min], d)))
    _same(sg.abs(bottom), np.abs(np.array([info.min], d)))
    if d.kind == "i":
        _same(bottom // -1, np.array([info.min], d))  # the one overflowing quotient wraps
    assert sg.asarray(np.array([127], np.int8)) + 1 == -128


@pytest.mark.parametrize("name", NARROW)
def test_sum_prod_default_dtype_is_the_default_integer(name):
    a = _ints(name, (50,), seed=6)
    expected = np.uint64 if name.startswith("u") else np.int64
    for fn in (sg.sum, sg.prod, xp.sum, xp.prod, lambda x: xp.cumulative_sum(x)):
        assert fn(sg.asarray(a)).dtype == expected
    _same(sg.sum(sg.asarray(a)), np.sum(a))
    _same(xp.sum(sg.asarray(a), dtype=np.dtype(name)), np.sum(a, dtype=name))


def test_uint64_above_two_to_the_63():
    values = [2**64 - 1, 2**63, 2**63 - 1, 5, 0, 2**63 + 7]
    a = np.array(values, dtype=np.uint64)
    b = np.array([3, 2**63 + 1, 2**63, 7, 1, 2**64 - 2], dtype=np.uint64)
    t, u = sg.asarray(a), sg.asarray(b)
    for fn, ref in [(sg.less, np.less), (sg.greater_equal, np.greater_equal), (sg.maximum, np.maximum),
                    (sg.minimum, np.minimum), (sg.floor_divide, np.floor_divide), (sg.remainder, np.remainder),
                    (sg.add, np.add), (sg.multiply, np.multiply), (sg.bitwise_xor, np.bitwise_xor)]:
        _same(fn(t, u), ref(a, b))
    np.testing.assert_allclose(np.asarray(sg.divide(t, u)), a / b, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(sg.sqrt(t)), np.sqrt(a), rtol=1e-15)
    _same(sg.max(t), np.max(a))
    _same(sg.min(t), np.min(a))
    _same(sg.argmax(t), np.argmax(a))
    _same(sg.argmin(t), np.argmin(a))
    _same(sg.sort(t), np.sort(a))
    _same(sg.argsort(t), np.argsort(a, kind="stable"))
    _same(xp.unique_values(t), np.unique(a))
    _same(sg.searchsorted(sg.sort(t), sg.asarray(np.array([2**63, 6], np.uint64))),
          np.searchsorted(np.sort(a), np.array([2**63, 6], np.uint64)))
    _same(sg.bitwise_right_shift(t, 1), a >> np.uint64(1))
    _same(sg.abs(t), a)
    _same(sg.sign(t), np.sign(a))
    _same(sg.sum(t), np.sum(a))
    _same(t > 2**62, a > 2**62)
    assert "18446744073709551615" in repr(t)
    assert t[0].item() == 2**64 - 1
    _same(sg.asarray(2**64 - 1, dtype=sg.uint64), np.array(2**64 - 1, np.uint64))
    # with a signed integer uint64 promotes to float64, from the values (not the int64 bit pattern)
    ones = np.ones(6, np.int64)
    _same(t + sg.asarray(ones), a + ones)
    _same(t < sg.asarray(ones), a < ones)
    _same(t * sg.asarray(np.ones(6, np.float32)), a.astype(np.float32))  # the float wins (JAX's rule)
    half = sg.asarray(np.ones(6, np.float32)).astype(sg.bfloat16)
    out = t * half
    assert out.dtype == sg.bfloat16
    np.testing.assert_allclose(np.asarray(out.astype(sg.float64)), a.astype(np.float64), rtol=2**-8)


# --- promotion ------------------------------------------------------------------------------------

_ORDER = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"]


def _expected_promotion(a, b):
    """The standard's type promotion table (2023.12), with the two pairs it leaves open decided as
    JAX does: uint64 with a signed integer gives float64, and an integer with a float gives the float."""
    da, db = np.dtype(a), np.dtype(b)
    if da == db:
        return da
    if da.kind == "b":
        return db
    if db.kind == "b":
        return da
    if da.kind == "f" or db.kind == "f":
        if da.kind == "f" and db.kind == "f":
            return max(da, db, key=lambda d: d.itemsize)
        return da if da.kind == "f" else db
    if da.kind == db.kind:
        return max(da, db, key=lambda d: d.itemsize)
    s, u = (da, db) if da.kind == "i" else (db, da)
    if s.itemsize > u.itemsize:
        return s
    return np.dtype(f"int{u.itemsize * 16}") if u.itemsize < 8 else np.dtype("float64")


@pytest.mark.parametrize("a", _ORDER)
@pytest.mark.parametrize("b", _ORDER)
def test_promotion_table(a, b):
    expected = _expected_promotion(a, b)
    assert xp.result_type(np.dtype(a), np.dtype(b)) == expected
    assert (sg.zeros((2,), dtype=np.dtype(a)) + sg.zeros((2,), dtype=np.dtype(b))).dtype == expected
    if np.dtype(a).kind != "f" and np.dtype(b).kind != "f":
        assert expected == np.result_type(a, b)  # NumPy agrees wherever both are integers or bools
    assert xp.can_cast(np.dtype(a), np.dtype(b)) == (expected == np.dtype(b))


@pytest.mark.parametrize("name", NARROW)
def test_mixed_widths_compute_exactly(name):
    a = _ints(name, (30,), seed=8)
    b = _ints("int8", (30,), seed=9)
    with np.errstate(all="ignore"):
        _same(sg.asarray(a) + sg.asarray(b), a + b)
        _same(sg.asarray(a) * sg.asarray(b), a * b)
        _same(sg.asarray(a) < sg.asarray(b), a < b)


@pytest.mark.parametrize("name", INTS)
def test_float_ops_on_integers_give_the_default_float(name):
    a = _ints(name, (8,), seed=10, low=0, high=100)
    out = sg.exp(sg.asarray(a) / 50)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(out), np.exp(a.astype(np.float64) / 50), rtol=1e-14)


# --- indexing with every integer dtype ----------------------------------------------------------


@pytest.mark.parametrize("name", INTS)
def test_index_arrays_of_every_integer_dtype(name):
    x = np.arange(20.0).reshape(4, 5)
    idx = np.array([3, 0, 1, 3], dtype=name)
    t = sg.asarray(x)
    _same(t[sg.asarray(idx)], x[idx])
    _same(t[:, sg.asarray(idx)], x[:, idx])
    _same(t[idx], x[idx])
    _same(sg.take(t, sg.asarray(idx), axis=1), np.take(x, idx, axis=1))
    along = np.array([[0], [1], [2], [4]], dtype=name)
    _same(sg.take_along_axis(t, sg.asarray(along), axis=1), np.take_along_axis(x, along, axis=1))
    data = _ints(name, (6,), seed=11)
    _same(sg.asarray(data)[sg.asarray(np.array([5, 0], np.int32))], data[[5, 0]])


def test_integer_tensors_carry_no_gradient():
    t = sg.asarray(np.array([1, 2, 3], np.int16))
    with pytest.raises(Exception, match="(?i)float"):
        t.requires_grad = True
    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = sg.sum(x * t)
    y.backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [1.0, 2.0, 3.0])
