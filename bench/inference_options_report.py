"""The report of `make bench-inference` (bench/inference_options.py): the machine it ran on, and its markdown."""

from __future__ import annotations

import os
import platform
import subprocess

WARMUP = 10


def machine() -> str:
    """CPU model, cores and memory, as the other benchmarks write it."""
    model = "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {memory:.1f} GiB, {platform.system()} {platform.release()}"


def markdown(report: dict) -> str:
    """The report as bench/results markdown."""
    lines = ["# Inference options: ONNX Runtime session options and OpenVINO batch sizes", "",
             f"- command: `{report['command']}`", f"- date: {report['date']}", f"- machine: {report['machine']}",
             f"- onnxruntime {report['onnxruntime']}, openvino {report['openvino']}; load average at the start "
             f"{report['load_average']}",
             f"- each figure: median (p90) of {report['runs']} runs after {WARMUP} untimed ones, the variants of one "
             "case called in turn, one call each; uniform 0…255 inputs", "",
             "## ONNX Runtime session options, one change at a time", "",
             "| network | input | variant | p50 ms | p90 ms | ÷ service |", "|---|---|---|---|---|---|"]
    for r in report["onnxruntime_options"]:
        lines.append(f"| {r['network']} | {r['input']} | {r['variant']} | {r['p50_ms']} | {r['p90_ms']} | "
                     f"{r['ratio_to_service']} |")
    lines += ["", "## OpenVINO: time per row by batch size (what micro-batching could save at best)", "",
              "The service's compile settings: f32, 1 stream, 1 thread. The last column is the time per row against "
              "the smallest batch's.", "",
              "| network | batch | p50 ms | p90 ms | per row ms | per row ÷ smallest batch |",
              "|---|---|---|---|---|---|"]
    for r in report["openvino_batches"]:
        lines.append(f"| {r['network']} | {r['batch']} | {r['p50_ms']} | {r['p90_ms']} | {r['per_row_ms']} | "
                     f"{r['per_row_ratio_to_smallest']} |")
    return "\n".join(lines) + "\n"
