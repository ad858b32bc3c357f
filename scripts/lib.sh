# Shared helpers for FaceMatrix's set-up scripts. Sourced, never executed.
# shellcheck shell=bash

FACEMATRIX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FACEMATRIX_CACHE="${FACEMATRIX_CACHE:-$HOME/.cache/facematrix}"
FACEMATRIX_VENV="$FACEMATRIX_CACHE/venv"
FACEMATRIX_MODELS="${FACEMATRIX_MODEL_DIR:-$FACEMATRIX_CACHE/models}"
FACEMATRIX_BUILD="$FACEMATRIX_CACHE/build"
FACEMATRIX_STAMPS="$FACEMATRIX_CACHE/stamps"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
export FACEMATRIX_ROOT FACEMATRIX_CACHE FACEMATRIX_VENV FACEMATRIX_MODELS FACEMATRIX_BUILD PG_BIN

# The Swift toolchain lives outside PATH on some machines.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

log() { printf '\033[1;34m[facematrix]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[facematrix]\033[0m %s\n' "$*" >&2; }

# die STEP HINT: stop with a message that names the failing step and what to check.
die() {
    printf '\033[1;31m[facematrix] step "%s" failed.\033[0m %s\n' "$1" "$2" >&2
    exit 1
}

# step NAME HINT COMMAND...: run a command as a named step; on failure name the step and the hint.
step() {
    local name="$1" hint="$2"
    shift 2
    "$@" || die "$name" "$hint"
}

stamp_path() { printf '%s/%s' "$FACEMATRIX_STAMPS" "$1"; }

# stamp_matches NAME VALUE: true when the step NAME was completed with exactly VALUE.
stamp_matches() { [ -f "$(stamp_path "$1")" ] && [ "$(cat "$(stamp_path "$1")")" = "$2" ]; }

stamp_write() {
    mkdir -p "$FACEMATRIX_STAMPS"
    printf '%s' "$2" >"$(stamp_path "$1")"
}

# free_port: ask the kernel for an unused loopback port.
free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

# port_is_free PORT: true when nothing listens on the loopback port.
port_is_free() {
    python3 - "$1" <<'PY'
import socket, sys
with socket.socket() as s:
    # As PostgreSQL does: a port whose old connections linger in TIME_WAIT is still usable.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
PY
}

# as_pg_owner CMD...: PostgreSQL refuses to run as root, so root hands cluster work to the `postgres` user.
as_pg_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# start_bench_service WORK: the release build serving on a free loopback port over a throw-away PostgreSQL in
# WORK/db, ready to answer; sets BENCH_PORT, BENCH_PID and BENCH_BINARY. stop_bench_service WORK undoes it (call it
# from the caller's EXIT trap). With FACEMATRIX_BENCH_BINARY set, that facematrix binary is served as it is and
# nothing is built (e.g. a release build kept from earlier, while the sources are being changed).
start_bench_service() {
    local work=$1
    if [ -n "${FACEMATRIX_BENCH_BINARY:-}" ]; then
        [ -x "$FACEMATRIX_BENCH_BINARY" ] ||
            die "bench binary" "FACEMATRIX_BENCH_BINARY=$FACEMATRIX_BENCH_BINARY is not an executable file"
        BENCH_BINARY=$FACEMATRIX_BENCH_BINARY
    else
        step "release build" "see the compiler output above" \
            swift build -c release --scratch-path "$FACEMATRIX_BUILD" -j "$(nproc)" --product facematrix
        BENCH_BINARY="$FACEMATRIX_BUILD/release/facematrix"
    fi
    BENCH_PORT=$(free_port)
    DATABASE_URL=$("$FACEMATRIX_ROOT/scripts/postgres.sh" start "$work/db")
    export DATABASE_URL PORT=$BENCH_PORT HOST=127.0.0.1 FACEMATRIX_MODEL_DIR="$FACEMATRIX_MODELS" LOG_LEVEL=warning
    "$BENCH_BINARY" serve &
    BENCH_PID=$!
    for _ in $(seq 120); do curl -sf "http://127.0.0.1:$BENCH_PORT/health/ready" >/dev/null && return 0; sleep 0.5; done
    warn "the service did not become ready on port $BENCH_PORT"
    return 1
}

stop_bench_service() {
    [ -n "${BENCH_PID:-}" ] && kill "$BENCH_PID" 2>/dev/null && wait "$BENCH_PID" 2>/dev/null
    "$FACEMATRIX_ROOT/scripts/postgres.sh" stop "$1/db" || true
}


# install_debian_packages PKG...: apt-get install what is not installed yet (as root, or through sudo).
install_debian_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    step "apt-get update" "check network access to the Debian mirror in /etc/apt/sources.list*" \
        $SUDO apt-get update -q
    step "apt-get install" "see apt's message above; is another apt/dpkg process holding the lock?" \
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# pinned_venv DIR REQUIREMENTS STAMP [PIP-OPTION...]: a venv in DIR with exactly the pinned REQUIREMENTS, built
# again only when that file changes (the stamp STAMP holds its hash).
pinned_venv() {
    local venv=$1 requirements=$2 stamp=$3 fingerprint
    shift 3
    fingerprint=$(sha256sum "$requirements" | cut -c1-16)
    if [ -x "$venv/bin/python" ] && stamp_matches "$stamp" "$fingerprint"; then
        return 0
    fi
    log "creating the venv $venv from ${requirements#"$FACEMATRIX_ROOT"/}"
    step "python venv" "is python3-venv installed?" python3 -m venv --clear "$venv"
    step "pip install" "see pip's message above; the versions are pinned in ${requirements#"$FACEMATRIX_ROOT"/}" \
        "$venv/bin/pip" install -q --disable-pip-version-check "$@" -r "$requirements"
    stamp_write "$stamp" "$fingerprint"
}

# service_url ARG: the running service's base URL from ARG (when it is one) or FACEMATRIX_URL, without a trailing
# slash; sets SERVICE_URL_CONSUMED=1 when ARG was it (the caller then shifts it off).
service_url() {
    SERVICE_URL_CONSUMED=0
    if [[ "${1:-}" == http://* || "${1:-}" == https://* ]]; then
        FACEMATRIX_URL=$1
        SERVICE_URL_CONSUMED=1
    fi
    [ -n "${FACEMATRIX_URL:-}" ] ||
        die "service URL" "pass the running service's base URL as argument 1 or in FACEMATRIX_URL, e.g. http://127.0.0.1:8080"
    FACEMATRIX_URL=${FACEMATRIX_URL%/}
    curl -sf -o /dev/null --max-time 10 "$FACEMATRIX_URL/health/ready" ||
        die "service" "nothing ready at $FACEMATRIX_URL/health/ready; start it first (make run) and pass its URL"
}
