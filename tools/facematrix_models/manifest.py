"""Manifest JSON documents (schema_version 1) that the Swift service decodes.

Standard library only (used on the fast ``verify`` path).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from . import __version__
from .sources import OMZ_REID_FILES, FACENET_PYTORCH_VERSION, FACENET_PYTORCH_MTCNN_SHA256

SCHEMA_VERSION = 1
CONVERTED_BY = f"facematrix_models {__version__}"

# Intel's "tight aligned crop" reference points, normalised to [0,1]^2
# (left eye, right eye, nose tip, left mouth corner, right mouth corner;
# image-left first).
OMZ_REID_TEMPLATE_NORMALISED = [
    (0.31556875, 0.46157411),
    (0.68262292, 0.46157411),
    (0.5002625, 0.64050536),
    (0.34947188, 0.82469196),
    (0.65343646, 0.82469196),
]
OMZ_REID_CROP_SIZE = 128

MTCNN_MEAN = 127.5
MTCNN_SCALE = 0.0078125  # = 1/128


def omz_reid_template_pixels(size: int = OMZ_REID_CROP_SIZE) -> list[list[float]]:
    return [[round(x * size, 4), round(y * size, 4)] for x, y in OMZ_REID_TEMPLATE_NORMALISED]


def write_json(path, doc: dict) -> None:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600
    os.replace(tmp, path)


def _file_entries(files: list[tuple[str, str, str]]) -> list[dict]:
    return [{"role": role, "path": path, "sha256": sha} for role, path, sha in files]


def reid_manifest(sha256: str, io: dict, thresholds, calibration_note: str | None) -> dict:
    xml, binf = OMZ_REID_FILES["xml"], OMZ_REID_FILES["bin"]
    notes = [
        "Converted from Intel's OpenVINO IR v11 (FP16 weights stored as Const f16 + Convert) to FP32 ONNX "
        "opset 17; the f16 -> f32 up-cast is exact. Input scaling (per-channel Multiply + Add) is inside the "
        "graph: feed raw BGR 0..255 floats. The IR's [1,256,1,1] output is flattened to [N,256]; the batch "
        "axis is dynamic.",
        "Crop: fit a least-squares similarity transform (rotation + uniform scale + translation, no "
        "reflection) from the 5 detected landmarks to the template (pixels of the 128x128 crop, pixel centres "
        "at integer coordinates as in cv2.warpAffine), sorting the two eyes and the two mouth corners by "
        "image x first; warp bilinearly, border = 0.",
        "Embedding: raw output; L2-normalise it and compare by cosine similarity.",
    ]
    if thresholds is None:
        notes.append("thresholds: null - not calibrated yet (tools/calibration/face-reidentification-retail-0095.json "
                     "is absent); they must be calibrated with the service's own pipeline.")
    elif calibration_note:
        notes.append(calibration_note)
    return {
        "schema_version": SCHEMA_VERSION,
        "name": "face-reidentification-retail-0095",
        "version": "omz-2023.0-fp16",
        "task": "embedding",
        "license": "Apache-2.0",
        "source": (
            "Intel Open Model Zoo 2023.0, models/intel/face-reidentification-retail-0095, FP16 OpenVINO IR "
            f"({xml['name']} sha384 {xml['sha384']}; {binf['name']} sha384 {binf['sha384']}; both checked "
            "against the upstream model.yml checksums before conversion)."
        ),
        "converted_by": CONVERTED_BY,
        "files": _file_entries([("model", "model.onnx", sha256)]),
        "inputs": io["inputs"],
        "outputs": io["outputs"],
        "preprocessing": {"layout": "NCHW", "channel_order": "BGR", "mean": [0.0, 0.0, 0.0],
                          "scale": [1.0, 1.0, 1.0], "transpose_hw": False},
        "crop": {"method": "similarity_5pt", "size": [OMZ_REID_CROP_SIZE, OMZ_REID_CROP_SIZE],
                 "template": omz_reid_template_pixels()},
        "embedding": {"size": io["outputs"][0]["shape"][1], "metric": "cosine", "normalize": "l2"},
        "thresholds": thresholds,
        "notes": " ".join(notes),
    }


def mtcnn_manifest(shas: dict[str, str], ios: dict[str, dict]) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": "mtcnn",
        "version": f"facenet-pytorch-{FACENET_PYTORCH_VERSION}",
        "task": "detection",
        "license": "MIT",
        "source": (
            f"facenet-pytorch {FACENET_PYTORCH_VERSION} wheel, facenet_pytorch/data/{{pnet,rnet,onet}}.pt "
            "(legacy PyTorch state_dicts, read without torch; sha256 "
            + ", ".join(f"{n} {s}" for n, s in FACENET_PYTORCH_MTCNN_SHA256.items())
            + "). facenet-pytorch ported them from davidsandberg/facenet's TensorFlow MTCNN "
            "(Zhang et al. 2016)."
        ),
        "converted_by": CONVERTED_BY,
        "files": _file_entries([(n, f"{n}.onnx", shas[n]) for n in ("pnet", "rnet", "onet")]),
        "networks": {n: {"inputs": ios[n]["inputs"], "outputs": ios[n]["outputs"]} for n in ("pnet", "rnet", "onet")},
        "preprocessing": {"layout": "NCHW", "channel_order": "RGB", "mean": [MTCNN_MEAN] * 3,
                          "scale": [MTCNN_SCALE] * 3, "transpose_hw": False},
        "detection": {
            "pnet_stride": 2,
            "pnet_cell_size": 12,
            "rnet_input_size": [24, 24],
            "onet_input_size": [48, 48],
            "prob_face_channel": 1,
            "reg_layout": "dx1,dy1,dx2,dy2 as fractions of the box width/height",
            "landmark_layout": "x1..x5,y1..y5 relative to box",
            "landmark_order": ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"],
            "resize": "area",
            "min_face_size": 20,
            "scale_factor": 0.709,
            "thresholds": [0.6, 0.7, 0.7],
            "nms": {"pnet_per_scale": 0.5, "pnet_merged": 0.7, "rnet": 0.7, "onet": 0.7, "onet_mode": "min"},
        },
        "notes": (
            "Networks mirror facenet-pytorch 2.6.0 (models/mtcnn.py) exactly, including ceil_mode max pools "
            "and the permute(0,3,2,1) before the dense layers; outputs equal facenet-pytorch's. "
            "Input: RGB, NCHW, value = (pixel - 127.5) * 0.0078125, image NOT transposed (rows = H; "
            "facenet-pytorch folded the original Caffe/TF transposition into the weights). "
            "Pyramid (facenet-pytorch detect_face): m = 12/min_face_size, scales m*factor^k while "
            "min(H,W)*scale >= 12; level size (int(H*s+1), int(W*s+1)), resized with 'area' "
            "(adaptive average pooling). P-Net output cell (i,j) (row i, col j) with prob[1] >= threshold maps to "
            "the box x1 = floor((2*j+1)/s), y1 = floor((2*i+1)/s), x2 = floor((2*j+12)/s), y2 = floor((2*i+12)/s), "
            "refined by reg (x1 += dx1*w ...). R-Net/O-Net take 24x24/48x48 area-resized crops of the squared "
            "boxes. prob channel 1 = face. O-Net landmarks: x_k = box_x1 + lm[k]*(box_x2-box_x1+1) - 1, "
            "y_k = box_y1 + lm[5+k]*(box_y2-box_y1+1) - 1 for k = 0..4 (box = O-Net input box before its "
            "regression). Not on the manifest: inputs/outputs (per network under 'networks'), crop, embedding "
            "and thresholds (the detection thresholds are under 'detection')."
        ),
    }


def facenet_manifest(name: str, version: str, license_: str, source: str, sha256: str, io: dict) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "version": version,
        "task": "embedding",
        "license": license_,
        "source": source,
        "converted_by": CONVERTED_BY,
        "files": _file_entries([("model", "model.onnx", sha256)]),
        "inputs": io["inputs"],
        "outputs": io["outputs"],
        "preprocessing": {"layout": "NCHW", "channel_order": "RGB", "mean": [127.5, 127.5, 127.5],
                          "scale": [0.0078125, 0.0078125, 0.0078125], "transpose_hw": False},
        "crop": {"method": "box_margin", "size": [160, 160], "margin": 0.0, "margin_unit": "pixels_of_output",
                 "box_source": "mtcnn"},
        "embedding": {"size": io["outputs"][0]["shape"][1], "metric": "cosine", "normalize": "l2"},
        "thresholds": None,
        "notes": (
            "facenet-pytorch InceptionResnetV1 converted to ONNX opset 17; output is the raw last_bn output "
            "(facenet-pytorch L2-normalises it afterwards). Preprocessing is facenet-pytorch's "
            "fixed_image_standardization: (pixel - 127.5) / 128. Crop as facenet-pytorch's MTCNN(image_size=160, "
            "margin=0) + extract_face: the MTCNN box (x1,y1,x2,y2), widened by margin*(x2-x1)/(160-margin) "
            "horizontally and margin*(y2-y1)/(160-margin) vertically (half on each side; margin is in pixels of "
            "the 160x160 output, default 0), clamped to the image, truncated to integers, resized to 160x160 "
            "(bilinear for PIL images). No landmark alignment. thresholds: null - must be calibrated with the "
            "service's pipeline before use."
        ),
    }
