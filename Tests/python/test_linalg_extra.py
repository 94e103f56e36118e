"""Decompositions beyond the op table: degenerate spectra, singular matrices, batching,
errors, and agreement with PyTorch's gradients when it is installed."""
import importlib.util

import numpy as np
import pytest

import swiftgrad as sg

L = sg.linalg


def _cofactors(a):
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("a", [np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]), np.ones((3, 3)),
                               np.array([[2.0, 1, 0], [1, 3, 1], [0, 1, 4]])])
def test_det_gradient_is_the_adjugate_also_at_singular_matrices(a):
    x = sg.tensor(a, requires_grad=True)
    L.det(x).backward()
    sg.testing.assert_allclose(x.grad, _cofactors(a), atol=1e-12)
    _, tangent = sg.jvp(L.det, (a,), (np.eye(3),))
    sg.testing.assert_allclose(tangent, np.trace(_cofactors(a).T), atol=1e-12)


def test_slogdet_of_singular_and_negative_determinants():
    sign, logabs = L.slogdet(np.ones((2, 2)))
    assert sign.item() == 0.0 and logabs.item() == -np.inf
    a = np.array([[0.0, 2.0], [3.0, 1.0]])
    sign, logabs = L.slogdet(a)
    np.testing.assert_allclose([sign.item(), logabs.item()], np.linalg.slogdet(a))


def test_repeated_eigenvalues_give_finite_gradients_for_basis_free_losses():
    a = np.diag([1.0, 1.0, 3.0])  # a repeated eigenvalue
    x = sg.tensor(a, requires_grad=True)
    w, v = L.eigh(x)
    # The projector onto the repeated eigenspace does not depend on the basis chosen inside it.
    projector = v[:, :2] @ sg.transpose(v[:, :2])
    (sg.sum(w ** 2) + sg.sum(projector * np.arange(9.0).reshape(3, 3))).backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(np.diag(x.grad.numpy()), [2.0, 2.0, 6.0 + 0.0], atol=1e-9)


def test_repeated_singular_values_give_finite_value_gradients():
    x = sg.tensor(np.eye(3) * 2.0, requires_grad=True)
    sg.sum(L.svd(x).S).backward()  # the nuclear norm: gradient U Vᵀ = I
    sg.testing.assert_allclose(x.grad, np.eye(3), atol=1e-12)


def test_batched_decompositions_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4, 4))
    s = a + np.swapaxes(a, -1, -2)
    np.testing.assert_allclose(L.eigh(s).eigenvalues.numpy(), np.linalg.eigh(s)[0], atol=1e-12)
    np.testing.assert_allclose(L.svd(a).S.numpy(), np.linalg.svd(a, compute_uv=False), atol=1e-12)
    q, r = L.qr(a)
    np.testing.assert_allclose((q.numpy() @ r.numpy()), a, atol=1e-12)
    np.testing.assert_allclose(L.slogdet(a).logabsdet.numpy(), np.linalg.slogdet(a)[1], atol=1e-12)
    sg.testing.assert_allclose(L.pinv(a), np.linalg.pinv(a), atol=1e-10)
    sg.testing.assert_allclose(L.matrix_power(a, 2), a @ a, atol=1e-12)


@pytest.mark.parametrize("call,error,message", [
    (lambda: L.eigh(np.ones((2, 3))), ValueError, r"square matrices .* \(2, 3\)"),
    (lambda: L.eigh(np.array([[np.nan, 0], [0, 1]])), ValueError, "NaN or infinity"),
    (lambda: L.svd(np.ones(3)), ValueError, r"matrix .* shape \(3,\)"),
    (lambda: L.qr(np.ones((2, 2)), mode="complete"), ValueError, "reduced"),
    (lambda: L.matrix_power(np.ones((2, 3)), 2), ValueError, r"square .* \(2, 3\)"),
    (lambda: L.matrix_power(np.ones((2, 2)), -1), ValueError, "Singular"),
    (lambda: L.lstsq(np.ones((3, 2)), np.ones(4)), ValueError, "do not fit"),
    (lambda: sg.grad(lambda a: sg.sum(L.qr(a).R))(np.random.rand(2, 3)), RuntimeError, "m >= n"),
])
def test_errors_name_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch (optional comparison) is not installed")
def test_gradients_match_pytorch():
    import torch

    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3))
    weights = rng.standard_normal((4, 3))

    def ours(a):
        u, s, vh = L.svd(a)
        return sg.sum((u * s[None, :]) @ vh * weights) + sg.sum(s ** 3)

    def theirs(a):
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        return ((u * s[None, :]) @ vh * torch.tensor(weights)).sum() + (s ** 3).sum()

    t = torch.tensor(a, requires_grad=True)
    theirs(t).backward()
    sg.testing.assert_allclose(sg.grad(ours)(a), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    sym = a[:3] + a[:3].T
    t = torch.tensor(sym, requires_grad=True)
    (torch.linalg.eigh(t)[0] ** 3).sum().backward()
    ours_eig = sg.grad(lambda m: sg.sum(L.eigh(m).eigenvalues ** 3))(sym).numpy()
    np.testing.assert_allclose(ours_eig, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_pinv_and_matrix_rank_take_one_tolerance_per_matrix():
    # the array API's rtol: a number, or an array broadcasting against the batch shape
    rng = np.random.default_rng(3)
    u, _ = np.linalg.qr(rng.standard_normal((3, 4, 4)))
    s = np.array([1.0, 1e-1, 1e-3, 1e-6])
    a = (u * s) @ np.swapaxes(u, -1, -2)  # singular values s for each of the 3 matrices
    rtol = np.array([1e-2, 1e-4, 1e-8])
    np.testing.assert_array_equal(np.asarray(sg.linalg.matrix_rank(a, rtol)), [2, 3, 4])
    np.testing.assert_array_equal(np.asarray(sg.linalg.matrix_rank(a, 1e-2)), [2, 2, 2])
    np.testing.assert_array_equal(np.asarray(sg.linalg.matrix_rank(a)), [4, 4, 4])
    for k in range(3):
        np.testing.assert_allclose(np.asarray(sg.linalg.pinv(a, rtol))[k], np.linalg.pinv(a[k], rcond=rtol[k]),
                                   rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.asarray(sg.linalg.pinv(a, 1e-2)), np.linalg.pinv(a, rcond=1e-2), rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="could not be broadcast"):
        sg.linalg.matrix_rank(a, np.array([1e-2, 1e-4]))  # does not broadcast against the batch (3,)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 6, 2), (1, 3)])
def test_full_svd_completes_the_reduced_factors(shape):
    # U (m x m), Vh (n x n) orthogonal, U[..., :k] diag(s) Vh[..., :k, :] = A; derivatives are
    # those of the reduced SVD (the extra columns are any basis of the complement, as in PyTorch)
    a = np.random.default_rng(5).standard_normal(shape)
    m, n = shape[-2:]
    u, s, vh = sg.linalg.svd(a, full_matrices=True)
    u, s, vh = np.asarray(u), np.asarray(s), np.asarray(vh)
    assert u.shape == shape[:-2] + (m, m) and vh.shape == shape[:-2] + (n, n)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(m), u.shape), atol=1e-12)
    np.testing.assert_allclose(vh @ np.swapaxes(vh, -1, -2), np.broadcast_to(np.eye(n), vh.shape), atol=1e-12)
    k = min(m, n)
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=1e-12)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    x = sg.tensor(a, requires_grad=True)
    full = sg.linalg.svd(x, full_matrices=True)
    reduced = sg.linalg.svd(x)
    w = np.random.default_rng(6).standard_normal(shape[:-2] + (m, k))
    g_full = sg.grad(lambda t: sg.sum(sg.linalg.svd(t, full_matrices=True).U[..., :k] ** 2 * w))(x)
    g_reduced = sg.grad(lambda t: sg.sum(sg.linalg.svd(t).U ** 2 * w))(x)
    np.testing.assert_allclose(np.asarray(g_full), np.asarray(g_reduced), rtol=1e-12, atol=1e-12)
    assert full.U.requires_grad and reduced.U.requires_grad
    if m > k:  # the completing columns carry no gradient
        g_extra = sg.grad(lambda t: sg.sum(sg.linalg.svd(t, full_matrices=True).U ** 2))(x)
        g_kept = sg.grad(lambda t: sg.sum(sg.linalg.svd(t).U ** 2))(x)
        np.testing.assert_allclose(np.asarray(g_extra), np.asarray(g_kept), rtol=1e-12, atol=1e-12)
