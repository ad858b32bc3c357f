"""OUT.md of the gallery benchmark: the run's facts, then per kind of data three tables and the recommended settings."""
from __future__ import annotations


def ms(latency: dict, key: str) -> str:
    return f"{latency[key]:.2f}"


def facts(results) -> list[str]:
    m, s, g = results["machine"], results["server"], results["gallery"]
    shares = ", ".join(f"{n} face{'s' if int(n) > 1 else ''} {share:.0%}" for n, share in g["faces_per_user"].items())
    low, high = g["probe_cosine_to_moved_face"]
    return [
        "# Gallery search: cost and recall as the gallery grows", "",
        f"- command: `{results['command']}`", f"- date: {results['date']}",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}; PostgreSQL and the "
        "benchmark under `nice -n 19` beside other work (the load average of each search run is in its row)",
        f"- PostgreSQL {s['server_version']}, pgvector {s['pgvector']}; the cluster's shared_buffers "
        f"{s['shared_buffers']} (searches with the value in their row, after pg_prewarm of the index and the table), "
        f"work_mem {s['work_mem']}, max_parallel_workers_per_gather {s['max_parallel_workers_per_gather']}; "
        f"index builds with maintenance_work_mem {results['index_builds']['maintenance_work_mem']} and "
        f"max_parallel_maintenance_workers {results['index_builds']['max_parallel_maintenance_workers']}",
        f"- model `{results['model']['key']}`, {results['model']['dimension']} dimensions; the service's schema and "
        f"partial HNSW index (`vector_cosine_ops` on `embedding::vector({results['model']['dimension']})`), rows "
        "loaded by binary COPY, the index built once over them",
        f"- gallery: users with {shares}; per size {results['probes']['genuine']} genuine probes (a stored face "
        f"moved to cosine {low}–{high} with it) and {results['probes']['impostors']} impostors (faces of people not "
        f"enrolled), one at a time through psql (`\\timing`: the round trip), after "
        f"{results['probes']['warmup_not_timed']} untimed warm-up queries",
        f"- query: the service's `nearestFacesQuery`, LIMIT {results['neighbours']}, the best user of its rows as the "
        "service's `topTwo` takes it; recall@1: that user is the exact search's best (numpy brute force)", "",
    ]


def counts(count: dict) -> str:
    return " / ".join(ms(count[name]["latency_ms"], "p50") for name in ("service", "users", "estimate"))


def size_table(dataset) -> list[str]:
    lines = ["| faces | users | heap MiB | load s | exact search p50 ms | gallery size p50 ms: the service's "
             "`count(DISTINCT user_id)` / `count(*) FROM users` / `reltuples` | genuine best cosine p5/p50/p95 | "
             "impostor best cosine p50/max |", "|---|---|---|---|---|---|---|---|"]
    for size in dataset["sizes"]:
        g, i = size["probes"]["genuine_best_cosine"], size["probes"].get("impostor_best_cosine", {})
        lines.append(f"| {size['faces']:,} | {size['users']:,} | {size['faces_heap_mib']} | {size['load_s']} | "
                     f"{ms(size['exact_sql']['latency_ms'], 'p50')} | {counts(size['count_query'])} | "
                     f"{g['p5']}/{g['p50']}/{g['p95']} | {i.get('p50', '–')}/{i.get('max', '–')} |")
    return lines + [""]


def build_table(dataset) -> list[str]:
    lines = ["| faces | m | ef_construction | build s | index MiB | insert p50/p99 ms |", "|---|---|---|---|---|---|"]
    for size in dataset["sizes"]:
        for b in size["builds"]:
            lines.append(f"| {size['faces']:,} | {b['m']} | {b['ef_construction']} | {b['build_s']} | "
                         f"{b['index_mib']} | "
                         f"{ms(b['insert']['latency_ms'], 'p50')}/{ms(b['insert']['latency_ms'], 'p99')} |")
    return lines + [""]


BANDS = ("0-0.65", "0.65-0.75", "0.75-1")


def bands(genuine: dict) -> str:
    """recall@1 of the genuine probes by their exact best cosine, as a column of its own (when measured)."""
    found = genuine.get("recall_at_1_by_best_cosine")
    if found is None:
        return ""
    return " " + " / ".join(str(found[b]["recall_at_1"]) if b in found else "–" for b in BANDS) + " |"


def run_row(size, build, run) -> str:
    lat, gen, imp = run["latency_ms"], run.get("genuine", {}), run.get("impostor", {})
    plan = "HNSW" if run["plan"]["uses_hnsw_index"] else "seq scan"
    return (f"| {size['faces']:,} | {build['m']} | {build['ef_construction']} | {run['shared_buffers']} | "
            f"{run['ef_search']} | {run['iterative_scan']} | {plan} | {ms(lat, 'p50')} | {ms(lat, 'p95')} | "
            f"{ms(lat, 'p99')} | {ms(run['work']['execution_ms'], 'p50')} | {run['work']['pages_p50']} | "
            f"{gen.get('recall_at_1', '–')} |{bands(gen)} {imp.get('recall_at_1', '–')} | "
            f"{gen.get('top2_agreement', '–')} | {run['loadavg'][0]} |")


def run_table(dataset) -> list[str]:
    rows = [run_row(size, b, r) for size in dataset["sizes"] for b in size["builds"] for r in b["runs"]]
    banded = any("recall_at_1_by_best_cosine" in r.get("genuine", {}) for size in dataset["sizes"]
                 for b in size["builds"] for r in b["runs"])
    band = " by its exact best cosine <0.65 / 0.65-0.75 / ≥0.75 |" if banded else ""
    header = ("| faces | m | ef_construction | shared_buffers | ef_search | iterative_scan | plan | p50 ms | p95 ms | "
              f"p99 ms | server p50 ms | pages read p50 | recall@1 genuine |{band} recall@1 impostor | "
              "best two users agree (genuine) | load avg |")
    return [header, "|---" * header.count(" | ") + "|---|"] + rows + [""]


def setting(r: dict) -> str:
    return (f"m = {r['m']}, ef_construction = {r['ef_construction']}, hnsw.ef_search = {r['ef_search']}, "
            f"hnsw.iterative_scan = {r['iterative_scan']}, shared_buffers {r['shared_buffers']}: p50 {r['p50_ms']} ms, "
            f"p99 {r['p99_ms']} ms, recall@1 {r['recall_at_1']} (build {r['build_s']} s, index {r['index_mib']} MiB)")


def recommended(dataset, target) -> list[str]:
    r, near = dataset["recommended"], dataset["closest"]
    goal = f"p99 < {target['p99_ms']} ms and recall@1 ≥ {target['recall_at_1']}"
    if r is not None:
        return [f"Cheapest setting tried with {goal} at {r['faces']:,} faces: {setting(r)}.", ""]
    lines = [f"No setting tried reaches {goal} at the largest size."]
    if near["best_recall_within_p99_target"]:
        lines.append(f"Best recall@1 within the latency target: {setting(near['best_recall_within_p99_target'])}.")
    if near["lowest_p99_at_recall_target"]:
        lines.append(f"Lowest p99 at the recall target: {setting(near['lowest_p99_at_recall_target'])}.")
    return [" ".join(lines), ""]


def configured_table(dataset) -> list[str]:
    if not dataset["as_configured"]:
        return ["(not measured: no run with the service's build and ef_search)", ""]
    lines = ["| faces | p50 ms | p99 ms | recall@1 genuine | meets the target | `count(DISTINCT user_id)` p50 ms |",
             "|---|---|---|---|---|---|"]
    for r in dataset["as_configured"]:
        lines.append(f"| {r['faces']:,} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['recall_at_1']} | "
                     f"{'yes' if r['meets_target'] else 'no'} | {r['gallery_size_query_p50_ms']:.2f} |")
    return lines + [""]


def service_text(service: dict) -> str:
    return (f"The service's build (m {service['m']}, ef_construction {service['ef_construction']}) and session "
            f"(hnsw.ef_search {service['ef_search']}, no iterative scan), the cluster's shared_buffers; "
            "`count(DISTINCT user_id)` is the gallery-size query the service runs at most every 5 s.")


def data_section(dataset, results) -> list[str]:
    g, i = dataset["genuine_pair_cosine"], dataset["impostor_pair_cosine"]
    searches = ("p50/p95/p99: the round trip of each probe; server p50 and pages read: EXPLAIN (ANALYZE, BUFFERS) "
                "of the first 50 probes (execution time in the server, shared buffers hit + read by the query: its "
                "work, which other load on the machine does not change).")
    return [f"## Data: {dataset['data']}", "", f"{dataset['kind']}; two faces of one person at cosine "
            f"{g['p50']} (p5 {g['p5']}, p95 {g['p95']}), two people at {i['p50']} ± {i['std']}.", "",
            "### The service as configured", "", service_text(results["service"]), ""] + \
        configured_table(dataset) + ["### Per gallery size", ""] + size_table(dataset) + \
        ["### Index builds", ""] + build_table(dataset) + ["### Searches", "", searches, ""] + run_table(dataset) + \
        ["### Recommended", ""] + recommended(dataset, results["target"])


def markdown(results) -> str:
    lines = facts(results)
    for dataset in results["datasets"]:
        lines += data_section(dataset, results)
    return "\n".join(lines) + "\n"
