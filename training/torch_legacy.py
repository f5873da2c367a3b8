"""Read a PyTorch state dict saved in the legacy (pre-1.6, non-zip) format with NumPy.

The format is a run of pickles: a magic number, the protocol version, system info,
the state dict itself (tensors as persistent ids naming a storage), the list of
storage keys, then each storage's raw bytes in that order (an 8-byte element count,
then the data). Only the classes a state dict needs are allowed, so nothing in the
file can run code.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass

import numpy as np

STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ByteStorage": np.uint8,
}


@dataclass
class _StorageType:
    name: str


@dataclass
class _Storage:
    dtype: np.dtype
    size: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    shape: tuple
    stride: tuple


def _rebuild_tensor(storage, offset, shape, stride, *_ignored) -> _TensorRef:
    return _TensorRef(storage, offset, tuple(shape), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a state dict")

    def persistent_load(self, saved_id):
        kind, storage_type, key, _location, size, view = saved_id
        if kind != "storage" or view is not None:
            raise pickle.UnpicklingError(f"unsupported persistent id {saved_id!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(np.dtype(STORAGE_DTYPES[storage_type.name]), int(size))
        return self.storages[key]


def load_state_dict(data: bytes) -> dict[str, np.ndarray]:
    """Parameter name -> array, for a legacy `torch.save(model.state_dict())` file."""
    file = io.BytesIO(data)
    for _header in range(3):  # magic number, protocol version, system info
        _StateDictUnpickler(file).load()
    unpickler = _StateDictUnpickler(file)
    state = unpickler.load()
    for key in _StateDictUnpickler(file).load():
        storage = unpickler.storages[key]
        (size,) = struct.unpack("<q", file.read(8))
        if size != storage.size:
            raise ValueError(f"storage {key}: {size} elements on disk, {storage.size} expected")
        storage.data = np.frombuffer(file.read(size * storage.dtype.itemsize), dtype=storage.dtype)
    return {name: _materialise(ref) for name, ref in state.items()}


def _materialise(ref: _TensorRef) -> np.ndarray:
    data = ref.storage.data
    assert data is not None, "every storage is read before tensors are built"
    itemsize = ref.storage.dtype.itemsize
    strides = tuple(s * itemsize for s in ref.stride)
    return np.lib.stride_tricks.as_strided(data[ref.offset :], ref.shape, strides).copy()
