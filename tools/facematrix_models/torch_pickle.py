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

In both formats the state_dict is pickled the same way; ``torch_unpickle`` reads
that pickle (with a restricted unpickler: loading an untrusted file cannot run
code) and ``torch_pickle_writer`` writes both formats for the tests.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .torch_pickle_writer import save_state_dict
from .torch_unpickle import (LEGACY_MAGIC, LEGACY_PROTOCOL, STORAGE_DTYPES, CheckpointError, RestrictedUnpickler,
                             collect_storage_refs, materialise)

__all__ = ["LEGACY_MAGIC", "LEGACY_PROTOCOL", "STORAGE_DTYPES", "CheckpointError", "load_state_dict",
           "save_state_dict"]


def _load_zip(path: Path) -> OrderedDict:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkl) != 1:
            raise CheckpointError(f"{path}: zip checkpoint without a single <root>/data.pkl")
        root = pkl[0][: -len("data.pkl")]
        if root + "byteorder" in names and zf.read(root + "byteorder").strip() != b"little":
            raise CheckpointError(f"{path}: big-endian checkpoints are not supported")
        obj = RestrictedUnpickler(io.BytesIO(zf.read(pkl[0]))).load()
        refs: dict = {}
        collect_storage_refs(obj, refs)
        storages = {}
        for key, (dtype, numel) in refs.items():
            raw = zf.read(f"{root}data/{key}")
            if len(raw) < numel * dtype.itemsize:
                raise CheckpointError(f"{path}: storage {key} is truncated")
            storages[key] = np.frombuffer(raw, dtype=dtype, count=numel)
    return materialise(obj, storages)


def _load_legacy(path: Path) -> OrderedDict:
    with open(path, "rb") as f:
        if pickle.load(f) != LEGACY_MAGIC:
            raise CheckpointError(f"{path}: not a PyTorch checkpoint (bad magic number)")
        if pickle.load(f) != LEGACY_PROTOCOL:
            raise CheckpointError(f"{path}: unsupported legacy protocol version")
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise CheckpointError(f"{path}: big-endian checkpoints are not supported")
        obj = RestrictedUnpickler(f).load()
        keys = pickle.load(f)
        refs: dict = {}
        collect_storage_refs(obj, refs)
        storages = {}
        for key in keys:
            key = str(key)
            dtype, _numel = refs[key]
            (count,) = struct.unpack("<q", f.read(8))
            raw = f.read(count * dtype.itemsize)
            if len(raw) != count * dtype.itemsize:
                raise CheckpointError(f"{path}: storage {key} is truncated")
            storages[key] = np.frombuffer(raw, dtype=dtype)
    return materialise(obj, storages)


def load_state_dict(path) -> OrderedDict:
    """Return the checkpoint's state_dict as an OrderedDict of numpy arrays."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        return _load_zip(path)
    return _load_legacy(path)
