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


def _run_threads(work, count):
    results = [None] * count
    errors = []

    def run(i):
        try:
            results[i] = work(i)
        except Exception as e:  # reported below: a thread's exception must fail the test
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_threads_share_leaves_through_autograd_grad():
    rng = np.random.default_rng(1)
    w = sg.tensor(rng.standard_normal((128, 128)), requires_grad=True)
    xs = [sg.tensor(rng.standard_normal((128, 32))) for _ in range(4)]

    def gradient(i):
        loss = sg.sum(sg.tanh(w @ xs[i]) ** 2)
        return sg.autograd.grad(loss, [w])[0].numpy().copy()

    serial = [gradient(i) for i in range(4)]
    for got, want in zip(_run_threads(gradient, 4), serial):
        np.testing.assert_array_equal(got, want)
    assert w.grad is None


def test_threads_backward_through_one_shared_graph_with_retain_graph():
    rng = np.random.default_rng(2)
    w = sg.tensor(rng.standard_normal((96, 96)), requires_grad=True)
    loss = sg.sum(sg.sin(w @ w) * w)
    want = sg.autograd.grad(loss, [w], retain_graph=True)[0].numpy().copy()
    got = _run_threads(lambda i: sg.autograd.grad(loss, [w], retain_graph=True)[0].numpy().copy(), 4)
    for g in got:
        np.testing.assert_array_equal(g, want)


def test_hooks_run_in_every_threads_backward():
    w = sg.tensor(np.ones((64, 64)), requires_grad=True)
    calls = []
    lock = threading.Lock()

    def hook(g):
        with lock:
            calls.append(threading.get_ident())
        return g * 2

    w.register_hook(hook)

    def gradient(i):
        return sg.autograd.grad(sg.sum(w * float(i + 1)), [w])[0].numpy().copy()

    results = _run_threads(gradient, 4)
    assert len(calls) == 4  # once per backward (thread idents may be reused, so they are not compared)
    for i, g in enumerate(results):
        np.testing.assert_array_equal(g, np.full((64, 64), 2.0 * (i + 1)))


def test_grad_mode_and_anomaly_mode_stay_per_thread_under_load():
    def work(i):
        out = []
        for k in range(50):
            with sg.no_grad() if (i + k) % 2 else sg.enable_grad():
                t = sg.tensor([1.0, 2.0], requires_grad=True) * 3
                out.append(t.requires_grad == ((i + k) % 2 == 0))
        return all(out)

    assert all(_run_threads(work, 4))
