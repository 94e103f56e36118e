"""Large operands take the multithreaded kernel paths (>= 65,536 elements): same results."""
import numpy as np

import swiftgrad as sg


def test_large_unary_and_fused_vjp_match_numpy():
    a = np.random.default_rng(0).standard_normal(300_001)
    x = sg.tensor(a, requires_grad=True)
    y = sg.tanh(x)
    np.testing.assert_allclose(y.numpy(), np.tanh(a), rtol=1e-15, atol=0)
    np.testing.assert_allclose(sg.exp(x).numpy(), np.exp(a), rtol=1e-15, atol=0)
    sg.sum(y * y).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.tanh(a) * (1 - np.tanh(a) ** 2), rtol=1e-12, atol=1e-15)


def test_large_float32_and_concurrent_callers():
    import threading

    a = np.random.default_rng(1).standard_normal((512, 300)).astype(np.float32)
    expected = np.sin(a)
    results = [None] * 4

    def work(i):
        results[i] = sg.sin(sg.tensor(a)).numpy()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_allclose(r, expected, rtol=1e-6)
