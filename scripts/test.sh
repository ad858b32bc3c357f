#!/usr/bin/env bash
# `make test`: install what is missing, prepare the models, lint, start a throw-away PostgreSQL, run every test
# (Swift unit and integration tests, the model tooling's parity tests), stop PostgreSQL, print a summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$FACEMATRIX_ROOT/scripts/setup.sh"
"$FACEMATRIX_ROOT/scripts/models.sh"
export FACEMATRIX_MODEL_DIR="$FACEMATRIX_MODELS"

# Formatting and the code metrics (maintainability per file, complexity per function): `make lint`.
"$FACEMATRIX_ROOT/scripts/lint.sh"

cluster=$(mktemp -d /tmp/facematrix-test-pg.XXXXXX)
chmod 755 "$cluster"
results=$(mktemp -d /tmp/facematrix-test-results.XXXXXX)
cleanup() {
    "$FACEMATRIX_ROOT/scripts/triton.sh" stop "$cluster/triton" || true
    "$FACEMATRIX_ROOT/scripts/triton.sh" stop "$cluster/triton-facenet" || true
    "$FACEMATRIX_ROOT/scripts/postgres.sh" stop "$cluster/db" || true
    rm -rf "$cluster"
}
trap cleanup EXIT
DATABASE_URL=$("$FACEMATRIX_ROOT/scripts/postgres.sh" start "$cluster/db")
export DATABASE_URL
# A real Triton Inference Server (the CPU repository) for the Triton backend's tests and the tooling's server tests.
log "starting Triton Inference Server"
FACEMATRIX_TRITON_URL=$("$FACEMATRIX_ROOT/scripts/triton.sh" start "$cluster/triton")
export FACEMATRIX_TRITON_URL
# The original system's embedder (FaceNet) converted by the tooling, with random weights: the real ones cannot be
# fetched here, and the test is about the path (converter, manifest, both backends, 512-D storage), not accuracy.
FACEMATRIX_FACENET_DEMO_DIR="$FACEMATRIX_CACHE/facenet-demo"
step "FaceNet demo model" "see the converter's message above" env PYTHONPATH="$FACEMATRIX_ROOT/tools" \
    "$FACEMATRIX_VENV/bin/python" -m facematrix_models facenet-demo "$FACEMATRIX_FACENET_DEMO_DIR" \
    --models "$FACEMATRIX_MODELS"
export FACEMATRIX_FACENET_DEMO_DIR
FACEMATRIX_FACENET_TRITON_URL=$(FACEMATRIX_MODEL_DIR="$FACEMATRIX_FACENET_DEMO_DIR" \
    "$FACEMATRIX_ROOT/scripts/triton.sh" start "$cluster/triton-facenet")
export FACEMATRIX_FACENET_TRITON_URL

log "building the tests"
step "swift build" "see the compiler output above" \
    swift build --build-tests --scratch-path "$FACEMATRIX_BUILD" -j "$(nproc)"

status=0
log "running the Swift tests"
swift test --skip-build --scratch-path "$FACEMATRIX_BUILD" 2>&1 | tee "$results/swift.log" || status=1
log "running the model tooling tests"
(cd "$FACEMATRIX_ROOT/tools" && "$FACEMATRIX_VENV/bin/python" -m pytest -q tests 2>&1) | tee "$results/python.log" || status=1

# A short run of each fuzz target (libFuzzer + ASan), which first replays every input that ever crashed it.
log "fuzzing smoke (scripts/fuzz.sh 45: each target 45 s)"
"$FACEMATRIX_ROOT/scripts/fuzz.sh" 45 2>&1 | tee "$results/fuzz.log" || status=1

# The try-it page in a real headless Chromium, against the service as `make run` starts it (the debug build just
# made, over the same throw-away PostgreSQL, whose own database the Swift tests leave empty).
log "running the browser test of the try-it page"
browser_port=$(free_port)
PORT=$browser_port HOST=127.0.0.1 LOG_LEVEL=warning "$FACEMATRIX_BUILD/debug/facematrix" serve &
browser_service=$!
trap 'kill $browser_service 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$browser_port/health/ready" >/dev/null && break; sleep 0.5; done
"$FACEMATRIX_ROOT/scripts/browser-test.sh" \
    "http://127.0.0.1:$browser_port" 2>&1 | tee "$results/browser.log" || status=1
# Then the API against its own OpenAPI document (schemathesis); after the browser test, whose first photo must not
# be enrolled yet.
log "running the API contract test (schemathesis)"
"$FACEMATRIX_ROOT/scripts/api-contract-test.sh" "http://127.0.0.1:$browser_port" 2>&1 |
    tee "$results/contract.log" || status=1
kill $browser_service 2>/dev/null && wait $browser_service 2>/dev/null || true

# The runners' own closing lines, repeated last so they are never lost in a long log.
echo
echo "================ FaceMatrix test summary ================"
grep -E "Test run with .* (passed|failed)|Executed [1-9][0-9]* tests?" "$results/swift.log" | tail -n 2 ||
    echo "Swift tests: the runner printed no summary (exit status ${PIPESTATUS[0]})"
grep -E "^[=]* ?[0-9]+ (passed|failed)|[0-9]+ (passed|failed|error)" "$results/python.log" | tail -n 1 ||
    echo "Model tooling tests: pytest printed no summary"
grep -E "[0-9]+ (passed|failed|error)" "$results/browser.log" | tail -n 1 | sed 's/^/Browser test: /' ||
    echo "Browser test: pytest printed no summary"
grep -E "^API contract:" "$results/contract.log" | tail -n 1 || echo "API contract: schemathesis printed no summary"
grep -E "^fuzz:" "$results/fuzz.log" || echo "fuzz: no summary"
if [ $status -eq 0 ]; then echo "RESULT: all tests passed"; else echo "RESULT: FAILED"; fi
echo "========================================================="
rm -rf "$results"
exit $status
