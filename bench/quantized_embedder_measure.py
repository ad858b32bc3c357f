"""The measurements of bench/quantized-embedder.py: (a) latency of the embedder alone, (b) cosine to FP32."""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import openvino as ov

from facematrix_models.parity import aligned_faces
from facematrix_models.quantize import calibration_photos

WARMUP = 20
BATCHES = (1, 8)
# (label, runtime, threads)
LATENCY_CASES = [("OpenVINO, 1 thread", "openvino", 1), ("OpenVINO, 2 threads", "openvino", 2),
                 ("ONNX Runtime, 1 thread", "onnxruntime", 1)]
CHUNK = 64  # photos aligned (and their faces embedded) at a time in (b)


def openvino_compiled(path: Path, threads: int):
    """The model compiled as the service compiles it (OpenVINOOptions.properties), with `threads` threads."""
    return ov.Core().compile_model(str(path), "CPU", {
        "INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": str(threads),
        "ENABLE_CPU_PINNING": "NO"})


def ort_session(path: Path, threads: int) -> ort.InferenceSession:
    """The model in ONNX Runtime with the service's session options (ONNXRuntime/SessionOptions.swift)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def embedder(path: Path, runtime: str, threads: int):
    """A function (N, 3, 128, 128) float32 -> (N, 256) embeddings on `runtime`."""
    if runtime == "openvino":
        request = openvino_compiled(path, threads).create_infer_request()
        return lambda x: np.asarray(request.infer([x])[0])
    session = ort_session(path, threads)
    return lambda x: session.run(None, {"input": x})[0]


def interleaved(runners: dict[str, object], runs: int) -> dict[str, list[float]]:
    """Milliseconds of `runs` calls of every runner, after WARMUP untimed ones, the runners called in turn."""
    for run in runners.values():
        for _ in range(WARMUP):
            run()
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - start) * 1000)
    return samples


def latency(models: dict[str, Path], runs: int) -> list[dict]:
    """(a): one row per case, batch and model: median and p90 ms per face, FP32's median over the model's."""
    rng = np.random.default_rng(0)
    rows = []
    for label, runtime, threads in LATENCY_CASES:
        for batch in BATCHES:
            data = rng.uniform(0, 255, (batch, 3, 128, 128)).astype(np.float32)
            runners = {name: (lambda f=embedder(path, runtime, threads): f(data)) for name, path in models.items()}
            samples = interleaved(runners, runs)
            base = statistics.median(samples["fp32"]) / batch
            for name, s in samples.items():
                per_face = statistics.median(s) / batch
                rows.append({"runtime": label, "batch": batch, "model": name, "runs": len(s),
                             "p50_ms_per_face": round(per_face, 3),
                             "p90_ms_per_face": round(float(np.percentile(s, 90)) / batch, 3),
                             "fp32_over_model": round(base / per_face, 3)})
            print(f"latency: {label}, batch {batch} done", file=sys.stderr)
    return rows


def _embeddings(models: dict[str, Path], models_dir: Path, lfw: Path, photos: list[str]):
    """{(runtime, model): L2-normalised (faces, 256)} of every face found in `photos`, and the faces' labels
    (`photo#k`, k = 0 for the detection with the highest score)."""
    embed = {(runtime, name): embedder(path, runtime, 2)
             for runtime in ("openvino", "onnxruntime") for name, path in models.items()}
    outputs = {key: [] for key in embed}
    faces = []
    for start in range(0, len(photos), CHUNK):
        labels, crops = aligned_faces(models_dir, lfw, photos[start:start + CHUNK])
        faces += labels
        for key, run in embed.items():
            outputs[key].append(np.asarray(run(crops), np.float64))
        print(f"cosine: {min(start + CHUNK, len(photos))}/{len(photos)} photos", file=sys.stderr)
    normalised = {}
    for key, chunks in outputs.items():
        e = np.concatenate(chunks)
        normalised[key] = e / np.linalg.norm(e, axis=1, keepdims=True)
    return normalised, faces


def _stats(c: np.ndarray) -> dict:
    return {"faces": int(len(c)), "min": round(float(c.min()), 5), "p1": round(float(np.percentile(c, 1)), 5),
            "mean": round(float(c.mean()), 5)}


def cosines(models: dict[str, Path], models_dir: Path, lfw: Path) -> tuple[list[dict], int]:
    """(b): per runtime and model, the cosine to FP32 over all faces, the first face of each photo (the detection
    with the highest score: usually LFW's subject), the calibration photos' faces and the others'; and the
    number of photos."""
    with open(lfw / "labels.csv", newline="") as f:
        photos = [row["file"] for row in csv.DictReader(f)]
    calibration = set(calibration_photos(lfw)[0])
    embeddings, faces = _embeddings(models, models_dir, lfw, photos)
    in_calibration = np.array([face.rsplit("#", 1)[0] in calibration for face in faces])
    first = np.array([face.endswith("#0") for face in faces])
    rows = []
    for runtime, name in embeddings:
        if name == "fp32":
            continue
        c = (embeddings[(runtime, name)] * embeddings[(runtime, "fp32")]).sum(1)
        rows.append({"runtime": runtime, "model": name, "all": _stats(c), "first_faces": _stats(c[first]),
                     "calibration_photos": _stats(c[in_calibration]), "other_photos": _stats(c[~in_calibration])})
    return rows, len(photos)
