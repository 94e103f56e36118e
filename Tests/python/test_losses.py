"""Cross-entropy and NLL: values against NumPy (and PyTorch when installed), gradients checked."""
import numpy as np
import pytest

import swiftgrad as sg
import swiftgrad.nn.functional as F

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 3, 2])


def _reference(logits, labels, ignore=-100, smoothing=0.0):
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    keep = labels != ignore
    nll = -logp[np.arange(len(labels)), np.where(keep, labels, 0)]
    smooth = -logp.mean(1)
    per = ((1 - smoothing) * nll + smoothing * smooth) * keep
    return per.sum() / keep.sum()


@pytest.mark.parametrize("ignore, smoothing", [(-100, 0.0), (3, 0.0), (-100, 0.1), (1, 0.2)])
def test_cross_entropy_value_and_gradients(ignore, smoothing):
    f = lambda z: F.cross_entropy(z, LABELS, ignore_index=ignore, label_smoothing=smoothing)  # noqa: E731
    np.testing.assert_allclose(f(sg.tensor(LOGITS)).item(), _reference(LOGITS, LABELS, ignore, smoothing), rtol=1e-12)
    assert sg.gradcheck(f, (LOGITS,))
    assert sg.gradgradcheck(f, (LOGITS,))


def test_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is an optional peer library for cross-checks")
    expected = torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(LABELS), label_smoothing=0.1)
    np.testing.assert_allclose(F.cross_entropy(sg.tensor(LOGITS), LABELS, label_smoothing=0.1).item(),
                               expected.item(), rtol=1e-12)


def test_nll_loss_errors():
    with pytest.raises(IndexError, match=r"index 4 is out of bounds for axis 1 with size 4"):
        F.cross_entropy(sg.tensor(LOGITS), np.array([0, 4, 1, 1, 1]))
    with pytest.raises(TypeError, match="integer class labels"):
        F.cross_entropy(sg.tensor(LOGITS), LABELS.astype(float))
    with pytest.raises(ValueError, match=r"expected logits \(N, C\)"):
        F.cross_entropy(sg.tensor(LOGITS), LABELS[:3])
