#!/usr/bin/env bash
# `make triton`: a real NVIDIA Triton Inference Server (core 2.51.0, the 24.10 release) serving the models on this
# machine's CPU, on loopback only, for the service's Triton backend (FACEMATRIX_INFERENCE=triton). The server comes
# from the pinned nvidia-pytriton wheel in $FACEMATRIX_CACHE/venv-triton (tools/triton-requirements.txt, rebuilt only
# when that file changes). It serves the CPU repository made from the model folder's manifests
# ($FACEMATRIX_CACHE/triton/repository: the Python backend running each model.onnx with onnxruntime, the same names,
# inputs, outputs and batching as the production repository $FACEMATRIX_MODELS/triton; see tools/README.md).
#
#   triton.sh              serve in the foreground on 127.0.0.1:TRITON_HTTP_PORT (8000), gRPC on +1, metrics on +2;
#                          Ctrl-C or SIGTERM stops it (the models unload, the server exits within seconds)
#   triton.sh start DIR    start it in the background (pid, ports and log in DIR) and print its HTTP URL on stdout
#                          once it is ready; a server already running from DIR is reused. The ports are
#                          TRITON_HTTP_PORT (+1, +2) when set, otherwise three free ones (kept in DIR/port)
#   triton.sh stop DIR     stop the server started from DIR
#   triton.sh url DIR      print the HTTP URL of the server running from DIR
#
# `start DIR` serves DIR/repository, made from the models of FACEMATRIX_MODEL_DIR (default: the model cache).
#
# TRITON_CPU_INSTANCES: instances (worker processes) of each model, 1 by default. TRITON_READY_TIMEOUT: how long to
# wait for readiness, 60 s by default; a server that cannot start its Python stubs hangs rather than exits, so the
# wait is always bounded and the log is searched for the loader's error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TRITON_VENV="$FACEMATRIX_CACHE/venv-triton"
REQUIREMENTS="$FACEMATRIX_ROOT/tools/triton-requirements.txt"
TRITON_HOME="$FACEMATRIX_CACHE/triton"
REPOSITORY="$TRITON_HOME/repository"
BACKENDS="$TRITON_HOME/backends"
instances=${TRITON_CPU_INSTANCES:-1}
ready_timeout=${TRITON_READY_TIMEOUT:-60}

usage() { echo "usage: $0 [start DIR | stop DIR | url DIR]" >&2; exit 2; }

check_settings() {
    [[ $instances =~ ^[1-9][0-9]?$ ]] || die "settings" "TRITON_CPU_INSTANCES is a whole number from 1 to 99 (not '$instances')"
    [[ $ready_timeout =~ ^[1-9][0-9]*$ ]] ||
        die "settings" "TRITON_READY_TIMEOUT is a whole number of seconds from 1 (not '$ready_timeout')"
    if [ -n "${TRITON_HTTP_PORT:-}" ]; then
        if ! [[ $TRITON_HTTP_PORT =~ ^[1-9][0-9]*$ ]] || [ "$TRITON_HTTP_PORT" -gt 65533 ]; then
            die "settings" "TRITON_HTTP_PORT is a port from 1 to 65533 (gRPC and metrics take the next two)"
        fi
    fi
}

# The venv's site-packages, Python X.Y and libpython folder; the server binary.
locate_wheel() {
    read -r site python_version python_libdir < <("$TRITON_VENV/bin/python" -c \
        'import sys, sysconfig; print(sysconfig.get_path("purelib"), "%d.%d" % sys.version_info[:2], sysconfig.get_config_var("LIBDIR"))') ||
        die "venv" "$TRITON_VENV/bin/python does not run; delete $TRITON_VENV and try again"
    server="$site/pytriton/tritonserver/bin/tritonserver"
    [ -x "$server" ] || die "tritonserver" "the nvidia-pytriton wheel did not install $server"
    [ -d "$site/pytriton/tritonserver/python_backend_stubs/$python_version" ] ||
        die "Python backend stub" "nvidia-pytriton has no stub for Python $python_version (it has 3.8 to 3.13)"
}

# The Python backend: libtriton_python.so and triton_python_backend_utils.py from the wheel, and the stub built for
# the venv's Python X.Y (the wrong one cannot start, and the server then hangs). Copied again when any differs.
prepare_backend() {
    local wheel="$site/pytriton/tritonserver" files file
    files=("$wheel/backends/python/libtriton_python.so" "$wheel/backends/python/triton_python_backend_utils.py"
        "$wheel/python_backend_stubs/$python_version/triton_python_backend_stub")
    for file in "${files[@]}"; do
        cmp -s "$file" "$BACKENDS/python/${file##*/}" || {
            log "preparing the Python backend in $BACKENDS/python (stub for Python $python_version)"
            rm -rf "$BACKENDS/python"
            mkdir -p "$BACKENDS/python"
            cp "${files[@]}" "$BACKENDS/python/"
            return 0
        }
    done
}

# Everything the server needs, each step skipped when already done: the venv, the models, the CPU repository (made
# from the manifests, rewritten only when it differs), the backend folder.
prepare() {
    check_settings
    pinned_venv "$TRITON_VENV" "$REQUIREMENTS" venv-triton --no-deps
    locate_wheel
    [ -f "$FACEMATRIX_MODELS/mtcnn/manifest.json" ] || "$FACEMATRIX_ROOT/scripts/models.sh"
    # The repository tooling is standard-library only, so the server's own Python runs it.
    step "Triton repository" "see the message above; \`make models\` rebuilds the model folder" \
        env PYTHONPATH="$FACEMATRIX_ROOT/tools" "$TRITON_VENV/bin/python" -m facematrix_models triton-repo \
        --target cpu --models "$FACEMATRIX_MODELS" --dest "$REPOSITORY" --instances "$instances" >&2
    prepare_backend
}

ports_are_free() { port_is_free "$1" && port_is_free $(($1 + 1)) && port_is_free $(($1 + 2)); }

# pick_port DIR: TRITON_HTTP_PORT, else the port DIR used last time while it is still free, else three free ones.
pick_port() {
    local port
    if [ -n "${TRITON_HTTP_PORT:-}" ]; then
        printf '%s' "$TRITON_HTTP_PORT"
        return 0
    fi
    port=$(cat "$1/port" 2>/dev/null || true)
    if [ -n "$port" ] && ports_are_free "$port"; then
        printf '%s' "$port"
        return 0
    fi
    for _ in $(seq 20); do
        port=$(free_port)
        if [ "$port" -le 65533 ] && ports_are_free "$port"; then
            printf '%s' "$port"
            return 0
        fi
    done
    die "ports" "found no three consecutive free loopback ports; set TRITON_HTTP_PORT"
}

# run_server PORT: tritonserver on loopback, detached from the terminal (setsid: Ctrl-C reaches this script, which
# stops the server once). It is started as a plain command (env, setsid and the server exec in turn), so that the
# pid of the job is tritonserver's own. LD_LIBRARY_PATH: the libraries bundled in the wheel and the venv's libpython;
# the venv first on PATH: the stub finds its site-packages through the `python3` it finds there.
run_server() {
    local port=$1
    exec env LD_LIBRARY_PATH="$site/nvidia_pytriton.libs:$python_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        PATH="$TRITON_VENV/bin:$PATH" setsid "$server" --model-repository "$REPOSITORY" \
        --backend-directory "$BACKENDS" --http-address 127.0.0.1 --http-port "$port" \
        --grpc-address 127.0.0.1 --grpc-port $((port + 1)) --metrics-address 127.0.0.1 \
        --metrics-port $((port + 2)) --allow-gpu-metrics false --exit-on-error true --strict-readiness true \
        --exit-timeout-secs 5
}

# launch_detached PORT LOG PIDFILE: the server in the background, outliving this script; it must not keep the
# caller's descriptors open (a caller reading our output to its end would wait as long as the server runs).
launch_detached() {
    local port=$1 log=$2 pidfile=$3
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        run_server "$port" >"$log" 2>&1 </dev/null &
        printf '%s' "$!" >"$pidfile"
    )
}

is_server() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && [ "$(cat /proc/"$1"/comm 2>/dev/null)" = tritonserver ]; }

# stop_pid PID: SIGTERM, then wait (the models unload and the stubs clean /dev/shm); SIGKILL after 30 s.
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    warn "tritonserver $pid did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

# stop_server PID: stop_pid when PID is a tritonserver (a pid file may outlive its process, and the pid be reused).
stop_server() {
    if is_server "$1"; then stop_pid "$1"; fi
}

# remove_orphaned_shm SINCE: the Python backend's shared-memory regions created since SINCE (an $EPOCHREALTIME) that
# no process maps any more. A stub that never started leaves its region behind (a clean stop removes them).
remove_orphaned_shm() {
    local region
    while IFS= read -r region; do
        grep -qs -- "${region##*/}" /proc/[0-9]*/maps || rm -f -- "$region"
    done < <(find /dev/shm -maxdepth 1 -name 'triton_python_backend_shm_region_*' -newermt "@$1" 2>/dev/null)
}

# fail_start PID LOG STARTED WHAT: stop the half-started server, show the end of its log and stop with WHAT.
fail_start() {
    stop_pid "$1"
    remove_orphaned_shm "$3"
    tail -n 20 "$2" >&2 || true
    die "tritonserver start" "$4 (log: $2)"
}

# since START: seconds since START (an $EPOCHREALTIME), to a tenth; elapsed_over START LIMIT: whether LIMIT passed.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
elapsed_over() { awk -v a="$1" -v b="$EPOCHREALTIME" -v limit="$2" 'BEGIN { exit !(b - a >= limit) }'; }

# wait_ready PID PORT LOG: until /v2/health/ready answers 200, at most TRITON_READY_TIMEOUT seconds.
wait_ready() {
    local pid=$1 port=$2 log=$3 started=$EPOCHREALTIME
    while ! elapsed_over "$started" "$ready_timeout"; do
        if grep -q "error while loading shared libraries" "$log" 2>/dev/null; then
            fail_start "$pid" "$log" "$started" "a library is missing (the stub's or the server's), see above"
        fi
        # Alive, not is_server: for a moment after the start the pid is still env's or setsid's.
        kill -0 "$pid" 2>/dev/null || fail_start "$pid" "$log" "$started" "tritonserver exited before it was ready"
        if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/v2/health/ready"; then
            log "Triton ready on http://127.0.0.1:$port (gRPC $((port + 1)), metrics $((port + 2))) in $(since "$started") s"
            return 0
        fi
        sleep 0.2
    done
    fail_start "$pid" "$log" "$started" "not ready within $ready_timeout s (TRITON_READY_TIMEOUT)"
}

foreground() {
    local port=${TRITON_HTTP_PORT:-8000} log="$TRITON_HOME/triton.log" pid
    ports_are_free "$port" ||
        die "ports" "port $port, $((port + 1)) or $((port + 2)) is in use; set TRITON_HTTP_PORT to another"
    run_server "$port" >"$log" 2>&1 </dev/null &
    pid=$!
    trap 'stop_server "$pid"; log "Triton stopped"; exit 0' INT TERM
    wait_ready "$pid" "$port" "$log"
    local models=("$REPOSITORY"/*/)
    models=("${models[@]%/}")
    log "serving ${models[*]##*/} from $REPOSITORY; log: $log; Ctrl-C stops"
    tail -n 0 -f --pid="$pid" "$log" &
    local status=0
    wait "$pid" || status=$?
    die "tritonserver" "it exited by itself (status $status); see $log"
}

start() {
    local dir=$1 pid port
    pid=$(cat "$dir/triton.pid" 2>/dev/null || true)
    port=$(cat "$dir/port" 2>/dev/null || true)
    if is_server "$pid" && [ -n "$port" ] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/v2/health/ready"; then
        printf 'http://127.0.0.1:%s\n' "$port"
        return 0
    fi
    stop_server "$pid"
    port=$(pick_port "$dir")
    printf '%s' "$port" >"$dir/port"
    launch_detached "$port" "$dir/triton.log" "$dir/triton.pid"
    wait_ready "$(cat "$dir/triton.pid")" "$port" "$dir/triton.log"
    printf 'http://127.0.0.1:%s\n' "$port"
}

stop() {
    local dir=$1
    stop_server "$(cat "$dir/triton.pid" 2>/dev/null || true)"
    rm -f "$dir/triton.pid"
}

url() {
    local dir=$1
    is_server "$(cat "$dir/triton.pid" 2>/dev/null || true)" || die "Triton" "no server is running from $dir"
    printf 'http://127.0.0.1:%s\n' "$(cat "$dir/port")"
}

mkdir -p "$TRITON_HOME"
case "${1:-}" in
"")
    prepare
    foreground
    ;;
start | stop | url)
    [ $# -eq 2 ] || usage
    mkdir -p "$2"
    dir=$(cd "$2" && pwd)
    # A server started into DIR serves a repository of its own, made from FACEMATRIX_MODEL_DIR's models, so that
    # servers of different model folders (the tests' FaceNet one) can run side by side.
    if [ "$1" = start ]; then
        REPOSITORY="$dir/repository"
        prepare
    fi
    "$1" "$dir"
    ;;
*) usage ;;
esac
