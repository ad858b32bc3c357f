"""The markdown of `make bench-load`'s results (bench/load_report.py builds the report it is made from)."""

SETS = {"lfw": "LFW photos (250×250)", "portrait": "640×480 portrait"}
STAGES = ("decode", "pnet", "rnet", "onet", "align", "embed", "total")


def ms(value):
    return f"{value:,.1f} ms" if value is not None else "—"


def failed(stage):
    """The failed calls, with their HTTP statuses when there are any (0: no answer)."""
    statuses = stage.get("answers_by_status", {})
    kinds = ", ".join(f"{status}: {count}" for status, count in statuses.items() if status != "200")
    return f"{stage['failed']} ({kinds})" if stage["failed"] and kinds else str(stage["failed"])


def log_lines(sets):
    """k6's notes of the first failures, when there were any."""
    lines = [f"{name} {s['vus']} VUs: {line}" for name, result in sets.items() for s in result["stages"]
             for line in s.get("k6_log", [])[:3]]
    return ["", "k6's log (the first lines of each stage that has any):", "", "```", *lines, "```"] if lines else []


def load_rows(sets):
    rows = []
    for name, result in sets.items():
        for s in result["stages"] + [dict(result["overall"], vus="all")]:
            lat = s["latency_ms_of_answered"]
            rows.append(f"| {SETS[name]} | {s['vus']} | {s['window_s']:.1f} s | {s['requests']} | "
                        f"{s['req_per_s']:.2f} | {s['ok_per_s']:.2f} | {ms(lat['mean'])} | {ms(lat['p50'])} | "
                        f"{ms(lat['p95'])} | {ms(lat['p99'])} | {failed(s)} | "
                        f"{s['misses']} ({s['misses_wrong_person']}) |")
    return rows


def cpu_rows(sets):
    rows = []
    for name, result in sets.items():
        for s in result["stages"]:
            share = s["cpu"]
            cells = [f"{share[p]['percent_of_core']:.0f} % ({share[p]['percent_of_machine']:.0f} %)"
                     for p in ("service", "k6", "postgres")]
            rows.append(f"| {SETS[name]} | {s['vus']} | " + " | ".join(cells) +
                        f" | {share['others_percent_of_machine']:.0f} % | {share['machine_busy_percent']:.0f} % |")
    return rows


def service_rows(sets):
    rows = []
    for name, result in sets.items():
        for s in result["stages"]:
            server = s["service_metrics"]["http_server"] or {}
            pipeline = s["service_metrics"]["pipeline"]
            cells = [ms(pipeline.get(stage, {}).get("mean_ms")) for stage in STAGES]
            rows.append(f"| {SETS[name]} | {s['vus']} | {ms(server.get('mean_ms'))} | " + " | ".join(cells) + " |")
    return rows


def comparison_rows(original, rows):
    lines = [f"| original: {original['profile']}, {original['hardware']} | {original['req_per_s']} | "
             f"{ms(original['mean_ms'])} | {ms(original['p95_ms'])} | 1 | 1 | 1 |"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['ok_per_s']:.2f} | {ms(r['mean_ms'])} | {ms(r['p95_ms'])} | "
                     f"{r['ok_per_s_ratio']}× | {r['mean_ratio']}× | {r['p95_ratio']}× |")
    return lines


# Set by scripts/lib.sh for the scripts themselves (or naming the binary, in the command): not service settings.
SCRIPT_VARIABLES = {"FACEMATRIX_BENCH_BINARY", "FACEMATRIX_BUILD", "FACEMATRIX_CACHE", "FACEMATRIX_MODELS",
                    "FACEMATRIX_ROOT", "FACEMATRIX_VENV", "FACEMATRIX_INFERENCE"}


def given_settings(service):
    """The FACEMATRIX_* settings the run gave the service, beyond the runtime (on the line before)."""
    given = [line for line in service.get("environment", []) if line.split("=")[0] not in SCRIPT_VARIABLES]
    return ", ".join(f"`{line}`" for line in given) or "none (the defaults)"


def header(result):
    m, e, st, sv = result["machine"], result["enrolment"], result["settings"], result["service"]
    models = sv["health_ready"].get("components", {}).get("models", {}).get("version", "unknown")
    portrait = f"; the portrait stages at {st['portrait_vus']} VUs" if st["portrait_vus"] else ""
    dirty = " (with uncommitted changes)" if result["git"]["uncommitted_changes"] else ""
    return [
        "# Load: the original system's k6 profile against POST /api/v1/recognise_user", "",
        f"- command: `{result['command']}`", f"- date: {result['date']}",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']} "
        "(k6 and PostgreSQL run on the same cores as the service)",
        f"- commit: {result['git']['commit']}{dirty}; binary `{sv['binary']}` (modified {sv['binary_modified']})",
        f"- inference: FACEMATRIX_INFERENCE={sv['FACEMATRIX_INFERENCE'] or '(unset: the default)'}; "
        f"the service reports {sv['runtime']}; model {models}",
        f"- the service's settings given: {given_settings(sv)}",
        f"- load: k6 {st['k6']}, constant VUs {st['vus']} for {st['stage_duration']} each, one after the other"
        f"{portrait}; "
        f"{e['people']} enrolled LFW people, {e['query_photos']} query photos (a random person, then one of their "
        f"photos; {len(e['query_photos_without_face'])} without a face left out)",
        *([f"- portrait: {st['portrait']}"] if st["portrait_vus"] else []), "",
    ]


def markdown(result):
    sets = result["results"]
    lines = header(result) + [
        "| photos | VUs | window | requests | req/s | answered (200) /s | mean | p50 | p95 | p99 | failed | "
        "misses (wrong person) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|", *load_rows(sets), "",
        "Latency of the answered calls as k6 sees them; window: from the stage's start to its last answer; "
        "*all*: the stages together, as k6's summary of one run through them. Failed: no answer or not 200 (by HTTP "
        "status; a 503 is either the database out of reach or the service shedding load: a photo whose expected "
        "wait for inference is over FACEMATRIX_MAX_WAIT_MS, 1000 ms by default, is refused at once); misses: a 200 "
        "that is not the person of the photo (a recognition miss, not a failure).", "",
        "| photos | VUs | service CPU: % of a core (of the machine) | k6 | PostgreSQL | other processes | "
        "machine busy |",
        "|---|---|---|---|---|---|---|", *cpu_rows(sets), "",
        "CPU time over each stage (/proc): other processes is the part of the machine's busy time that neither the "
        "service, k6 nor PostgreSQL used.", "",
        "| photos | VUs | server time (HTTP) | " + " | ".join(STAGES) + " |",
        "|---|---|---|" + "---|" * len(STAGES), *service_rows(sets), "",
        "The service's own mean times over each stage, from its /metrics histograms: the recognise_user route from "
        "the request's arrival to its answer (waiting included), and the pipeline stages of the photo.", "",
        "| against the original | req/s | mean | p95 | req/s × | mean ÷ | p95 ÷ |",
        "|---|---|---|---|---|---|---|", *comparison_rows(result["original"], result["comparison"]), "",
        "Ours: the answered calls (200) per second, and their latency. Ratios above 1 are better than the original "
        "(rate: ours / theirs; latency: theirs / ours).",
        *log_lines(sets),
    ]
    return "\n".join(lines) + "\n"
