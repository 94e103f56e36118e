"""`sg.save(obj, path)` / `sg.load(path)`: tensors, arrays and nested containers of them on disk.

The format follows the suffix: `.safetensors` (the safetensors package: a JSON header and the raw
little-endian data, readable by `safetensors.numpy.load_file` and by PyTorch/JAX loaders) or
`.npz` (NumPy's zip of `.npy` files, read without pickle).

Nested containers are flattened: every tensor or array is stored under its dotted path (`"model.0.weight"`,
`"state.3.exp_avg"`), and the structure (dicts with their key types, lists, tuples, the numbers,
strings, booleans and None between the tensors, each tensor's `requires_grad` and class) is kept as
JSON: in the safetensors metadata under `"swiftgrad.structure"`, in an `.npz` as the string array
`__swiftgrad_structure__`. `load` rebuilds it; a file without it (written by PyTorch's
`safetensors.torch.save_file`, `safetensors.numpy.save_file` or `np.savez`) loads as a flat ordered
dict from names to tensors, which `Module.load_state_dict` takes. Tensors load as swiftgrad tensors
of their dtype (float types swiftgrad lacks, such as float8, widened to float32); NumPy arrays that
were saved as arrays load as arrays with their own dtype.

Writes are atomic (`atomic_write`): the data goes to a temporary file in the target's directory,
which is flushed, fsynced and renamed over the target with `os.replace`, and the directory is
fsynced. A crash or kill at any point leaves either the old file or the new one, never a mix.
"""
import io
import json
import os
from collections import OrderedDict

import numpy as np

from ._copying import contiguous
from ._tensor import Tensor

STRUCTURE_KEY = "swiftgrad.structure"
_NPZ_STRUCTURE = "__swiftgrad_structure__"
_FORMATS = {".safetensors": "safetensors", ".npz": "npz"}
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path, write):
    """Calls `write(f)` on a binary file that replaces `path` atomically once `write` returns.

    The file is a temporary in `path`'s directory (so the rename stays on one file system); it is
    flushed and fsynced, renamed with `os.replace`, and the directory entry is fsynced. If `write`
    raises, the temporary is removed and `path` is untouched. Returns `path`."""
    import tempfile

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def _format_of(path, format):
    if format is not None:
        if format not in ("safetensors", "npz"):
            raise ValueError(f"format must be 'safetensors' or 'npz', got {format!r}")
        return format
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in _FORMATS:
        raise ValueError(f"sg.save/sg.load: cannot tell the format of {os.fspath(path)!r} from its suffix; "
                         "use '.safetensors' or '.npz' (or pass format=)")
    return _FORMATS[suffix]


# --- Flattening --------------------------------------------------------------------------------


def _join(prefix, key):
    return f"{prefix}.{key}" if prefix else str(key)


class _Flattener:
    def __init__(self):
        self.arrays = OrderedDict()

    def _name(self, path):
        name, n = path or "_", 1
        while name in self.arrays:
            name, n = f"{path}~{n}", n + 1
        return name

    def spec(self, obj, path):
        if isinstance(obj, Tensor):
            name = self._name(path)
            self.arrays[name] = contiguous(obj.numpy())
            out = {"t": name}
            if obj.requires_grad:
                out["rg"] = True
            if type(obj).__name__ == "Parameter":
                out["p"] = True
            return out
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject or obj.dtype.kind not in "biuf":
                raise TypeError(f"sg.save: cannot store the array at {path!r} of dtype {obj.dtype}")
            name = self._name(path)
            self.arrays[name] = contiguous(obj)
            return {"a": name}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return {"v": obj}
        if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            return {"v": obj.item()}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise TypeError(f"sg.save: dict keys must be str or int, got {type(k).__name__} at {path!r}")
                items.append([k, self.spec(v, _join(path, k))])
            return {"dict": items, "ordered": isinstance(obj, OrderedDict)}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [self.spec(v, _join(path, i)) for i, v in enumerate(obj)]}
        raise TypeError(f"sg.save stores tensors, arrays, numbers, strings, None and dicts/lists/tuples of them; "
                        f"got {type(obj).__name__} at {path or 'the top level'!r} (use pickle for other objects)")


def _rebuild(spec, arrays):
    from . import tensor
    from .nn.parameter import Parameter

    if "t" in spec:
        t = tensor(arrays[spec["t"]])
        if spec.get("p"):
            return Parameter(t, requires_grad=bool(spec.get("rg")))
        if spec.get("rg"):
            t.requires_grad = True
        return t
    if "a" in spec:
        return arrays[spec["a"]]
    if "v" in spec:
        return spec["v"]
    if "dict" in spec:
        cls = OrderedDict if spec.get("ordered") else dict
        return cls((k, _rebuild(v, arrays)) for k, v in spec["dict"])
    if "list" in spec:
        return [_rebuild(v, arrays) for v in spec["list"]]
    if "tuple" in spec:
        return tuple(_rebuild(v, arrays) for v in spec["tuple"])
    raise ValueError(f"sg.load: unknown entry in the structure metadata: {spec!r}")


# --- save / load -------------------------------------------------------------------------------


def save(obj, path, format=None):
    """Writes `obj` to `path`: a tensor, an array, or dicts/lists/tuples nesting them with numbers,
    strings and None (state dicts of modules, optimizers and schedulers, checkpoints). The format
    follows the suffix (`.safetensors` or `.npz`) unless `format` is given. Atomic: `path` holds the
    old contents or the new ones, whatever happens during the write. Returns `path`."""
    fmt = _format_of(path, format)
    flat = _Flattener()
    structure = json.dumps(flat.spec(obj, ""), separators=(",", ":"))
    if fmt == "safetensors":
        from safetensors.numpy import save as st_save

        def write(f):
            f.write(st_save(dict(flat.arrays), metadata={"format": "swiftgrad", STRUCTURE_KEY: structure}))
    else:
        if _NPZ_STRUCTURE in flat.arrays:
            raise ValueError(f"sg.save: the name {_NPZ_STRUCTURE!r} is reserved in .npz files")

        def write(f):
            np.savez(f, **flat.arrays, **{_NPZ_STRUCTURE: np.array(structure)})
    return atomic_write(path, write)


def _read(path, fmt):
    if fmt == "safetensors":
        from safetensors import safe_open

        with safe_open(os.fspath(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            arrays = OrderedDict((k, f.get_tensor(k)) for k in f.keys())
        return arrays, metadata.get(STRUCTURE_KEY)
    with open(path, "rb") as f:
        data = io.BytesIO(f.read())
    with np.load(data, allow_pickle=False) as npz:
        arrays = OrderedDict((k, npz[k]) for k in npz.files)
    structure = arrays.pop(_NPZ_STRUCTURE, None)
    return arrays, None if structure is None else str(structure)


def load(path, format=None):
    """Reads a file written by `save` and rebuilds the saved object (tensors as swiftgrad tensors
    with their dtype and `requires_grad`, arrays as NumPy arrays). A safetensors or `.npz` file
    written elsewhere loads as an ordered dict from its names to tensors."""
    from . import tensor

    fmt = _format_of(path, format)
    arrays, structure = _read(path, fmt)
    if structure is None:
        return OrderedDict((k, tensor(a)) for k, a in arrays.items())
    return _rebuild(json.loads(structure), arrays)
