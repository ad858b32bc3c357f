"""`make bench-inference`: what the inference options issue 13 asks about are worth, per network, on this machine.

Two questions, each answered within one run so that the ratios hold on a shared machine:

1. ONNX Runtime session options: the service's settings (every graph optimisation, one intra-op thread, no
   spinning, sequential execution, the memory arena) against each one changed alone.
2. Micro-batching: OpenVINO's time per row at growing batch sizes, with the service's compile settings (f32, one
   thread, one stream). A batcher that merges concurrent requests can at best turn the batch-1 time per row into
   the batch-N one, minus the time a request waits for the window; if the two are close it cannot pay.

Inputs are uniform 0…255 tensors of each network's shape: the kernels' time does not depend on the pixels. Each
figure is the median (and p90) of RUNS timed runs after WARMUP untimed ones, the variants of a case called in turn,
one call each, so that a burst of load from another process hits them alike.

    python bench/inference_options.py MODELS_DIR OUT_STEM [--runs 60]
writes OUT_STEM.json and OUT_STEM.md and prints the markdown.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import openvino as ov

from inference_options_report import WARMUP, machine, markdown
from report_files import write_report


# (network, model file under MODELS_DIR, input shape): the shapes a 250×250 LFW photo gives (its largest P-Net
# level is 150×150 at the default minimum face of 20 px) and a 640×480 portrait's largest level (384×288).
ORT_CASES = [
    ("embedder", "face-reidentification-retail-0095/model.onnx", (1, 3, 128, 128)),
    ("P-Net", "mtcnn/pnet.onnx", (1, 3, 150, 150)),
    ("P-Net", "mtcnn/pnet.onnx", (1, 3, 288, 384)),
    ("R-Net", "mtcnn/rnet.onnx", (16, 3, 24, 24)),
    ("O-Net", "mtcnn/onet.onnx", (4, 3, 48, 48)),
]

# (network, model file, row shape, batch sizes)
BATCH_CASES = [
    ("embedder", "face-reidentification-retail-0095/model.onnx", (3, 128, 128), (1, 2, 4, 8, 16)),
    ("R-Net", "mtcnn/rnet.onnx", (3, 24, 24), (8, 32, 128)),
    ("O-Net", "mtcnn/onet.onnx", (3, 48, 48), (1, 4, 16)),
]


def ort_variants() -> dict[str, ort.SessionOptions]:
    """The service's session options (ONNXRuntime/SessionOptions.swift) and one change of each at a time."""
    def options(**changes) -> ort.SessionOptions:
        o = ort.SessionOptions()
        o.intra_op_num_threads = changes.get("intra", 1)
        o.inter_op_num_threads = changes.get("inter", 1)
        o.add_session_config_entry("session.intra_op.allow_spinning", "1" if changes.get("spin") else "0")
        o.graph_optimization_level = changes.get("level", ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
        o.execution_mode = changes.get("mode", ort.ExecutionMode.ORT_SEQUENTIAL)
        o.enable_cpu_mem_arena = changes.get("arena", True)
        o.log_severity_level = 3
        return o

    return {
        "service (all optimisations, 1 thread, no spinning, sequential, arena)": options(),
        "graph optimisation: basic": options(level=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC),
        "graph optimisation: extended": options(level=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
        "graph optimisation: none": options(level=ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
        "memory arena off": options(arena=False),
        "spinning on": options(spin=True),
        "parallel execution mode (2 inter-op threads)": options(mode=ort.ExecutionMode.ORT_PARALLEL, inter=2),
        "2 intra-op threads": options(intra=2),
        "2 intra-op threads, spinning on": options(intra=2, spin=True),
    }


def timed(run, runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls of `run`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def interleaved(runners: dict[str, object], runs: int) -> dict[str, dict[str, float]]:
    """Median and p90 ms of every runner, warmed up, then timed one call each in turn, `runs` rounds."""
    for run in runners.values():
        timed(run, WARMUP)
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, run in runners.items():
            samples[name] += timed(run, 1)
    return {name: {"p50_ms": round(statistics.median(s), 3),
                   "p90_ms": round(float(np.percentile(s, 90)), 3), "runs": len(s)}
            for name, s in samples.items()}


def ort_study(models: Path, runs: int) -> list[dict]:
    """Per case, each session-option variant's time and its ratio to the service's settings."""
    rows = []
    rng = np.random.default_rng(0)
    for network, file, shape in ORT_CASES:
        data = rng.uniform(0, 255, shape).astype(np.float32)
        runners = {}
        for name, options in ort_variants().items():
            session = ort.InferenceSession(str(models / file), options, providers=["CPUExecutionProvider"])
            feed = {session.get_inputs()[0].name: data}
            runners[name] = lambda s=session, f=feed: s.run(None, f)
        figures = interleaved(runners, runs)
        base = next(iter(figures.values()))["p50_ms"]
        for name, f in figures.items():
            rows.append({"network": network, "input": "×".join(map(str, shape)), "variant": name, **f,
                         "ratio_to_service": round(f["p50_ms"] / base, 3)})
    return rows


def batch_study(models: Path, runs: int) -> list[dict]:
    """Per network, OpenVINO's time per row at each batch size, with the service's compile settings."""
    core = ov.Core()
    rows = []
    rng = np.random.default_rng(1)
    for network, file, row_shape, batches in BATCH_CASES:
        model = core.read_model(str(models / file))
        compiled = core.compile_model(model, "CPU", {
            "INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": "1",
            "ENABLE_CPU_PINNING": "NO"})
        runners = {}
        for batch in batches:
            request = compiled.create_infer_request()
            data = rng.uniform(0, 255, (batch, *row_shape)).astype(np.float32)
            runners[str(batch)] = lambda r=request, d=data: r.infer([d])
        figures = interleaved(runners, runs)
        single = figures[str(batches[0])]["p50_ms"] / batches[0]
        for batch in batches:
            f = figures[str(batch)]
            per_row = f["p50_ms"] / batch
            rows.append({"network": network, "batch": batch, "p50_ms": f["p50_ms"], "p90_ms": f["p90_ms"],
                         "per_row_ms": round(per_row, 3),
                         "per_row_ratio_to_smallest": round(per_row / single, 3)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", type=Path, help="the model folder `make models` writes")
    parser.add_argument("out", help="output stem: writes OUT.json and OUT.md")
    parser.add_argument("--runs", type=int, default=100, help="timed runs per variant (default 100)")
    parser.add_argument("--command", default="make bench-inference", help="the command recorded in the report")
    args = parser.parse_args()
    report = {
        "command": args.command,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "onnxruntime": ort.__version__,
        "openvino": ov.get_version(),
        "runs": args.runs,
    }
    report["onnxruntime_options"] = ort_study(args.models, args.runs)
    report["openvino_batches"] = batch_study(args.models, args.runs)
    write_report(args.out, report, markdown(report))


if __name__ == "__main__":
    main()
