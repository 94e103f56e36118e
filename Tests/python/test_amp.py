"""sg.autocast (Note [Autocast]) and sg.amp.GradScaler."""
import threading

import numpy as np
import pytest

import swiftgrad as sg

F = sg.nn.functional


def _x(shape=(4, 3), seed=0):
    return sg.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=sg.float32)


@pytest.mark.parametrize("dt", [sg.bfloat16, sg.float16], ids=["bfloat16", "float16"])
def test_low_precision_list_runs_in_the_autocast_dtype(dt):
    x, w = _x((4, 3)), _x((5, 3), 1)
    with sg.autocast(dtype=dt):
        assert sg.matmul(x, w.T).dtype == dt
        assert (x @ w.T).dtype == dt
        assert F.linear(x, w).dtype == dt
        assert sg.einsum("ij,kj->ik", x, w).dtype == dt
        img, k = _x((1, 2, 5, 5)), _x((3, 2, 3, 3), 2)
        assert F.conv2d(img, k).dtype == dt
        # float64 operands are not eligible (PyTorch's rule), unlisted ops follow promotion
        assert sg.matmul(x.astype(sg.float64), w.T.astype(sg.float64)).dtype == sg.float64
        assert (x + 1).dtype == sg.float32
    assert sg.matmul(x, w.T).dtype == sg.float32


def test_float32_list_stays_float32():
    x = _x((4, 3)).astype(sg.bfloat16)
    labels = np.array([0, 2, 1, 1])
    with sg.autocast(dtype=sg.bfloat16):
        for y in (F.softmax(x, axis=-1), F.log_softmax(x, axis=-1), sg.logsumexp(x, axis=-1),
                  F.cross_entropy(x, labels), F.mse_loss(x, sg.zeros_like(x)),
                  F.layer_norm(x, (3,)), sg.linalg.norm(x)):
            assert y.dtype == sg.float32
        assert sg.exp(x).dtype == sg.bfloat16  # elementwise ops are not listed: they keep the dtype
    assert F.softmax(x, axis=-1).dtype == sg.bfloat16


def test_autocast_matches_explicit_casts():
    x, w = _x((6, 4)), _x((4, 3), 1)
    with sg.autocast(dtype=sg.bfloat16):
        y = x @ w
    want = x.astype(sg.bfloat16) @ w.astype(sg.bfloat16)
    np.testing.assert_array_equal(np.asarray(y).view(np.uint16), np.asarray(want).view(np.uint16))


def test_master_weights_get_float32_gradients():
    x = _x((8, 4))
    w = sg.tensor(np.random.default_rng(1).standard_normal((4, 3)), dtype=sg.float32, requires_grad=True)
    with sg.autocast(dtype=sg.bfloat16):
        loss = F.log_softmax(x @ w, axis=-1).sum()
    assert loss.dtype == sg.float32
    loss.backward()
    assert w.grad.dtype == sg.float32
    w32 = sg.tensor(np.asarray(w), requires_grad=True)
    F.log_softmax(x @ w32, axis=-1).sum().backward()
    np.testing.assert_allclose(np.asarray(w.grad), np.asarray(w32.grad), atol=0.05 * np.abs(np.asarray(w32.grad)).max())


def test_nesting_and_enabled_false():
    x = _x()
    with sg.autocast(dtype=sg.bfloat16):
        with sg.autocast(dtype=sg.float16):
            assert (x @ x.T).dtype == sg.float16
            assert sg.amp.get_autocast_dtype() == sg.float16
        assert (x @ x.T).dtype == sg.bfloat16
        with sg.autocast(enabled=False):
            assert (x @ x.T).dtype == sg.float32 and not sg.amp.is_autocast_enabled()
        assert (x @ x.T).dtype == sg.bfloat16
    assert sg.amp.get_autocast_dtype() is None


def test_autocast_is_thread_local_and_restored_on_error():
    x = _x()
    seen = []
    with sg.autocast(dtype=sg.bfloat16):
        t = threading.Thread(target=lambda: seen.append((x @ x.T).dtype))
        t.start()
        t.join()
    assert seen == [sg.float32]
    with pytest.raises(KeyError):
        with sg.autocast():
            {}["missing"]
    assert not sg.amp.is_autocast_enabled()


def test_autocast_composes_with_no_grad_and_compile():
    x = _x()
    with sg.no_grad(), sg.autocast(dtype=sg.bfloat16):
        assert (x @ x.T).dtype == sg.bfloat16
    f = sg.compile(lambda a: a @ a.T)
    with sg.autocast(dtype=sg.bfloat16):
        assert f(x).dtype == sg.bfloat16

    @sg.autocast(dtype=sg.float16)
    def g(a):
        return a @ a.T

    assert g(x).dtype == sg.float16


def test_autocast_rejects_other_dtypes():
    with pytest.raises(ValueError, match="bfloat16 or sg.float16"):
        sg.autocast(dtype=sg.float32)


# --- GradScaler ------------------------------------------------------------------------------------


def _model_and_optimizer(opt_cls, **kw):
    sg.random.seed(0)
    with sg.default_dtype(sg.float32):  # float32 master weights
        model = sg.nn.Sequential(sg.nn.Linear(4, 8), sg.nn.ReLU(), sg.nn.Linear(8, 2))
    assert all(p.dtype == sg.float32 for p in model.parameters())
    return model, opt_cls(model.parameters(), **kw)


def _loss(model, seed=0):
    rng = np.random.default_rng(seed)
    x = sg.tensor(rng.standard_normal((16, 4)), dtype=sg.float32)
    y = rng.integers(0, 2, 16)
    with sg.autocast(dtype=sg.bfloat16):
        return F.cross_entropy(model(x), y)


def test_scaler_defaults_and_scale():
    s = sg.amp.GradScaler()
    assert s.get_scale() == 2.0 ** 16 and s.get_growth_interval() == 2000
    assert s.get_growth_factor() == 2.0 and s.get_backoff_factor() == 0.5
    assert float(s.scale(sg.tensor(1.5))) == 1.5 * 2 ** 16


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_scaler_step_matches_an_unscaled_step(opt):
    cls = getattr(sg.optim, opt)
    m1, o1 = _model_and_optimizer(cls, lr=0.01)
    m2, o2 = _model_and_optimizer(cls, lr=0.01)
    scaler = sg.amp.GradScaler(init_scale=1024.0)
    scaler.scale(_loss(m1)).backward()
    scaler.step(o1)
    scaler.update()
    _loss(m2).backward()
    o2.step()
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_allclose(np.asarray(p1), np.asarray(p2), rtol=1e-5, atol=1e-6)
    assert scaler.get_scale() == 1024.0


def test_scaler_skips_a_step_on_an_injected_inf_and_recovers():
    model, opt = _model_and_optimizer(sg.optim.SGD, lr=0.1)
    scaler = sg.amp.GradScaler(init_scale=2.0 ** 16, growth_interval=3)
    before = [np.asarray(p).copy() for p in model.parameters()]
    scaler.scale(_loss(model)).backward()
    first = next(iter(model.parameters()))
    first.grad[0, 0] = float("inf")
    assert scaler.step(opt) is None  # skipped
    scaler.update()
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(np.asarray(p), b)
    assert scaler.get_scale() == 2.0 ** 15
    for step in range(3):  # clean steps: updates happen, and the scale grows after growth_interval
        opt.zero_grad()
        scaler.scale(_loss(model, step + 1)).backward()
        scaler.step(opt)
        scaler.update()
    assert not all(np.array_equal(np.asarray(p), b) for p, b in zip(model.parameters(), before))
    assert scaler.get_scale() == 2.0 ** 16


def test_unscale_before_clip_grad_norm():
    model, opt = _model_and_optimizer(sg.optim.SGD, lr=0.1)
    scaler = sg.amp.GradScaler(init_scale=256.0)
    scaler.scale(_loss(model)).backward()
    scaled = [np.asarray(p.grad).copy() for p in model.parameters()]
    scaler.unscale_(opt)
    for p, g in zip(model.parameters(), scaled):
        np.testing.assert_allclose(np.asarray(p.grad), g / 256.0, rtol=1e-6)
    total = sg.nn.utils.clip_grad_norm_(model.parameters(), 1e-3)
    assert float(total) > 1e-3
    norm = np.sqrt(sum(float((np.asarray(p.grad, dtype=np.float64) ** 2).sum()) for p in model.parameters()))
    assert norm == pytest.approx(1e-3, rel=1e-3)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()


def test_scaler_state_dict_round_trip_and_disabled():
    s = sg.amp.GradScaler(init_scale=8.0, growth_interval=5)
    model, opt = _model_and_optimizer(sg.optim.SGD, lr=0.1)
    s.scale(_loss(model)).backward()
    s.step(opt)
    s.update()
    t = sg.amp.GradScaler()
    t.load_state_dict(s.state_dict())
    assert t.state_dict() == s.state_dict() and t.get_scale() == 8.0
    off = sg.amp.GradScaler(enabled=False)
    loss = _loss(model)
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}


def test_scaler_validates_its_arguments():
    for kw in ({"growth_factor": 1.0}, {"backoff_factor": 1.5}, {"growth_interval": 0}, {"init_scale": -1.0}):
        with pytest.raises(ValueError):
            sg.amp.GradScaler(**kw)
    with pytest.raises(ValueError):
        sg.amp.GradScaler().update(new_scale=float("nan"))


def _train_digits(low, epochs=15):
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn provides the digits")
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    train, test = order[:1300], order[1300:]
    sg.random.seed(0)
    with sg.default_dtype(sg.float32):
        model = sg.nn.Sequential(sg.nn.Linear(64, 64), sg.nn.ReLU(), sg.nn.Linear(64, 10))
    opt = sg.optim.Adam(model.parameters(), lr=3e-3)
    scaler = sg.amp.GradScaler(enabled=low)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for start in range(0, len(train), 64):
            idx = train[start:start + 64]
            opt.zero_grad()
            with sg.autocast(dtype=sg.bfloat16, enabled=low):
                loss = F.cross_entropy(model(sg.tensor(x[idx])), y[idx])
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            total += float(loss) * len(idx)
        losses.append(total / len(train))
    with sg.no_grad(), sg.autocast(dtype=sg.bfloat16, enabled=low):
        predicted = np.asarray(model(sg.tensor(x[test])).astype(sg.float32)).argmax(axis=1)
    return losses, float((predicted == y[test]).mean())


def test_digits_mlp_under_bf16_autocast_matches_float32():
    """The issue's acceptance run: bf16 autocast reaches float32's accuracy within 1 point, and the
    loss after the same number of steps is within 1% (bfloat16 has 8 bits of mantissa: the curves
    differ in their third digit)."""
    losses32, acc32 = _train_digits(False)
    losses16, acc16 = _train_digits(True)
    assert acc32 > 0.9
    assert abs(acc16 - acc32) <= 0.01
    assert losses16 == pytest.approx(losses32, rel=0.01)
    assert losses16[-1] < 0.5 * losses16[0]
