"""swiftgrad.testing: assert_close and friends, check_grads (op table: no false positives;
deliberately wrong rules: caught), hypothesis strategies, the pytest plugin, docs/TESTING.md."""
import collections
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL
from swiftgrad.testing import CheckGradsError, assert_allclose, assert_close, assert_equal, check_grads, close
from testing_mutations import A, B, MUTATIONS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "TESTING.md"
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "python"), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")


def _message(*args, fn=assert_close, **kwargs):
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- assert_close: messages -------------------------------------------------------------------------

def test_message_gives_counts_greatest_differences_and_a_table():
    actual = sg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=sg.float32)
    expected = np.array([[1.0, 2.5, 3.0], [4.0, 5.0, -6.0]], dtype=np.float32)
    assert _message(actual, expected).splitlines() == [
        "Tensor-likes are not close!",
        "",
        "Mismatched elements: 2 / 6 (33.3%)",
        "Greatest absolute difference: 12 at index (1, 2) (up to 1e-05 allowed)",
        "Greatest relative difference: 2 at index (1, 2) (up to 1.3e-06 allowed)",
        "actual:   shape (2, 3), dtype float32 (swiftgrad.Tensor)",
        "expected: shape (2, 3), dtype float32 (numpy.ndarray)",
        "First mismatching elements (2 of 2):",
        "  index   actual  expected  diff",
        "  (0, 1)  2.0     2.5       0.5",
        "  (1, 2)  6.0     -6.0      12",
    ]


def test_table_shows_the_first_five_of_many():
    text = _message(sg.arange(10.0), np.arange(10.0) + 1)
    assert "Mismatched elements: 10 / 10 (100.0%)" in text
    assert "First mismatching elements (5 of 10):" in text
    assert "  (4,)   4.0     5.0       1" in text and "(5,)" not in text


def test_exact_comparisons_say_equal_and_show_no_allowance():
    text = _message(sg.tensor([1, 2, 3]), np.array([1, 2, 4]))
    assert text.startswith("Tensor-likes are not equal!")
    assert "Greatest absolute difference: 1 at index (2,)\n" in text and "allowed" not in text
    assert "First mismatching elements (1 of 1):" in _message(sg.tensor([True, False]), np.array([True, True]))


def test_shape_and_dtype_mismatches_are_named():
    assert _message(sg.zeros(2), sg.zeros((1, 2))).startswith(
        "The values for attribute 'shape' do not match: (2,) != (1, 2).")
    assert _message(sg.zeros(2, dtype=sg.float32), np.zeros(2)).startswith(
        "The values for attribute 'dtype' do not match: float32 != float64.")
    assert_close(sg.zeros(2), sg.zeros((3, 2)), check_shape=False)
    assert "cannot be broadcast" in _message(sg.zeros(2), sg.zeros(3), check_shape=False)


def test_msg_is_prepended_or_transforms_the_message():
    assert _message(1.0, 2.0, msg="after step 3").startswith("after step 3\n\nTensor-likes are not close!")
    assert _message(1.0, 2.0, msg=lambda m: "custom: " + m.splitlines()[2]) == \
        "custom: Mismatched elements: 1 / 1 (100.0%)"


# --- assert_close: tolerances and dtypes -------------------------------------------------------------

@pytest.mark.parametrize("dtype, rtol, atol", [("float32", 1.3e-6, 1e-5), ("float64", 1e-7, 1e-7)])
def test_default_tolerances_sit_at_the_documented_bound(dtype, rtol, atol):
    expected = np.array([100.0, 0.0], dtype=dtype)
    bound = np.array([atol + rtol * 100.0, atol])
    inside = (expected.astype(np.float64) + 0.9 * bound).astype(dtype)
    outside = (expected.astype(np.float64) + 1.1 * bound).astype(dtype)
    assert_close(sg.tensor(inside), expected)
    assert "Mismatched elements: 2 / 2" in _message(sg.tensor(outside), expected)


def test_tolerance_table_covers_half_precision_by_name():
    assert sg.testing.default_tolerances("float16") == (1e-3, 1e-5)
    assert sg.testing.default_tolerances("bfloat16") == (1.6e-2, 1e-5)
    assert sg.testing.default_tolerances(np.int64, np.bool_) == (0.0, 0.0)
    assert_close(np.float16([1.0]), np.float16([1.0009765625]))  # one float16 ulp: within 1e-3
    assert "not close" in _message(np.float16([1.0]), np.float16([1.0029296875]))


def test_mixed_dtypes_use_the_looser_tolerances():
    x64 = np.array([1.0])
    x32 = sg.tensor([1.0 + 5e-6], dtype=sg.float32)  # outside float64's 2e-7, inside float32's 1.13e-5
    assert_close(x32, x64, check_dtype=False)
    assert "Mismatched" in _message(sg.tensor([1.0 + 5e-6]), x64)
    assert "Mismatched" in _message(sg.tensor([1.0 + 2e-5], dtype=sg.float32), x64, check_dtype=False)


def test_rtol_and_atol_go_together_and_override_the_defaults():
    with pytest.raises(ValueError, match="rtol and atol"):
        assert_close(1.0, 1.0, rtol=1e-3)
    assert_close(sg.tensor([1.0]), [1.0009], rtol=1e-3, atol=0.0)
    assert "(up to 0.001 allowed)" in _message(sg.tensor([1.0]), [1.002], rtol=1e-3, atol=0.0)
    assert_close(sg.tensor([3, 4]), [3, 5], rtol=0.0, atol=1.0)  # integers with a tolerance


def test_python_scalars_are_weakly_typed():
    assert_close(sg.tensor(2.0, dtype=sg.float32), 2.0)
    assert_close(sg.tensor([1, 2]), [1, 2])
    assert "dtype' do not match: int64 != float" in _message(sg.tensor(1), 1.0)
    assert "dtype' do not match: int != float" in _message(1, 1.0)
    assert_close(1, 1.0, check_dtype=False)


def test_nan_and_infinities():
    nan, inf = np.nan, np.inf
    assert "Greatest absolute difference: nan at index (0,)" in _message(sg.tensor([nan, 1.0]), [nan, 1.0])
    assert_close(sg.tensor([nan, inf, -inf]), [nan, inf, -inf], equal_nan=True)
    assert "Mismatched elements: 1 / 1" in _message(sg.tensor([nan]), [1.0], equal_nan=True)
    assert "Greatest absolute difference: inf" in _message(sg.tensor([inf]), [-inf], equal_nan=True)
    assert "Mismatched" in _message(sg.tensor([inf]), [1e300], rtol=10.0, atol=10.0)
    assert "Mismatched" in _message(sg.tensor([1e300]), [inf], rtol=10.0, atol=10.0)


def test_dlpack_producers_and_array_likes():
    class OnlyDLPack:
        def __init__(self, a):
            self._a = a

        def __dlpack__(self, **kwargs):
            return self._a.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self._a.__dlpack_device__()

    assert_close(OnlyDLPack(np.arange(3.0)), sg.arange(3.0))
    assert "OnlyDLPack" in _message(OnlyDLPack(np.arange(3.0)), sg.arange(1.0, 4.0))
    with pytest.raises(TypeError, match="cannot compare an object of type object"):
        assert_close(object(), 1.0)


# --- assert_close: pytrees ---------------------------------------------------------------------------

def test_pytrees_compare_structure_then_leaves_and_name_the_path():
    actual = {"layers": [{"w": sg.ones((2, 2)), "b": sg.zeros(2)}], "step": 3}
    assert_close(actual, {"layers": [{"w": np.ones((2, 2)), "b": np.zeros(2)}], "step": 3})
    text = _message(actual, {"layers": [{"w": np.ones((2, 2)), "b": np.array([0.0, 0.5])}], "step": 3})
    assert text.endswith("The failure occurred for item ['layers'][0]['b']")
    assert "Mismatched elements: 1 / 2 (50.0%)" in text


def test_pytree_structure_differences():
    assert _message({"a": 1, "b": 2}, {"a": 1, "c": 2}).startswith(
        "The keys of the mappings do not match: only in actual: ['b'], only in expected: ['c'].")
    assert _message([1.0, 2.0], [1.0, 2.0, 3.0]).startswith(
        "The length of the sequences do not match: 2 != 3.")
    assert "actual is a dict, expected is a Tensor" in _message({"a": sg.ones(1)}, sg.ones(1))
    point = collections.namedtuple("Point", "x y")
    assert_close(point(sg.ones(1), 2.0), (np.ones(1), 2.0))  # tuples and lists compare as sequences
    assert _message((sg.ones(1), [1.0, 2.0]), [np.ones(1), (1.0, 3.0)]).endswith("item [1][1]")


def test_nested_lists_against_a_tensor_are_one_leaf():
    assert_close(sg.tensor([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.0, 4.0]])
    assert "index (1, 0)" in _message(sg.tensor([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.5, 4.0]])


# --- close, assert_allclose, assert_equal ------------------------------------------------------------

def test_pytest_approx_accepts_tensors_on_either_side():
    assert sg.tensor([1.0, 2.0]) == pytest.approx(np.array([1.0, 2.0 + 1e-9]))
    assert np.array([1.0, 2.0]) == pytest.approx(sg.tensor([1.0, 2.0 + 1e-9]))
    assert sg.tensor(2.0) == pytest.approx(2.0)
    assert sg.tensor([1.0, 2.0]) != pytest.approx(sg.tensor([1.0, 2.1]))


def test_close_is_a_truth_value_carrying_the_explanation():
    ok = close(sg.ones(3), np.ones(3))
    assert ok and repr(ok) == "Comparison(close)"
    bad = close(sg.ones(3), [1.0, 1.0, 2.0])
    assert not bad
    assert str(bad) == _message(sg.ones(3), [1.0, 1.0, 2.0])
    assert repr(bad) == ("NotClose(Mismatched elements: 1 / 3 (33.3%); "
                         "Greatest absolute difference: 1 at index (2,) (up to 1e-07 allowed))")


@pytest.mark.parametrize("actual, desired", [
    ([1.0, 2.0], [1.0, 2.0 + 1e-7]), ([1.0, 2.0], [1.0, 2.0 + 1e-6]), ([1.0, np.nan], [1.0, np.nan]),
    ([0.0], [1e-300]), (2.0, [2.0, 2.0]), ([1.0, 2.0], [[1.0, 2.0]]), ([np.inf], [-np.inf]), ([5, 7], [5.0, 7.0]),
])
def test_assert_allclose_agrees_with_numpy(actual, desired):
    try:
        np.testing.assert_allclose(np.asarray(actual), desired)
        numpy_ok = True
    except AssertionError:
        numpy_ok = False
    if numpy_ok:
        assert_allclose(sg.tensor(actual), desired)
    else:
        text = _message(sg.tensor(actual), desired, fn=assert_allclose, err_msg="context")
        assert text.startswith("Not equal to tolerance rtol=1e-07, atol=0\ncontext\n")


def test_assert_allclose_verbose_and_equal():
    assert "First mismatching" not in _message(sg.ones(2), [1.0, 2.0], fn=assert_allclose, verbose=False)
    assert_equal({"a": sg.tensor([1.0, np.nan])}, {"a": [1.0, np.nan]})
    assert _message(sg.tensor([1, 2]), [1, 3], fn=assert_equal).startswith("Arrays are not equal")
    assert_equal(sg.tensor([1.0]), np.array([1.0], dtype=np.float32))
    assert "dtype' do not match" in _message(sg.tensor([1.0]), np.array([1.0], dtype=np.float32), fn=assert_equal,
                                             strict=True)


# --- check_grads: no false positives on the op table -------------------------------------------------

@pytest.mark.parametrize("case", ALL, ids=repr)
def test_check_grads_passes_on_every_op(case):
    check_grads(case.fn, tuple(case.inputs(seed=3)), order=2 if case.second_order else 1)


# --- check_grads: mutations --------------------------------------------------------------------------

def _float32(tree):
    if isinstance(tree, np.ndarray):
        return tree.astype(np.float32)
    if isinstance(tree, dict):
        return {k: _float32(v) for k, v in tree.items()}
    return tree


def _caught(make, precision, **kwargs):
    f, args = make(True)
    if precision == "float32":
        args, kwargs = tuple(_float32(a) for a in args), dict(kwargs, upcast=False)
    try:
        check_grads(f, args, **kwargs)
    except CheckGradsError as err:
        assert f"computed in {precision}" in str(err)
        return True
    return False


def test_there_are_enough_mutations():
    assert len(MUTATIONS) >= 30


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_the_right_rules_pass(precision):
    for make in MUTATIONS:
        f, args = make(False)
        if precision == "float32":
            check_grads(f, tuple(_float32(a) for a in args), upcast=False)
        else:
            check_grads(f, args)


def test_every_mutation_is_caught_in_float64():
    missed = [m.__name__ for m in MUTATIONS if not _caught(m, "float64")]
    assert not missed


def test_mutations_are_caught_in_float32():
    missed = [m.__name__ for m in MUTATIONS if not _caught(m, "float32")]
    assert len(missed) <= 0.05 * len(MUTATIONS), missed


def test_reverse_mode_alone_catches_every_wrong_reverse_rule():
    jvp_only = {"function_wrong_jvp_sign", "function_jvp_missing_factor"}  # a right backward, a wrong jvp
    missed = [m.__name__ for m in MUTATIONS if m.__name__ not in jvp_only and not _caught(m, "float64", modes="rev")]
    assert not missed
    for m in MUTATIONS:
        if m.__name__ in jvp_only:
            assert not _caught(m, "float64", modes="rev") and _caught(m, "float64", modes="fwd")


# --- check_grads: messages, pytrees, precision ---------------------------------------------------------

def _failure(f, args, **kwargs):
    with pytest.raises(CheckGradsError) as info:
        check_grads(f, args, **kwargs)
    return str(info.value).splitlines()


def _mutation(name):
    return next(m for m in MUTATIONS if m.__name__ == name)(True)


def test_failure_names_order_mode_and_argument_path():
    f, _ = _mutation("vjp_sin_wrong_sign")

    def model(params, x):
        return {"y": [x * 2.0, f(params["w"]) + params["b"]]}

    lines = _failure(model, ({"b": np.ones(3), "w": A, "name": "dense"}, B))
    assert lines[0] == ("check_grads of model: order 1, mode 'fwd': forward mode (sg.jvp) disagrees with "
                        "finite differences")
    assert lines[1] == "argument: args[0]['w'] (shape (3, 3), float64)"
    assert lines[2] == "output: out['y'][1] (shape (3, 3)), 9 of 9 elements differ"
    assert lines[-1] == "direction 1 of 3 (seed 0); eps 1e-06, rtol 1e-05, atol 1e-06, computed in float64"
    lines = _failure(model, ({"b": np.ones(3), "w": A, "name": "dense"}, B), modes=("rev",))
    assert lines[0].startswith("check_grads of model: order 1, mode 'rev': reverse mode (sg.vjp) disagrees")
    assert lines[1] == "argument: args[0]['w'] (shape (3, 3), float64)"
    assert lines[2].startswith("<J^T v, t> by reverse mode: ")


@pytest.mark.parametrize("modes, mode", [(("fwd", "rev"), "fwd-over-rev"), (("rev",), "rev-over-rev")])
def test_second_order_failures_name_the_composed_mode(modes, mode):
    f, args = _mutation("vjp_multiply_cross_term_detached")
    lines = _failure(f, args, modes=modes)
    assert lines[0].startswith(f"check_grads of multiply: order 2, mode '{mode}'")
    assert lines[1] == "differentiated function: the VJP function (x, v) -> J(x)^T v"
    assert lines[2] == "argument: args[1] (shape (3, 3), float64)"  # y's gradient g * y was cut from y


def test_reverse_over_forward_and_the_jvp_function():
    f, args = _mutation("jvp_sin_derivative_detached")
    lines = _failure(f, args, modes=("fwd",))
    assert lines[0].startswith("check_grads of sin: order 2, mode 'fwd-over-fwd'")
    assert lines[1] == "differentiated function: the JVP function (x, t) -> J(x) t"


def test_the_identity_catches_a_forward_rule_off_by_1e_7():
    class Sin(sg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return sg.sin(x)

        @staticmethod
        def backward(ctx, g):
            return g * sg.cos(ctx.saved_tensors[0])

        @staticmethod
        def jvp(ctx, t):
            return t * sg.cos(ctx.saved_tensors[0]) * (1 + 1e-7)

    check_grads(Sin.apply, (A,), order=1, modes="fwd")  # within the finite differences' tolerance
    check_grads(Sin.apply, (A,), order=1, modes="rev")
    lines = _failure(Sin.apply, (A,), order=1)
    assert lines[0] == ("check_grads of apply: order 1, mode 'fwd vs rev': forward and reverse mode disagree: "
                        "<v, J t> != <J^T v, t>")
    assert lines[1] == "argument: args[0] (shape (3, 3), float64)"


def test_float32_arguments_are_checked_in_float64_unless_impossible():
    f, args = _mutation("vjp_exp_missing_factor")
    assert _failure(f, (A.astype(np.float32),))[-1].endswith("computed in float64")

    def needs_float32(x):
        if x.dtype != sg.float32:
            raise TypeError("float32 only")
        return f(x)

    lines = _failure(needs_float32, (A.astype(np.float32),))
    assert lines[-1] == "direction 1 of 3 (seed 0); eps 0.001, rtol 0.01, atol 0.001, computed in float32"
    check_grads(lambda x: needs_float32(x) * 0 + sg.exp(x), (A.astype(np.float32),))
    check_grads(lambda x: sg.exp(sg.astype(x, sg.float32)), (A,))
    lines = _failure(lambda x: f(sg.astype(x, sg.float32)), (A,))
    assert lines[-1].endswith("eps 0.001, rtol 0.01, atol 0.001, computed in float32")  # a float32 output


def test_eps_seed_directions_and_argument_errors():
    lines = _failure(sg.exp, (A,), eps=0.3, order=1)
    assert "eps 0.3" in lines[-1]
    sg.testing._check_grads.OPTIONS["eps"] = 0.3  # what --sg-gradcheck-eps sets
    try:
        assert "eps 0.3" in _failure(sg.exp, (A,), order=1)[-1]
    finally:
        sg.testing._check_grads.OPTIONS["eps"] = None
    check_grads(sg.exp, (A,), n_directions=1, seed=5)
    assert "direction 1 of 7 (seed 5)" in _failure(*_mutation("vjp_five_percent_off"), n_directions=7, seed=5)[-1]
    with pytest.raises(TypeError, match="tuple of arguments"):
        check_grads(sg.exp, A)
    with pytest.raises(ValueError, match="modes"):
        check_grads(sg.exp, (A,), modes=("backward",))
    with pytest.raises(TypeError, match="no floating-point argument"):
        check_grads(lambda i: sg.ones(3) * i, (2,))


def test_third_order_catches_a_rule_wrong_only_at_third_order():
    my_cos = sg.custom_vjp(sg.cos)
    my_cos.defvjp(lambda x: (sg.cos(x), x), lambda x, g: (-g * sg.sin(x).detach(),))  # d/dx sin lost
    my_sin = sg.custom_vjp(sg.sin)
    my_sin.defvjp(lambda x: (sg.sin(x), my_cos(x)), lambda c, g: (g * c,))
    x = np.array([0.3, 0.7, 1.1])
    check_grads(my_sin, (x,), order=2)
    lines = _failure(my_sin, (x,), order=3)
    assert lines[0].startswith("check_grads of sin: order 3, mode 'fwd-over-rev-over-rev'")
    assert lines[1] == ("differentiated function: the VJP function (x, v) -> J(x)^T v of "
                        "the VJP function (x, v) -> J(x)^T v")


# --- strategies --------------------------------------------------------------------------------------

def test_testing_imports_without_hypothesis():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import swiftgrad as sg\n"
            "sg.testing.assert_close(sg.ones(2), [1.0, 1.0])\n"
            "try:\n    sg.testing.strategies\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "swiftgrad.testing.strategies needs hypothesis: pip install hypothesis"


def test_strategies_produce_tensors_as_asked():
    hypothesis = pytest.importorskip("hypothesis",
                                     reason="hypothesis is an optional test dependency (make test installs it)")
    from swiftgrad.testing import strategies as sgst

    @hypothesis.settings(max_examples=30, deadline=None, database=None)
    @hypothesis.given(sgst.tensors(dtype=sgst.dtypes(), shape=sgst.array_shapes(max_dims=3, max_side=4)),
                      sgst.arrays_and_axes(dtype="float32", allow_none=False),
                      sgst.broadcastable_shapes((2, 3)))
    def check(x, x_and_axis, shape):
        assert isinstance(x, sg.Tensor) and x.dtype.name in sgst.DTYPES and 1 <= x.ndim <= 3
        if x.dtype.kind == "f":
            assert np.isfinite(x.numpy()).all()
        y, axis = x_and_axis
        assert y.dtype == sg.float32 and axis is not None
        axes = axis if isinstance(axis, tuple) else (axis,)
        assert len(set(a % y.ndim for a in axes)) == len(axes)
        assert np.broadcast_shapes(shape, (2, 3))[-2:] == (2, 3)
        assert sg.sum(y, axis=axis).shape == np.sum(y.numpy(), axis=axis).shape

    check()
    with pytest.raises(ValueError, match="no dtype"):
        sgst.tensors(dtype="complex64").example()


# --- the pytest plugin and docs/TESTING.md -----------------------------------------------------------

def _doc_block(marker):
    return re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```", DOC.read_text(), re.S).group(1)


def test_plugin_output_matches_the_documentation(tmp_path):
    (tmp_path / "test_sample.py").write_text(_doc_block("pytest-sample"))
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "swiftgrad.testing.pytest_plugin", "-p",
                          "no:cacheprovider", "--sg-gradcheck-eps=0.3", "test_sample.py"],
                         env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    lines = [ln.rstrip() for ln in out.stdout.splitlines()]
    position = 0
    for expected in _doc_block("pytest-output").splitlines():
        found = [i for i, ln in enumerate(lines[position:], position) if expected in ln]
        assert found, f"documented line not in the output (in order): {expected!r}\n{out.stdout}"
        position = found[0] + 1
    assert out.returncode == 1
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "swiftgrad.testing.pytest_plugin", "-p",
                          "no:cacheprovider", "--sg-seed=7", "-k", "seeded", "test_sample.py"],
                         env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "assert 7 == 0" in out.stdout and out.returncode == 1  # the fixture yields --sg-seed


def test_documentation_examples_run_and_print_what_is_shown(tmp_path):
    text = DOC.read_text()
    program = "\n".join(block for marker, block in re.findall(r"(<!-- [\w-]+ -->\n)?```python\n(.*?)```", text, re.S)
                        if "pytest-sample" not in marker)
    (tmp_path / "examples.py").write_text(program)
    out = subprocess.run([sys.executable, "examples.py"], env=ENV, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    shown = re.findall(r"<!-- prints -->\n```text\n(.*?)```", text, re.S)
    assert len(shown) == 6 and out.stdout == "".join(shown)


def test_docs_are_linked():
    assert "](TESTING.md)" in (ROOT / "docs" / "index.md").read_text()
    assert "](docs/TESTING.md)" in (ROOT / "README.md").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()  # the packaging metadata (setup.py drives the build)
    assert '[project.entry-points.pytest11]\nswiftgrad = "swiftgrad.testing.pytest_plugin"' in pyproject
    assert '"swiftgrad.testing"' in pyproject



def test_lists_of_numpy_scalars_compare_like_lists_of_floats():
    # np.float64 subclasses float: a list holding it is a list of Python-like floats.
    sg.testing.assert_allclose(sg.tensor([1.0, 2.0]), [np.float64(1.0), 2.0])
    sg.testing.assert_close(sg.tensor([1.0, 2.0]), [np.float64(1.0), np.float64(2.0)])
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        sg.testing.assert_close(sg.tensor([1.0, 2.0]), [np.float64(1.0), 2.5])

