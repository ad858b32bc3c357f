"""Issue 13: does a quantized embedder pay? The FP32 embedder against the copies that
`python -m facematrix_models quantize` writes (INT8 static QDQ with the depthwise Convs f32; INT8 with them
quantized too; FP16 weights), on three counts, all within one run so that the ratios hold on a shared machine:

(a) Latency of the embedder alone (quantized_embedder_measure.latency). OpenVINO's CPU plugin with the service's
    compile settings (f32 inference precision, one stream, pinning off) at 1 and 2 threads, and ONNX Runtime with
    the service's session options (all graph optimisations, 1 intra-op thread, no spinning), at batch 1 and 8. The
    models of one case are called in turn, one call each, after untimed warm-up calls, so that load from another
    process falls on all of them alike. Figures: median (p90) ms per face, FP32's median over the model's.
(b) Cosine to the FP32 embeddings of every face that the tooling's MTCNN + 5-point alignment finds in the labelled
    LFW photos, per runtime (each model against FP32 on the same runtime), over all faces, the calibration photos'
    faces and the other photos' faces: min, p1, mean.
(c) `facematrix evaluate` (the release binary: the service's own pipeline, on OpenVINO) of each model with a fresh
    embedding cache: LFW pairs accuracy, held-out open-set FRR and FAR at the target FAR for galleries of 100, 1000
    and 1732 people, the original protocol's FRR/FAR; differences to FP32 in points, and issue 13's verdict
    (quantized_embedder_report.accuracy).

Missing quantized folders are written first (`quantize_embedder`, into --quantized). Run from the repository root:

    PYTHONPATH=tools ~/.cache/facematrix/venv/bin/python bench/quantized-embedder.py [--runs 100]

Writes bench/results/quantized-embedder-<UTC stamp>.{json,md} and prints the markdown (~15 min on 2 cores).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import openvino as ov
from quantized_embedder_measure import cosines, latency
from quantized_embedder_report import accuracy, markdown
from report_files import write_report

from facematrix_models.build import REID, default_out
from facematrix_models.parity import default_faces_dir
from facematrix_models.quantize import CALIBRATION_FOLD, MODES, calibration_photos, default_dest, quantize_embedder

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict:
    """CPU model, cores, memory, whether the CPU has VNNI (int8 dot products), OS."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown CPU")
    flags = next((line.split() for line in cpuinfo if line.startswith("flags")), [])
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(memory, 1),
            "avx512_vnni": "avx512_vnni" in flags, "os": f"{platform.system()} {platform.release()}"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def evaluate(binary: Path, folder: Path, model_dir: Path, embedder: str) -> dict:
    """(c): `facematrix evaluate` of one embedder with a fresh embedding cache; its JSON summary (stdout)."""
    with tempfile.TemporaryDirectory(prefix="facematrix-quantized-bench-") as tmp:
        env = dict(os.environ, FACEMATRIX_ROOT=str(ROOT), FACEMATRIX_MODEL_DIR=str(model_dir),
                   FACEMATRIX_EMBEDDER=embedder, FACEMATRIX_INFERENCE="openvino")
        start = time.monotonic()
        done = subprocess.run([str(binary), "evaluate", str(folder), "--report", f"{tmp}/report.json",
                               "--cache", f"{tmp}/cache"], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"facematrix evaluate ({embedder}) failed:\n{done.stderr[-2000:]}")
        summary = json.loads(done.stdout[done.stdout.index("{"):])
    summary["seconds"] = round(time.monotonic() - start, 1)
    return summary


def model_folders(args) -> dict[str, tuple[Path, str]]:
    """name -> (FACEMATRIX_MODEL_DIR, FACEMATRIX_EMBEDDER): FP32 and each mode's copy, written when missing."""
    folders = {"fp32": (args.models, REID)}
    for mode in args.modes.split(","):
        name = MODES[mode][0]
        if not (args.quantized / name / "manifest.json").is_file():
            quantize_embedder(mode, args.models, args.quantized, args.faces, log=lambda m: print(m, file=sys.stderr))
        folders[mode] = (args.quantized, name)
    return folders


def context(args, paths: dict[str, Path], folders: dict[str, tuple[Path, str]]) -> dict:
    """How the figures were made: command, date, machine, versions, binary, commit, model files."""
    photos, step = calibration_photos(args.faces / "lfw")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {
        "command": f"PYTHONPATH=tools {shlex.join([sys.executable, *sys.argv])}",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "onnx": importlib.metadata.version("onnx"), "onnxruntime": ort.__version__,
                     "openvino": ov.get_version()},
        "binary": str(args.binary), "binary_sha256": sha256(args.binary), "git_head": head,
        "models": {n: {"embedder": e, "path": str(paths[n]), "bytes": paths[n].stat().st_size,
                       "sha256": sha256(paths[n])} for n, (_, e) in folders.items()},
        "runs": args.runs,
        "calibration": f"{len(photos)} photos of LFW fold {CALIBRATION_FOLD}, every {step}th in labels.csv order",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=default_out(), help="model folder with the FP32 embedder")
    parser.add_argument("--quantized", type=Path, default=default_dest(), help="the quantized models' folder")
    parser.add_argument("--modes", default=",".join(MODES), help=f"quantize modes compared (default {','.join(MODES)})")
    parser.add_argument("--faces", type=Path, default=default_faces_dir(), help="test-data faces folder")
    parser.add_argument("--binary", type=Path, default=Path.home() / ".cache/facematrix/build/release/facematrix")
    parser.add_argument("--runs", type=int, default=100, help="timed calls per model and case (default 100)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    lfw = args.faces / "lfw"
    folders = model_folders(args)
    paths = {n: d / e / "model.onnx" for n, (d, e) in folders.items()}
    report = context(args, paths, folders)
    report["latency"] = latency(paths, args.runs)
    report["cosine"], report["cosine_photos"] = cosines(paths, args.models, lfw)
    summaries = {}
    for n, (d, e) in folders.items():
        print(f"evaluate: {e}", file=sys.stderr)
        summaries[n] = evaluate(args.binary, lfw, d, e)
    report.update(target_far=summaries["fp32"]["original_protocol"]["target_far"], evaluate=summaries,
                  accuracy=accuracy(summaries), load_average_end=" ".join(f"{x:.2f}" for x in os.getloadavg()))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M")
    args.out.mkdir(parents=True, exist_ok=True)
    write_report(args.out / f"quantized-embedder-{stamp}", report, markdown(report))


if __name__ == "__main__":
    main()
