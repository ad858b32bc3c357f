"""The pickle layer of a PyTorch ``state_dict`` checkpoint, shared by the reader
(``torch_pickle``) and the writer (``torch_pickle_writer``).

A tensor is pickled as a call to ``torch._utils._rebuild_tensor_v2(storage,
offset, size, stride, requires_grad, backward_hooks[, metadata])`` where
``storage`` is a *persistent id*: ``('storage', <torch.XStorage class>, key,
location, numel[, view_metadata])``. The unpickler below turns those calls into
``_TensorSpec`` placeholders; ``materialise`` later attaches the raw storages.

The unpickler is restricted: it resolves only the handful of globals that such a
checkpoint needs and refuses everything else, so loading an untrusted file
cannot run code.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict

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


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles a state_dict into ``_TensorSpec`` placeholders, refusing any other global."""

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


def _tensor(spec: _TensorSpec, storages: dict[str, np.ndarray]) -> np.ndarray:
    """The array that ``spec`` describes, copied out of its flat storage."""
    key, dtype, _numel = spec.storage_ref
    flat = storages[key]
    if flat.dtype != dtype:
        flat = flat.view(dtype)
    if not spec.size:
        return np.array(flat[spec.offset])
    itemsize = flat.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        flat[spec.offset:], shape=spec.size, strides=tuple(s * itemsize for s in spec.stride))
    return np.ascontiguousarray(view)


def materialise(obj, storages: dict[str, np.ndarray]):
    """``obj`` with every ``_TensorSpec`` replaced by its numpy array (dicts become OrderedDicts)."""
    if isinstance(obj, _TensorSpec):
        return _tensor(obj, storages)
    if isinstance(obj, dict):
        return OrderedDict((k, materialise(v, storages)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(materialise(v, storages) for v in obj)
    return obj


def collect_storage_refs(obj, out: dict):
    """Fill ``out`` with storage key -> (dtype, numel) for every tensor found in ``obj``."""
    if isinstance(obj, _TensorSpec):
        key, dtype, numel = obj.storage_ref
        out[key] = (dtype, numel)
    elif isinstance(obj, dict):
        for v in obj.values():
            collect_storage_refs(v, out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            collect_storage_refs(v, out)
