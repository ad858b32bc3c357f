"""A running Triton server (FACEMATRIX_TRITON_URL, e.g. from `scripts/triton.sh start DIR`) against ONNX Runtime
run here on the same inputs: it serves the model folder's models (the sha256 in each config), every model answers
through the KServe v2 binary-tensor extension with the same outputs, concurrent requests are batched and each gets
its own rows back, and bad requests get the protocol's errors. Skipped when FACEMATRIX_TRITON_URL is not set."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from facematrix_models.kserve import KServeError, get_json, infer, is_ready
from facematrix_models.parity import load_rgb, update_report
from facematrix_models.triton_repository import repository_models

URL = os.environ.get("FACEMATRIX_TRITON_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(not URL, reason="FACEMATRIX_TRITON_URL is not set (scripts/triton.sh start DIR)")
MAX_ABS = 1e-5
PHOTOS = ["facenet-pytorch/test_images_aligned/bradley_cooper/1.png", "facenet-pytorch/test_images_aligned/kate_siegel/1.png",
          "facenet-pytorch/test_images_aligned/paul_rudd/1.png", "facenet-pytorch/test_images_aligned/shea_whigham/1.png",
          "lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg", "face_recognition/examples/obama.jpg"]
FIGURES: dict = {}


@pytest.fixture(scope="module")
def models(models_dir) -> dict:
    return {m.name: m for m in repository_models(models_dir)}


@pytest.fixture(scope="module")
def photos(faces_dir) -> list[np.ndarray]:
    return [load_rgb(faces_dir / p) for p in PHOTOS]


def _resized(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.BILINEAR), dtype=np.float32)


def _nchw(images: list[np.ndarray], mean: float, scale: float, bgr: bool = False) -> np.ndarray:
    batch = np.stack(images).astype(np.float32)
    if bgr:
        batch = batch[..., ::-1]
    return np.ascontiguousarray(((batch - mean) * scale).transpose(0, 3, 1, 2))


def _inputs(model, photos) -> list[np.ndarray]:
    """Real pixels at each network's input size: two P-Net pyramid levels of different sizes, crops for R-/O-Net,
    faces for the embedder (its own channel order and normalisation)."""
    if model.role == "pnet":
        return [_nchw([_resized(photos[5], 97, 131)], 127.5, 0.0078125),
                _nchw([_resized(p, 60, 45) for p in photos[:3]], 127.5, 0.0078125)]
    if model.role in ("rnet", "onet"):
        size = 24 if model.role == "rnet" else 48
        return [_nchw([_resized(p, size, size) for p in photos], 127.5, 0.0078125)]
    _, _, height, width = model.io["inputs"][0]["shape"]
    if model.model_name.startswith("face-reidentification"):
        return [_nchw([_resized(p, height, width) for p in photos], 0.0, 1.0, bgr=True)]
    return [_nchw([_resized(p, height, width) for p in photos], 127.5, 0.0078125)]


def _local(model, x: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(str(model.onnx), providers=["CPUExecutionProvider"])
    names = [o["name"] for o in model.io["outputs"]]
    return dict(zip(names, session.run(names, {model.io["inputs"][0]["name"]: x})))


def _served(model, x: np.ndarray) -> dict[str, np.ndarray]:
    return infer(URL, model.name, {model.io["inputs"][0]["name"]: x}, [o["name"] for o in model.io["outputs"]])


def _max_abs(a: dict, b: dict) -> float:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].shape == b[name].shape, name
    return max(float(np.abs(a[name] - b[name]).max()) for name in a)


def _statistics(name: str) -> dict:
    stats = get_json(URL, f"/v2/models/{name}/versions/1/stats")["model_stats"][0]
    return {"inference_count": stats["inference_count"], "execution_count": stats["execution_count"]}


def test_server_and_every_model_are_ready(models):
    assert is_ready(URL)
    for name in models:
        assert is_ready(URL, f"/v2/models/{name}/versions/1/ready"), name


def test_the_server_runs_the_model_folders_models(models):
    for name, model in models.items():
        config = get_json(URL, f"/v2/models/{name}/config")
        parameters = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        assert parameters["facematrix_sha256"] == model.sha256, name
        assert parameters["facematrix_role"] == model.role
        metadata = get_json(URL, f"/v2/models/{name}")
        assert [(t["name"], t["shape"]) for t in metadata["inputs"]] == [
            (s["name"], s["shape"]) for s in model.io["inputs"]]
        assert [(t["name"], t["shape"]) for t in metadata["outputs"]] == [
            (s["name"], s["shape"]) for s in model.io["outputs"]]


def test_every_model_answers_as_onnx_runtime_does(models, photos, models_dir):
    diffs = {}
    for name, model in models.items():
        for x in _inputs(model, photos):
            diffs[name] = max(diffs.get(name, 0.0), _max_abs(_served(model, x), _local(model, x)))
    FIGURES["max_abs_diff"] = diffs
    print(f"\nTriton vs ONNX Runtime, max abs diff per model: {diffs}")
    assert all(d <= MAX_ABS for d in diffs.values()), diffs


def _concurrently(model, inputs: list[np.ndarray], workers: int = 16) -> list[dict]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda x: _served(model, x), inputs))


def test_concurrent_embedder_requests_are_batched(models, photos):
    embedder = models[next(n for n, m in models.items() if m.role == "embedder")]
    faces = _inputs(embedder, photos)[0]
    singles = [faces[i % len(faces)][None] for i in range(64)]
    before = _statistics(embedder.name)
    t0 = time.monotonic()
    answers = _concurrently(embedder, singles)
    seconds = time.monotonic() - t0
    after = _statistics(embedder.name)
    inferences = after["inference_count"] - before["inference_count"]
    executions = after["execution_count"] - before["execution_count"]
    local = _local(embedder, faces)["embedding"]
    for i, answer in enumerate(answers):  # each caller gets its own row back
        assert np.abs(answer["embedding"][0] - local[i % len(faces)]).max() <= MAX_ABS
    FIGURES["embedder_batching"] = {"requests": 64, "inference_count": inferences, "execution_count": executions,
                                    "seconds": round(seconds, 3)}
    print(f"\n{embedder.name}: 64 concurrent requests -> {inferences} inferences in {executions} executions "
          f"({seconds:.2f} s)")
    assert inferences == 64 and executions < inferences


def test_merged_requests_of_different_sizes_get_their_own_rows(models, photos):
    rnet = models["rnet"]
    crops = _inputs(rnet, photos)[0]
    batches = [np.concatenate([crops] * 3)[: 1 + i % 9] for i in range(24)]
    for x, answer in zip(batches, _concurrently(rnet, batches)):
        assert _max_abs(answer, _local(rnet, x)) <= MAX_ABS


def test_pyramid_levels_of_different_sizes_run_side_by_side(models, photos):
    pnet = models["pnet"]
    levels = [_nchw([_resized(photos[5], h, w)], 127.5, 0.0078125) for h, w in [(97, 131), (69, 93), (49, 66),
                                                                                 (35, 47), (25, 33), (18, 24)]]
    for x, answer in zip(levels, _concurrently(pnet, levels, workers=6)):
        assert _max_abs(answer, _local(pnet, x)) <= MAX_ABS


def test_protocol_errors(models):
    with pytest.raises(KServeError) as wrong_shape:
        infer(URL, "rnet", {"input": np.zeros((1, 3, 25, 24), np.float32)}, ["prob"])
    assert wrong_shape.value.status == 400 and "shape" in str(wrong_shape.value)
    with pytest.raises(KServeError) as too_many:
        infer(URL, "pnet", {"input": np.zeros((17, 3, 12, 12), np.float32)}, ["prob"])
    assert too_many.value.status == 400
    with pytest.raises(KServeError) as unknown:
        infer(URL, "no-such-model", {"input": np.zeros((1, 3, 24, 24), np.float32)}, ["prob"])
    assert unknown.value.status == 404


def test_report(models_dir):
    """Keeps the figures in the parity report (printed at the end of the run)."""
    if FIGURES:
        update_report(models_dir, "triton-server", dict(FIGURES, url=URL,
                                                        ok=all(d <= MAX_ABS for d in
                                                               FIGURES.get("max_abs_diff", {}).values())))
