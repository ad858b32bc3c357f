#!/usr/bin/env bash
# `make bench-http`: latency of POST /api/v1/recognise_user on a 640×480 portrait, as callers see it, over 100
# calls with 1 and with 4 concurrent clients, against the release build on a private PostgreSQL with one enrolled
# user (so every call searches and matches). Writes bench/results/http-<date>.{json,md}.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

calls=${CALLS:-100}
work=$(mktemp -d /tmp/facematrix-bench.XXXXXX)
chmod 755 "$work"
trap 'stop_bench_service "$work"; rm -rf "$work"' EXIT
start_bench_service "$work"
port=$BENCH_PORT

"$FACEMATRIX_VENV/bin/python" - "$FACEMATRIX_ROOT/../shared/testdata/faces" "$work" <<'PY'
import sys
from PIL import Image
faces, work = sys.argv[1], sys.argv[2]
image = Image.open(f"{faces}/face_recognition/examples/obama-480p.jpg").convert("RGB")
left = (image.width - 640) // 2
image.crop((left, 0, left + 640, 480)).save(f"{work}/portrait.jpg", quality=90)
PY
url="http://127.0.0.1:$port/api/v1/recognise_user"
# Enrol the portrait's person from another photo, so that the benchmark measures the matching path.
key=$(curl -sf -F image=@"$FACEMATRIX_ROOT/../shared/testdata/faces/face_recognition/examples/obama2.jpg" "$url" |
    "$FACEMATRIX_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["req_id"])')
curl -sf -H 'content-type: application/json' -d "{\"name\":\"Bench\",\"birthdate\":\"1961-08-04\",\"req_id\":\"$key\"}" \
    "http://127.0.0.1:$port/api/v1/add_user" >/dev/null

measure() {  # measure CONCURRENCY: one line per call, "seconds pipeline_ms message"
    local concurrency=$1 out="$work/calls-$1"
    mkdir -p "$out"
    for _ in $(seq 5); do curl -s -o /dev/null -F image=@"$work/portrait.jpg" "$url"; done  # warm-up
    # Each call writes its own files, so parallel calls cannot interleave their output.
    seq "$calls" | xargs -P "$concurrency" -I{} sh -c \
        "curl -s -o $out/{}.json -w '%{time_total}' -F image=@$work/portrait.jpg $url >$out/{}.time"
    "$FACEMATRIX_VENV/bin/python" - "$out" "$calls" >"$work/c$concurrency.txt" <<'PY'
import json, sys
out, calls = sys.argv[1], int(sys.argv[2])
for call in range(1, calls + 1):
    answer = json.load(open(f"{out}/{call}.json"))
    seconds = open(f"{out}/{call}.time").read().strip()
    print(seconds, answer["metadata"]["timings_ms"]["total"], answer["message"].replace(" ", "_"))
PY
}
started=$(date +%s.%N); measure 1; ended=$(date +%s.%N); echo "$started $ended" >"$work/t1"
started=$(date +%s.%N); measure 4; ended=$(date +%s.%N); echo "$started $ended" >"$work/t4"

mkdir -p "$FACEMATRIX_ROOT/bench/results"
"$FACEMATRIX_VENV/bin/python" - "$work" "$FACEMATRIX_ROOT/bench/results" "$calls" <<'PY'
import datetime, json, os, platform, sys
work, out, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
def percentile(values, q):
    values = sorted(values)
    return values[max(0, min(len(values) - 1, int(-(-q * len(values) // 1)) - 1))]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
report = {"command": "make bench-http", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
          "machine": {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()},
          "image": "640x480 JPEG portrait (centre of obama-480p.jpg)", "calls": calls, "results": {}}
for c in (1, 4):
    rows = [l.split() for l in open(f"{work}/c{c}.txt")]
    latency = [float(r[0]) * 1000 for r in rows]
    pipeline = [float(r[1]) for r in rows]
    start, end = map(float, open(f"{work}/t{c}").read().split())
    report["results"][f"{c}_clients"] = {
        "p50_ms": round(percentile(latency, 0.5), 1), "p95_ms": round(percentile(latency, 0.95), 1),
        "mean_ms": round(sum(latency) / len(latency), 1), "max_ms": round(max(latency), 1),
        "pipeline_p50_ms": round(percentile(pipeline, 0.5), 1),
        "http_over_pipeline_p50": round(percentile(latency, 0.5) / percentile(pipeline, 0.5), 2),
        "requests_per_second": round(len(rows) / (end - start), 1),
        "matched": sum(r[2] == "Match_found" for r in rows)}
stamp = report["date"][:16].replace(":", "").replace("-", "")
with open(f"{out}/http-{stamp}.json", "w") as f:
    json.dump(report, f, indent=2)
lines = [f"# HTTP benchmark: POST /api/v1/recognise_user", "",
         f"- command: `{report['command']}`", f"- date: {report['date']}",
         f"- machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}",
         f"- image: {report['image']}, {calls} calls per run, one enrolled user (every call matches)", "",
         "| clients | p50 | p95 | mean | req/s | pipeline p50 | HTTP p50 / pipeline p50 | matched |",
         "|---|---|---|---|---|---|---|---|"]
for c, r in report["results"].items():
    lines.append(f"| {c.split('_')[0]} | {r['p50_ms']} ms | {r['p95_ms']} ms | {r['mean_ms']} ms | {r['requests_per_second']} | "
                 f"{r['pipeline_p50_ms']} ms | {r['http_over_pipeline_p50']} | {r['matched']}/{calls} |")
text = "\n".join(lines) + "\n"
open(f"{out}/http-{stamp}.md", "w").write(text)
print(text)
PY
