"""The conversion steps that ``build`` and ``convert_facenet`` stage: each model is
converted to ONNX, saved, run once on zeros and given its manifest. (The Triton
repositories are made from the manifests afterwards: ``triton_repository``.)

Only the standard library is imported at the top (``build`` imports this module
on its fast "nothing changed" path); the converters are imported lazily.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .manifest import write_json
from .sources import file_hash

REID = "face-reidentification-retail-0095"
MTCNN_NETS = ("pnet", "rnet", "onet")


def smoke_test(path: Path, io: dict) -> None:
    """Run the model once on zeros and check the output shapes against io."""
    import numpy as np
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    spec = io["inputs"][0]
    shape = [2] + [d if d > 0 else 64 for d in spec["shape"][1:]]
    results = sess.run(None, {spec["name"]: np.zeros(shape, np.float32)})
    for out_spec, result in zip(io["outputs"], results):
        want = [2] + out_spec["shape"][1:]
        if len(result.shape) != len(want) or any(w > 0 and w != r for w, r in zip(want, result.shape)):
            raise RuntimeError(f"{path}: output {out_spec['name']} has shape {result.shape}, expected {want}")


def save_checked(model, path: Path) -> tuple[dict, str]:
    """Save ``model`` to ``path`` and smoke-test it; returns its io spec and the file's sha256."""
    from .onnx_graph import io_spec, save_model

    save_model(model, path)
    io = io_spec(model)
    smoke_test(path, io)
    return io, file_hash(path)


def load_calibration(calibration_file: Path):
    """(thresholds, note) from the calibration file, or (None, None) when there is none."""
    if not calibration_file.exists():
        return None, None
    doc = json.loads(calibration_file.read_text())
    if "thresholds" not in doc:
        raise ValueError(f"{calibration_file}: no 'thresholds' object")
    note = f"thresholds copied verbatim from tools/calibration/{calibration_file.name}"
    if isinstance(doc.get("notes"), str):
        note += f" ({doc['notes']})"
    return doc["thresholds"], note


def convert_mtcnn(staging: Path, inputs: dict[str, Path], log) -> None:
    """P-, R- and O-Net from facenet-pytorch's state_dicts into ``staging/mtcnn/``."""
    from .manifest import mtcnn_manifest
    from .mtcnn import build_network
    from .torch_pickle import load_state_dict

    mt_dir = staging / "mtcnn"
    mt_dir.mkdir(parents=True)
    shas, ios = {}, {}
    for net in MTCNN_NETS:
        model = build_network(net, load_state_dict(inputs[f"mtcnn/{net}"]), producer_version=__version__)
        path = mt_dir / f"{net}.onnx"
        ios[net], shas[net] = save_checked(model, path)
        log(f"  mtcnn/{net}.onnx  sha256 {shas[net][:16]}...")
    write_json(mt_dir / "manifest.json", mtcnn_manifest(shas, ios))


def convert_reid(staging: Path, inputs: dict[str, Path], log, calibration_file: Path) -> None:
    """The Intel embedder's OpenVINO IR into ``staging/<REID>/``, with the calibration's thresholds in its
    manifest."""
    from .manifest import reid_manifest
    from .openvino_ir import convert_ir

    reid_dir = staging / REID
    reid_dir.mkdir(parents=True)
    model = convert_ir(inputs[f"{REID}/xml"], inputs[f"{REID}/bin"], producer_version=__version__)
    path = reid_dir / "model.onnx"
    io, sha = save_checked(model, path)
    thresholds, note = load_calibration(calibration_file)
    write_json(reid_dir / "manifest.json", reid_manifest(sha, io, thresholds, note))
    log(f"  {REID}/model.onnx  sha256 {sha[:16]}...")
