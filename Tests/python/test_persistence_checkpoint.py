"""Training-run checkpoints (sg.utils.checkpoint_io) and the state of sg.random.

The crash tests run real subprocesses and kill them with SIGKILL: (a) at a random training step, after
which the run resumes from its last checkpoint and must end with bitwise the same parameters as an
uninterrupted run; (b) in the middle of writing a large checkpoint, which must leave the previous one
loadable and intact."""
import glob
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import json

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad import nn
from swiftgrad.utils.checkpoint_io import load_training_state, save_training_state

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "python"))

# A seeded run with every source of state a resume must restore: dropout and shuffling from sg.random,
# noise from NumPy's global generator, Adam's moments, a StepLR schedule, a DataLoader in mid-epoch.
TRAIN = textwrap.dedent("""
    import os, sys
    import numpy as np
    import swiftgrad as sg
    from swiftgrad import nn
    from swiftgrad.nn import functional as F
    from swiftgrad.utils.data import DataLoader, TensorDataset
    from swiftgrad.utils.checkpoint_io import load_training_state, save_training_state

    workdir, total, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ckpt = os.path.join(workdir, "last.safetensors")
    sg.random.seed(0)
    np.random.seed(1)
    data = np.random.default_rng(2)
    x = data.normal(size=(40, 3))
    y = np.sin(x).sum(axis=1, keepdims=True)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 1))
    opt = sg.optim.Adam(model.parameters(), lr=1e-2)
    sched = sg.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
    step = 0
    if os.path.exists(ckpt):
        step = load_training_state(ckpt, model=model, optimizer=opt, scheduler=sched, loader=loader)["step"]
        print("resumed", step, flush=True)
    while step < total:
        for xb, yb in loader:
            noise = np.random.normal(scale=0.05, size=xb.shape)
            opt.zero_grad()
            F.mse_loss(model(xb + noise), yb).backward()
            opt.step()
            sched.step()
            step += 1
            if step % every == 0:
                save_training_state(ckpt, model=model, optimizer=opt, scheduler=sched, step=step, loader=loader)
            print("step", step, flush=True)
            if step == total:
                break
    sg.save(model.state_dict(), os.path.join(workdir, "final.npz"))
    print("done", flush=True)
""")


def run_to_end(script, workdir, *args):
    result = subprocess.run([sys.executable, str(script), str(workdir), *map(str, args)], env=ENV,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def kill_at_step(script, workdir, step, *args):
    proc = subprocess.Popen([sys.executable, str(script), str(workdir), *map(str, args)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.strip() == f"step {step}":
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()


def final_parameters(workdir):
    return {k: v.numpy() for k, v in sg.load(Path(workdir) / "final.npz").items()}


def test_sigkill_at_a_random_step_then_resume_gives_bitwise_the_same_parameters(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    total, every = 23, 3
    reference = tmp_path / "reference"
    reference.mkdir()
    run_to_end(script, reference, total, every)
    expected = final_parameters(reference)

    # Two kill points drawn at random (seeded, so a failure can be replayed): one mid-epoch and
    # anywhere else; checkpoints are every 3 steps and 5 batches make an epoch.
    for kill in sorted(np.random.default_rng(22).choice(np.arange(4, total - 3), size=2, replace=False)):
        work = tmp_path / f"killed_at_{kill}"
        work.mkdir()
        kill_at_step(script, work, int(kill), total, every)
        assert not (work / "final.npz").exists()
        out = run_to_end(script, work, total, every)
        resumed_from = int(out.split("resumed ")[1].split()[0])
        # The last checkpoint before the kill (the child may have run a step or two before SIGKILL landed).
        assert resumed_from % every == 0 and (kill // every) * every <= resumed_from < total
        got = final_parameters(work)
        assert list(got) == list(expected)
        for name in expected:
            assert got[name].dtype == expected[name].dtype
            np.testing.assert_array_equal(got[name], expected[name], err_msg=f"{name} after a kill at {kill}")


SAVE_BIG = textwrap.dedent("""
    import os, sys
    import swiftgrad as sg
    from swiftgrad import nn
    from swiftgrad.utils.checkpoint_io import save_training_state

    workdir = sys.argv[1]
    ckpt = os.path.join(workdir, "last" + sys.argv[2])
    sg.random.seed(0)
    model = nn.Linear(4, 3)
    save_training_state(ckpt, model=model, step=1)
    print("saved 1", flush=True)
    huge = nn.Module()
    huge.weight = nn.Parameter(sg.random.uniform(size=(40_000_000,)))  # 320 MB
    save_training_state(ckpt, model=huge, step=2)
    print("saved 2", flush=True)
""")


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_sigkill_during_a_save_leaves_the_previous_checkpoint_intact(tmp_path, suffix):
    script = tmp_path / "save_big.py"
    script.write_text(SAVE_BIG)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), suffix], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "saved 1", proc.stderr.read()
        first = (tmp_path / ("last" + suffix)).read_bytes()
        pattern = str(tmp_path / f".last{suffix}.*.tmp")
        deadline = time.monotonic() + 60
        while not glob.glob(pattern):  # the second save has started writing its temporary file
            assert time.monotonic() < deadline and proc.poll() is None, "the second save never started"
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        rest = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert "saved 2" not in rest
    assert (tmp_path / ("last" + suffix)).read_bytes() == first
    model = nn.Linear(4, 3)
    state = load_training_state(tmp_path / ("last" + suffix), model=model, rng=False)
    assert state["step"] == 1
    sg.random.seed(0)
    np.testing.assert_array_equal(model.weight.numpy(), nn.Linear(4, 3).weight.numpy())


# --- In-process checkpoints and sg.random's state -------------------------------------------------------


def test_random_state_round_trip_continues_the_stream():
    sg.random.seed(11)
    sg.random.normal(size=7)  # odd sizes: normal draws in pairs
    sg.random.uniform(size=(2, 3), dtype=sg.float32)
    state = sg.random.get_state()
    assert state["algorithm"] == "xoshiro256**" and len(state["state"]) == 4
    assert json.loads(json.dumps(state)) == state
    expected = [sg.random.randn(5).numpy(), sg.random.rand(3).numpy()]
    sg.random.seed(99)
    sg.random.rand(100)
    sg.random.set_state(state)
    np.testing.assert_array_equal(sg.random.randn(5).numpy(), expected[0])
    np.testing.assert_array_equal(sg.random.rand(3).numpy(), expected[1])
    assert sg.random.get_rng_state() != state


def test_random_state_works_without_a_seed_and_rejects_bad_states():
    state = sg.random.get_state()  # whatever the stream is now, seeded or not
    after = sg.random.uniform(size=4).numpy()
    sg.random.set_state(state)
    np.testing.assert_array_equal(sg.random.uniform(size=4).numpy(), after)
    for bad, kind in (({"seed": 1, "draws": -1}, ValueError), ({"algorithm": "xoshiro256**", "state": [1, 2]},
                      ValueError), ({"algorithm": "xoshiro256**", "state": [0, 0, 0, 0]}, ValueError),
                      ({"algorithm": "xoshiro256**", "state": [1, 2, 3, -4]}, OverflowError),
                      ({"algorithm": "xoshiro256**", "state": [1, 2, 3, 2**64]}, OverflowError),
                      ({"algorithm": "xoshiro256**", "state": [1, 2, 3, "4"]}, TypeError)):
        with pytest.raises(kind):
            sg.random.set_state(bad)


def test_checkpoint_round_trip_in_process_restores_everything(tmp_path):
    from swiftgrad.nn import functional as F

    sg.random.seed(2)
    np.random.seed(3)
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    opt = sg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = sg.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    x = np.ones((3, 2))

    def step():
        opt.zero_grad()
        F.mse_loss(model(x + np.random.normal(size=x.shape)), np.zeros((3, 1))).backward()
        opt.step()
        sched.step()

    step()
    path = tmp_path / "ck.npz"
    save_training_state(path, model=model, optimizer=opt, scheduler=sched, step=1,
                        extra={"note": "after one step", "best": 0.25, "history": [1.0, 0.5]})
    step()
    expected = [p.numpy().copy() for p in model.parameters()]
    lr = sched.get_last_lr()
    step()  # move everything on, then go back
    state = load_training_state(path, model=model, optimizer=opt, scheduler=sched)
    assert state["step"] == 1 and state["extra"] == {"note": "after one step", "best": 0.25, "history": [1.0, 0.5]}
    step()
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_array_equal(p.numpy(), e)
    assert sched.get_last_lr() == lr
    with pytest.raises(ValueError, match="not a checkpoint"):
        sg.save({"w": sg.ones(1)}, tmp_path / "plain.npz")
        load_training_state(tmp_path / "plain.npz")
