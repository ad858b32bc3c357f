"""`make bench-http`'s report: per backend and client count, latency percentiles and req/s of the calls that
bench/http-recognise.sh made, the ratio of each backend's req/s to the first backend's in the same run, and for
Triton the executions against inferences of each model (how much its dynamic batcher merged)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

from report_files import write_report


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))
    return ordered[rank]


def calls(folder: Path, count: int) -> list[tuple[float, float, str]]:
    rows = []
    for call in range(1, count + 1):
        answer = json.loads((folder / f"{call}.json").read_text() or "{}")
        seconds = float((folder / f"{call}.time").read_text().strip() or "nan")
        pipeline = answer.get("metadata", {}).get("timings_ms", {}).get("total", float("nan"))
        message = "error" if answer.get("status") == "error" else answer.get("message", "?")
        rows.append((seconds * 1000, pipeline, message))
    return rows


def triton_batching(work: Path, clients: int) -> dict[str, dict[str, int]] | None:
    before, after = work / f"triton-before-{clients}.json", work / f"triton-after-{clients}.json"
    if not before.exists() or not after.exists():
        return None
    def counts(path: Path) -> dict[str, tuple[int, int]]:
        stats = json.loads(path.read_text())["model_stats"]
        return {m["name"]: (m["inference_count"], m["execution_count"]) for m in stats}
    first, last = counts(before), counts(after)
    return {name: {"inferences": last[name][0] - first.get(name, (0, 0))[0],
                   "executions": last[name][1] - first.get(name, (0, 0))[1]} for name in sorted(last)}


def failed(row: tuple[float, float, str]) -> bool:
    """An answer that is not a 200 with a result (e.g. 503/610 when the service sheds load), or none at all."""
    return row[2] in ("?", "error") or row[1] != row[1]


def measure(work: Path, clients: int, count: int) -> dict:
    """Latency and rate of the answered calls; failed calls are counted, and kept out of both."""
    rows = calls(work / f"calls-{clients}", count)
    answered = [r for r in rows if not failed(r)]
    latency = [r[0] for r in answered] or [float("nan")]
    pipeline = [r[1] for r in answered] or [float("nan")]
    started, ended = map(float, (work / f"calls-{clients}" / "window").read_text().split())
    return {"p50_ms": round(percentile(latency, 0.5), 1), "p95_ms": round(percentile(latency, 0.95), 1),
            "mean_ms": round(sum(latency) / len(latency), 1), "pipeline_p50_ms": round(percentile(pipeline, 0.5), 1),
            "requests_per_second": round(len(answered) / (ended - started), 2),
            "failed": len(rows) - len(answered), "matched": sum(r[2] == "Match found" for r in rows),
            "triton_batching": triton_batching(work, clients)}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               "unknown")
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in open("/proc/meminfo")
                   if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory, "kernel": platform.release()}


def markdown(report: dict) -> str:
    first = report["backends"][0]
    lines = ["# HTTP benchmark: POST /api/v1/recognise_user, per inference runtime", "",
             f"- command: `{report['command']}`", f"- date: {report['date']}",
             "- machine: {cpu}, {cores} cores, {memory_gib} GiB, Linux {kernel}".format(**report["machine"]),
             f"- image: {report['image']}; {report['calls']} calls per client count; one enrolled user",
             "- answered/s, p50, p95: the calls answered 200; failed: any other answer (503/610 when the service "
             "sheds a photo whose expected wait is over FACEMATRIX_MAX_WAIT_MS, 1 s by default)", "",
             f"| runtime | clients | answered/s | p50 | p95 | pipeline p50 | answered/s ÷ {first} | matched | failed |",
             "|---|---|---|---|---|---|---|---|---|"]
    for backend in report["backends"]:
        runtime = report["runtimes"].get(backend, backend)
        for clients, r in report["results"][backend].items():
            ratio = r["requests_per_second"] / report["results"][first][clients]["requests_per_second"]
            lines.append(f"| {runtime} | {clients} | {r['requests_per_second']} | {r['p50_ms']} ms | {r['p95_ms']} ms | "
                         f"{r['pipeline_p50_ms']} ms | {ratio:.2f} | {r['matched']}/{report['calls']} | "
                         f"{r['failed']} |")
    batching = [(c, r["triton_batching"]) for c, r in report["results"].get("triton", {}).items()
                if r["triton_batching"]]
    if batching:
        lines += ["", "Triton's own statistics over each run, per model: rows inferred / executions (an execution "
                  "runs one request's batch, or several requests merged by the dynamic batcher):", "",
                  "| clients | " + " | ".join(batching[0][1]) + " |", "|---|" + "---|" * len(batching[0][1])]
        for clients, models in batching:
            lines.append(f"| {clients} | " + " | ".join(f"{m['inferences']} / {m['executions']}"
                                                        for m in models.values()) + " |")
    return "\n".join(lines) + "\n"


def runtime_of(work: Path) -> str:
    ready = json.loads((work / "ready.json").read_text())
    detail = ready.get("components", {}).get("inference", {}).get("version", "?")
    return detail.split(": ")[0].split(" at ")[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--clients", type=int, nargs="+", required=True)
    parser.add_argument("--backends", nargs="+", required=True)
    parser.add_argument("--command", required=True)
    args = parser.parse_args()
    report = {"command": args.command, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": machine(), "image": "640×480 JPEG portrait (centre of obama-480p.jpg)", "calls": args.calls,
              "backends": args.backends,
              "runtimes": {b: runtime_of(args.work / b) for b in args.backends},
              "results": {b: {str(c): measure(args.work / b, c, args.calls) for c in args.clients} for b in args.backends}}
    stamp = report["date"][:16].replace(":", "").replace("-", "")
    write_report(args.out / f"http-{stamp}", report, markdown(report), indent=2)


if __name__ == "__main__":
    main()
