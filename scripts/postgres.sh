#!/usr/bin/env bash
# A private PostgreSQL 15 cluster with pgvector, on loopback and a free port.
#   postgres.sh start DIR   initialise DIR if new, start the server, create the database and the
#                           `vector` extension, and print the DATABASE_URL on stdout
#   postgres.sh stop DIR    stop the server (fast shutdown: open sessions are rolled back)
#   postgres.sh url DIR     print the DATABASE_URL of a running cluster
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATABASE=facematrix
ROLE=facematrix

usage() { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
command=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
pgdata="$dir/pgdata"
socket_dir="$dir/run"

is_running() { [ -f "$pgdata/postmaster.pid" ] && as_pg_owner "$PG_BIN/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

database_url() {
    printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$(cat "$dir/password")" "$(cat "$dir/port")" "$DATABASE"
}

initialise() {
    [ -f "$pgdata/PG_VERSION" ] && return 0
    log "initialising a private PostgreSQL cluster in $dir"
    mkdir -p "$dir"
    [ -f "$dir/password" ] || (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(16))' >"$dir/password")
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$dir"
        runuser -u postgres -- test -w "$dir" ||
            die "PostgreSQL data directory" "the postgres user cannot write $dir (a parent directory is not searchable); set FACEMATRIX_DATA_DIR to a directory it can reach, e.g. /var/lib/facematrix"
    fi
    step "initdb" "see the messages above; is postgresql-15 installed in $PG_BIN?" \
        as_pg_owner "$PG_BIN/initdb" -D "$pgdata" -U "$ROLE" --pwfile="$dir/password" --auth=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
}

start() {
    initialise
    if ! is_running; then
        # Keep the cluster's port across restarts, so that a running service's DATABASE_URL stays valid.
        local port
        port=$(cat "$dir/port" 2>/dev/null || true)
        if [ -z "$port" ] || ! port_is_free "$port"; then
            port=$(free_port)
        fi
        printf '%s' "$port" >"$dir/port"
        mkdir -p "$socket_dir"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/port" "$socket_dir"
        # maintenance_work_mem: pgvector builds an HNSW index far faster while its graph fits in it (1.3 GiB for
        # 1,000,000 faces of 256 dimensions); the server's default, 64MB, holds about 50,000.
        # The server outlives this script, so it must not keep the caller's descriptors open: a caller that
        # waits for the end of our output (or, like Foundation's Process, for a descriptor to close) would wait
        # for as long as PostgreSQL runs.
        (
            for fd in /proc/"$BASHPID"/fd/*; do
                fd=${fd##*/}
                [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
            done
            step "PostgreSQL start" "read $dir/postgres.log" \
                as_pg_owner "$PG_BIN/pg_ctl" -D "$pgdata" -l "$dir/postgres.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $port -k $socket_dir -c max_connections=100 -c maintenance_work_mem=1GB" start >/dev/null
        )
    fi
    export PGPASSWORD
    PGPASSWORD=$(cat "$dir/password")
    local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$dir/port")" -U "$ROLE")
    if [ "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
        step "create database" "read $dir/postgres.log" "${psql[@]}" -d postgres -c "CREATE DATABASE $DATABASE"
    fi
    step "create extension vector" "is pgvector installed? run scripts/setup.sh" \
        "${psql[@]}" -d "$DATABASE" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS vector"
    database_url
}

stop() {
    is_running || return 0
    as_pg_owner "$PG_BIN/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
}

case "$command" in
start) start ;;
stop) stop ;;
url) is_running || die "PostgreSQL" "no cluster is running in $dir"; database_url ;;
*) usage ;;
esac
