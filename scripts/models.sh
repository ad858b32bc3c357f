#!/usr/bin/env bash
# Converts the networks into ONNX (MTCNN, the default embedder) with manifests and a Triton repository,
# under the model cache. Skips the work when nothing changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$FACEMATRIX_VENV/bin/python" ] || die "models" "the tooling venv is missing; run scripts/setup.sh"
step "model conversion" "see the converter's message above; tools/README.md explains the inputs" \
    env PYTHONPATH="$FACEMATRIX_ROOT/tools" "$FACEMATRIX_VENV/bin/python" -m facematrix_models build \
    --out "$FACEMATRIX_MODELS" --shared "$FACEMATRIX_ROOT/../shared/models"
