#!/usr/bin/env bash
# The API contract test: schemathesis generates requests from the service's own OpenAPI document (GET
# /openapi.yaml) and checks every answer against it: no server error, only declared status codes, content types,
# headers and bodies, schema-invalid requests refused, undeclared methods answered 405 with Allow (the checks and
# why are in Tests/Contract/schemathesis.toml). Tests/Contract/hooks.py puts real face photos and real user ids
# into some of the requests so that the 200/201 answers are checked too, not only the 400s of random bytes.
# It does not start the service: the caller does. Installs what is missing first (a venv in
# $FACEMATRIX_CACHE/venv-schemathesis from Tests/Contract/requirements.txt, rebuilt only when that file changes).
#
# By hand, from the repository root:
#   make run                                              # in one terminal: the service on :8080
#   scripts/api-contract-test.sh http://127.0.0.1:8080
#   scripts/api-contract-test.sh http://127.0.0.1:8080 --include-path /api/v1/verify    # extra arguments go to
#                                                                                       # `schemathesis run`
#
# The service's base URL is argument 1 (when it starts with http:// or https://) or FACEMATRIX_URL. The run is
# deterministic (one worker, a fixed seed: FACEMATRIX_CONTRACT_SEED), bounded (FACEMATRIX_CONTRACT_EXAMPLES
# examples per operation) and talks to that URL only. It enrols a few people (the shared example photos, from
# FACEMATRIX_CONTRACT_PHOTOS), so point it at a throw-away database. Exits non-zero on any failure; the last line
# counts the test cases, e.g. "API contract: 412 passed, 0 failed".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONTRACT_DIR="$FACEMATRIX_ROOT/Tests/Contract"
CONTRACT_VENV="$FACEMATRIX_CACHE/venv-schemathesis"
REQUIREMENTS="$CONTRACT_DIR/requirements.txt"
SEED=${FACEMATRIX_CONTRACT_SEED:-20261129}
EXAMPLES=${FACEMATRIX_CONTRACT_EXAMPLES:-40}
PHOTOS=${FACEMATRIX_CONTRACT_PHOTOS:-$FACEMATRIX_ROOT/../shared/testdata/faces/face_recognition/examples}

if [ ! -f "$PHOTOS/obama.jpg" ] || [ ! -f "$PHOTOS/alex-lacamoire.png" ]; then
    die "photos" "the shared example photos are not in $PHOTOS; set FACEMATRIX_CONTRACT_PHOTOS"
fi
# Every package is pinned in the file, so nothing is resolved beyond it; pip check proves the set complete.
pinned_venv "$CONTRACT_VENV" "$REQUIREMENTS" venv-schemathesis --no-deps
step "pip check" "Tests/Contract/requirements.txt lacks a dependency named above; regenerate it with pip freeze" \
    "$CONTRACT_VENV/bin/pip" check
service_url "${1:-}"
[ "$SERVICE_URL_CONSUMED" -eq 0 ] || shift

# Schemathesis and Hypothesis keep state in the working directory; a fresh one per run keeps runs independent.
work=$(mktemp -d /tmp/facematrix-contract.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Only the service is ever contacted: no proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'
export SCHEMATHESIS_HOOKS="$CONTRACT_DIR/hooks.py" HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis"
export FACEMATRIX_CONTRACT_URL="$FACEMATRIX_URL" FACEMATRIX_CONTRACT_PHOTOS="$PHOTOS"

log "API contract test against $FACEMATRIX_URL/openapi.yaml (seed $SEED, $EXAMPLES examples per operation)"
status=0
(
    cd "$work"
    "$CONTRACT_VENV/bin/schemathesis" --config-file "$CONTRACT_DIR/schemathesis.toml" --no-color \
        run "$FACEMATRIX_URL/openapi.yaml" \
        --seed "$SEED" --max-examples "$EXAMPLES" --workers 1 --continue-on-failure \
        --request-timeout 60 --wait-for-schema 10 \
        --report json --report-json-path "$work/report.json" "$@"
) || status=$?

# One closing line with the counts, for summaries that grep for "N passed, N failed".
if [ -f "$work/report.json" ]; then
    "$CONTRACT_VENV/bin/python" - "$work/report.json" "$status" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
cases = report["test_cases"]
passed = max(cases["generated"] - cases["with_failures"], 0)
failed = cases["with_failures"] + cases["errored"]
if failed == 0 and sys.argv[2] != "0":
    failed = 1  # schemathesis failed without a failing case (the document did not load, the service went away)
print(f"API contract: {passed} passed, {failed} failed")
PY
else
    echo "API contract: 0 passed, 1 failed"
fi
exit $status
