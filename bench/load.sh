#!/usr/bin/env bash
# `make bench-load`: the replaced system's k6 load profile (constant VUs 4, 8 and 12, 300 s each there; each request
# a random photo of an enrolled person) against POST /api/v1/recognise_user. The release build serves on a private
# PostgreSQL (start_bench_service); LOAD_PEOPLE people of the shared LFW folds are enrolled as for `make soak`
# (bench/enrol_lfw.py: those with two photos or more, in name order, the first photo through add_user, the others
# become their query photos; default `all`: 492 people have two photos or more, 490 of them can be enrolled). Then
# for each number of VUs in LOAD_VUS, one k6 run (bench/load.js) of LOAD_STAGE_DURATION, one after the other; and the
# same with the 640×480 portrait of `make bench-http` (bench_portrait; Barack Obama, enrolled from obama2.jpg) for
# each of LOAD_PORTRAIT_VUS. Per stage (bench/load_stages.py): req/s, latency, failures and recognition misses; the
# CPU of the service, k6, PostgreSQL and everything else on the machine (other work competes for the cores: a niced
# process of another login session is not held back, as the kernel shares the CPU between sessions first, see
# sched_autogroup); the service's own mean times from its /metrics. Writes bench/results/load-<date>.{json,md}
# with the original system's figures beside ours (bench/load_report.py), and prints the markdown.
#
#   make bench-load                                             # 4, 8, 12 VUs for 60 s each; portrait 4, 8
#   LOAD_PEOPLE=50 LOAD_STAGE_DURATION=10s make bench-load      # a quick look
#   LOAD_VUS="4 8 12" LOAD_STAGE_DURATION=5m make bench-load    # the original's stages as they were
#   LOAD_PORTRAIT_VUS=none make bench-load                      # without the portrait stages
#   FACEMATRIX_BENCH_BINARY=/path/to/facematrix FACEMATRIX_INFERENCE=openvino make bench-load
#
# The environment reaches the service as it is (FACEMATRIX_INFERENCE and any other FACEMATRIX_* setting); the
# results record the FACEMATRIX_* settings given and the runtime the service reports in /health/ready.
set -euo pipefail
given_settings=$(env | grep '^FACEMATRIX_' | sort || true)  # before lib.sh adds its own
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

people=${LOAD_PEOPLE:-all}
vus=${LOAD_VUS:-4 8 12}
duration=${LOAD_STAGE_DURATION:-60s}
portrait_vus=${LOAD_PORTRAIT_VUS-4 8}
[ "$portrait_vus" = none ] && portrait_vus=""
folder=$(lfw_folder)

[ "$people" = all ] || whole_number LOAD_PEOPLE "$people"
# vu_list NAME VALUE: VALUE is whole numbers from 1 separated by spaces, or stop naming the setting NAME.
vu_list() {
    [[ $2 =~ ^\ *[1-9][0-9]*(\ +[1-9][0-9]*)*\ *$ ]] ||
        die "settings" "$1 is numbers of VUs from 1 separated by spaces, such as \"4 8 12\" (not '$2')"
}
vu_list LOAD_VUS "$vus"
[ -z "$portrait_vus" ] || vu_list LOAD_PORTRAIT_VUS "$portrait_vus"
k6_duration_seconds LOAD_STAGE_DURATION "$duration" "60s, 5m or 1m30s" >/dev/null

bench_k6
command=$(bench_command "make bench-load" LOAD_PORTRAIT_VUS LOAD_STAGE_DURATION LOAD_VUS LOAD_PEOPLE \
    FACEMATRIX_INFERENCE FACEMATRIX_BENCH_BINARY)
stamp=$(date -u +%Y%m%dT%H%M)
date=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
# The checkout as the run starts (whether its tracked files have changes that are not committed).
commit=$(git -C "$FACEMATRIX_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
uncommitted=false
[ -z "$(git -C "$FACEMATRIX_ROOT" status --porcelain -uno 2>/dev/null)" ] || uncommitted=true

work=$(mktemp -d /tmp/facematrix-load.XXXXXX)
chmod 755 "$work"
trap 'stop_bench_service "$work" || true; rm -rf "$work"' EXIT
start_bench_service "$work"
base="http://127.0.0.1:$BENCH_PORT"
curl -sf "$base/health/ready" >"$work/ready.json"
enrol_lfw_people "$base" "$folder" "$people" "$work" LOAD_PEOPLE

# prepare_portrait: the portrait (bench_portrait) and its person, enrolled from another photo of him, so that every
# portrait call searches and matches → $work/portrait/{people,queries}.json.
prepare_portrait() {
    log "enrolling the portrait's person (obama2.jpg); the portrait: 640×480, the centre of obama-480p.jpg"
    mkdir -p "$work/portrait"
    bench_portrait "$work/portrait/portrait.jpg"
    "$FACEMATRIX_VENV/bin/python" - "$base" "$FACEMATRIX_ROOT/../shared/testdata/faces/face_recognition/examples" \
        "$work/portrait" <<'PY' || die "portrait" "see the message above"
import base64, json, sys
import requests
base, examples, out = sys.argv[1:4]
answer = requests.post(f"{base}/api/v1/add_user", data={"name": "Barack Obama", "birthdate": "1961-08-04"},
                       files={"image": ("obama2.jpg", open(f"{examples}/obama2.jpg", "rb"), "image/jpeg")}, timeout=60)
if answer.status_code != 201:
    sys.exit(f"add_user answered {answer.status_code} for obama2.jpg: {answer.text}")
user_id = answer.json()["user_id"]
jpeg = base64.b64encode(open(f"{out}/portrait.jpg", "rb").read()).decode()
json.dump([{"user_id": user_id, "identity": "Barack_Obama", "first": 0, "count": 1}], open(f"{out}/people.json", "w"))
json.dump([{"user_id": user_id, "file": "portrait.jpg", "jpeg_b64": jpeg}], open(f"{out}/queries.json", "w"))
PY
}
[ -z "$portrait_vus" ] || prepare_portrait

# run_stages NAME PEOPLE_JSON QUERIES_JSON VUS: one k6 run per number of VUs → $work/stages-NAME.json.
run_stages() {
    log "k6 $BENCH_K6_VERSION: the $1 stages, $4 VUs, $duration each"
    "$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/bench/load_stages.py" "$@" "$work/stages-$1.json" ||
        die "load stages" "see the message above"
}
export LOAD_K6=$BENCH_K6 LOAD_SCRIPT="$FACEMATRIX_ROOT/bench/load.js" LOAD_URL=$base LOAD_WORK=$work \
    LOAD_METRICS_URL="http://127.0.0.1:${FACEMATRIX_METRICS_PORT:-$BENCH_PORT}/metrics" LOAD_SERVICE_PID=$BENCH_PID \
    LOAD_POSTMASTER_PID_FILE="$work/db/pgdata/postmaster.pid" LOAD_DURATION=$duration
run_stages lfw "$work/people.json" "$work/queries.json" "$vus"
[ -z "$portrait_vus" ] || run_stages portrait "$work/portrait/people.json" "$work/portrait/queries.json" "$portrait_vus"

LOAD_GIVEN_SETTINGS=$given_settings "$FACEMATRIX_VENV/bin/python" - "$work/meta.json" "$command" "$date" \
    "$BENCH_BINARY" "$(date -u -r "$BENCH_BINARY" +%Y-%m-%dT%H:%M:%S+00:00)" "$people" "$vus" \
    "$duration" "$portrait_vus" "$BENCH_K6_VERSION" "$commit" "$uncommitted" <<'PY'
import json, os, re, sys
SECRET = "KEY|SECRET|PASSWORD|TOKEN"  # names of settings whose values stay out of the results
keys = ("command", "date", "binary", "binary_modified", "people", "vus", "duration", "portrait_vus",
        "k6_version", "commit", "uncommitted")
meta = dict(zip(keys, sys.argv[2:]))
given = os.environ["LOAD_GIVEN_SETTINGS"].splitlines()
meta.update(inference=os.environ.get("FACEMATRIX_INFERENCE", ""),
            environment=[line.split("=")[0] + "=(set, not recorded)" if re.search(SECRET, line.split("=")[0])
                         else line for line in given],
            portrait="640×480 JPEG (quality 90), the centre of face_recognition/examples/obama-480p.jpg; "
                     "Barack Obama enrolled from obama2.jpg")
json.dump(meta, open(sys.argv[1], "w"), indent=2)
PY
mkdir -p "$FACEMATRIX_ROOT/bench/results"
"$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/bench/load_report.py" "$work" \
    "$FACEMATRIX_ROOT/bench/results/load-$stamp"
