"""vmap over every op of the op table: the batched result equals stacking the per-example
results, for in_axes 0, 1, -1 and mixes with None, and so do vmap(grad), vmap(jvp), grad(vmap)
and jvp(vmap). A missing batching rule fails here with "[vmap] not implemented for <name>"."""
import numpy as np
import pytest

import swiftgrad as sg
from op_table import ALL

# Random cases are vmap's randomness tests' business (test_vmap_transforms.py).
DETERMINISTIC = [case for case in ALL if not case.random and case.batchable]

BATCH = 3
# Ops that write their later inputs into a copy of the first in place: with only those later
# inputs batched, the write puts a batched value into an unbatched tensor, which raises.
WRITES_INTO_FIRST = {"setitem_fancy", "setitem_mask"}


def _raises_if_unbatched_target(case, mapped):
    if case.name in WRITES_INTO_FIRST and 0 not in mapped:
        return pytest.raises((ValueError, RuntimeError), match="vmap")
    return None


def _examples(case):
    """Per-example inputs: BATCH different draws of the case's inputs."""
    return [case.inputs(seed=s) for s in range(BATCH)]


def _stacked(examples, k, axis):
    return np.moveaxis(np.stack([ex[k] for ex in examples]), 0, axis)


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _check_equal(batched, per_example, out_axis=0):
    """`batched` (one tensor or a tuple) against the per-example results stacked at `out_axis`."""
    got = _as_list(batched)
    rows = [_as_list(r) for r in per_example]
    assert len(got) == len(rows[0])
    for i, g in enumerate(got):
        expected = np.stack([np.asarray(r[i]) for r in rows], axis=out_axis)
        assert g.shape == expected.shape
        np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-10, atol=1e-10)


def _mapped_positions(case):
    """Which inputs are mapped in each variant: all of them, and (for several inputs) only the
    first or only the last, the others shared (in_axes None)."""
    n = len(case.shapes)
    variants = [tuple(range(n))]
    if n > 1:
        variants += [(0,), (n - 1,)]
    return variants


def _in_axes(case, mapped, axis):
    return tuple((axis if k in mapped else None) for k in range(len(case.shapes)))


def _arguments(case, examples, mapped, axis):
    return [_stacked(examples, k, axis) if k in mapped else examples[0][k] for k in range(len(case.shapes))]


def _example_arguments(case, examples, mapped, b):
    return [examples[b][k] if k in mapped else examples[0][k] for k in range(len(case.shapes))]


def _axis_variants(case):
    # Axis 1 needs at least one dimension per example in every input.
    ok_one = all(len(s) >= 1 for s in case.shapes)
    return [0, -1] + ([1] if ok_one else [])


CASES = [(case, mapped, axis) for case in DETERMINISTIC for mapped in _mapped_positions(case)
         for axis in _axis_variants(case)]


def _case_id(c):
    case, mapped, axis = c
    return f"{case.name}-map{''.join(map(str, mapped))}-axis{axis}"


@pytest.mark.parametrize("c", CASES, ids=_case_id)
def test_vmap_matches_stacked_examples(c):
    case, mapped, axis = c
    if (expect := _raises_if_unbatched_target(case, mapped)) is not None:
        with expect:
            sg.vmap(case.fn, in_axes=_in_axes(case, mapped, axis))(*_arguments(case, _examples(case), mapped, axis))
        return
    examples = _examples(case)
    out = sg.vmap(case.fn, in_axes=_in_axes(case, mapped, axis))(*_arguments(case, examples, mapped, axis))
    per_example = [case.fn(*[sg.tensor(a) for a in _example_arguments(case, examples, mapped, b)])
                   for b in range(BATCH)]
    _check_equal(out, per_example)


def _weights(case):
    """A fixed random cotangent of the output's shape: the scalar loss <w, f(x)>."""
    out = case.fn(*[sg.tensor(a) for a in case.inputs()])
    return np.random.default_rng(7).uniform(-1, 1, np.shape(out))


def _loss(case, w):
    return lambda *xs: sg.sum(case.fn(*xs) * w)


# The writes that raise are checked once, by test_vmap_matches_stacked_examples.
DIFF_CASES = [(case, mapped, axis) for case in DETERMINISTIC for mapped in _mapped_positions(case) for axis in (0, -1)
              if not (case.name in WRITES_INTO_FIRST and 0 not in mapped)]


def _diff_id(c):
    case, mapped, axis = c
    return f"{case.name}-map{''.join(map(str, mapped))}-axis{axis}"


@pytest.mark.parametrize("c", DIFF_CASES, ids=_diff_id)
def test_vmap_of_grad_is_per_example_gradient(c):
    case, mapped, axis = c
    examples, w = _examples(case), _weights(case)
    argnums = tuple(range(len(case.shapes)))
    g = sg.grad(_loss(case, w), argnums=argnums)
    out = sg.vmap(g, in_axes=_in_axes(case, mapped, axis))(*_arguments(case, examples, mapped, axis))
    per_example = [g(*_example_arguments(case, examples, mapped, b)) for b in range(BATCH)]
    _check_equal(out, per_example)


@pytest.mark.parametrize("c", DIFF_CASES, ids=_diff_id)
def test_grad_of_vmap_sums_per_example_gradients(c):
    case, mapped, axis = c
    examples, w = _examples(case), _weights(case)
    argnums = tuple(range(len(case.shapes)))
    in_axes = _in_axes(case, mapped, axis)
    total = sg.grad(lambda *xs: sg.sum(sg.vmap(_loss(case, w), in_axes=in_axes)(*xs)), argnums=argnums)
    got = total(*_arguments(case, examples, mapped, axis))
    per_example = [sg.grad(_loss(case, w), argnums=argnums)(*_example_arguments(case, examples, mapped, b))
                   for b in range(BATCH)]
    for k, g in enumerate(got):
        parts = [np.asarray(p[k]) for p in per_example]
        expected = np.moveaxis(np.stack(parts), 0, axis) if k in mapped else np.sum(parts, axis=0)
        np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-10, atol=1e-10)


def _tangents(case, examples, seed=11):
    rng = np.random.default_rng(seed)
    return [[rng.uniform(-1, 1, np.shape(a)) for a in ex] for ex in examples]


@pytest.mark.parametrize("c", DIFF_CASES, ids=_diff_id)
def test_vmap_of_jvp_is_per_example_jvp(c):
    case, mapped, axis = c
    examples = _examples(case)
    tangents = _tangents(case, examples)
    n = len(case.shapes)

    def tangent_of(primals_and_tangents):
        return sg.jvp(case.fn, tuple(primals_and_tangents[:n]), tuple(primals_and_tangents[n:]))[1]

    args = _arguments(case, examples, mapped, axis) + _arguments(case, tangents, mapped, axis)
    in_axes = _in_axes(case, mapped, axis) * 2
    out = sg.vmap(lambda *xs: tangent_of(xs), in_axes=in_axes)(*args)
    per_example = [tangent_of(_example_arguments(case, examples, mapped, b)
                              + _example_arguments(case, tangents, mapped, b)) for b in range(BATCH)]
    _check_equal(out, per_example)


@pytest.mark.parametrize("c", DIFF_CASES, ids=_diff_id)
def test_jvp_of_vmap_is_per_example_jvp(c):
    case, mapped, axis = c
    examples = _examples(case)
    tangents = _tangents(case, examples)
    in_axes = _in_axes(case, mapped, axis)
    primals = tuple(_arguments(case, examples, mapped, axis))
    dirs = tuple(_arguments(case, tangents, mapped, axis))
    _, out = sg.jvp(sg.vmap(case.fn, in_axes=in_axes), primals, dirs)
    per_example = [sg.jvp(case.fn, tuple(_example_arguments(case, examples, mapped, b)),
                          tuple(_example_arguments(case, tangents, mapped, b)))[1] for b in range(BATCH)]
    _check_equal(out, per_example)


SECOND_ORDER = [case for case in DETERMINISTIC if case.second_order and case.name not in WRITES_INTO_FIRST]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=repr)
def test_grad_of_vmap_of_grad_is_the_per_example_second_derivative(case):
    """An outer grad through per-sample gradients (the mapped inputs require grad outside)."""
    examples, w = _examples(case), _weights(case)
    n = len(case.shapes)
    argnums = tuple(range(n))
    g = sg.grad(_loss(case, w), argnums=argnums)
    rng = np.random.default_rng(3)
    v = [rng.uniform(-1, 1, (BATCH,) + tuple(s)) for s in case.shapes]

    def outer(*xs):
        per_sample = sg.vmap(g)(*xs)
        return sg.sum(sg.stack([sg.sum(p * vk) for p, vk in zip(per_sample, v)]))

    got = sg.grad(outer, argnums=argnums)(*[_stacked(examples, k, 0) for k in range(n)])
    for b in range(BATCH):
        def example(*xs, b=b):
            return sg.sum(sg.stack([sg.sum(p * vk[b]) for p, vk in zip(g(*xs), v)]))

        expected = sg.grad(example, argnums=argnums)(*examples[b])
        for k in range(n):
            np.testing.assert_allclose(np.asarray(got[k])[b], np.asarray(expected[k]), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("case", SECOND_ORDER, ids=repr)
def test_vmap_of_hvp_with_mapped_primals(case):
    """Forward over reverse inside vmap (the jvp level is newer than the batching level)."""
    examples, w = _examples(case), _weights(case)
    tangents = _tangents(case, examples)
    n = len(case.shapes)
    g = sg.grad(_loss(case, w), argnums=tuple(range(n)))

    def hvp(*xs_and_ts):
        return sg.jvp(g, tuple(xs_and_ts[:n]), tuple(xs_and_ts[n:]))[1]

    args = [_stacked(examples, k, 0) for k in range(n)] + [_stacked(tangents, k, 0) for k in range(n)]
    out = sg.vmap(hvp)(*args)
    _check_equal(out, [hvp(*examples[b], *tangents[b]) for b in range(BATCH)])
