#!/usr/bin/env bash
# `make bench-http`: latency of POST /api/v1/recognise_user on a 640×480 portrait, as callers see it, over CALLS
# (100) calls with each of HTTP_CLIENTS (1 4 8) concurrent clients, against the release build on a private
# PostgreSQL with one enrolled user (so every call searches and matches), for each runtime of HTTP_BACKENDS
# (openvino onnxruntime triton). Triton is a real tritonserver started by scripts/triton.sh (the CPU repository,
# TRITON_CPU_INSTANCES instances per model); its own statistics (/v2/models/stats: executions against inferences,
# i.e. how much its dynamic batcher merged) are read before and after each client count.
# Writes bench/results/http-<date>.{json,md}: req/s, p50/p95 per backend and client count, and the ratio of each
# backend's req/s to the first backend's, measured in the same run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

calls=${CALLS:-100}
clients=${HTTP_CLIENTS:-1 4 8}
backends=${HTTP_BACKENDS:-openvino onnxruntime triton}
whole_number CALLS "$calls"
for c in $clients; do whole_number HTTP_CLIENTS "$c"; done
for b in $backends; do
    [[ $b =~ ^(openvino|onnxruntime|triton)$ ]] || die "settings" "HTTP_BACKENDS lists openvino, onnxruntime, triton (not '$b')"
done
work=$(mktemp -d /tmp/facematrix-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
    stop_bench_service "$work/service" || true
    "$FACEMATRIX_ROOT/scripts/triton.sh" stop "$work/triton" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
bench_portrait "$work/portrait.jpg"

# measure BACKEND CONCURRENCY: one line per call, "seconds pipeline_ms message", and the run's start and end.
measure() {
    local backend=$1 concurrency=$2 out="$work/$1/calls-$2" url="http://127.0.0.1:$BENCH_PORT/api/v1/recognise_user"
    mkdir -p "$out"
    for _ in $(seq 5); do curl -s -o /dev/null -F image=@"$work/portrait.jpg" "$url"; done # warm-up
    triton_statistics "$work/$backend/triton-before-$concurrency.json"
    local started ended
    started=$(date +%s.%N)
    # Each call writes its own files, so parallel calls cannot interleave their output.
    seq "$calls" | xargs -P "$concurrency" -I{} sh -c \
        "curl -s -o $out/{}.json -w '%{time_total}' -F image=@$work/portrait.jpg $url >$out/{}.time"
    ended=$(date +%s.%N)
    triton_statistics "$work/$backend/triton-after-$concurrency.json"
    echo "$started $ended" >"$out/window"
}

# triton_statistics OUT: Triton's per-model statistics, when the backend is Triton.
triton_statistics() {
    [ -n "${FACEMATRIX_TRITON_URL:-}" ] || return 0
    curl -sf "$FACEMATRIX_TRITON_URL/v2/models/stats" >"$1"
}

# enrol: the portrait's person from another photo, so that the benchmark measures the matching path.
enrol() {
    local url="http://127.0.0.1:$BENCH_PORT/api/v1" key
    key=$(curl -sf -F image=@"$FACEMATRIX_ROOT/../shared/testdata/faces/face_recognition/examples/obama2.jpg" \
        "$url/recognise_user" | "$FACEMATRIX_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["req_id"])')
    curl -sf -H 'content-type: application/json' -d "{\"name\":\"Bench\",\"birthdate\":\"1961-08-04\",\"req_id\":\"$key\"}" \
        "$url/add_user" >/dev/null
}

for backend in $backends; do
    log "bench-http: $backend"
    mkdir -p "$work/$backend" "$work/service"
    unset FACEMATRIX_TRITON_URL
    if [ "$backend" = triton ]; then
        FACEMATRIX_TRITON_URL=$("$FACEMATRIX_ROOT/scripts/triton.sh" start "$work/triton")
        export FACEMATRIX_TRITON_URL
    fi
    FACEMATRIX_INFERENCE=$backend start_bench_service "$work/service"
    curl -sf "http://127.0.0.1:$BENCH_PORT/health/ready" >"$work/$backend/ready.json"
    enrol
    for c in $clients; do measure "$backend" "$c"; done
    stop_bench_service "$work/service"
    rm -rf "$work/service"
    [ "$backend" != triton ] || "$FACEMATRIX_ROOT/scripts/triton.sh" stop "$work/triton" >/dev/null
done

mkdir -p "$FACEMATRIX_ROOT/bench/results"
"$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/bench/http_report.py" "$work" "$FACEMATRIX_ROOT/bench/results" \
    --calls "$calls" --clients $clients --backends $backends \
    --command "$(bench_command "make bench-http" CALLS HTTP_CLIENTS HTTP_BACKENDS TRITON_CPU_INSTANCES)"
