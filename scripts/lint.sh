#!/usr/bin/env bash
# `make lint`: the formatting of the Swift code (swift format, the committed .swift-format) and the code metrics:
# the maintainability index of every source file (at least 20 on the Visual Studio scale) and the cyclomatic
# complexity of every function (at most 10), measured by multimetric and lizard in a pinned venv
# ($FACEMATRIX_CACHE/venv-lint, from tools/lint/requirements.txt). Test code is measured, not held to the limits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log "checking formatting (swift format lint)"
step "format lint" "run 'make format' to fix the formatting" \
    swift format lint --strict --recursive --parallel "$FACEMATRIX_ROOT/Package.swift" "$FACEMATRIX_ROOT/Sources" \
    "$FACEMATRIX_ROOT/Tests" "$FACEMATRIX_ROOT/bench" "$FACEMATRIX_ROOT/fuzz"

pinned_venv "$FACEMATRIX_CACHE/venv-lint" "$FACEMATRIX_ROOT/tools/lint/requirements.txt" venv-lint --no-deps
log "code metrics (maintainability index per file, cyclomatic complexity per function)"
step "code metrics" "split the file along a real seam, or the function into named steps" \
    "$FACEMATRIX_CACHE/venv-lint/bin/python" "$FACEMATRIX_ROOT/tools/lint/code_metrics.py" "$FACEMATRIX_ROOT"
