"""sg.utils.data (datasets, samplers, default_collate, DataLoader with and without worker
processes, random_split) and resuming a DataLoader in mid-epoch."""
import collections
import pickle

import numpy as np
import pytest

import swiftgrad as sg
from swiftgrad.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler,
                                  Subset, SubsetRandomSampler, TensorDataset, default_collate, get_worker_info,
                                  random_split)


def rows(n=10):
    return np.arange(2.0 * n).reshape(n, 2), np.arange(n)


def as_lists(batches):
    return [tuple(np.asarray(t).tolist() for t in b) for b in batches]


class Squares(Dataset):
    """Samples are dicts mixing tensors, arrays, numbers and strings."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        if not 0 <= i < 7:
            raise IndexError(i)
        return {"x": sg.tensor([float(i), float(i * i)]), "label": i, "weight": 0.5 * i, "name": f"s{i}",
                "pair": (np.full(3, i, dtype=np.int64), True)}


class Failing(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise ValueError("sample 2 is corrupt")
        return sg.tensor([float(i)])


def worker_tag(i):
    info = get_worker_info()
    return sg.tensor([float(i), float(info.id), sg.random.uniform().item()])


class Tagged(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return worker_tag(i)


def test_tensor_dataset_indexing_and_sizes():
    x, y = rows()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    a, b = ds[3]
    assert a.numpy().tolist() == [6.0, 7.0] and b.item() == 3 and b.dtype == sg.int64
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(x, y[:5])


def test_sequential_batches_with_and_without_drop_last():
    ds = TensorDataset(*rows())
    batches = as_lists(DataLoader(ds, batch_size=4))
    assert [b[1] for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert len(DataLoader(ds, batch_size=4)) == 3 and len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [b[1] for b in as_lists(DataLoader(ds, batch_size=4, drop_last=True))] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_tensor_dataset_batch_path_equals_stacking_samples():
    x, y = rows()
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=3, shuffle=True, generator=5))
    slow = list(DataLoader(ds, batch_size=3, shuffle=True, generator=5, collate_fn=lambda b: default_collate(b)))
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype == sg.float64 and fy.dtype == sy.dtype == sg.int64
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_shuffle_is_a_permutation_reproducible_from_a_seed_and_new_each_epoch():
    ds = TensorDataset(*rows(50))
    loader = DataLoader(ds, batch_size=50, shuffle=True, generator=3)
    epoch1, epoch2 = [next(iter(loader))[1].numpy().tolist() for _ in range(2)]
    assert sorted(epoch1) == list(range(50)) and epoch1 != list(range(50)) and epoch1 != epoch2
    again = DataLoader(ds, batch_size=50, shuffle=True, generator=np.random.default_rng(3))
    assert [next(iter(again))[1].numpy().tolist() for _ in range(2)] == [epoch1, epoch2]
    assert epoch1 == np.random.default_rng(3).permutation(50).tolist()  # NumPy's permutation
    # Without a generator the order comes from sg.random.
    sg.random.seed(8)
    first = next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[1].numpy().tolist()
    sg.random.seed(8)
    assert next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[1].numpy().tolist() == first


def test_default_collate_recurses_into_dicts_tuples_and_converts_leaves():
    batch = default_collate([Squares()[i] for i in range(3)])
    assert set(batch) == {"x", "label", "weight", "name", "pair"}
    assert batch["x"].shape == (3, 2) and batch["x"].numpy().tolist() == [[0, 0], [1, 1], [2, 4]]
    assert batch["label"].dtype == sg.int64 and batch["label"].numpy().tolist() == [0, 1, 2]
    assert batch["weight"].dtype == sg.float64 and batch["weight"].numpy().tolist() == [0.0, 0.5, 1.0]
    assert batch["name"] == ["s0", "s1", "s2"]
    assert isinstance(batch["pair"], tuple) and batch["pair"][0].shape == (3, 3)
    assert batch["pair"][1].dtype == sg.bool
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, np.float32(2.0)), Point(3, np.float32(4.0))])
    assert isinstance(p, Point) and p.y.dtype == sg.float32
    assert isinstance(default_collate([[1, 2], [3, 4]]), list)
    with pytest.raises(TypeError, match="found object"):
        default_collate([object()])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])


def test_batch_size_none_and_custom_collate_and_samplers():
    ds = Squares()
    assert [s["label"] for s in DataLoader(ds, batch_size=None)] == list(range(7))
    names = list(DataLoader(ds, batch_size=3, collate_fn=lambda b: [s["name"] for s in b]))
    assert names == [["s0", "s1", "s2"], ["s3", "s4", "s5"], ["s6"]]
    sampler = SubsetRandomSampler([1, 3, 5], generator=0)
    picked = sorted(int(v) for b in DataLoader(ds, batch_size=2, sampler=sampler) for v in b["label"].numpy())
    assert picked == [1, 3, 5]
    batches = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, drop_last=True))
    assert [b["label"].numpy().tolist() for b in batches] == [[0, 1, 2, 3]]
    with_replacement = list(RandomSampler(range(5), replacement=True, num_samples=20, generator=1))
    assert len(with_replacement) == 20 and set(with_replacement) <= set(range(5))
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=sampler, shuffle=True)
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(SequentialSampler(ds), 0, False)


def test_subset_concat_and_random_split():
    ds = TensorDataset(*rows(10))
    both = ds + Subset(ds, [9, 8])
    assert len(both) == 12 and both[10][1].item() == 9 and both[-1][1].item() == 8
    with pytest.raises(IndexError):
        both[12]
    assert isinstance(both, ConcatDataset)
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=4)
    assert [len(p) for p in parts] == [5, 3, 2]
    labels = [int(p[i][1].item()) for p in parts for i in range(len(p))]
    assert sorted(labels) == list(range(10))
    again = random_split(ds, [5, 3, 2], generator=np.random.default_rng(4))
    assert [p.indices for p in again] == [p.indices for p in parts]
    assert [len(p) for p in random_split(range(11), [0.5, 0.5], generator=0)] == [6, 5]
    with pytest.raises(ValueError, match="sum"):
        random_split(ds, [3, 3], generator=0)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_workers_give_the_same_batches_in_order(context):
    ds = Squares()
    single = list(DataLoader(ds, batch_size=2, shuffle=True, generator=7))
    multi = list(DataLoader(ds, batch_size=2, shuffle=True, generator=7, num_workers=2,
                            multiprocessing_context=context))
    assert len(single) == len(multi) == 4
    for a, b in zip(single, multi):
        np.testing.assert_array_equal(a["x"].numpy(), b["x"].numpy())
        assert a["name"] == b["name"] and b["x"].dtype == sg.float64
        np.testing.assert_array_equal(a["pair"][0].numpy(), b["pair"][0].numpy())


def test_workers_are_seeded_per_worker_and_report_their_info():
    loader = DataLoader(Tagged(), batch_size=1, num_workers=2, generator=1)
    out = np.concatenate([b.numpy() for b in loader])
    assert out[:, 0].tolist() == list(range(8))
    assert out[:, 1].tolist() == [0, 1] * 4  # batches are dealt to the workers in turn
    assert len(set(out[:, 2].tolist())) == 8  # different random streams per worker
    again = np.concatenate([b.numpy() for b in DataLoader(Tagged(), batch_size=1, num_workers=2, generator=1)])
    np.testing.assert_array_equal(out[:, 2], again[:, 2])  # reproducible
    assert get_worker_info() is None


def test_worker_exception_is_reported_with_its_traceback():
    with pytest.raises(RuntimeError, match="(?s)DataLoader worker process.*sample 2 is corrupt"):
        list(DataLoader(Failing(), batch_size=1, num_workers=2))
    with pytest.raises(ValueError, match="sample 2 is corrupt"):
        list(DataLoader(Failing(), batch_size=1))


def test_breaking_out_of_a_worker_loop_stops_the_workers():
    import multiprocessing

    loader = DataLoader(TensorDataset(*rows(40)), batch_size=2, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 1:
            break
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_loader_state_resumes_mid_epoch_with_the_same_batches():
    ds = TensorDataset(*rows(20))
    for generator in (np.random.default_rng(0), None):
        sg.random.seed(1)
        loader = DataLoader(ds, batch_size=3, shuffle=True, generator=generator)
        first = as_lists(loader)
        it = iter(loader)
        seen = [next(it), next(it)]
        state = pickle.loads(pickle.dumps(loader.state_dict()))
        rest = as_lists(it)
        following = as_lists(loader)
        assert state["batches"] == 2
        resumed = DataLoader(ds, batch_size=3, shuffle=True, generator=None if generator is None else 123)
        resumed.load_state_dict(state)
        got_rest = as_lists(resumed)
        assert got_rest == rest and len(rest) == len(first) - 2
        assert as_lists(seen) + rest != first  # a new epoch has a new order
        if generator is not None:
            assert as_lists(resumed) == following


def test_dataset_base_class_requires_overrides():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())
