#!/usr/bin/env bash
# `make fuzz`: coverage-guided fuzzing (libFuzzer, with AddressSanitizer) of every target in fuzz/:
#   FuzzImagePipeline   everything a photo goes through before the first network: format sniffing, header checks,
#                       JPEG/PNG/WebP/HEIF decoding, EXIF, the working-image reduction, the summed-area table, the
#                       MTCNN pyramid down to P-Net's input (a stub backend stops there)
#   FuzzRequestParsing  request bytes to fields: multipart/form-data, JSON, Content-Type parameters, X-Request-ID
#
#   scripts/fuzz.sh [SECONDS]     each target for SECONDS (default 600, FUZZ_SECONDS); `make test` runs a smoke
# Corpora grow across runs in $FACEMATRIX_CACHE/fuzz/<target> (seeded by fuzz/make_seeds.py). Every input that ever
# crashed a target is kept in Tests/Fixtures/fuzz/<target>/ and replayed first. A new crash leaves its input in
# $FACEMATRIX_CACHE/fuzz/crashes and fails the run with the command that replays it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=${1:-${FUZZ_SECONDS:-600}}
[[ "$seconds" =~ ^[0-9]+$ ]] || die "fuzz time" "give the number of seconds to fuzz, e.g. scripts/fuzz.sh 600"
build="$FACEMATRIX_CACHE/build-fuzz"
work="$FACEMATRIX_CACHE/fuzz"
crashes="$work/crashes"
mkdir -p "$crashes"

# Instrumented separately from the ordinary builds, so they never rebuild each other. Linked with lld: gold
# stops with an internal error on some of these instrumented objects.
for target in FuzzImagePipeline FuzzRequestParsing; do
    step "$target build" "see the compiler output above" \
        swift build -c release --scratch-path "$build" -j "$(nproc)" --product "$target" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
done

seed() {
    local target=$1 corpus=$2
    case "$target" in
    FuzzImagePipeline) "$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/fuzz/make_seeds.py" \
        "$FACEMATRIX_ROOT/../shared/testdata/faces" "$corpus" ;;
    FuzzRequestParsing) "$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/fuzz/make_seeds.py" --requests "$corpus" ;;
    esac
}

failed=0
for target in FuzzImagePipeline FuzzRequestParsing; do
    corpus="$work/$target"
    fixtures="$FACEMATRIX_ROOT/Tests/Fixtures/fuzz/$target"
    mkdir -p "$corpus"
    [ -n "$(ls -A "$corpus")" ] || step "$target seeds" "the tooling venv needs Pillow (scripts/setup.sh)" seed "$target" "$corpus"
    # Inputs that once crashed the target are replayed under ASan before any fuzzing.
    [ -d "$fixtures" ] && cp "$fixtures"/* "$corpus"/
    log "fuzzing $target for ${seconds}s (corpus: $corpus)"
    output=$(mktemp)
    status=0
    # One process (two cores: the service's own tests may run beside it); inputs up to 256 KiB; an input may take
    # 20 s before it counts as a hang; memory bounded well under the machine's.
    ASAN_OPTIONS=detect_leaks=0 "$build/release/$target" "$corpus" \
        -max_total_time="$seconds" -max_len=262144 -timeout=20 -rss_limit_mb=6144 -print_final_stats=1 \
        -artifact_prefix="$crashes/$target-" >"$output" 2>&1 || status=$?
    runs=$(grep -oE "^Done [0-9]+ runs in [0-9]+ second" "$output" | tail -1 || true)
    coverage=$(grep -E "^#[0-9]+" "$output" | tail -1 | grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" || true)
    echo "fuzz: $target: ${runs:-no summary} — ${coverage:-no coverage line}; corpus $(ls "$corpus" | wc -l) inputs"
    if [ $status -ne 0 ]; then
        tail -40 "$output"
        artifact=$(grep -oE "Test unit written to [^ ]+" "$output" | tail -1 | cut -d' ' -f5 || true)
        warn "$target crashed (exit $status); input: ${artifact:-see above}; replay: $build/release/$target ${artifact:-INPUT}"
        failed=1
    fi
    rm -f "$output"
done
[ $failed -eq 0 ] || die "fuzzing" "a target crashed; see above"
