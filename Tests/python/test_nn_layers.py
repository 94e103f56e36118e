"""The convolution, pooling, normalisation, dropout and embedding layers: shapes, modes,
state, gradients, and agreement with PyTorch when it is installed."""
import importlib.util

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad import nn

HAS_TORCH = importlib.util.find_spec("torch") is not None


def test_small_cnn_trains_and_its_gradients_check():
    sg.random.seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 2))
    x = sg.tensor(np.random.default_rng(0).standard_normal((4, 1, 4, 4)))
    y = np.array([0, 1, 1, 0])
    opt = sg.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.5 * first
    w = model[0].weight
    assert sg.gradcheck(lambda w: sg.sum(nn.functional.conv2d(x, w, padding=1) ** 2), [w.detach()])


def test_dropout_and_batchnorm_follow_train_and_eval():
    sg.random.seed(1)
    drop = nn.Dropout(0.5)
    x = np.ones((200,))
    assert (drop(x).numpy() == 0).any()
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x)
    bn = nn.BatchNorm1d(3)
    batch = np.random.default_rng(2).standard_normal((8, 3)) * 2 + 5
    out = bn(batch).numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * batch.mean(axis=0), rtol=1e-12)
    bn.eval()
    expected = (batch - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(bn(batch).numpy(), expected, rtol=1e-12)


def test_state_dict_round_trip_includes_buffers(tmp_path):
    sg.random.seed(3)
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LayerNorm(4), nn.Embedding(5, 2))
    model[1](np.random.default_rng(4).standard_normal((2, 4, 3, 3)))  # moves the running statistics
    keys = set(model.state_dict())
    assert {"1.running_mean", "1.running_var", "0.weight", "3.weight", "4.weight"} <= keys
    path = tmp_path / "model.npz"
    nn.save(model.state_dict(), path)
    other = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LayerNorm(4), nn.Embedding(5, 2))
    other.load_state_dict(nn.load(path))
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=name)


def test_layer_errors_name_the_shapes():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"\(2, 3, 5, 5\) and \(4, 2, 3, 3\)|3 channels and weight \(4, 2, 3, 3\)"):
        nn.functional.conv2d(np.ones((2, 3, 5, 5)), np.ones((4, 2, 3, 3)))
    with pytest.raises(ValueError, match="larger than the"):
        nn.functional.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.functional.layer_norm(np.ones((2, 3)), (4,))
    with pytest.raises(ValueError, match="reduction"):
        nn.functional.huber_loss(np.ones(2), np.ones(2), reduction="avg")
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)
    with pytest.raises(IndexError, match="out of bounds"):
        nn.Embedding(3, 2)(np.array([3]))


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch (optional comparison) is not installed")
def test_layers_match_pytorch_with_the_same_weights():
    import torch

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 6))
    ours = nn.Conv2d(3, 4, 3, stride=2, padding=1, groups=1)
    theirs = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    np.testing.assert_allclose(ours(x).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    xt = sg.tensor(x, requires_grad=True)
    sg.sum(nn.functional.max_pool2d(xt, 3, 2, 1) ** 2).backward()
    tt = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.max_pool2d(tt, 3, 2, 1) ** 2).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-12)


def _np_max_pool_with_argmax(x, kernel, stride, padding):
    """PyTorch's CPU rule, written directly: each window clipped to the input (the -inf padding
    never wins), scanned row by row; a larger value or a NaN takes over, so ties go to the first."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out, grad = np.empty((n, c, ho, wo)), np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    y0, x0 = i * sh - ph, j * sw - pw
                    ys, xs = max(y0, 0), max(x0, 0)
                    best, at = -np.inf, (ys, xs)
                    for y in range(ys, min(y0 + kh, h)):
                        for xx in range(xs, min(x0 + kw, w)):
                            v = x[b, ch, y, xx]
                            if v > best or np.isnan(v):
                                best, at = v, (y, xx)
                    out[b, ch, i, j] = best
                    grad[b, ch][at] += 1
    return out, grad


@pytest.mark.parametrize("kernel, stride, padding", [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)),
                                                     ((3, 2), (1, 1), (1, 1)), ((2, 3), (1, 2), (1, 1))])
def test_max_pool_ties_padding_and_nan_follow_pytorch(kernel, stride, padding):
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, (2, 2, 6, 7)).astype(np.float64)  # few distinct values: many ties
    x[0, 0] = -np.inf  # a plane of -inf: the max is -inf, its gradient on the window's first element
    x[1, 1, 2, 3] = np.nan
    want, want_grad = _np_max_pool_with_argmax(x, kernel, stride, padding)
    t = sg.tensor(x, requires_grad=True)
    y = nn.functional.max_pool2d(t, kernel, stride, padding)
    np.testing.assert_array_equal(y.numpy(), want)  # NaN where NumPy has NaN
    y.backward(sg.ones(y.shape, dtype=y.dtype))  # a unit cotangent everywhere, the NaN's too
    np.testing.assert_array_equal(t.grad.numpy(), want_grad)
    # float32 picks the same maxima; vmap over the batch axis agrees with the batched call
    np.testing.assert_array_equal(nn.functional.max_pool2d(sg.tensor(x, dtype=sg.float32), kernel, stride,
                                                           padding).numpy(), want.astype(np.float32))
    per_example = sg.vmap(lambda im: nn.functional.max_pool2d(im[None], kernel, stride, padding)[0])(sg.tensor(x))
    np.testing.assert_array_equal(per_example.numpy(), want)


def test_max_pool_bad_input_raises_naming_the_shape():
    with pytest.raises(ValueError, match=r"\(4, 5\)"):
        nn.functional.max_pool2d(sg.zeros((4, 5)), 2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        nn.functional.max_pool2d(sg.zeros((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match="at most half the kernel"):
        nn.functional.max_pool2d(sg.zeros((1, 1, 4, 4)), 2, padding=2)
