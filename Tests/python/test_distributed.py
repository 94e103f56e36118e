"""sg.distributed: collectives and their derivatives, DistributedDataParallel, the sampler and
the launcher. The MPI cases run `mpiexec -n 2` in a subprocess (Tests/python/dist_worker.py), each bounded
by a timeout; they skip, saying why, when mpi4py or mpiexec is missing (scripts/install-deps.sh
installs both)."""
import importlib.util
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swiftgrad.distributed import launch
from swiftgrad.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("dist_worker.py")
TIMEOUT = 60

_missing = ("mpi4py is not installed" if importlib.util.find_spec("mpi4py") is None else
            "no mpiexec found" if launch.find_mpiexec() is None else None)
needs_mpi = pytest.mark.skipif(_missing is not None, reason=f"{_missing} (pip install mpi4py mpich, "
                               "or scripts/install-deps.sh)")


def run_launch(*args, timeout=TIMEOUT, env=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "swiftgrad.distributed.launch", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=str(WORKER.parent))


def run_case(case, **env):
    result = run_launch("-n", "2", str(WORKER), case, env=env)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"OK {case} rank 0" in out and f"OK {case} rank 1" in out, out
    return out


@needs_mpi
def test_collectives_values_and_derivatives_match_central_differences():
    # all_reduce (sum, mean, max), all_gather, reduce_scatter (sum, mean), broadcast: values, VJPs
    # and JVPs against central differences of the objective summed over both ranks; a 2nd order.
    run_case("collectives")


@needs_mpi
@pytest.mark.parametrize("shared_memory", ["1", "0"], ids=["shared-memory buckets", "Iallreduce"])
def test_ddp_20_steps_bitwise_equal_across_ranks_and_equal_to_single_process(shared_memory):
    # also: several buckets, every .grad a view into its bucket, the plain-optimizer path; both
    # reductions: through shared memory (ranks on one machine) and MPI's non-blocking all-reduce
    run_case("equivalence", SWIFTGRAD_DDP_SHARED_MEMORY=shared_memory)


@needs_mpi
@pytest.mark.parametrize("shared_memory", ["1", "0"], ids=["shared-memory buckets", "Iallreduce"])
def test_ddp_unused_parameters(shared_memory):
    run_case("unused", SWIFTGRAD_DDP_SHARED_MEMORY=shared_memory)


@needs_mpi
def test_ddp_no_sync_accumulation_equals_single_process():
    run_case("no_sync")


@needs_mpi
def test_distributed_optimizer_alone_broadcast_helpers_and_the_unsynchronised_warning():
    run_case("helpers")


@needs_mpi
def test_distributed_sampler_shards_under_mpi():
    run_case("sampler")


@needs_mpi
def test_a_rank_that_raises_aborts_the_others_promptly():
    started = time.monotonic()
    result = run_launch("-n", "2", str(WORKER), "raise", timeout=30)
    elapsed = time.monotonic() - started
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "boom from rank 1" in out and "ValueError" in out, out
    assert "OK raise" not in out
    assert elapsed < 20, f"took {elapsed:.1f} s: the other rank was not aborted promptly"


# --- Without MPI ------------------------------------------------------------------------------------

def shards(n, world, epoch, **kw):
    out = []
    for r in range(world):
        s = DistributedSampler(range(n), num_replicas=world, rank=r, **kw)
        s.set_epoch(epoch)
        out.append(list(s))
    return out


def test_distributed_sampler_disjoint_cover_reshuffled_and_seeded():
    a = shards(23, 3, 0, seed=4, drop_last=True)
    flat = sum(a, [])
    assert len(flat) == len(set(flat)) == 21 and all(len(s) == 7 for s in a)
    padded = shards(23, 3, 0, seed=4)
    assert set(sum(padded, [])) == set(range(23)) and all(len(s) == 8 for s in padded)
    assert shards(23, 3, 0, seed=4) == padded          # same seed and epoch: same shards
    assert shards(23, 3, 1, seed=4) != padded          # set_epoch reshuffles
    assert shards(23, 3, 0, seed=5) != padded          # another seed, another order
    assert shards(6, 2, 0, shuffle=False) == [[0, 2, 4], [1, 3, 5]]
    with pytest.raises(ValueError):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_distributed_sampler_state_dict_restores_the_epoch():
    s = DistributedSampler(range(10), num_replicas=2, rank=1, seed=1)
    s.set_epoch(3)
    order, state = list(s), s.state_dict()
    t = DistributedSampler(range(10), num_replicas=2, rank=1, seed=1)
    t.load_state_dict(state)
    assert list(t) == order


def fake_mpiexec(tmp_path, version_text):
    path = tmp_path / "mpiexec"
    path.write_text(f"#!/bin/sh\necho '{version_text}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_launcher_adds_root_flags_for_open_mpi_only(tmp_path):
    ompi = fake_mpiexec(tmp_path, "mpiexec (OpenRTE) 4.1.4\nReport bugs to http://www.open-mpi.org/")
    argv, env = launch.command(3, "train.py", ["--lr", "1"], mpiexec=ompi, hostfile="hosts")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    assert ("--allow-run-as-root" in argv) == root
    assert (env.get("OMPI_ALLOW_RUN_AS_ROOT") == "1") == root
    assert argv[:3] == [ompi, "-n", "3"] and argv[-3:] == ["train.py", "--lr", "1"]
    assert argv[argv.index("--hostfile") + 1] == "hosts" and sys.executable in argv
    (tmp_path / "m").mkdir()
    hydra = fake_mpiexec(tmp_path / "m", "HYDRA build details:\n    Version: 4.2.0")
    argv, env = launch.command(2, "pkg.mod", module=True, mpiexec=hydra, hostfile="hosts")
    assert "--allow-run-as-root" not in argv and env == {}
    assert argv[argv.index("-f") + 1] == "hosts" and argv[-2:] == ["-m", "pkg.mod"]


def test_swiftgrad_imports_without_mpi4py():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import swiftgrad as sg\n"
            "import swiftgrad.distributed as dist\n"
            "try:\n    dist.rank()\nexcept ImportError as e:\n    print('ImportError:', e)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ImportError: swiftgrad.distributed needs mpi4py" in result.stdout
