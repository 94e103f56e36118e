"""Grad mode is thread-local; independent graphs run concurrently with the same results."""
import threading

import numpy as np

import swiftgrad as sg


def _gradient(seed):
    rng = np.random.default_rng(seed)
    w = sg.tensor(rng.standard_normal((200, 200)), requires_grad=True)
    x = sg.tensor(rng.standard_normal((200, 64)))
    for _ in range(3):
        h = sg.tanh(w @ x)
        loss = sg.sum(h * h)
        loss.backward()
    return loss.item(), w.grad.numpy().copy()


def test_concurrent_graphs_match_serial_results():
    seeds = list(range(6))
    serial = [_gradient(s) for s in seeds]
    results = [None] * len(seeds)

    def work(i):
        results[i] = _gradient(seeds[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(seeds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (loss_s, grad_s), (loss_t, grad_t) in zip(serial, results):
        assert loss_s == loss_t
        np.testing.assert_array_equal(grad_s, grad_t)


def test_no_grad_is_thread_local():
    seen = {}
    barrier = threading.Barrier(2)

    def inside_no_grad():
        with sg.no_grad():
            barrier.wait()
            seen["no_grad_thread"] = (sg.tensor([1.0], requires_grad=True) * 2).requires_grad
            barrier.wait()

    def other():
        barrier.wait()
        seen["other_thread"] = (sg.tensor([1.0], requires_grad=True) * 2).requires_grad
        barrier.wait()

    threads = [threading.Thread(target=inside_no_grad), threading.Thread(target=other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"no_grad_thread": False, "other_thread": True}
