#!/usr/bin/env bash
# `make bench-accuracy`: the replaced system's FRR/FAR protocol through the HTTP API of the release build at its
# default settings (a private, empty PostgreSQL), next to the same protocol computed offline by
# `facematrix evaluate` from the same pipeline's embeddings. Writes bench/results/accuracy-<date>.{json,md}.
# FOLDER (default: the shared LFW folds) and any FACEMATRIX_* setting (e.g. FACEMATRIX_TARGET_FAR) can be given.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

folder=$(cd "${FOLDER:-$FACEMATRIX_ROOT/../shared/testdata/faces/lfw}" && pwd)
work=$(mktemp -d /tmp/facematrix-accuracy.XXXXXX)
chmod 755 "$work"
trap 'stop_bench_service "$work"; rm -rf "$work"' EXIT
start_bench_service "$work"
port=$BENCH_PORT
binary=$BENCH_BINARY

stamp=$(date -u +%Y%m%dT%H%M)
out="$FACEMATRIX_ROOT/bench/results/accuracy-$stamp"
log "offline: facematrix evaluate $folder"
target=${FACEMATRIX_TARGET_FAR:-0.01}
"$binary" evaluate "$folder" --target-far "$target" --report "$work/offline.json" >/dev/null
log "through the API on 127.0.0.1:$port"
"$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/bench/accuracy_client.py" "http://127.0.0.1:$port" "$folder" \
    "$work/api.json" >/dev/null

"$FACEMATRIX_VENV/bin/python" - "$work" "$out" "$folder" "$target" "make bench-accuracy" <<'PY'
import json, os, platform, subprocess, sys, datetime
work, out, folder, target, command = sys.argv[1:6]
api = json.load(open(f"{work}/api.json"))
offline = json.load(open(f"{work}/offline.json"))["original_protocol"]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
result = {
    "command": command + (f" (FACEMATRIX_TARGET_FAR={target})" if target != "0.01" else ""),
    "machine": f"{cpu}, {os.cpu_count()} cores", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    "folder": folder, "target_far": float(target), "api": api, "offline": offline,
}
json.dump(result, open(out + ".json", "w"), indent=2, sort_keys=True)
pct = lambda x: f"{100 * x:.2f} %"
lines = [
    f"# Accuracy through the API: the original system's FRR/FAR protocol",
    "", f"`{result['command']}` on {result['date'][:16]} UTC, {result['machine']}; folder `{folder}`.", "",
    "| | gallery | threshold | FRR | FAR (photos) | FAR (people) | refused at enrolment |",
    "|---|---|---|---|---|---|---|",
    f"| through the API | {api['service_gallery_size']} | {api['service_threshold']:.4f} | {pct(api['frr'])} "
    f"({api['false_rejects']}/{api['genuine_queries']}) | {pct(api['far'])} ({api['false_accepts']}/"
    f"{api['impostor_queries']}) | {pct(api['person_far'])} | never enrolled {api['enrolment']['never_enrolled']} "
    f"(photos refused by quality {api['enrolment']['refused_quality']}, as duplicate "
    f"{api['enrolment']['refused_duplicate']}; taken for someone at enrolment {api['enrolment']['taken_for_someone']}) |",
    f"| offline (`facematrix evaluate`) | {offline['gallery_size']} | {offline['threshold']:.4f} | "
    f"{pct(offline['frr'])} | {pct(offline['far'])} | {pct(offline['person_far'])} | "
    f"never enrolled {offline['refused_at_enrolment']} (no photo passes the quality gate) |",
    "", f"Target FAR {target}; {api['requests']} recognitions in {api['seconds']} s; server errors: {api['errors']}; "
    f"answered with the wrong person: {api['wrong_person']}.",
]
open(out + ".md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
