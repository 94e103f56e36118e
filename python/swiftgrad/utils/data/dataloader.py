"""`DataLoader`: batches of a dataset, in order or shuffled, loaded in the main process or in
worker processes; `default_collate` stacks samples into batches.

Worker processes (`num_workers > 0`) get index lists through queues and send back collated batches,
pickled (tensors pickle by value, `python/swiftgrad/_copying.py`); the main process yields them in
order, keeping `prefetch_factor * num_workers` batches in flight. Workers start with the
multiprocessing context `multiprocessing_context` ("fork" on Linux by default, as PyTorch; "spawn"
needs the dataset, `collate_fn` and `worker_init_fn` to be picklable). Each worker seeds `sg.random`
and NumPy's global generator from the loader's seed, the epoch and its id (`get_worker_info().seed`),
so random augmentations in workers differ between workers and are reproducible.

A loader's `state_dict()` records the sampler's epoch start and how many batches of the running epoch
were yielded; after `load_state_dict` the next epoch replays the same order and skips those batches
(without loading them), so a training run resumed from a checkpoint sees the same batches.
"""
import collections
import queue
import sys
import time

import numpy as np

from .sampler import BatchSampler, RandomSampler, SequentialSampler

WorkerInfo = collections.namedtuple("WorkerInfo", ["id", "num_workers", "seed", "dataset"])
_worker_info = None


def get_worker_info():
    """In a DataLoader worker process: (id, num_workers, seed, dataset) of this worker; None in the
    main process."""
    return _worker_info


def default_collate(batch):
    """Stacks a list of samples into a batch: tensors and arrays are stacked along a new first axis
    (arrays become tensors), Python and NumPy numbers become 1-D tensors (floats in the default
    dtype, ints as int64, bools as bool), strings stay lists, and dicts, tuples, named tuples and
    lists are collated field by field (recursively) into the same kind of container."""
    from ... import Tensor, stack, tensor

    if not batch:
        raise ValueError("default_collate: empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), axis=0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: arrays of dtype {elem.dtype} cannot become tensors")
        return tensor(np.stack(batch))
    if isinstance(elem, np.generic):
        return tensor(np.array(batch))
    if isinstance(elem, (bool, int, float)):
        return tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        if any(len(s) != len(elem) for s in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        fields = [default_collate(list(samples)) for samples in zip(*batch)]
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(f"default_collate: batch must contain tensors, arrays, numbers, strings, dicts or lists; "
                    f"found {type(elem).__name__}")


def _fetch(dataset, collate_fn, indices, batched):
    if not batched:
        sample = dataset[indices]
        return sample if collate_fn is None else collate_fn(sample)
    if collate_fn is default_collate and hasattr(dataset, "_get_batch"):
        return dataset._get_batch(indices)
    if hasattr(dataset, "__getitems__"):
        samples = dataset.__getitems__(indices)
    else:
        samples = [dataset[i] for i in indices]
    return collate_fn(samples)


class _WorkerError:
    def __init__(self, worker_id, text):
        self.worker_id, self.text = worker_id, text


def _worker_loop(dataset, collate_fn, batched, index_queue, result_queue, worker_id, num_workers, seed, init_fn):
    global _worker_info
    import traceback

    from ... import random

    try:
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        if init_fn is not None:
            init_fn(worker_id)
    except Exception:
        result_queue.put((None, _WorkerError(worker_id, traceback.format_exc())))
        return
    while True:
        task = index_queue.get()
        if task is None:
            break
        batch_id, indices = task
        try:
            data = _fetch(dataset, collate_fn, indices, batched)
        except Exception:
            data = _WorkerError(worker_id, traceback.format_exc())
        result_queue.put((batch_id, data))


class DataLoader:
    """Iterates over `dataset` in batches (PyTorch's `DataLoader`).

    batch_size: samples per batch (None: yield samples one by one, through `collate_fn` if given).
    shuffle: a new random order each epoch (a `RandomSampler` using `generator`).
    sampler / batch_sampler: custom index orders (exclusive with shuffle; batch_sampler replaces
    batch_size, shuffle, sampler and drop_last).
    num_workers: 0 loads in the main process; > 0 starts that many worker processes per epoch.
    collate_fn: turns a list of samples into a batch (`default_collate`).
    drop_last: drop the last batch when it is smaller than batch_size.
    generator: a `numpy.random.Generator` or an int seed for shuffling; None draws each epoch's seed
    from `sg.random`.
    worker_init_fn(worker_id): runs in each worker after its seeding.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, drop_last=False, timeout=0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, prefetch_factor=2):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.collate_fn = collate_fn if collate_fn is not None else (default_collate if batch_sampler else None)
        self.multiprocessing_context, self.prefetch_factor = multiprocessing_context, prefetch_factor
        self.generator = generator
        self._seed_root = int(generator) if isinstance(generator, (int, np.integer)) else 0
        self._epoch = 0
        self._in_epoch = False
        self._position = 0
        self._skip = 0

    def __len__(self):
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    # --- Resuming --------------------------------------------------------------------------

    def state_dict(self):
        """Where the loader is: the sampler's state for the running (or next) epoch, the number of
        batches of the running epoch already yielded and the epoch counter."""
        sampler = self.sampler
        state = {"batches": self._position if self._in_epoch else 0, "epoch": self._epoch}
        if hasattr(sampler, "state_dict"):
            state["sampler"] = sampler.state_dict(in_epoch=self._in_epoch)
        return state

    def load_state_dict(self, state):
        """The next iteration replays the saved epoch's order and skips its yielded batches."""
        if "sampler" in state and hasattr(self.sampler, "load_state_dict"):
            self.sampler.load_state_dict(state["sampler"])
        self._skip = int(state["batches"])
        self._epoch = int(state.get("epoch", 0))

    # --- Iteration ---------------------------------------------------------------------------

    def _index_batches(self):
        return iter(self.batch_sampler) if self.batch_sampler is not None else iter(self.sampler)

    def __iter__(self):
        indices = self._index_batches()
        skip, self._skip = self._skip, 0
        self._in_epoch, self._position = True, skip
        epoch = self._epoch
        if skip:
            for _ in zip(range(skip), indices):
                pass
        batched = self.batch_sampler is not None
        try:
            if self.num_workers == 0:
                for idx in indices:
                    batch = _fetch(self.dataset, self.collate_fn, idx, batched)
                    self._position += 1
                    yield batch
            else:
                yield from self._multiprocess(indices, batched, epoch)
        finally:
            self._in_epoch, self._position = False, 0
            self._epoch = epoch + 1

    def _context(self):
        import multiprocessing

        ctx = self.multiprocessing_context
        if ctx is None:
            ctx = "fork" if sys.platform.startswith("linux") else "spawn"
        return multiprocessing.get_context(ctx) if isinstance(ctx, str) else ctx

    def _multiprocess(self, indices, batched, epoch):
        ctx = self._context()
        n = self.num_workers
        seeds = np.random.SeedSequence([self._seed_root, epoch]).generate_state(n, dtype=np.uint64)
        results = ctx.Queue()
        inboxes = [ctx.Queue() for _ in range(n)]
        workers = [ctx.Process(target=_worker_loop, daemon=True,
                               args=(self.dataset, self.collate_fn, batched, inboxes[i], results, i, n,
                                     int(seeds[i] >> np.uint64(1)), self.worker_init_fn))
                   for i in range(n)]
        for w in workers:
            w.start()
        tasks = enumerate(indices)
        sent = received = 0
        done = {}
        try:
            def send():
                nonlocal sent
                task = next(tasks, None)
                if task is None:
                    return False
                inboxes[task[0] % n].put(task)
                sent += 1
                return True

            for _ in range(max(1, self.prefetch_factor) * n):
                if not send():
                    break
            while received < sent:
                while received not in done:
                    batch_id, data = self._get(results, workers)
                    if batch_id is None:
                        raise RuntimeError(f"DataLoader worker {data.worker_id} failed to start:\n{data.text}")
                    done[batch_id] = data
                data = done.pop(received)
                received += 1
                send()
                if isinstance(data, _WorkerError):
                    raise RuntimeError(f"Caught an exception in DataLoader worker process {data.worker_id}:\n"
                                       f"{data.text}")
                self._position += 1
                yield data
        finally:
            for inbox in inboxes:
                inbox.put(None)
            deadline = time.monotonic() + 5.0
            for w in workers:
                w.join(max(0.0, deadline - time.monotonic()))
                if w.is_alive():
                    w.terminate()
                    w.join()
            for q in inboxes + [results]:
                q.cancel_join_thread()
                q.close()

    def _get(self, results, workers):
        started = time.monotonic()
        while True:
            try:
                return results.get(timeout=1.0)
            except queue.Empty:
                dead = [w for w in workers if not w.is_alive()]
                if dead:
                    raise RuntimeError(f"DataLoader worker (pid {dead[0].pid}) exited unexpectedly with exit code "
                                       f"{dead[0].exitcode}") from None
                if self.timeout and time.monotonic() - started > self.timeout:
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None
