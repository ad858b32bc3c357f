"""The gallery benchmark's results: the facts of the run, and OUT.json and OUT.md."""
from __future__ import annotations

import json
import os
import platform

import numpy as np

import data
import measure
import report_md

TARGET = {"p99_ms": 10.0, "recall_at_1": 0.99}
# The service's own setting (PostgresFaceRepository: m 16, efConstruction, efSearch); keep in step with it.
SERVICE = {"m": 16, "ef_construction": 128, "ef_search": 200}
SERVER_SETTINGS = ("server_version", "shared_buffers", "work_mem", "effective_cache_size",
                   "max_parallel_workers_per_gather", "hnsw.ef_search", "hnsw.iterative_scan",
                   "hnsw.max_scan_tuples", "hnsw.scan_mem_multiplier")


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    memory_kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gib": round(memory_kib / 2**20, 1),
            "kernel": platform.release()}


def header(args, psql, model, settings) -> dict:
    # pgvector's settings exist once its library is loaded into the session.
    server = {name: psql.value("LOAD 'vector'", f"SHOW {name}") for name in SERVER_SETTINGS}
    server["pgvector"] = psql.value("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    return {
        "command": args.command, "date": args.date, "machine": machine(),
        "server": server, "target": TARGET,
        "index_builds": {"maintenance_work_mem": args.maintenance_work_mem,
                         "max_parallel_maintenance_workers": args.maintenance_workers},
        "model": {"key": model.key, "dimension": model.dimension, "from": model.source},
        "gallery": {"faces_per_user": dict(zip(map(int, data.FACES_PER_USER), map(float, data.SHARES))),
                    "probe_cosine_to_moved_face": data.PROBE_COSINE},
        "probes": {"genuine": args.probes, "impostors": args.impostors, "warmup_not_timed": args.warmup},
        "query": measure.nearest_query("<probe>", model), "neighbours": measure.NEIGHBOURS, "service": SERVICE,
        "query_settings": settings, "datasets": [],
    }


def probe_facts(exact, owners, source, genuine) -> dict:
    """How hard the probes are: the exact best cosine of each kind, and how often the moved face's owner is the
    exact best user."""
    best, users = exact[2], exact[0]
    q = lambda values: {p: round(float(np.percentile(values, int(p[1:]))), 3) for p in ("p5", "p50", "p95")}
    facts = {"genuine_best_cosine": q(best[genuine]),
             "genuine_exact_best_is_moved_face_owner": round(float((users[genuine] == owners[source[genuine]]).mean()),
                                                             4)}
    if (~genuine).any():
        facts["impostor_best_cosine"] = {**q(best[~genuine]), "max": round(float(best[~genuine].max()), 3)}
    return facts


def meets(run) -> bool:
    return run["latency_ms"]["p99"] < TARGET["p99_ms"] and \
        run.get("genuine", {}).get("recall_at_1", 0) >= TARGET["recall_at_1"]


def summary(faces: int, build: dict, run: dict) -> dict:
    return {"faces": faces, "m": build["m"], "ef_construction": build["ef_construction"],
            "ef_search": run["ef_search"], "iterative_scan": run["iterative_scan"],
            "shared_buffers": run["shared_buffers"], "p50_ms": run["latency_ms"]["p50"],
            "p99_ms": run["latency_ms"]["p99"], "recall_at_1": run.get("genuine", {}).get("recall_at_1"),
            "build_s": build["build_s"], "index_mib": build["index_mib"]}


def recommendation(dataset) -> dict | None:
    """At the largest size: of the settings meeting the target, the cheapest build, then the smallest ef_search, then
    the first shared_buffers tried."""
    if not dataset["sizes"]:
        return None
    largest = dataset["sizes"][-1]
    found = [(b["m"], b["ef_construction"], r["ef_search"], r["iterative_scan"] != "off",
              r["shared_buffers"] != b["runs"][0]["shared_buffers"], b, r)
             for b in largest["builds"] for r in b["runs"] if meets(r)]
    if not found:
        return None
    *_, build, run = min(found, key=lambda f: f[:5])
    return summary(largest["faces"], build, run)


def closest(dataset) -> dict:
    """At the largest size: the best recall@1 within the latency target, and the lowest p99 at the recall target."""
    largest = dataset["sizes"][-1]
    runs = [(b, r) for b in largest["builds"] for r in b["runs"]]
    recall = lambda pair: pair[1].get("genuine", {}).get("recall_at_1", 0)
    p99 = lambda pair: pair[1]["latency_ms"]["p99"]
    fast = [pair for pair in runs if p99(pair) < TARGET["p99_ms"]]
    right = [pair for pair in runs if recall(pair) >= TARGET["recall_at_1"]]
    return {"best_recall_within_p99_target": summary(largest["faces"], *max(fast, key=recall)) if fast else None,
            "lowest_p99_at_recall_target": summary(largest["faces"], *min(right, key=p99)) if right else None}


def as_configured(dataset) -> list[dict]:
    """Per size, the service's own build and ef_search, no iterative scan, the cluster's shared_buffers."""
    found = []
    for size in dataset["sizes"]:
        for build in size["builds"]:
            first = build["runs"][0]["shared_buffers"]
            runs = [r for r in build["runs"] if r["ef_search"] == SERVICE["ef_search"]
                    and r["iterative_scan"] == "off" and r["shared_buffers"] == first]
            if (build["m"], build["ef_construction"]) == (SERVICE["m"], SERVICE["ef_construction"]) and runs:
                found.append({**summary(size["faces"], build, runs[0]), "meets_target": meets(runs[0]),
                              "gallery_size_query_p50_ms": size["count_query"]["service"]["latency_ms"]["p50"]})
    return found


def write(results, out: str) -> None:
    for dataset in results["datasets"]:
        dataset["recommended"] = recommendation(dataset)
        dataset["closest"] = closest(dataset)
        dataset["as_configured"] = as_configured(dataset)
    with open(out + ".json", "w") as file:
        json.dump(results, file, indent=2)
    text = report_md.markdown(results)
    with open(out + ".md", "w") as file:
        file.write(text)
