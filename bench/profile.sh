#!/usr/bin/env bash
# `make bench-profile`: where the service's CPU goes under load. The release build serves on a private PostgreSQL
# (start_bench_service); PROFILE_PEOPLE LFW people are enrolled (bench/enrol_lfw.py); k6 (bench/load.js) then keeps
# PROFILE_VUS virtual users posting their photos to recognise_user while `perf record` samples the service's CPU
# (cpu-clock at 499 Hz, its own threads only) for PROFILE_SECONDS after 5 s of warm-up. bench/profile_report.py
# sorts the samples into the inference runtime, the pipeline's own code, image decoding, HTTP + JSON, PostgreSQL,
# the Swift runtime + libc, and the kernel, and writes bench/results/profile-<date>.{json,md}.
#
#   make bench-profile                                   # 100 people, 8 VUs, 30 s
#   PROFILE_VUS=1 PROFILE_SECONDS=20 make bench-profile  # one caller
#
# The environment reaches the service as it is (FACEMATRIX_INFERENCE and any other FACEMATRIX_* setting). The
# split is of the service's own samples, so other work on the machine changes its rate, not its shares.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

people=${PROFILE_PEOPLE:-100}
vus=${PROFILE_VUS:-8}
seconds=${PROFILE_SECONDS:-30}
whole_number PROFILE_PEOPLE "$people"
whole_number PROFILE_VUS "$vus"
whole_number PROFILE_SECONDS "$seconds"
command -v perf >/dev/null || die "perf" "perf is not installed (Debian: apt-get install linux-perf)"
folder=$(lfw_folder)
bench_k6
command=$(bench_command "make bench-profile" PROFILE_PEOPLE PROFILE_VUS PROFILE_SECONDS FACEMATRIX_INFERENCE \
    FACEMATRIX_BENCH_BINARY)
stamp=$(date -u +%Y%m%dT%H%M)

work=$(mktemp -d /tmp/facematrix-profile.XXXXXX)
chmod 755 "$work"
trap 'stop_bench_service "$work" || true; rm -rf "$work"' EXIT
start_bench_service "$work"
base="http://127.0.0.1:$BENCH_PORT"
curl -sf "$base/health/ready" >"$work/ready.json"
enrol_lfw_people "$base" "$folder" "$people" "$work" PROFILE_PEOPLE

log "k6: $vus VUs; perf samples the service for $seconds s after 5 s of warm-up"
"$BENCH_K6" run --no-usage-report --quiet -e LOAD_URL="$base" -e LOAD_VUS="$vus" \
    -e LOAD_DURATION="$((seconds + 10))s" -e LOAD_PEOPLE_FILE="$work/people.json" \
    -e LOAD_QUERIES_FILE="$work/queries.json" -e LOAD_SUMMARY="$work/k6.json" \
    "$FACEMATRIX_ROOT/bench/load.js" >"$work/k6.log" 2>&1 &
k6_pid=$!
sleep 5
perf record -e cpu-clock -F 499 -o "$work/perf.data" -p "$BENCH_PID" -- sleep "$seconds" 2>"$work/perf.log" ||
    die "perf" "perf record failed: $(tail -n 3 "$work/perf.log")"
wait "$k6_pid" || die "k6" "k6 failed: $(tail -n 5 "$work/k6.log")"
perf report -i "$work/perf.data" --stdio --no-children --sort dso,sym -F overhead,dso,sym --no-demangle \
    >"$work/report.txt" 2>/dev/null || die "perf" "perf report failed"

mkdir -p "$FACEMATRIX_ROOT/bench/results"
"$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/bench/profile_report.py" "$work/report.txt" "$work/k6.json" \
    "$work/ready.json" "$FACEMATRIX_ROOT/bench/results/profile-$stamp" --command "$command" --vus "$vus" \
    --seconds "$seconds" --people "$people"
