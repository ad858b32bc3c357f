"""The database-side steps of the gallery benchmark: index builds, sizes, plans, and the other timed queries."""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import numpy as np

import data
import measure
from schema import Psql, index_ddl, index_name


def build_index(psql: Psql, model, m: int, ef_construction: int, memory: str, workers: int) -> dict:
    """Drops the gallery index and builds it again (a bulk build over the loaded faces)."""
    psql.run(f"DROP INDEX IF EXISTS {index_name(model)}")
    started = time.monotonic()
    done = psql.run(f"SET maintenance_work_mem = '{memory}'", f"SET max_parallel_maintenance_workers = {workers}",
                    index_ddl(model, m, ef_construction))
    seconds = time.monotonic() - started
    size = int(psql.value(f"SELECT pg_relation_size('{index_name(model)}')"))
    return {"m": m, "ef_construction": ef_construction, "ddl": index_ddl(model, m, ef_construction),
            "build_s": round(seconds, 1), "index_bytes": size, "index_mib": round(size / 2**20, 1),
            "notices": [line for line in done.stderr.splitlines() if line.strip()]}


def plan(psql: Psql, query: str, settings: list[str]) -> dict:
    """The query's plan under the settings, and whether it reads the gallery's HNSW index."""
    lines = psql.run(*settings, "EXPLAIN (COSTS OFF) " + query.rstrip().rstrip(";")).stdout.splitlines()
    text = [line.split("  ->  ")[-1].strip() for line in lines if line.strip()]
    return {"uses_hnsw_index": any("faces_hnsw_" in line for line in text), "plan": text}


def table_facts(psql: Psql) -> dict:
    values = psql.value("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM faces), "
                        "pg_relation_size('faces'), pg_total_relation_size('faces')").split("|")
    users, faces, heap, total = map(int, values)
    return {"users": users, "faces": faces, "faces_heap_mib": round(heap / 2**20, 1),
            "faces_total_mib_without_hnsw": round(total / 2**20, 1)}


def exact_sql(psql: Psql, work: Path, queries: list[str], expected: list[str]) -> dict:
    """The same query with index scans off (a sequential scan and a sort: PostgreSQL's exact answer): its latency, and
    whether its best user is the brute force's."""
    latencies, rows = measure.run_timed(psql, work, "exact", ["SET enable_indexscan = off"], queries)
    agree = sum(measure.best_two(r)[0] == e for r, e in zip(rows, expected))
    return {"probes": len(queries), "latency_ms": measure.percentiles(latencies), "agrees_with_numpy": agree}


COUNT_ALTERNATIVES = {
    "users": "SELECT count(*)::int FROM users;\n",
    "estimate": "SELECT reltuples::bigint FROM pg_class WHERE oid = 'users'::regclass;\n",
}


def count_latency(psql: Psql, work: Path, model, repeat: int = 5) -> dict:
    """The gallery-size query the service runs after every search, and cheaper ways to a gallery size."""
    queries = {"service": measure.count_query(model), **COUNT_ALTERNATIVES}
    result = {}
    for name, query in queries.items():
        latencies, rows = measure.run_timed(psql, work, "count", [], [query] * repeat)
        result[name] = {"query": query.strip(), "value": rows[0][0][0], "latency_ms": measure.percentiles(latencies)}
    return result


def insert_latency(psql: Psql, work: Path, model, owners: np.ndarray, count: int, seed: int) -> dict:
    """`count` single-row inserts (autocommit: one enrolment's face each) with the index in place, then removed."""
    rng = np.random.default_rng(seed)
    vectors = data.unit(rng.standard_normal((count, model.dimension))).astype(np.float32)
    users = rng.choice(owners, size=count)
    last = psql.value("SELECT coalesce(max(id), 0) FROM faces")
    face = data.FACE_JSON.decode()
    queries = [f"INSERT INTO faces (user_id, model, embedding, face) VALUES ('{data.user_id(u)}', '{model.key}', "
               f"'{measure.vector_text(v)}', '{face}');\n" for u, v in zip(users, vectors)]
    script, answers = work / "insert.sql", work / "insert.out"
    measure.timed_script(script, answers, [], queries)
    output = psql.script(script).stdout.splitlines()
    latencies = [float(m.group(1)) for m in map(measure.TIME.match, output) if m]
    psql.run(f"DELETE FROM faces WHERE id > {last}")
    return {"inserts": count, "latency_ms": measure.percentiles(latencies)}


BUFFERS = re.compile(r"Buffers: shared hit=(\d+)(?: read=(\d+))?")
EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


def work_per_query(psql: Psql, work: Path, settings: list[str], queries: list[str]) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries: the pages each one reads (the top node's shared hit + read, a
    measure of its work that other load on the machine does not change) and its execution time in the server."""
    explained = ["EXPLAIN (ANALYZE, BUFFERS) " + query for query in queries]
    _, answers = measure.run_timed(psql, work, "explain", settings, explained)
    pages, execution = [], []
    for rows in answers:
        text = "\n".join(row[0] for row in rows)
        hit, read = BUFFERS.search(text).groups()
        pages.append(int(hit) + int(read or 0))
        execution.append(float(EXECUTION.search(text).group(1)))
    return {"probes": len(queries), "pages_p50": int(np.median(pages)), "pages_p99": int(np.percentile(pages, 99)),
            "execution_ms": measure.percentiles(execution)}


def shared_buffers(psql: Psql, value: str, db_dir: str, root: str, model) -> str:
    """Restarts the server with shared_buffers at `value` ("default": the cluster's own, as `make run` has it) when it
    differs, then reads the gallery's index and heap into the cache (pg_prewarm); returns the value in force."""
    if psql.value("SELECT coalesce(setting, 'default') FROM (SELECT 1) one LEFT JOIN pg_file_settings "
                  "ON name = 'shared_buffers' AND sourcefile LIKE '%auto.conf'") != value:
        psql.run("ALTER SYSTEM RESET shared_buffers" if value == "default" else
                 f"ALTER SYSTEM SET shared_buffers = '{value}'")
        for action in ("stop", "start"):
            subprocess.run([f"{root}/scripts/postgres.sh", action, db_dir], check=True, stdout=subprocess.DEVNULL)
    psql.run("CREATE EXTENSION IF NOT EXISTS pg_prewarm",
             f"SELECT pg_prewarm('{index_name(model)}'), pg_prewarm('faces')")
    return psql.value("SHOW shared_buffers")
