#!/usr/bin/env bash
# `make fuzz`: coverage-guided fuzzing (libFuzzer, with AddressSanitizer) of everything a photo goes through before
# the first network (fuzz/FuzzImagePipeline): format sniffing, header checks, JPEG/PNG/WebP/HEIF decoding, EXIF,
# the working-image reduction, the summed-area table, the MTCNN pyramid.
#   scripts/fuzz.sh [SECONDS]     default 600 (FUZZ_SECONDS); `make test` runs a 60-second smoke
# The corpus grows across runs in $FACEMATRIX_CACHE/fuzz/image-pipeline (seeded from ../shared and fuzz/make_seeds.py);
# a crash leaves its input in $FACEMATRIX_CACHE/fuzz/crashes and fails the run with the command that replays it.
# Every crash found becomes a regression test (Tests/…); see the README's Tests section.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=${1:-${FUZZ_SECONDS:-600}}
[[ "$seconds" =~ ^[0-9]+$ ]] || die "fuzz time" "give the number of seconds to fuzz, e.g. scripts/fuzz.sh 600"
build="$FACEMATRIX_CACHE/build-fuzz"
work="$FACEMATRIX_CACHE/fuzz"
corpus="$work/image-pipeline"
crashes="$work/crashes"
mkdir -p "$corpus" "$crashes"

# Instrumented separately from the ordinary builds, so they never rebuild each other.
step "fuzz target build" "see the compiler output above" \
    swift build -c release --scratch-path "$build" -j "$(nproc)" --product FuzzImagePipeline \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
# Every input that once crashed stays in the corpus, so each run (the CI smoke too) replays it under ASan first.
cp "$FACEMATRIX_ROOT"/Tests/Fixtures/fuzz/* "$corpus"/ 2>/dev/null || true
if [ "$(ls "$corpus" | wc -l)" -le "$(ls "$FACEMATRIX_ROOT"/Tests/Fixtures/fuzz | wc -l)" ]; then
    step "fuzz seeds" "the tooling venv needs Pillow (scripts/setup.sh)" \
        "$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/fuzz/make_seeds.py" "$FACEMATRIX_ROOT/../shared/testdata/faces" "$corpus"
fi

log "fuzzing the image pipeline for ${seconds}s (corpus: $corpus)"
output=$(mktemp)
trap 'rm -f "$output"' EXIT
status=0
# One process (two cores: the service's own tests may run beside it); inputs up to 256 KiB; a single input may
# take 20 s before it counts as a hang; memory bounded well under the machine's.
ASAN_OPTIONS=detect_leaks=0 "$build/release/FuzzImagePipeline" "$corpus" \
    -max_total_time="$seconds" -max_len=262144 -timeout=20 -rss_limit_mb=6144 -print_final_stats=1 \
    -artifact_prefix="$crashes/" >"$output" 2>&1 || status=$?
runs=$(grep -oE "^Done [0-9]+ runs in [0-9]+ second" "$output" | tail -1 || true)
coverage=$(grep -E "^#[0-9]+" "$output" | tail -1 | grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" || true)
echo "fuzz: ${runs:-no summary} — ${coverage:-no coverage line}; corpus $(ls "$corpus" | wc -l) inputs"
if [ $status -ne 0 ]; then
    tail -40 "$output"
    artifact=$(grep -oE "Test unit written to [^ ]+" "$output" | tail -1 | cut -d' ' -f5 || true)
    die "fuzzing" "a crash (exit $status); input: ${artifact:-see above}; replay: $build/release/FuzzImagePipeline ${artifact:-INPUT}"
fi
