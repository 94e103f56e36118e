"""The digits MLP of digits_mlp.py trained data-parallel: every MPI process holds the same model, sees
its own shard of each epoch (DistributedSampler), and DistributedDataParallel averages the gradients
over the processes during backward.

    python -m swiftgrad.distributed.launch -n 2 examples/digits_ddp.py

Needs mpi4py and an MPI (pip install mpi4py mpich) and scikit-learn. With 2 processes each step
uses 2 x 32 examples, the same global batch of 64 as digits_mlp.py. Rank 0 prints; the run checks
that the parameters are bitwise identical on every rank and that the test accuracy is >= 0.95.
"""
import time

import numpy as np

import swiftgrad as sg
import swiftgrad.distributed as dist
from swiftgrad import nn
from swiftgrad.utils.data import DataLoader, DistributedSampler, TensorDataset


def log_softmax(logits):
    shifted = logits - sg.stop_gradient(sg.max(logits, axis=1, keepdims=True))
    return shifted - sg.log(sg.sum(sg.exp(shifted), axis=1, keepdims=True))


def softmax_cross_entropy(logits, one_hot):
    return -sg.mean(sg.sum(one_hot * log_softmax(logits), axis=1))


def main(epochs=40, global_batch=64, seed=0):
    dist.init()  # an exception on any rank now aborts the whole job instead of hanging it
    rank, world = dist.rank(), dist.world_size()
    started = time.perf_counter()
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(digits.data / 16.0, digits.target, test_size=0.25,
                                                        random_state=seed, stratify=digits.target)
    data = TensorDataset(x_train, np.eye(10)[y_train])
    sampler = DistributedSampler(data, shuffle=True, seed=seed, drop_last=True)  # disjoint shards
    loader = DataLoader(data, batch_size=global_batch // world, sampler=sampler)

    sg.random.seed(seed + rank)  # different on purpose: DDP broadcasts rank 0's parameters
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    ddp = dist.DistributedDataParallel(model)
    opt = dist.DistributedOptimizer(sg.optim.Adam(model.parameters(), lr=3e-3))
    schedule = sg.optim.lr_scheduler.StepLR(opt.optimizer, step_size=15, gamma=0.3)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        total = 0.0
        for inputs, targets in loader:
            opt.zero_grad()
            loss = softmax_cross_entropy(ddp(inputs), targets)
            loss.backward()
            opt.step()
            total += loss.item() * len(inputs)
        schedule.step()
        mean_loss = dist.all_reduce(sg.tensor(total), "sum").item() / (len(sampler) * world)
        if rank == 0 and (epoch % 10 == 0 or epoch == epochs - 1):
            print(f"epoch {epoch:2d}   training loss {mean_loss:.4f}")

    flat = np.concatenate([np.asarray(p).ravel() for p in model.parameters()])
    same = all(np.array_equal(flat, other) for other in dist.comm().allgather(flat))
    with sg.no_grad():
        accuracy = (model(x_test).numpy().argmax(axis=1) == y_test).mean()
    if rank == 0:
        print(f"{world} processes; parameters identical on every rank: {same}; communication wait "
              f"{ddp.communication_wait_seconds:.2f} s")
        print(f"test accuracy {accuracy:.4f} on {len(y_test)} held-out digits "
              f"({time.perf_counter() - started:.1f} s including data loading)")
    if not same or accuracy < 0.95:
        raise SystemExit(f"rank {rank}: parameters identical {same}, accuracy {accuracy:.4f} (needs 0.95)")
    return accuracy


if __name__ == "__main__":
    main()
