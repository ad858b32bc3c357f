#!/usr/bin/env bash
# `make bench-gallery`: how the cost of the service's gallery search grows with the number of stored faces, and which
# HNSW settings keep it under 10 ms at p99 with recall@1 of at least 0.99. A throw-away PostgreSQL with pgvector
# (scripts/postgres.sh) gets the service's schema and partial HNSW index (bench/gallery/schema.py repeats
# Migrations.swift and PostgresFaceRepository.prepare); synthetic embeddings shaped like the service's gallery (users
# with 1-3 faces) are loaded by binary COPY at each size; the service's identification query is timed one probe at a
# time through psql for every index build and session setting, and its best user compared with a numpy brute force.
# Writes bench/results/gallery-scaling-<date>.{json,md} (after every size, so a long run leaves what it measured).
#
#   make bench-gallery                                        # 10k, 100k and 1M faces
#   GALLERY_SIZES="10000 100000" make bench-gallery           # a quicker look
#   GALLERY_LARGEST_BUILDS="16:64 16:128" make bench-gallery  # fewer index builds at the largest size
#
# GALLERY_DATA: "lfw-like" (the default) draws the vectors from a Gaussian with the default model's mean and
# between- and within-person covariances, measured on its embeddings of the shared LFW photos (the cache that
# `make calibrate` leaves in $FACEMATRIX_CACHE/evaluations; or GALLERY_EMBEDDINGS=FILE); "random" draws isotropic
# unit vectors, the hardest case for a graph index; "lfw-like random" measures both (bench/gallery/shapes.py).
# Other settings: GALLERY_SIZES; GALLERY_BUILDS, HNSW builds as m:ef_construction ("16:64 16:128 32:128"; 16:64 is
# pgvector's default, 16:128 the service's); GALLERY_LARGEST_BUILDS (the builds at the largest size, default
# GALLERY_BUILDS; on 2 cores a 1M build took 12 min at 16:64, 13 at 16:128, 37 at 32:128); GALLERY_EF_SEARCH
# ("40 64 100 200 400"; 40 is pgvector's default, 200 the service's);
# GALLERY_ITERATIVE (pgvector's hnsw.iterative_scan modes, tried at the first ef_search:
# "off relaxed_order strict_order"); GALLERY_SHARED_BUFFERS, the server's shared_buffers for the searches ("default":
# the cluster's own 128MB, as `make run` has it; e.g. "default 4GB" measures both, restarting the server, the index
# and the table read in with pg_prewarm each time); GALLERY_PROBES (1000 genuine) and GALLERY_IMPOSTORS (200) per size;
# GALLERY_MAINTENANCE_WORK_MEM (4GB, so that a 1M build keeps its graph in memory) and GALLERY_MAINTENANCE_WORKERS
# (1). PostgreSQL and the benchmark run under `nice -n 19`; the work folder (about 1 GiB of vectors and 3-4 GiB of
# database at 1M faces) is in /tmp, or GALLERY_WORK_PARENT, and is removed at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

datasets=${GALLERY_DATA:-lfw-like}
sizes=${GALLERY_SIZES:-10000 100000 1000000}
builds=${GALLERY_BUILDS:-16:64 16:128 32:128}
largest_builds=${GALLERY_LARGEST_BUILDS:-$builds}
ef_search=${GALLERY_EF_SEARCH:-40 64 100 200 400}
iterative=${GALLERY_ITERATIVE:-off relaxed_order strict_order}
probes=${GALLERY_PROBES:-1000}
impostors=${GALLERY_IMPOSTORS:-200}
buffers=${GALLERY_SHARED_BUFFERS:-default}
memory=${GALLERY_MAINTENANCE_WORK_MEM:-4GB}
workers=${GALLERY_MAINTENANCE_WORKERS:-1}

whole_numbers() { [[ $1 =~ ^[1-9][0-9]*( [1-9][0-9]*)*$ ]]; }
whole_numbers "$sizes" || die "settings" "GALLERY_SIZES is whole numbers from 1, space-separated (not '$sizes')"
whole_numbers "$ef_search" || die "settings" "GALLERY_EF_SEARCH is whole numbers from 1 (not '$ef_search')"
whole_numbers "$probes" || die "settings" "GALLERY_PROBES is a whole number from 1 (not '$probes')"
[[ $impostors =~ ^[0-9]+$ ]] || die "settings" "GALLERY_IMPOSTORS is a whole number (not '$impostors')"
for list in "$builds" "$largest_builds"; do
    [[ $list =~ ^[0-9]+:[0-9]+( [0-9]+:[0-9]+)*$ ]] ||
        die "settings" "GALLERY_BUILDS and GALLERY_LARGEST_BUILDS are m:ef_construction pairs, e.g. '16:64 32:128' (not '$list')"
done
[[ $iterative =~ ^(off|relaxed_order|strict_order)( (off|relaxed_order|strict_order))*$ ]] ||
    die "settings" "GALLERY_ITERATIVE is off, relaxed_order or strict_order, space-separated (not '$iterative')"
[[ $buffers =~ ^(default|[1-9][0-9]*(kB|MB|GB))( (default|[1-9][0-9]*(kB|MB|GB)))*$ ]] ||
    die "settings" "GALLERY_SHARED_BUFFERS is default or a size such as 4GB, space-separated (not '$buffers')"
[[ $memory =~ ^[1-9][0-9]*(kB|MB|GB)$ ]] || die "settings" "GALLERY_MAINTENANCE_WORK_MEM is e.g. 4GB (not '$memory')"
[[ $workers =~ ^[0-9]+$ ]] || die "settings" "GALLERY_MAINTENANCE_WORKERS is a whole number (not '$workers')"
[[ $datasets =~ ^(lfw-like|random)( (lfw-like|random))*$ ]] ||
    die "settings" "GALLERY_DATA is lfw-like, random or both, space-separated (not '$datasets')"
embeddings=${GALLERY_EMBEDDINGS:-}
if [ -z "$embeddings" ]; then
    # The newest embedding cache of the default model that `facematrix evaluate` (make calibrate) left.
    embeddings=$(find "$FACEMATRIX_CACHE/evaluations" -maxdepth 1 -name 'face-reidentification-retail-0095-*.json' \
        -printf '%T@ %p\n' 2>/dev/null | sort -nr | head -n 1 | cut -d' ' -f2- || true)
fi
if [[ " $datasets " == *" lfw-like "* ]] && [ ! -f "$embeddings" ]; then
    hint="GALLERY_DATA=lfw-like needs the default model's embeddings of LFW: run 'make calibrate' (it leaves them in"
    die "LFW embeddings" "$hint $FACEMATRIX_CACHE/evaluations), set GALLERY_EMBEDDINGS=FILE, or use GALLERY_DATA=random"
fi
[ -x "$FACEMATRIX_VENV/bin/python" ] || die "tooling venv" "the tooling venv is missing; run scripts/setup.sh"

# As the command was given, with the settings that were not left at their defaults.
command="make bench-gallery"
for variable in GALLERY_EMBEDDINGS GALLERY_WORK_PARENT GALLERY_MAINTENANCE_WORKERS GALLERY_MAINTENANCE_WORK_MEM \
    GALLERY_IMPOSTORS GALLERY_PROBES GALLERY_SHARED_BUFFERS GALLERY_ITERATIVE GALLERY_EF_SEARCH \
    GALLERY_LARGEST_BUILDS GALLERY_BUILDS GALLERY_SIZES GALLERY_DATA; do
    [ -z "${!variable:-}" ] || command="$variable=\"${!variable}\" $command"
done
stamp=$(date -u +%Y%m%dT%H%M)
date=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
out="$FACEMATRIX_ROOT/bench/results/gallery-scaling-$stamp"

work=$(mktemp -d "${GALLERY_WORK_PARENT:-/tmp}/facematrix-gallery.XXXXXX")
chmod 755 "$work"
trap '"$FACEMATRIX_ROOT/scripts/postgres.sh" stop "$work/db" || true; rm -rf "$work"' EXIT
DATABASE_URL=$(nice -n 19 "$FACEMATRIX_ROOT/scripts/postgres.sh" start "$work/db")

log "data $datasets; gallery sizes $sizes; HNSW builds $builds (largest size: $largest_builds); ef_search $ef_search"
mkdir -p "$FACEMATRIX_ROOT/bench/results"
# shellcheck disable=SC2206 # the lists are split into arguments on purpose (validated above: no glob characters)
arguments=(--url "$DATABASE_URL" --work "$work" --db-dir "$work/db" --root "$FACEMATRIX_ROOT" --out "$out"
    --command "$command" --date "$date" --models "$FACEMATRIX_MODELS" --pg-bin "$PG_BIN"
    --data $datasets ${embeddings:+--embeddings "$embeddings"} --sizes $sizes --builds $builds
    --largest-builds $largest_builds --ef-search $ef_search --iterative $iterative --shared-buffers $buffers
    --probes "$probes" --impostors "$impostors" --maintenance-work-mem "$memory" --maintenance-workers "$workers")
nice -n 19 "$FACEMATRIX_VENV/bin/python" "$FACEMATRIX_ROOT/bench/gallery/scaling.py" "${arguments[@]}"
cat "$out.md"
log "results: ${out#"$FACEMATRIX_ROOT"/}.json, .md"
