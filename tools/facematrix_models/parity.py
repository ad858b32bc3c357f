"""Parity checks: converted ONNX models against independent references.

``compare_embeddings``/``compare_outputs`` are the pass/fail functions the tests
use (and that the negative tests prove can fail). ``run_embedder_parity``
aligns real faces (MTCNN landmarks -> 5-point similarity warp to Intel's
template) and compares the converted embedder on onnxruntime with the original
IR on OpenVINO at f32 precision.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .manifest import omz_reid_template_pixels, write_json
from .sources import default_shared_models, omz_reid_files, repo_root

EMBEDDER_MIN_COSINE = 0.9999
EMBEDDER_MAX_ABS_DIFF = 1e-3  # embeddings are O(1): |values| up to ~4 for this model
MAX_ABS_DIFF = 1e-4
REPORT_NAME = "parity-report.json"

# Real photos from shared/testdata/faces used for the embedder parity check
# (relative to that folder): 6 + 2 + 1 faces plus single-face LFW images.
PARITY_IMAGES = [
    "facenet-pytorch/multiface.jpg",
    "face_recognition/examples/two_people.jpg",
    "face_recognition/examples/obama_small.jpg",
    "lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg",
    "lfw/images/Abba_Eban/Abba_Eban_0001.jpg",
    "lfw/images/Abdel_Aziz_Al-Hakim/Abdel_Aziz_Al-Hakim_0001.jpg",
    "lfw/images/Abdullah_Gul/Abdullah_Gul_0001.jpg",
]


def default_faces_dir() -> Path:
    return repo_root().parent / "shared" / "testdata" / "faces"


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def compare_embeddings(reference, candidate, min_cosine: float = EMBEDDER_MIN_COSINE,
                       max_abs: float = EMBEDDER_MAX_ABS_DIFF) -> dict:
    """Per-row cosine similarity and max |difference|; ok when every cosine >= min_cosine
    and max |difference| <= max_abs.

    The cosine criterion alone is lenient: scaling one layer's weights of the
    embedder by 5 % still gives cosine ~0.99993, but moves the outputs by ~0.03
    where a faithful conversion differs by ~4e-6; the absolute bound catches it."""
    reference, candidate = np.asarray(reference), np.asarray(candidate)
    if reference.shape != candidate.shape:
        return {"ok": False, "error": f"shape {candidate.shape} != reference {reference.shape}"}
    cos = cosine_rows(reference, candidate)
    max_abs_diff = float(np.abs(reference.astype(np.float64) - candidate).max())
    return {
        "ok": bool(np.all(cos >= min_cosine) and max_abs_diff <= max_abs),
        "n": int(len(cos)),
        "min_cosine": float(cos.min()),
        "max_abs_diff": max_abs_diff,
        "max_abs_reference": float(np.abs(reference).max()),
        "threshold_min_cosine": min_cosine,
        "threshold_max_abs_diff": max_abs,
    }


def compare_outputs(reference: dict, candidate: dict, max_abs: float = MAX_ABS_DIFF) -> dict:
    """Max |difference| per named output; ok when all are <= max_abs and shapes agree."""
    result = {"ok": True, "max_abs_diff": {}, "threshold_max_abs_diff": max_abs}
    for name, ref in reference.items():
        ref, got = np.asarray(ref), np.asarray(candidate.get(name))
        if got.shape != ref.shape:
            result["ok"] = False
            result.setdefault("errors", []).append(f"{name}: shape {got.shape} != reference {ref.shape}")
            continue
        diff = float(np.abs(ref.astype(np.float64) - got).max()) if ref.size else 0.0
        result["max_abs_diff"][name] = diff
        if not diff <= max_abs:  # also catches NaN
            result["ok"] = False
    return result


def update_report(out, section: str, data: dict) -> Path:
    """Merge ``data`` under ``section`` into OUT/parity-report.json."""
    path = Path(out) / REPORT_NAME
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        report = {}
    report[section] = data
    write_json(path, report)
    return path


def load_rgb(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def aligned_faces(models_dir, faces_dir=None, images=PARITY_IMAGES,
                  min_face_size: int = 20) -> tuple[list[str], np.ndarray]:
    """Detect faces with the converted MTCNN and align them to the Intel template.

    Returns labels and a (N, 3, 128, 128) float32 BGR 0..255 batch."""
    from .align import align_face
    from .detect import MTCNN

    faces_dir = Path(faces_dir) if faces_dir else default_faces_dir()
    detector = MTCNN(Path(models_dir) / "mtcnn", min_face_size=min_face_size)
    template = omz_reid_template_pixels()
    labels, crops = [], []
    for rel in images:
        rgb = load_rgb(faces_dir / rel)
        boxes, points = detector.detect(rgb)
        for i in range(len(boxes)):
            crop = align_face(rgb, points[i], template, (128, 128))  # (128, 128, 3) RGB
            crops.append(crop[:, :, ::-1].transpose(2, 0, 1))  # -> BGR, CHW
            labels.append(f"{rel}#{i}")
    return labels, np.ascontiguousarray(np.stack(crops), dtype=np.float32)


def openvino_embeddings(xml_path, batch: np.ndarray) -> np.ndarray:
    """The original IR on OpenVINO's CPU plugin at f32 precision, one face at a time."""
    import openvino as ov

    compiled = ov.Core().compile_model(str(xml_path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return np.concatenate([np.asarray(compiled(batch[i:i + 1])[0]).reshape(1, -1) for i in range(len(batch))])


def onnx_outputs(onnx_path, feeds: dict) -> list[np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def embedder_report(labels, reference: np.ndarray, ours: np.ndarray) -> dict:
    report = compare_embeddings(reference, ours)
    report["reference"] = "OpenVINO CPU, INFERENCE_PRECISION_HINT=f32, original FP16 IR"
    report["faces"] = dict(zip(labels, (float(c) for c in cosine_rows(reference, ours))))
    return report


def run_embedder_parity(out, shared=None, faces_dir=None) -> dict:
    """Compare model.onnx (onnxruntime) with the IR (OpenVINO f32) on aligned real faces;
    merge the result into OUT/parity-report.json and return it."""
    out = Path(out)
    ir = omz_reid_files(Path(shared) if shared else default_shared_models())
    labels, batch = aligned_faces(out, faces_dir)
    ours = onnx_outputs(out / "face-reidentification-retail-0095" / "model.onnx", {"input": batch})[0]
    report = embedder_report(labels, openvino_embeddings(ir["xml"], batch), ours)
    update_report(out, "face-reidentification-retail-0095", report)
    return report
