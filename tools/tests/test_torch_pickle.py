"""The torch-free checkpoint reader/writer."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from facematrix_models.sources import facenet_pytorch_mtcnn_files
from facematrix_models.torch_pickle import CheckpointError, load_state_dict, save_state_dict


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_round_trip_keeps_names_order_dtypes_and_values(tmp_path, fmt):
    rng = np.random.default_rng(1)
    state = {
        "conv.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "bn.num_batches_tracked": np.array(12345, dtype=np.int64),
        "half": rng.standard_normal(7).astype(np.float16),
        "transposed": np.arange(6, dtype=np.float64).reshape(2, 3).T,
        "empty": np.zeros((0, 4), np.float32),
    }
    path = tmp_path / f"state.{fmt}.pt"
    save_state_dict(state, path, fmt=fmt)
    assert zipfile.is_zipfile(path) == (fmt == "zip")
    loaded = load_state_dict(path)
    assert list(loaded) == list(state)
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype and loaded[name].shape == value.shape
        assert np.array_equal(loaded[name], value)


def test_reads_facenet_pytorch_legacy_mtcnn_weights():
    sd = load_state_dict(facenet_pytorch_mtcnn_files()["onet"])
    assert list(sd)[:3] == ["conv1.weight", "conv1.bias", "prelu1.weight"]
    assert sd["conv1.weight"].shape == (32, 3, 3, 3) and sd["conv1.weight"].dtype == np.float32
    assert sd["dense6_3.weight"].shape == (10, 256)
    assert np.isfinite(sd["dense5.weight"]).all() and np.abs(sd["dense5.weight"]).max() > 0


def test_refuses_code_in_the_pickle(tmp_path):
    """A checkpoint whose pickle names any other global (here os.system) is rejected, not run."""
    class Evil:
        def __reduce__(self):
            import os
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": Evil()}, protocol=2))
    with pytest.raises(CheckpointError, match="unsupported global"):
        load_state_dict(path)


def test_rejects_non_checkpoints(tmp_path):
    path = tmp_path / "not.pt"
    buf = io.BytesIO()
    pickle.dump(42, buf)
    path.write_bytes(buf.getvalue())
    with pytest.raises(CheckpointError, match="magic"):
        load_state_dict(path)
