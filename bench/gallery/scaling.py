"""`make bench-gallery` (bench/gallery-scaling.sh): how the cost of the service's gallery search grows with the number of
stored faces, and which HNSW settings keep it fast and right. Writes OUT.json and OUT.md after every gallery size.

Usage: scaling.py --url DATABASE_URL --work DIR --out PREFIX [options]; see bench/gallery-scaling.sh.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import data
import measure
import report
import shapes
import steps
from schema import Model, Psql, create_schema, index_name

SEED = 20261130
EXPLAINED = 50  # probes per run whose plan is analysed for its work


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("url", "work", "out", "command", "date", "models", "pg-bin", "db-dir", "root"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--data", nargs="+", default=["lfw-like"], choices=["lfw-like", "random"])
    parser.add_argument("--embeddings", help="the default model's embeddings of LFW (for --data lfw-like)")
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    parser.add_argument("--builds", nargs="+", required=True, help="m:ef_construction")
    parser.add_argument("--largest-builds", nargs="+", help="for the largest size (default: --builds)")
    parser.add_argument("--ef-search", type=int, nargs="+", required=True)
    parser.add_argument("--iterative", nargs="+", default=["off"])
    parser.add_argument("--shared-buffers", nargs="+", default=["default"])
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--impostors", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--exact-sql-probes", type=int, default=10)
    parser.add_argument("--inserts", type=int, default=100)
    parser.add_argument("--maintenance-work-mem", default="4GB")
    parser.add_argument("--maintenance-workers", type=int, default=1)
    return parser.parse_args()


def measure_setting(psql, work, probe, setting, buffers) -> dict:
    warm = [probe["queries"][i] for i in probe["warm"]]
    latencies, rows = measure.run_timed(psql, work, "probes", measure.session(setting), warm + probe["queries"])
    latencies, rows = latencies[len(warm):], rows[len(warm):]
    explained = steps.work_per_query(psql, work, measure.session(setting), probe["queries"][:EXPLAINED])
    run = {**setting, "shared_buffers": buffers, "session": measure.session(setting),
           "plan": steps.plan(psql, probe["queries"][0], measure.session(setting)),
           "latency_ms": measure.percentiles(latencies), "work": explained,
           "loadavg": Path("/proc/loadavg").read_text().split()[:3], **measure.accuracy(rows, probe["exact"], probe["kinds"])}
    print(f"    shared_buffers {buffers}, ef_search {setting['ef_search']}, iterative {setting['iterative_scan']}: "
          f"p50 {run['latency_ms']['p50']} ms, p99 {run['latency_ms']['p99']} ms, "
          f"recall@1 {run.get('genuine', {}).get('recall_at_1')}", flush=True)
    return run


def measure_build(psql, args, model, probe, owners, m_ef) -> dict:
    m, ef_construction = map(int, m_ef.split(":"))
    print(f"  HNSW m={m} ef_construction={ef_construction}: building", flush=True)
    build = steps.build_index(psql, model, m, ef_construction, args.maintenance_work_mem, args.maintenance_workers)
    print(f"    {build['build_s']} s, {build['index_mib']} MiB", flush=True)
    build["runs"] = []
    for value in args.shared_buffers:
        buffers = steps.shared_buffers(psql, value, args.db_dir, args.root, model)
        build["runs"] += [measure_setting(psql, Path(args.work), probe, setting, buffers)
                          for setting in measure.query_settings(args)]
    build["insert"] = steps.insert_latency(psql, Path(args.work), model, owners, args.inserts, SEED + m)
    return build


def probe_set(args, shape, model, gallery, owners, size) -> dict:
    vectors, source = data.probes(gallery[:size], args.probes, args.impostors, shape, SEED + size)
    exact = measure.exact_best_two(gallery[:size], owners[:size], vectors)
    kinds = np.where(source >= 0, "genuine", "impostor")
    genuine = kinds == "genuine"
    rng = np.random.default_rng(SEED)
    return {"queries": [measure.nearest_query(measure.vector_text(v), model) for v in vectors],
            "exact": exact, "kinds": kinds, "warm": rng.choice(len(vectors), size=args.warmup),
            "facts": report.probe_facts(exact, owners, source, genuine)}


def measure_size(psql, args, shape, model, gallery, owners, size, load_s) -> dict:
    print(f"{shape.name}: {size} faces", flush=True)
    probe = probe_set(args, shape, model, gallery, owners, size)
    entry = {"faces": size, "load_s": round(load_s, 1), **steps.table_facts(psql), "probes": probe["facts"]}
    entry["count_query"] = steps.count_latency(psql, Path(args.work), model)
    n = args.exact_sql_probes
    entry["exact_sql"] = steps.exact_sql(psql, Path(args.work), probe["queries"][:n],
                                         [data.user_id(u) for u in probe["exact"][0][:n]])
    builds = args.largest_builds if size == max(args.sizes) and args.largest_builds else args.builds
    entry["builds"] = [measure_build(psql, args, model, probe, owners[:size], b) for b in builds]
    return entry


def make_shape(name: str, args, model):
    if name == "random":
        return shapes.Isotropic(model.dimension)
    if not args.embeddings:
        raise SystemExit("--data lfw-like needs --embeddings: the default model's embeddings of the LFW photos")
    return shapes.LFWLike(model.dimension, Path(args.embeddings))


def measure_data(psql, args, model, shape, results) -> None:
    """Every size of one kind of data, on a fresh schema; the report is written again after each size."""
    psql.run("DROP TABLE IF EXISTS faces, users, enrollment_keys, api_keys, schema_migrations CASCADE")
    create_schema(psql)
    dataset = {"data": shape.name, **shape.facts, **shapes.cosine_facts(shape, np.random.default_rng(SEED)),
               "sizes": []}
    results["datasets"].append(dataset)
    gallery, owners = data.generate(str(Path(args.work) / "gallery.npy"), max(args.sizes), shape, SEED)
    loaded = 0
    for size in sorted(args.sizes):
        # The service's index takes every insert; for the load it is dropped, and built afresh below.
        psql.run(f"DROP INDEX IF EXISTS {index_name(model)}")
        started = time.monotonic()
        data.load(psql, gallery, owners, loaded, size, model.key)
        psql.run("VACUUM ANALYZE users", "VACUUM ANALYZE faces")
        load_s, loaded = time.monotonic() - started, size
        dataset["sizes"].append(measure_size(psql, args, shape, model, gallery, owners, size, load_s))
        report.write(results, args.out)


def main() -> None:
    args = arguments()
    psql, model = Psql(args.url, args.pg_bin), Model(Path(args.models))
    create_schema(psql)
    results = report.header(args, psql, model, measure.query_settings(args))
    for name in args.data:
        measure_data(psql, args, model, make_shape(name, args, model), results)


if __name__ == "__main__":
    main()
