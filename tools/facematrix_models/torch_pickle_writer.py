"""Write PyTorch ``state_dict`` checkpoints without torch (used by the tests to make
checkpoints exactly as ``torch.save`` lays them out; formats: see ``torch_pickle``).

The pickle is emitted opcode by opcode because the globals it must name
(torch._utils._rebuild_tensor_v2, torch.FloatStorage) cannot be imported here.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

from .torch_unpickle import LEGACY_MAGIC, LEGACY_PROTOCOL, STORAGE_DTYPES

_DTYPE_TO_STORAGE = {v: k for k, v in STORAGE_DTYPES.items()}


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


def _write_tensor(w: _OpWriter, arr: np.ndarray, storage_name: str, key: str, legacy: bool) -> None:
    """Emit the ``_rebuild_tensor_v2(storage, ...)`` call of one tensor."""
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
        _write_tensor(w, arr, storage_name, key, legacy)
    w.op(pickle.SETITEMS)
    w.op(pickle.STOP)
    return w.buf.getvalue(), storages


def _save_zip(state: dict, path: Path) -> None:
    """The modern layout: ``archive/data.pkl`` plus one ``archive/data/<key>`` file per storage."""
    data_pkl, storages = _state_dict_pickle(state, legacy=False)
    root = "archive/"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(root + "data.pkl", data_pkl)
        zf.writestr(root + "byteorder", "little")
        for key, arr in storages:
            zf.writestr(f"{root}data/{key}", arr.tobytes())
        zf.writestr(root + "version", "3\n")


def _save_legacy(state: dict, path: Path) -> None:
    """The pre-1.6 layout: magic, protocol, sys_info, the pickle, the storage keys, then the storages."""
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


_SAVERS = {"zip": _save_zip, "legacy": _save_legacy}


def save_state_dict(state: dict, path, fmt: str = "zip") -> None:
    """Write ``state`` (name -> numpy array) the way ``torch.save`` would.

    ``fmt`` is ``"zip"`` (the modern format) or ``"legacy"``.
    """
    path = Path(path)
    if fmt not in _SAVERS:
        raise ValueError(f"unknown checkpoint format {fmt!r}")
    _SAVERS[fmt](state, path)
