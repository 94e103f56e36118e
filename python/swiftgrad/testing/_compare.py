"""Value comparisons for tests: `assert_close` (torch.testing style), `assert_allclose` and
`assert_equal` (numpy.testing signatures), and `close` (a truth value carrying the explanation).

Everything here reads the values through NumPy (a tensor's buffer is viewed, not copied); no
derivative or tensor arithmetic happens in swiftgrad. Containers (dicts, lists, tuples) are
compared as pytrees: structure first, then leaf by leaf, and a failure names the leaf's path.
"""
from collections.abc import Mapping

import numpy as np

# (rtol, atol) by dtype name, as torch.testing.assert_close; integer and bool dtypes compare exactly.
# float16 and bfloat16 are listed for when swiftgrad (or the other side of a comparison) has them.
DEFAULT_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}

_SHOWN_MISMATCHES = 5
_PY_SCALARS = (bool, int, float, complex)


def default_tolerances(*dtypes):
    """The (rtol, atol) used for values of these dtypes (dtype objects or names): the loosest of each
    over the dtypes, (0, 0) for integers and bool. Python `float` counts as float64."""
    pairs = [DEFAULT_TOLERANCES.get(_dtype_name(d), (0.0, 0.0)) for d in dtypes]
    return max((p[0] for p in pairs), default=0.0), max((p[1] for p in pairs), default=0.0)


def _dtype_name(d):
    if d is float:
        return "float64"
    if d is complex:
        return "complex128"
    return getattr(d, "name", None) or str(d)


class _Leaf:
    """One side of a leaf comparison: a NumPy array, its dtype (or the Python type for a 'weak'
    Python scalar or nested list of them) and a description of where it came from."""

    def __init__(self, value):
        from .._tensor import Tensor

        self.weak = None  # the Python type of a weakly typed value (scalars, lists of scalars)
        if isinstance(value, Tensor):
            self.array, self.origin = value.numpy(), "swiftgrad.Tensor"
        elif isinstance(value, np.ndarray):
            self.array, self.origin = value, "numpy.ndarray"
        elif isinstance(value, np.generic):
            self.array, self.origin = np.asarray(value), f"numpy.{type(value).__name__}"
        elif isinstance(value, _PY_SCALARS):
            self.array, self.origin, self.weak = np.asarray(value), "Python scalar", type(value)
        elif isinstance(value, (list, tuple)):
            leaves = list(_scalar_leaves(value))
            self.array, self.origin = np.asarray(value), f"Python {type(value).__name__}"
            if all(isinstance(v, _PY_SCALARS) for v in leaves) and leaves:
                # The widest kind among the leaves (np.float64 counts as float: it subclasses it).
                kinds = (bool, int, float, complex)
                self.weak = kinds[max(next(i for i, k in enumerate(kinds) if isinstance(v, k)) for v in leaves)]
        elif hasattr(value, "__dlpack__"):
            self.array, self.origin = np.from_dlpack(value), f"{type(value).__module__}.{type(value).__name__}"
        elif hasattr(value, "__array__") or hasattr(value, "__array_interface__"):
            self.array, self.origin = np.asarray(value), f"{type(value).__module__}.{type(value).__name__}"
        else:
            raise TypeError(f"cannot compare an object of type {type(value).__name__}: expected tensors, "
                            "arrays, DLPack producers, Python scalars, or dicts/lists/tuples of them")
        self.dtype = self.array.dtype

    @property
    def dtype_label(self):
        return self.weak.__name__ if self.weak else str(self.dtype)


def _scalar_leaves(seq):
    for v in seq:
        if isinstance(v, (list, tuple)):
            yield from _scalar_leaves(v)
        else:
            yield v


def _kind(leaf):
    if leaf.weak is not None:
        return {bool: "b", int: "i", float: "f", complex: "c"}[leaf.weak]
    k = leaf.dtype.kind
    return "i" if k == "u" else ("f" if k == "V" else k)  # "V": ml_dtypes' bfloat16 and friends


def _dtype_mismatch(a, e):
    if a.weak is None and e.weak is None:
        return a.dtype != e.dtype
    if a.weak is not None and e.weak is not None:
        return a.weak is not e.weak
    return _kind(a) != _kind(e)  # a Python scalar takes the dtype of the other side, within its kind


def _tolerances(a, e, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError("rtol and atol must both be given or both be omitted "
                         f"(got rtol={rtol!r}, atol={atol!r})")
    if rtol is not None:
        return float(rtol), float(atol)
    strong = [x.dtype for x in (a, e) if x.weak is None]
    return default_tolerances(*(strong or [x.weak for x in (a, e)]))


def _fmt(x):
    return f"{x:.6g}"


def _worst(values):
    """The flat index of the greatest value, a NaN counting as the greatest."""
    nan = np.isnan(values.ravel())
    return int(np.argmax(nan)) if nan.any() else int(np.argmax(values))


def _index(flat, shape):
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _leaf_failure(actual, expected, rtol, atol, equal_nan, check_dtype, check_shape, verbose, header=None):
    """None when the leaves agree, else the explanation (a list of lines). The header (default:
    "not equal" for exact comparisons, "not close" otherwise) heads a value mismatch."""
    a, e = _Leaf(actual), _Leaf(expected)
    describe = [f"actual:   shape {a.array.shape}, dtype {a.dtype_label} ({a.origin})",
                f"expected: shape {e.array.shape}, dtype {e.dtype_label} ({e.origin})"]
    if a.array.shape != e.array.shape:
        scalar = check_shape == "scalar" and (a.array.ndim == 0 or e.array.ndim == 0)
        if check_shape is True or (check_shape == "scalar" and not scalar):
            return [f"The values for attribute 'shape' do not match: {a.array.shape} != {e.array.shape}.",
                    ""] + describe
        try:
            np.broadcast_shapes(a.array.shape, e.array.shape)
        except ValueError:
            return [f"Shapes {a.array.shape} and {e.array.shape} cannot be broadcast together.", ""] + describe
    if check_dtype and _dtype_mismatch(a, e):
        return [f"The values for attribute 'dtype' do not match: {a.dtype_label} != {e.dtype_label}.", ""] + describe
    rtol, atol = _tolerances(a, e, rtol, atol)
    A, E = np.broadcast_arrays(a.array, e.array)
    kinds = {_kind(a), _kind(e)}
    if kinds <= {"b", "i"} and rtol == 0 and atol == 0:
        mismatch = A != E
        A64 = E64 = None
    else:
        work = np.complex128 if "c" in kinds else np.float64
        A64, E64 = A.astype(work), E.astype(work)
        with np.errstate(all="ignore"):
            diff = np.abs(A64 - E64)
            finite = np.isfinite(A64) & np.isfinite(E64)
            ok = finite & (diff <= atol + rtol * np.abs(E64))
            ok |= np.isinf(A64) & np.isinf(E64) & (A64 == E64)  # inf equals only the same-signed inf
            if equal_nan:
                ok |= np.isnan(A64) & np.isnan(E64)
        mismatch = ~ok
    k, n = int(np.count_nonzero(mismatch)), mismatch.size
    if k == 0:
        return None
    if A64 is None:
        A64, E64 = A.astype(np.float64), E.astype(np.float64)
    with np.errstate(all="ignore"):
        # NaN or inf where a non-finite element mismatches, 0 where elements match exactly.
        diff = np.where(mismatch, np.abs(A64 - E64), np.abs(np.where(A64 == E64, 0, A64 - E64))).real
        diff = np.where(mismatch & np.isnan(diff), np.nan, np.nan_to_num(diff, nan=0.0, posinf=np.inf))
        rel = np.where(diff == 0, 0.0, np.where(np.isinf(diff), np.inf, diff / np.abs(E64)))
    exact = rtol == 0 and atol == 0
    header = header or ("Tensor-likes are not equal!" if exact else "Tensor-likes are not close!")
    lines = [header, "", f"Mismatched elements: {k} / {n} ({100.0 * k / n:.1f}%)"]
    for name, values, tol in (("absolute", diff, atol), ("relative", rel, rtol)):
        i = _worst(values)
        lines.append(f"Greatest {name} difference: {_fmt(float(values.flat[i]))} at index {_index(i, A.shape)}"
                     + ("" if exact else f" (up to {tol:g} allowed)"))
    lines += describe
    if verbose:
        shown = np.flatnonzero(mismatch)[:_SHOWN_MISMATCHES]
        rows = [(str(_index(f, A.shape)), str(A.flat[f]), str(E.flat[f]), _fmt(float(diff.flat[f])))
                for f in shown]
        widths = [max(len(r[c]) for r in rows + [("index", "actual", "expected", "diff")]) for c in range(4)]
        lines.append(f"First mismatching elements ({len(shown)} of {k}):")
        for r in [("index", "actual", "expected", "diff")] + rows:
            lines.append("  " + "  ".join(s.ljust(w) for s, w in zip(r, widths)).rstrip())
    return lines


def _is_seq(x):
    return isinstance(x, (list, tuple))


def _tree_failure(actual, expected, path, leaf):
    """(path, lines) of the first difference between two pytrees, or None."""
    if isinstance(actual, Mapping) or isinstance(expected, Mapping):
        if not (isinstance(actual, Mapping) and isinstance(expected, Mapping)):
            return path, [(f"Structures differ: actual is a {type(actual).__name__}, "
                           f"expected is a {type(expected).__name__}.")]
        if set(actual) != set(expected):
            extra = sorted(map(repr, set(actual) - set(expected)))
            missing = sorted(map(repr, set(expected) - set(actual)))
            return path, [("The keys of the mappings do not match: "
                           f"only in actual: [{', '.join(extra)}], only in expected: [{', '.join(missing)}].")]
        for key in expected:
            found = _tree_failure(actual[key], expected[key], f"{path}[{key!r}]", leaf)
            if found:
                return found
        return None
    if _is_seq(actual) and _is_seq(expected):
        if len(actual) != len(expected):
            return path, [f"The length of the sequences do not match: {len(actual)} != {len(expected)}."]
        for i, (x, y) in enumerate(zip(actual, expected)):
            found = _tree_failure(x, y, f"{path}[{i}]", leaf)
            if found:
                return found
        return None
    lines = leaf(actual, expected)
    return (path, lines) if lines else None


def _explain(actual, expected, header, rtol, atol, equal_nan, check_dtype, check_shape, verbose=True):
    """None if equal within tolerance, else the full explanation (a list of lines)."""

    def leaf(a, e):
        return _leaf_failure(a, e, rtol, atol, equal_nan, check_dtype, check_shape, verbose, header)

    found = _tree_failure(actual, expected, "", leaf)
    if not found:
        return None
    path, lines = found
    if path:
        lines = lines + ["", f"The failure occurred for item {path}"]
    return lines


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True, check_shape=True,
                 msg=None):
    """Asserts that `actual` and `expected` are close: |actual - expected| <= atol + rtol * |expected|
    elementwise, after checking shapes and dtypes.

    Either side may be a swiftgrad tensor, a NumPy array, a DLPack producer, a Python scalar or a
    nested list of them, or a pytree (dicts, lists, tuples) of those: structures are compared first,
    then the leaves, and a failure names the leaf's path (``item [1]['w']``). Python scalars and
    lists of them are weakly typed: they take the dtype of the other side, within their kind.

    Default tolerances follow torch.testing by dtype (`DEFAULT_TOLERANCES`): float32 rtol 1.3e-6,
    atol 1e-5; float64 1e-7 and 1e-7; integers and bool exact; float16 (1e-3, 1e-5) and bfloat16
    (1.6e-2, 1e-5) for values of those dtypes. With check_dtype=False and mixed dtypes the looser
    of each is used. Give both rtol and atol or neither. NaN equals NaN only with equal_nan; an
    infinity equals only the infinity of the same sign. check_shape=False broadcasts the two.

    Raises AssertionError giving the shapes and dtypes, "Mismatched elements: k / n (p%)", the
    greatest absolute and relative differences with their indices, and a table of the first
    mismatching elements (index, actual, expected, diff). A string `msg` is put above that
    explanation; a callable `msg` is called with the explanation and returns the message.
    """
    __tracebackhide__ = True
    if (rtol is None) != (atol is None):
        raise ValueError("rtol and atol must both be given or both be omitted "
                         f"(got rtol={rtol!r}, atol={atol!r})")
    lines = _explain(actual, expected, None, rtol, atol, equal_nan, check_dtype, check_shape)
    if lines is None:
        return
    text = "\n".join(lines)
    if callable(msg):
        text = msg(text)
    elif msg:
        text = f"{msg}\n\n{text}"
    raise AssertionError(text)


def assert_allclose(actual, desired, rtol=1e-07, atol=0, equal_nan=True, err_msg="", verbose=True):
    """NumPy's `numpy.testing.assert_allclose` for tensors, arrays and pytrees of them: asserts
    |actual - desired| <= atol + rtol * |desired|, with NumPy's defaults (rtol 1e-7, atol 0,
    NaNs equal). dtypes are not compared; shapes must match unless one side is a scalar.
    `err_msg` is added to the explanation; verbose=False leaves out the table of elements."""
    __tracebackhide__ = True
    header = f"Not equal to tolerance rtol={rtol:g}, atol={atol:g}"
    lines = _explain(actual, desired, header, rtol, atol, equal_nan, False, "scalar", verbose)
    if lines is not None:
        if lines[0] != header:  # a structure, shape or dtype difference
            lines = [header, ""] + lines
        if err_msg:
            lines = [lines[0], err_msg] + lines[1:]
        raise AssertionError("\n".join(lines))


def assert_equal(actual, desired, err_msg="", verbose=True, *, strict=False):
    """NumPy's `numpy.testing.assert_equal` for tensors, arrays and pytrees of them: exact equality,
    NaN equal to NaN. dtypes and shapes (beyond scalar broadcasting) are compared only with
    strict=True. `err_msg` is added to the explanation."""
    __tracebackhide__ = True
    shapes = True if strict else "scalar"
    lines = _explain(actual, desired, "Arrays are not equal", 0.0, 0.0, True, strict, shapes, verbose)
    if lines is not None:
        if err_msg:
            lines = [lines[0], err_msg] + lines[1:]
        raise AssertionError("\n".join(lines))


class Comparison:
    """The result of `close`: true when the values are close; `explanation` holds the
    assert_close message otherwise (and `str()` gives it)."""

    __module__ = "swiftgrad.testing"

    def __init__(self, explanation):
        self.explanation = explanation

    def __bool__(self):
        return self.explanation is None

    def __str__(self):
        return "close" if self.explanation is None else self.explanation

    def __repr__(self):
        if self.explanation is None:
            return "Comparison(close)"
        lines = [ln for ln in self.explanation.splitlines() if ln]
        starts = ("Mismatched", "Greatest absolute", "The ", "Structures", "Shapes")
        keep = [ln for ln in lines if ln.startswith(starts)]
        return "NotClose(" + "; ".join(keep or lines[:2]) + ")"


def close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True, check_shape=True):
    """`assert_close` as a truth value: a `Comparison` that is true when the values are close and
    otherwise carries the explanation, for `assert sg.testing.close(a, b)` (its repr is a
    one-line summary; `str()` is the full explanation)."""
    try:
        assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype,
                     check_shape=check_shape)
    except AssertionError as err:
        return Comparison(str(err))
    return Comparison(None)


def explain_equality(left, right):
    """The lines explaining why `left == right` is false, for the pytest plugin (None when they are
    equal under exact comparison, dtypes not checked, scalars broadcast)."""
    return _explain(left, right, "Tensor-likes are not equal!", 0.0, 0.0, False, False, False)
