"""`make bench-load`'s results: bench/results/load-<date>.json and .md from what bench/load.sh gathered in WORK
(meta.json, ready.json, enrolment.json, stages-lfw.json, and stages-portrait.json when the portrait stages ran);
prints the markdown (bench/load_markdown.py).

Usage: load_report.py WORK OUT_PREFIX
"""
import json
import os
import platform
import sys

from load_markdown import SETS, markdown

# The replaced system's k6 run (constant VUs 4, 8 and 12, 300 s each; a random photo of an enrolled person per
# request), as its report gives it.
ORIGINAL = {"req_per_s": 5.44, "mean_ms": 1460.0, "p95_ms": 2860.0, "hardware": "NVIDIA T4 GPU + 4 vCPUs",
            "profile": "k6 constant VUs 4 → 8 → 12, 300 s each"}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    memory_kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_kib / 2**20, 1),
            "kernel": platform.release()}


def runtime(ready):
    """The inference runtime as the service reports it: its `runtime`, or else the components that are neither the
    database, pgvector nor the models (e.g. onnxruntime 1.32.0)."""
    if "runtime" in ready:
        return ready["runtime"]
    others = {k: v for k, v in ready.get("components", {}).items() if k not in ("database", "pgvector", "models")}
    return ", ".join(f"{name} {part.get('version', '')}".strip() for name, part in others.items()) or None


def comparison(label, figures):
    """One row of the comparison with the original: ours and the ratio (rate: ours / theirs; latency: theirs /
    ours, so that above 1 is better in both). Our rate counts the answered calls only (200), not a refusal."""
    latency = figures["latency_ms_of_answered"]
    return {"label": label, "ok_per_s": figures["ok_per_s"], "mean_ms": latency["mean"], "p95_ms": latency["p95"],
            "ok_per_s_ratio": round(figures["ok_per_s"] / ORIGINAL["req_per_s"], 2),
            "mean_ratio": round(ORIGINAL["mean_ms"] / latency["mean"], 2) if latency["mean"] else None,
            "p95_ratio": round(ORIGINAL["p95_ms"] / latency["p95"], 2) if latency["p95"] else None}


def comparisons(sets):
    lfw = sets.get("lfw")
    if not lfw:
        return []
    rows = [comparison(f"all LFW stages ({' → '.join(map(str, lfw['overall']['vus']))} VUs)", lfw["overall"])]
    return rows + [comparison(f"{s['vus']} VUs, {SETS[name]}", s) for name, result in sets.items()
                   for s in result["stages"]]


def load_sets(work):
    sets = {}
    for name in SETS:
        if os.path.exists(f"{work}/stages-{name}.json"):
            sets[name] = json.load(open(f"{work}/stages-{name}.json"))
    return sets


def report(work):
    meta = json.load(open(f"{work}/meta.json"))
    ready = json.load(open(f"{work}/ready.json"))
    sets = load_sets(work)
    return {
        "command": meta["command"], "date": meta["date"], "machine": machine(),
        "git": {"commit": meta["commit"], "uncommitted_changes": meta["uncommitted"] == "true"},
        "service": {"binary": meta["binary"], "binary_modified": meta["binary_modified"],
                    "endpoint": "POST /api/v1/recognise_user", "runtime": runtime(ready),
                    "FACEMATRIX_INFERENCE": meta["inference"] or None, "health_ready": ready,
                    "environment": meta["environment"]},
        "settings": {"people": meta["people"], "vus": meta["vus"], "stage_duration": meta["duration"],
                     "portrait_vus": meta["portrait_vus"], "k6": meta["k6_version"],
                     "executor": "k6 constant-vus, one k6 run per stage, one stage after the other",
                     "choice": "a random enrolled person, then a random one of their query photos",
                     "portrait": meta["portrait"]},
        "enrolment": json.load(open(f"{work}/enrolment.json")),
        "results": sets,
        "original": ORIGINAL,
        "comparison": comparisons(sets),
    }


def main():
    work, out = sys.argv[1], sys.argv[2]
    result = report(work)
    json.dump(result, open(out + ".json", "w"), indent=2)
    text = markdown(result)
    open(out + ".md", "w").write(text)
    print(text)
    print(f"results: {out}.json, {out}.md", file=sys.stderr)


if __name__ == "__main__":
    main()
