"""Blocked scaled_dot_product_attention (Note [Blocked attention]): forward against NumPy, first
and second derivatives against finite differences and the naive softmax(q k^T) v composite,
masks, causality, dropout, bad input, and the memory it saves."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad.nn import functional as F

from numdiff import assert_close, central_gradient


def _np_attention(q, k, v, mask=None, causal=False, scale=None, keep=None):
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return (p if keep is None else p * keep) @ v


def _naive(q, k, v, mask=None, causal=False, scale=None):
    """The composite the primitive replaces, in swiftgrad ops (its gradients are the reference)."""
    s = (q @ sg.swapaxes(k, -1, -2)) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        s = sg.where(mask, s, -np.inf) if np.asarray(mask).dtype == bool else s + mask
    return sg.softmax(s, -1) @ v


# Shapes crossing the 256-query and 512-key blocks, with heads and broadcast batch axes.
SHAPES = [((5, 4), (7, 4), (7, 3)), ((2, 3, 70, 8), (2, 3, 300, 8), (2, 3, 300, 5)),
          ((2, 1, 300, 4), (1, 3, 513, 4), (3, 513, 2))]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("variant", ["plain", "causal", "bool", "additive", "scale"])
def test_forward_and_gradients_match_the_composite(shapes, variant):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in shapes)
    L, S = shapes[0][-2], shapes[1][-2]
    kwargs = {}
    if variant == "causal":
        kwargs["is_causal"] = True
    elif variant == "bool":
        kwargs["attn_mask"] = rng.random((L, S)) > 0.3
        kwargs["attn_mask"][:, 0] = True  # no row without a key
    elif variant == "additive":
        kwargs["attn_mask"] = rng.standard_normal((L, S))
    elif variant == "scale":
        kwargs["scale"] = 0.3
    out = F.scaled_dot_product_attention(q, k, v, **kwargs)
    want = _np_attention(q, k, v, mask=kwargs.get("attn_mask"), causal=kwargs.get("is_causal", False),
                         scale=kwargs.get("scale"))
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-10, atol=1e-12)

    leaves = [sg.tensor(a, requires_grad=True) for a in (q, k, v)]
    c = rng.standard_normal(out.shape)
    got = sg.autograd.grad(sg.sum(F.scaled_dot_product_attention(*leaves, **kwargs) * c), leaves)
    ref = sg.autograd.grad(sg.sum(_naive(*leaves, mask=kwargs.get("attn_mask"), causal=kwargs.get("is_causal", False),
                                         scale=kwargs.get("scale")) * c), leaves)
    for name, a, b in zip("qkv", got, ref):
        assert a.shape == b.shape
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-11, err_msg=name)


def test_float32_matches_float64():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s) for s in SHAPES[1])
    out64 = np.asarray(F.scaled_dot_product_attention(q, k, v, is_causal=True))
    leaves = [sg.tensor(a.astype(np.float32), requires_grad=True) for a in (q, k, v)]
    out32 = F.scaled_dot_product_attention(*leaves, is_causal=True)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out32), out64, rtol=1e-4, atol=1e-5)
    sg.sum(out32 * out32).backward()
    assert all(x.grad.dtype == np.float32 and np.isfinite(np.asarray(x.grad)).all() for x in leaves)


@pytest.mark.parametrize("kwargs", [{}, {"is_causal": True}, {"attn_mask": np.array([[True, False, True, True],
                                                                                      [False, True, True, False],
                                                                                      [True, True, False, True]])},
                                    {"attn_mask": np.arange(12.0).reshape(3, 4) / 10}])
def test_gradcheck_first_and_second_order(kwargs):
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 4, 2))
    f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs)  # noqa: E731
    sg.gradcheck(f, [q, k, v])  # reverse (blocked backward) and forward mode (JVP)
    sg.gradgradcheck(f, [q, k, v])  # create_graph: the composite VJP


def test_forward_over_reverse_hvp_matches_finite_differences():
    rng = np.random.default_rng(3)
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    c = rng.standard_normal((3, 2))

    def loss(q):
        return sg.sum(sg.tanh(F.scaled_dot_product_attention(q, k, v, is_causal=True)) * c)

    direction = rng.standard_normal(q.shape)
    _, hvp = sg.jvp(sg.grad(loss), (sg.tensor(q),), (sg.tensor(direction),))
    eps = 1e-5
    plus = np.asarray(sg.grad(loss)(sg.tensor(q + eps * direction)))
    minus = np.asarray(sg.grad(loss)(sg.tensor(q - eps * direction)))
    np.testing.assert_allclose(np.asarray(hvp), (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_gradient_of_a_learned_additive_mask():
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    bias = rng.standard_normal((3, 5))
    c = rng.standard_normal((3, 2))
    b = sg.tensor(bias, requires_grad=True)
    (g,) = sg.autograd.grad(sg.sum(F.scaled_dot_product_attention(q, k, v, attn_mask=b) * c), [b])
    (numeric,) = central_gradient(lambda a: np.sum(_np_attention(q, k, v, mask=a[0]) * c), [bias])
    assert_close(np.asarray(g), numeric, "additive mask gradient")


def _dropped_probabilities(q, k, p, seed):
    """With v = I the output is the dropped probability matrix itself."""
    sg.random.seed(seed)
    return np.asarray(F.scaled_dot_product_attention(q, k, np.eye(k.shape[-2]), dropout_p=p))


def test_dropout_drops_probabilities_and_backward_uses_the_same_mask():
    rng = np.random.default_rng(5)
    q, k = rng.standard_normal((2, 90, 4)), rng.standard_normal((2, 300, 4))
    v = rng.standard_normal((2, 300, 3))
    p = 0.3
    dropped = _dropped_probabilities(q, k, p, seed=11)
    full = _np_attention(q, k, np.eye(300))
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], full[kept] / (1 - p), rtol=1e-10)
    assert abs(1 - kept.mean() - p) < 0.01  # 54,000 Bernoulli draws
    assert not np.array_equal(kept, _dropped_probabilities(q, k, p, seed=12) != 0)
    np.testing.assert_array_equal(kept, _dropped_probabilities(q, k, p, seed=11) != 0)

    scale_mask = kept / (1 - p)
    leaves = [sg.tensor(a, requires_grad=True) for a in (q, k, v)]
    c = rng.standard_normal((2, 90, 3))
    sg.random.seed(11)
    out = F.scaled_dot_product_attention(*leaves, dropout_p=p)
    np.testing.assert_allclose(np.asarray(out), _np_attention(q, k, v, keep=scale_mask), rtol=1e-10, atol=1e-12)
    got = sg.autograd.grad(sg.sum(out * c), leaves)
    s = (leaves[0] @ sg.swapaxes(leaves[1], -1, -2)) * 0.5
    ref = sg.autograd.grad(sg.sum((sg.softmax(s, -1) * scale_mask) @ leaves[2] * c), leaves)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-11)


def test_gradcheck_with_dropout():
    rng = np.random.default_rng(6)
    q, k, v = rng.standard_normal((4, 3)), rng.standard_normal((6, 3)), rng.standard_normal((6, 2))

    def f(q, k, v):
        sg.random.seed(5)  # the same mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    sg.gradcheck(f, [q, k, v])
    sg.gradgradcheck(f, [q, k, v])


def test_rows_without_keys_give_zeros():
    rng = np.random.default_rng(7)
    q, k, v = (sg.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 4), (5, 4), (5, 2)])
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(np.asarray(out)[1], 0)
    sg.sum(out).backward()
    np.testing.assert_array_equal(np.asarray(q.grad)[1], 0)
    assert np.isfinite(np.asarray(k.grad)).all() and np.isfinite(np.asarray(v.grad)).all()


def test_bad_inputs_raise_clear_errors():
    q, k, v = np.ones((2, 3, 4)), np.ones((2, 5, 4)), np.ones((2, 5, 2))
    with pytest.raises(ValueError, match="do not fit"):
        F.scaled_dot_product_attention(q, np.ones((2, 5, 3)), v)
    with pytest.raises(ValueError, match="do not fit"):
        F.scaled_dot_product_attention(q, k, np.ones((2, 4, 2)))
    with pytest.raises(TypeError, match="one floating dtype"):
        F.scaled_dot_product_attention(q.astype(np.float32), k, v)
    with pytest.raises(TypeError, match="one floating dtype"):
        F.scaled_dot_product_attention(np.ones((3, 4), np.int64), np.ones((5, 4), np.int64), np.ones((5, 2), np.int64))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.scaled_dot_product_attention(np.ones(4), k, v)
    with pytest.raises(ValueError, match="do not broadcast"):
        F.scaled_dot_product_attention(q, np.ones((3, 5, 4)), np.ones((3, 5, 2)))
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    with pytest.raises(ValueError, match="is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match="attn_mask of shape"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 5), bool))
    with pytest.raises(TypeError, match="boolean or floating"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), np.int64))


def test_peak_memory_is_linear_in_the_sequence():
    """T = 4096, d = 64 float32: the composite holds several 64 MiB (T, T) matrices through
    backward; the blocked primitive only O(T d) buffers."""
    script = textwrap.dedent("""
        import json, resource, sys
        import numpy as np
        import swiftgrad as sg
        F = sg.nn.functional
        T, d = 4096, 64
        rng = np.random.default_rng(0)
        q, k, v = (sg.tensor(rng.standard_normal((T, d)).astype(np.float32), requires_grad=True) for _ in range(3))
        def naive(q, k, v):
            return sg.softmax((q @ sg.swapaxes(k, -1, -2)) * (1 / 8), -1) @ v
        f = F.scaled_dot_product_attention if sys.argv[1] == "blocked" else naive
        small = [sg.tensor(rng.standard_normal((8, d)).astype(np.float32), requires_grad=True) for _ in range(3)]
        sg.sum(f(*small)).backward()  # warm-up of the code paths
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sg.sum(f(q, k, v)).backward()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"extra_mib": (peak - base) / 1024, "finite": bool(np.isfinite(np.asarray(q.grad)).all())}))
    """)
    results = {}
    for variant in ("blocked", "naive"):
        run = subprocess.run([sys.executable, "-c", script, variant], capture_output=True, text=True, check=True,
                             env={**os.environ, "SWIFTGRAD_CACHE_MB": "0"})
        results[variant] = json.loads(run.stdout.strip().splitlines()[-1])
    assert results["blocked"]["finite"] and results["naive"]["finite"]
    assert results["blocked"]["extra_mib"] < 16, results  # inputs' grads are 3 MiB
    assert results["naive"]["extra_mib"] > 128, results  # the measurement sees (T, T) matrices
