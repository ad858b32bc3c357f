"""``quantize``: the INT8 and FP16-weight copies of the embedder load, verify and stay close to FP32 on real faces.

Skipped when the model cache has no FP32 embedder (run ``python -m facematrix_models build`` first): quantizing
is a study beside the models, not part of building them. The INT8 model here is calibrated on CALIBRATION_PHOTOS
photos instead of the default 300, to keep the test at ~15 s; bench/quantized-embedder.py measures the default.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import onnx
import pytest

from facematrix_models.build import REID, default_out
from facematrix_models.cache_folder import STAMP, verify
from facematrix_models.parity import aligned_faces, cosine_rows, default_faces_dir, onnx_outputs, openvino_embeddings
from facematrix_models.quantize import MODES, calibration_photos, quantize_embedder
from facematrix_models.quantize_onnx import GLOBAL_DEPTHWISE

CALIBRATION_PHOTOS = 60
# Measured on the parity faces (14 faces of 7 photos; one of them, Abba_Eban_0001, is in both calibration samples):
# min 0.991 (60 photos), 0.9935 (300 photos), on both runtimes.
MIN_COSINE = 0.98


@pytest.fixture(scope="module")
def models():
    out = default_out()
    if not (out / REID / "manifest.json").is_file() or not (out / "mtcnn" / "manifest.json").is_file():
        pytest.skip(f"no converted models in {out} (python -m facematrix_models build)")
    if not (default_faces_dir() / "lfw" / "labels.csv").is_file():
        pytest.skip(f"no LFW photos in {default_faces_dir()}")
    return out


@pytest.fixture(scope="module")
def dest(models, tmp_path_factory):
    dest = tmp_path_factory.mktemp("quantized")
    quantize_embedder("int8", models, dest, photos=CALIBRATION_PHOTOS, log=lambda *_: None)
    quantize_embedder("fp16-weights", models, dest, log=lambda *_: None)
    return dest


@pytest.fixture(scope="module")
def faces(models):
    return aligned_faces(models)[1]


def test_calibration_sample_is_one_fold_spread_over_it():
    lfw = default_faces_dir() / "lfw"
    if not (lfw / "labels.csv").is_file():
        pytest.skip(f"no LFW photos in {lfw}")
    photos, step = calibration_photos(lfw, fold=2, count=300)
    assert len(photos) == len(set(photos)) == 300 and step >= 1
    with open(lfw / "labels.csv", newline="") as f:
        folds = {row["file"]: row["lfw_fold"] for row in csv.DictReader(f)}
    assert {folds[p] for p in photos} == {"2"}
    assert calibration_photos(lfw, fold=2, count=300) == (photos, step)  # fixed, not drawn


def test_manifests_verify_and_name_their_folder(models, dest):
    assert [p for p in verify(dest) if STAMP not in p] == []
    fp32 = json.loads((models / REID / "manifest.json").read_text())
    for mode, (name, suffix) in MODES.items():
        if mode == "int8-all":
            continue
        manifest = json.loads((dest / name / "manifest.json").read_text())
        assert manifest["name"] == name and manifest["version"] == f"{fp32['version']}-{suffix}"
        assert manifest["thresholds"] == fp32["thresholds"]
        assert {k: manifest[k] for k in ("inputs", "outputs", "crop", "preprocessing", "embedding")} == \
               {k: fp32[k] for k in ("inputs", "outputs", "crop", "preprocessing", "embedding")}
    assert f"{CALIBRATION_PHOTOS} LFW photos of fold 2" in json.loads(
        (dest / MODES["int8"][0] / "manifest.json").read_text())["source"]


def test_int8_model_is_qdq_with_depthwise_convs_float(dest):
    model = onnx.load(str(dest / MODES["int8"][0] / "model.onnx"))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QuantizeLinear") > 50 and ops.count("DequantizeLinear") > 100
    dequantized = {n.output[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    for conv in convs:
        depthwise = any(a.name == "group" and a.i > 1 for a in conv.attribute)
        assert (conv.input[0] in dequantized and conv.input[1] in dequantized) == (not depthwise), conv.name
    assert GLOBAL_DEPTHWISE in {n.name for n in convs}
    assert {o.domain for o in model.opset_import} <= {"", "ai.onnx"}


def test_int8_embeddings_stay_close_to_fp32_on_both_runtimes(models, dest, faces):
    fp32, int8 = models / REID / "model.onnx", dest / MODES["int8"][0] / "model.onnx"
    ort_cos = cosine_rows(onnx_outputs(fp32, {"input": faces})[0], onnx_outputs(int8, {"input": faces})[0])
    ov_cos = cosine_rows(openvino_embeddings(fp32, faces), openvino_embeddings(int8, faces))
    print(f"\nint8 vs fp32 on {len(faces)} faces: min cosine {ort_cos.min():.4f} (onnxruntime), "
          f"{ov_cos.min():.4f} (OpenVINO)")
    assert len(faces) >= 10
    assert ort_cos.min() >= MIN_COSINE and ov_cos.min() >= MIN_COSINE
    assert ort_cos.max() < 1 - 1e-6  # it is quantized: not the FP32 model again


def test_fp16_weights_compute_the_same_function(models, dest, faces):
    path = dest / MODES["fp16-weights"][0] / "model.onnx"
    weights = onnx.load(str(path)).graph.initializer
    assert sum(w.data_type == onnx.TensorProto.FLOAT16 for w in weights) > 100
    assert path.stat().st_size < 0.6 * (models / REID / "model.onnx").stat().st_size
    fp32 = onnx_outputs(models / REID / "model.onnx", {"input": faces})[0]
    assert np.array_equal(onnx_outputs(path, {"input": faces})[0], fp32)
