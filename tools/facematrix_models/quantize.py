"""``quantize``: an INT8 (static QDQ) or FP16-weight copy of the default embedder (issue 13), written beside a copy
of MTCNN so that the folder is a complete ``FACEMATRIX_MODEL_DIR``. The recipes are in ``quantize_onnx``;
``bench/quantized-embedder.py`` measures whether they pay (latency, cosine to FP32, LFW accuracy).

Layout::

    DEST/mtcnn/                                         copy of MODELS/mtcnn
    DEST/face-reidentification-retail-0095-int8/        --mode int8          (depthwise Convs f32)
    DEST/face-reidentification-retail-0095-int8-all/    --mode int8-all      (depthwise Convs int8 too)
    DEST/face-reidentification-retail-0095-fp16w/       --mode fp16-weights

each with model.onnx + manifest.json. DEST defaults to ``$FACEMATRIX_CACHE/models-quantized``, not the model cache
itself: ``build`` serves every embedder of the model cache from its production Triton repository, and a quantized
embedder must not get there (nor change that repository's model list, which the tests pin) unless it is adopted.

The manifest is the FP32 one with the new name (= folder = ``FACEMATRIX_EMBEDDER``), version, file hash and a
source text saying how the file was made. Its thresholds are the FP32 model's, copied: they are close but not the
quantized model's own, so recalibrate (``facematrix evaluate --calibration``) before serving it.

Calibration data (int8 modes): the tooling's own MTCNN + 5-point alignment (``parity.aligned_faces``, every face
found) on a fixed sample of LFW photos from one fold: every k-th photo of that fold in ``labels.csv`` order,
k = photos in the fold // PHOTOS (fold 2, 300 photos by default). Fold 2 is also one of the folds that
``facematrix evaluate`` tests on; the bench reports the cosine on the calibration photos and on the others apart.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from .cache_folder import STAMP, default_out, locked, staging_folder, swap_in, verify
from .conversions import REID, save_checked
from .manifest import CONVERTED_BY, write_json
from .sources import cache_root, file_hash

# mode -> (folder and manifest name, version suffix)
MODES = {
    "int8": (f"{REID}-int8", "int8-qdq"),
    "int8-all": (f"{REID}-int8-all", "int8-qdq-all"),
    "fp16-weights": (f"{REID}-fp16w", "fp16-weights"),
}
CALIBRATION_FOLD = 2
CALIBRATION_PHOTOS = 300


def default_dest() -> Path:
    return cache_root() / "models-quantized"


def calibration_photos(lfw_dir, fold: int = CALIBRATION_FOLD,
                       count: int = CALIBRATION_PHOTOS) -> tuple[list[str], int]:
    """The calibration sample and its step k: every k-th photo of ``fold`` in labels.csv order (k = photos in the
    fold // count), the first ``count`` of them, relative to ``lfw_dir``. Spread over the alphabet, so over many
    people."""
    with open(Path(lfw_dir) / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    column = next(c for c in rows[0] if "fold" in c.lower())
    photos = [r["file"] for r in rows if r[column].strip() == str(fold)]
    if len(photos) < count:
        raise ValueError(f"{lfw_dir}: fold {fold} has {len(photos)} photos, fewer than {count}")
    step = len(photos) // count
    return photos[::step][:count], step


def _source(mode: str, fp32: dict, fp32_sha: str, calibration: dict | None) -> str:
    base = f"{fp32['name']} {fp32['version']} (model.onnx sha256 {fp32_sha})"
    if mode == "fp16-weights":
        return (f"{base} with every float32 initializer that float16 holds exactly stored as float16 behind a Cast "
                f"to float32 (facematrix_models quantize --mode fp16-weights): the same function, half the file.")
    import onnxruntime

    from .quantize_onnx import GLOBAL_DEPTHWISE, PERCENTILE
    kept = "every depthwise Conv" if mode == "int8" else f"the global depthwise Conv {GLOBAL_DEPTHWISE}"
    return (f"{base} quantized by facematrix_models quantize --mode {mode} with onnxruntime {onnxruntime.__version__} "
            f"quantize_static: QDQ, Conv inputs uint8 asymmetric (percentile {PERCENTILE} of |x|), Conv weights int8 "
            f"symmetric per channel; Conv outputs and {kept} left f32. Calibration: {calibration['crops']} aligned "
            f"crops (facematrix_models MTCNN + 5-point alignment, every face found) of {calibration['photos']} LFW "
            f"photos of fold {calibration['fold']}: every {calibration['step']}th photo of that fold in "
            "lfw/labels.csv order.")


def _manifest(mode: str, fp32: dict, fp32_sha: str, sha: str, io: dict, calibration: dict | None) -> dict:
    name, suffix = MODES[mode]
    manifest = dict(fp32)
    manifest.update({
        "name": name,
        "version": f"{fp32['version']}-{suffix}",
        "source": _source(mode, fp32, fp32_sha, calibration),
        "converted_by": CONVERTED_BY,
        "files": [{"role": "model", "path": "model.onnx", "sha256": sha}],
        "inputs": io["inputs"],
        "outputs": io["outputs"],
        "notes": fp32.get("notes", "") + (
            f" {mode}: thresholds copied from the FP32 manifest ({fp32['name']}); recalibrate them with "
            "`facematrix evaluate --calibration` before serving this model."),
    })
    return manifest


def _openvino_check(path: Path, crops) -> None:
    """Compile for OpenVINO's CPU plugin as the service does (f32 inference precision) and run two crops."""
    import numpy as np
    import openvino as ov

    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    out = np.asarray(compiled(np.ascontiguousarray(crops[:2]))[0])
    if out.shape != (2, 256) or not np.all(np.isfinite(out)):
        raise RuntimeError(f"{path}: OpenVINO gave shape {out.shape} or non-finite values")


def _model(mode: str, models: Path, faces_dir, fold: int, photos: int, log):
    """(model, crops to smoke-test it on, calibration record or None) for ``mode``."""
    import numpy as np

    from .parity import aligned_faces, default_faces_dir
    from .quantize_onnx import fp16_weights, quantize_int8

    fp32_path = models / REID / "model.onnx"
    if mode == "fp16-weights":
        return fp16_weights(fp32_path), np.zeros((2, 3, 128, 128), np.float32), None
    lfw = (Path(faces_dir) if faces_dir else default_faces_dir()) / "lfw"
    sample, step = calibration_photos(lfw, fold, photos)
    log(f"aligning the faces of {len(sample)} calibration photos (LFW fold {fold})")
    _, crops = aligned_faces(models, lfw, sample)
    calibration = {"crops": len(crops), "photos": len(sample), "fold": fold, "step": step}
    return quantize_int8(fp32_path, crops, depthwise_int8=mode == "int8-all"), crops, calibration


def quantize_embedder(mode: str = "int8", models=None, dest=None, faces_dir=None, fold: int = CALIBRATION_FOLD,
                      photos: int = CALIBRATION_PHOTOS, log=print) -> Path:
    """Write DEST/mtcnn (copied from MODELS) and DEST/<MODES[mode] name>/ from MODELS' FP32 embedder; returns the
    embedder folder. ``faces_dir`` (default: shared/testdata/faces) provides the calibration photos (int8 modes)."""
    models = Path(models) if models else default_out()
    dest = Path(dest) if dest else default_dest()
    name = MODES[mode][0]
    model, crops, calibration = _model(mode, models, faces_dir, fold, photos, log)
    fp32 = json.loads((models / REID / "manifest.json").read_text())
    fp32_sha = file_hash(models / REID / "model.onnx")
    dest.mkdir(parents=True, exist_ok=True)
    with locked(dest), staging_folder(dest) as staging:
        shutil.copytree(models / "mtcnn", staging / "mtcnn")
        path = staging / name / "model.onnx"
        path.parent.mkdir(parents=True)
        io, sha = save_checked(model, path)
        _openvino_check(path, crops)
        write_json(path.parent / "manifest.json", _manifest(mode, fp32, fp32_sha, sha, io, calibration))
        swap_in(staging, dest, ["mtcnn", name])
    problems = [p for p in verify(dest) if STAMP not in p]  # DEST has no build stamp, by design
    if problems:
        raise RuntimeError(f"{dest}: " + "; ".join(problems))
    log(f"wrote {dest / name}/model.onnx (sha256 {sha}): FACEMATRIX_MODEL_DIR={dest} FACEMATRIX_EMBEDDER={name}")
    return dest / name
