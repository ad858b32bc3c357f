"""The service's identification query, timed one probe at a time through psql, and its answers against exact search.

nearest_query is PostgresFaceRepository.nearestFacesQuery (Sources/FaceStore/PostgresFaceRepository+Search.swift)
with the probe written in as a literal: the service binds it as text and casts it the same way, and its unnamed
statements are planned with the values bound, as this one is. Like the service (PostgresFaceRepository.search), each
run sets hnsw.ef_search on its session; an iterative scan only where one is tried.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import data

NEIGHBOURS = 32  # PostgresFaceRepository.neighbours
TIME = re.compile(r"^Time: ([0-9.]+) ms")


def vector_text(vector: np.ndarray) -> str:
    """pgvector's text form; 9 significant digits give back the same float32."""
    return "[" + ",".join(f"{x:.9g}" for x in vector.tolist()) + "]"


def nearest_query(probe: str, model, limit: int = NEIGHBOURS) -> str:
    cast = f"vector({model.dimension})"
    return (f"SELECT user_id, 1 - (embedding::{cast} <=> '{probe}'::{cast}) AS similarity\n"
            f"FROM faces\nWHERE model = '{model.key}'\n"
            f"ORDER BY embedding::{cast} <=> '{probe}'::{cast}\nLIMIT {limit};\n")


def count_query(model) -> str:
    """The gallery size the service reads after every search."""
    return f"SELECT count(DISTINCT user_id)::int FROM faces WHERE model = '{model.key}';\n"


def timed_script(path: Path, answers: Path, settings: list[str], queries: list[str]) -> None:
    """A psql script: the settings, then each query timed, its rows after a '#' line in `answers`."""
    with open(path, "w") as script:
        script.writelines(f"{setting};\n" for setting in settings)
        script.write(f"\\o {answers}\n\\timing on\n")
        for index, query in enumerate(queries):
            script.write(f"\\qecho #{index}\n{query}")


def answer_row(line: str) -> tuple:
    """(user, similarity) of a nearest-faces row; the single value of any other query's row."""
    fields = line.split("|")
    return (fields[0], float(fields[1])) if len(fields) == 2 else (fields[0],)


def run_timed(psql, work: Path, name: str, settings: list[str], queries: list[str]):
    """Runs the queries in one session; (latency in ms of each, rows of each as (user, similarity) lists)."""
    script, answers = work / f"{name}.sql", work / f"{name}.out"
    timed_script(script, answers, settings, queries)
    output = psql.script(script).stdout
    latencies = [float(m.group(1)) for m in map(TIME.match, output.splitlines()) if m]
    rows: list[list[tuple[str, float]]] = []
    for line in answers.read_text().splitlines():
        if line.startswith("#"):
            rows.append([])
        elif line:
            rows[-1].append(answer_row(line))
    if len(latencies) != len(queries) or len(rows) != len(queries):
        raise RuntimeError(f"{name}: {len(latencies)} timings and {len(rows)} answers for {len(queries)} queries")
    return latencies, rows


def best_two(rows: list[tuple[str, float]]) -> tuple[str | None, str | None]:
    """The best and the runner-up user by their best face, as the service's topTwo."""
    best: dict[str, float] = {}
    for user, similarity in rows:
        best[user] = max(best.get(user, -2.0), similarity)
    ranked = sorted(best, key=best.get, reverse=True) + [None, None]
    return ranked[0], ranked[1]


def exact_best_two(gallery: np.ndarray, owners: np.ndarray, probes: np.ndarray, chunk: int = 32_768):
    """Brute force: each probe's best and runner-up user index and its best cosine (users own at most 3 faces, so
    the 4 nearest faces hold two users)."""
    top_s = np.full((len(probes), 4), -2.0, dtype=np.float32)
    top_i = np.zeros((len(probes), 4), dtype=np.int64)
    for start in range(0, len(gallery), chunk):
        scores = probes @ np.asarray(gallery[start:start + chunk]).T
        keep = np.argpartition(scores, -4, axis=1)[:, -4:] if scores.shape[1] > 4 else \
            np.tile(np.arange(scores.shape[1]), (len(probes), 1))
        merged_s = np.hstack([top_s, np.take_along_axis(scores, keep, axis=1)])
        merged_i = np.hstack([top_i, keep + start])
        order = np.argsort(-merged_s, axis=1)[:, :4]
        top_s, top_i = np.take_along_axis(merged_s, order, axis=1), np.take_along_axis(merged_i, order, axis=1)
    users = owners[top_i]
    runner_up = np.where(users[:, 1] != users[:, 0], users[:, 1],
                         np.where(users[:, 2] != users[:, 0], users[:, 2], users[:, 3]))
    return users[:, 0], runner_up, top_s[:, 0]


def percentiles(latencies: list[float]) -> dict[str, float]:
    values = np.asarray(latencies)
    return {"p50": round(float(np.percentile(values, 50)), 3), "p95": round(float(np.percentile(values, 95)), 3),
            "p99": round(float(np.percentile(values, 99)), 3), "mean": round(float(values.mean()), 3),
            "max": round(float(values.max()), 3), "n": len(values)}


def query_settings(args) -> list[dict]:
    """Every ef_search without iterative scans, then each iterative mode at the first ef_search."""
    runs = [{"ef_search": ef, "iterative_scan": "off"} for ef in args.ef_search]
    return runs + [{"ef_search": args.ef_search[0], "iterative_scan": mode} for mode in args.iterative if mode != "off"]


def session(setting: dict) -> list[str]:
    """The SETs of a setting: hnsw.ef_search always, as the service sets it at every search; hnsw.iterative_scan when
    one is tried (pgvector's default is off)."""
    statements = [f"SET hnsw.ef_search = {setting['ef_search']}"]
    if setting["iterative_scan"] != "off":
        statements.append(f"SET hnsw.iterative_scan = {setting['iterative_scan']}")
    return statements


def accuracy(rows, exact, kinds) -> dict:
    """recall@1 (the service's best user is the exact one, or as near: a tie within 1e-6) and the agreement of the
    best two users, for genuine and impostor probes apart."""
    found = [best_two(r) for r in rows]
    best_sim = np.array([max((s for _, s in r), default=-2.0) for r in rows])
    hit = np.array([f[0] == data.user_id(u) for f, u in zip(found, exact[0])]) | (best_sim >= exact[2] - 1e-6)
    both = np.array([f == (data.user_id(u), data.user_id(v)) for f, u, v in zip(found, exact[0], exact[1])])
    result = {}
    for kind in ("genuine", "impostor"):
        chosen = kinds == kind
        if chosen.any():
            result[kind] = {"recall_at_1": round(float(hit[chosen].mean()), 4),
                            "top2_agreement": round(float(both[chosen].mean()), 4), "probes": int(chosen.sum())}
    if "genuine" in result:
        result["genuine"]["recall_at_1_by_best_cosine"] = by_band(hit, exact[2], kinds == "genuine")
    return result


# Bands of a genuine probe's exact best cosine. The service's threshold rises with the gallery (0.68 at 100,000
# people for the default model, README), so at a large gallery only the probes of the upper bands can match at all.
BANDS = ((0.0, 0.65), (0.65, 0.75), (0.75, 1.01))


def by_band(hit: np.ndarray, best: np.ndarray, chosen: np.ndarray) -> dict:
    result = {}
    for low, high in BANDS:
        band = chosen & (best >= low) & (best < high)
        if band.any():
            result[f"{low:g}-{min(high, 1):g}"] = {"recall_at_1": round(float(hit[band].mean()), 4),
                                                  "probes": int(band.sum())}
    return result
