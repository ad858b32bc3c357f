#!/usr/bin/env bash
# `make run`: install what is missing, prepare the models, start a private PostgreSQL unless DATABASE_URL is
# given, build the release binary and serve in the foreground. Ctrl-C stops the service and the database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$FACEMATRIX_ROOT/scripts/setup.sh"
"$FACEMATRIX_ROOT/scripts/models.sh"

data_dir="${FACEMATRIX_DATA_DIR:-$FACEMATRIX_ROOT/.data}"
mkdir -p "$data_dir"
data_dir="$(cd "$data_dir" && pwd)"
export FACEMATRIX_DATA_DIR="$data_dir" FACEMATRIX_MODEL_DIR="$FACEMATRIX_MODELS"

if [ -z "${DATABASE_URL:-}" ]; then
    cluster="$data_dir/postgres"
    # PostgreSQL runs as the `postgres` user when we are root; it must be able to reach the cluster directory.
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$data_dir"; then
        cluster="/var/lib/facematrix/$(printf '%s' "$data_dir" | sha256sum | cut -c1-12)/postgres"
        warn "the postgres user cannot reach $data_dir; keeping the database cluster in $cluster"
        mkdir -p "$(dirname "$cluster")"
        chmod 755 /var/lib/facematrix "$(dirname "$cluster")"
    fi
    DATABASE_URL=$("$FACEMATRIX_ROOT/scripts/postgres.sh" start "$cluster")
    export DATABASE_URL
    trap '"$FACEMATRIX_ROOT/scripts/postgres.sh" stop "$cluster"; log "PostgreSQL stopped"' EXIT
    log "private PostgreSQL running (cluster: $cluster, log: $cluster/postgres.log)"
    log "for facematrix enrol-folder and keys: DATABASE_URL=\$(scripts/postgres.sh url $cluster)"
fi

log "building the release binary (the first build takes several minutes)"
step "swift build" "see the compiler output above" \
    swift build -c release --scratch-path "$FACEMATRIX_BUILD" -j "$(nproc)" --product facematrix
if [ -z "${FACEMATRIX_API_KEYS:-}" ]; then
    log "API keys: unless one was made with 'facematrix keys create', anyone who can reach this port can use the API;"
    log "  to require keys: FACEMATRIX_API_KEYS=admin:A-LONG-SECRET make run, or 'facematrix keys create --role admin' (README: Access control)"
fi
log "serving on ${HOST:-0.0.0.0}:${PORT:-8080}; Ctrl-C stops"
"$FACEMATRIX_BUILD/release/facematrix" serve
