"""Read (and, for tests, write) PyTorch ``state_dict`` checkpoints without torch.

Two on-disk formats exist:

* **zip** (``torch.save`` since PyTorch 1.6): a zip archive ``<root>/data.pkl``
  (the pickled state_dict), ``<root>/data/<key>`` (one raw little-endian file per
  storage), plus ``<root>/version`` and, in newer versions, ``<root>/byteorder``.
* **legacy** (before 1.6, or ``_use_new_zipfile_serialization=False``): five
  things written one after the other into the same stream: a pickled magic
  number, a pickled protocol version (1001), a pickled ``sys_info`` dict, the
  pickled state_dict, a pickled list of storage keys, and then for each key an
  int64 element count followed by the raw element bytes.

In both formats a tensor is pickled as a call to
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
backward_hooks[, metadata])`` where ``storage`` is a *persistent id*:
``('storage', <torch.XStorage class>, key, location, numel[, view_metadata])``.

The unpickler below is restricted: it resolves only the handful of globals that
such a checkpoint needs and refuses everything else, so loading an untrusted
file cannot run code.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# torch storage class name -> numpy dtype (little endian)
STORAGE_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}
_DTYPE_TO_STORAGE = {v: k for k, v in STORAGE_DTYPES.items()}


class CheckpointError(ValueError):
    """The file is not a state_dict checkpoint this reader understands."""


class _StorageType:
    """Stand-in for a ``torch.XStorage`` class found in the pickle."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = STORAGE_DTYPES[name]


class _TensorSpec:
    """A tensor as described by the pickle, before its storage is attached."""

    def __init__(self, storage_ref, offset, size, stride):
        self.storage_ref = storage_ref
        self.offset = int(offset)
        self.size = tuple(int(s) for s in size)
        self.stride = tuple(int(s) for s in stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _TensorSpec(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


def _rebuild_parameter_with_state(data, requires_grad=False, backward_hooks=None, state=None):
    return data


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise CheckpointError(f"checkpoint refers to unsupported global {module}.{name}") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise CheckpointError(f"unexpected persistent id {pid!r}")
        storage_type, key, numel = pid[1], str(pid[2]), int(pid[4])  # pid[3] = location
        if not isinstance(storage_type, _StorageType):
            raise CheckpointError(f"unsupported storage type {storage_type!r}")
        view = pid[5] if len(pid) > 5 else None
        if view is not None:
            raise CheckpointError("legacy storage views are not supported")
        return (key, storage_type.dtype, numel)


def _materialise(obj, storages: dict[str, np.ndarray]):
    if isinstance(obj, _TensorSpec):
        key, dtype, _numel = obj.storage_ref
        flat = storages[key]
        if flat.dtype != dtype:
            flat = flat.view(dtype)
        if not obj.size:
            return np.array(flat[obj.offset])
        itemsize = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[obj.offset:], shape=obj.size, strides=tuple(s * itemsize for s in obj.stride))
        return np.ascontiguousarray(view)
    if isinstance(obj, dict):
        return OrderedDict((k, _materialise(v, storages)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(v, storages) for v in obj)
    return obj


def _collect_storage_refs(obj, out: dict):
    if isinstance(obj, _TensorSpec):
        key, dtype, numel = obj.storage_ref
        out[key] = (dtype, numel)
    elif isinstance(obj, dict):
        for v in obj.values():
            _collect_storage_refs(v, out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _collect_storage_refs(v, out)


def _load_zip(path: Path) -> OrderedDict:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkl) != 1:
            raise CheckpointError(f"{path}: zip checkpoint without a single <root>/data.pkl")
        root = pkl[0][: -len("data.pkl")]
        if root + "byteorder" in names and zf.read(root + "byteorder").strip() != b"little":
            raise CheckpointError(f"{path}: big-endian checkpoints are not supported")
        obj = _RestrictedUnpickler(io.BytesIO(zf.read(pkl[0]))).load()
        refs: dict = {}
        _collect_storage_refs(obj, refs)
        storages = {}
        for key, (dtype, numel) in refs.items():
            raw = zf.read(f"{root}data/{key}")
            if len(raw) < numel * dtype.itemsize:
                raise CheckpointError(f"{path}: storage {key} is truncated")
            storages[key] = np.frombuffer(raw, dtype=dtype, count=numel)
    return _materialise(obj, storages)


def _load_legacy(path: Path) -> OrderedDict:
    with open(path, "rb") as f:
        if pickle.load(f) != LEGACY_MAGIC:
            raise CheckpointError(f"{path}: not a PyTorch checkpoint (bad magic number)")
        if pickle.load(f) != LEGACY_PROTOCOL:
            raise CheckpointError(f"{path}: unsupported legacy protocol version")
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise CheckpointError(f"{path}: big-endian checkpoints are not supported")
        obj = _RestrictedUnpickler(f).load()
        keys = pickle.load(f)
        refs: dict = {}
        _collect_storage_refs(obj, refs)
        storages = {}
        for key in keys:
            key = str(key)
            dtype, _numel = refs[key]
            (count,) = struct.unpack("<q", f.read(8))
            raw = f.read(count * dtype.itemsize)
            if len(raw) != count * dtype.itemsize:
                raise CheckpointError(f"{path}: storage {key} is truncated")
            storages[key] = np.frombuffer(raw, dtype=dtype)
    return _materialise(obj, storages)


def load_state_dict(path) -> OrderedDict:
    """Return the checkpoint's state_dict as an OrderedDict of numpy arrays."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        return _load_zip(path)
    return _load_legacy(path)


# ---------------------------------------------------------------------------
# Writer (used by the tests to make checkpoints exactly as torch.save lays
# them out, without torch). The pickle is emitted opcode by opcode because the
# globals it must name (torch._utils._rebuild_tensor_v2, torch.FloatStorage)
# cannot be imported here.


class _OpWriter:
    def __init__(self):
        self.buf = io.BytesIO()

    def op(self, code: bytes, payload: bytes = b""):
        self.buf.write(code + payload)

    def global_(self, module: str, name: str):
        self.op(pickle.GLOBAL, f"{module}\n{name}\n".encode())

    def str_(self, s: str):
        b = s.encode("utf-8")
        self.op(pickle.BINUNICODE, struct.pack("<I", len(b)) + b)

    def int_(self, v: int):
        if 0 <= v < 256:
            self.op(pickle.BININT1, struct.pack("<B", v))
        elif -(2**31) <= v < 2**31:
            self.op(pickle.BININT, struct.pack("<i", v))
        else:
            raw = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
            self.op(pickle.LONG1, struct.pack("<B", len(raw)) + raw)

    def tuple_(self, items, emit):
        self.op(pickle.MARK)
        for it in items:
            emit(it)
        self.op(pickle.TUPLE)

    def ordered_dict(self):
        self.global_("collections", "OrderedDict")
        self.op(pickle.EMPTY_TUPLE)
        self.op(pickle.REDUCE)


def _state_dict_pickle(state: dict, legacy: bool) -> tuple[bytes, list[tuple[str, np.ndarray]]]:
    w = _OpWriter()
    w.op(pickle.PROTO, b"\x02")
    w.ordered_dict()
    w.op(pickle.MARK)
    storages = []
    for i, (name, arr) in enumerate(state.items()):
        arr = np.asarray(arr, order="C")
        dtype = arr.dtype.newbyteorder("<") if arr.dtype.itemsize > 1 else arr.dtype
        storage_name = _DTYPE_TO_STORAGE[np.dtype(dtype)]
        key = str(i)
        storages.append((key, arr.astype(dtype, copy=False)))
        w.str_(name)
        w.global_("torch._utils", "_rebuild_tensor_v2")
        w.op(pickle.MARK)
        # persistent id of the storage
        w.op(pickle.MARK)
        w.str_("storage")
        w.global_("torch", storage_name)
        w.str_(key)
        w.str_("cpu")
        w.int_(arr.size)
        if legacy:
            w.op(pickle.NONE)
        w.op(pickle.TUPLE)
        w.op(pickle.BINPERSID)
        w.int_(0)  # storage offset
        w.tuple_(arr.shape, w.int_)
        strides = [s // arr.itemsize for s in arr.strides] if arr.ndim else []
        w.tuple_(strides, w.int_)
        w.op(pickle.NEWFALSE)  # requires_grad
        w.ordered_dict()  # backward hooks
        w.op(pickle.TUPLE)
        w.op(pickle.REDUCE)
    w.op(pickle.SETITEMS)
    w.op(pickle.STOP)
    return w.buf.getvalue(), storages


def save_state_dict(state: dict, path, fmt: str = "zip") -> None:
    """Write ``state`` (name -> numpy array) the way ``torch.save`` would.

    ``fmt`` is ``"zip"`` (the modern format) or ``"legacy"``.
    """
    path = Path(path)
    if fmt == "zip":
        data_pkl, storages = _state_dict_pickle(state, legacy=False)
        root = "archive/"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(root + "data.pkl", data_pkl)
            zf.writestr(root + "byteorder", "little")
            for key, arr in storages:
                zf.writestr(f"{root}data/{key}", arr.tobytes())
            zf.writestr(root + "version", "3\n")
    elif fmt == "legacy":
        data_pkl, storages = _state_dict_pickle(state, legacy=True)
        with open(path, "wb") as f:
            pickle.dump(LEGACY_MAGIC, f, protocol=2)
            pickle.dump(LEGACY_PROTOCOL, f, protocol=2)
            pickle.dump({"protocol_version": LEGACY_PROTOCOL, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, f, protocol=2)
            f.write(data_pkl)
            pickle.dump([key for key, _ in storages], f, protocol=2)
            for _key, arr in storages:
                f.write(struct.pack("<q", arr.size))
                f.write(arr.tobytes())
    else:
        raise ValueError(f"unknown checkpoint format {fmt!r}")
