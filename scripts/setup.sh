#!/usr/bin/env bash
# Installs everything FaceMatrix needs on Debian 12 and skips what is already there:
# Debian packages, pgvector (built from Debian 13's source package), ONNX Runtime's C library,
# and the Python venv for the offline model tooling. Safe to run again; a second run takes seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGVECTOR_VERSION=0.8.0
ORT_VERSION=1.32.0
ORT_HEADERS_PACKAGE=libonnxruntime-dev
ORT_PREFIX=/usr/local
APT_PACKAGES=(
    build-essential pkg-config ca-certificates curl python3 python3-venv python3-dev
    postgresql-15 postgresql-server-dev-15
    libturbojpeg0-dev libjpeg62-turbo-dev libspng-dev libexif-dev libwebp-dev libheif-dev
)
DOWNLOADS="$FACEMATRIX_CACHE/downloads"

check_toolchain() {
    command -v swift >/dev/null 2>&1 ||
        die "toolchain" "Swift 6 was not found on PATH or in /opt/swift; install the Swift 6.x toolchain for Debian 12."
    command -v python3 >/dev/null 2>&1 || APT_PACKAGES+=(python3)
}

install_apt_packages() {
    install_debian_packages "${APT_PACKAGES[@]}"
}

# The Debian mirror this machine already uses; read from its apt sources so no host is hard-coded.
debian_mirror() {
    local uri
    uri=$(awk '/^URIs:/ {uri=$2} /^Suites:/ && / bookworm( |$)/ {print uri; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || die "Debian mirror" "no 'bookworm' entry found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
    printf '%s' "$uri"
}

# Debian 13 has what Debian 12 lacks (pgvector's source, ONNX Runtime's C headers). A private apt state
# fetches just those two files, so the machine's own apt configuration never sees Debian 13.
fetch_from_trixie() {
    local pgvector_tarball="$DOWNLOADS/pgvector_${PGVECTOR_VERSION}.orig.tar.gz"
    if [ -f "$pgvector_tarball" ] && compgen -G "$DOWNLOADS/${ORT_HEADERS_PACKAGE}_*.deb" >/dev/null; then
        return 0
    fi
    log "fetching pgvector ${PGVECTOR_VERSION} source and ONNX Runtime headers from Debian 13"
    local state="$FACEMATRIX_CACHE/apt-trixie" mirror
    mirror=$(debian_mirror)
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$DOWNLOADS"
    printf 'deb %s trixie main\ndeb-src %s trixie main\n' "$mirror" "$mirror" >"$state/sources.list"
    local options=(
        -o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
        -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null"
        -o "APT::Sandbox::User=$(id -un)" -q
    )
    step "Debian 13 package index" "check network access to $mirror" apt-get "${options[@]}" update
    (
        cd "$DOWNLOADS"
        step "pgvector source download" "does Debian 13 still carry pgvector ${PGVECTOR_VERSION}?" \
            apt-get "${options[@]}" source --download-only "pgvector=${PGVECTOR_VERSION}-1"
        step "ONNX Runtime headers download" "does Debian 13 still carry ${ORT_HEADERS_PACKAGE}?" \
            apt-get "${options[@]}" download "$ORT_HEADERS_PACKAGE"
    )
}

install_pgvector() {
    local pg_config="$PG_BIN/pg_config" control
    control="$("$pg_config" --sharedir)/extension/vector.control"
    if [ -f "$control" ] && grep -q "default_version = '${PGVECTOR_VERSION}'" "$control"; then
        return 0
    fi
    log "building pgvector ${PGVECTOR_VERSION} for PostgreSQL 15"
    local work
    work=$(mktemp -d)
    tar -xzf "$DOWNLOADS/pgvector_${PGVECTOR_VERSION}.orig.tar.gz" -C "$work"
    step "pgvector build" "see the compiler output above; is postgresql-server-dev-15 installed?" \
        make -s -C "$work/pgvector-${PGVECTOR_VERSION}" -j2 PG_CONFIG="$pg_config" OPTFLAGS=""
    step "pgvector install" "needs write access to $("$pg_config" --pkglibdir)" \
        $SUDO make -s -C "$work/pgvector-${PGVECTOR_VERSION}" install PG_CONFIG="$pg_config"
    rm -rf "$work"
}

install_venv() {
    local requirements="$FACEMATRIX_ROOT/tools/requirements.txt" nodeps="$FACEMATRIX_ROOT/tools/requirements-nodeps.txt"
    local fingerprint
    fingerprint=$(cat "$requirements" "$nodeps" | sha256sum | cut -c1-16)
    if [ -x "$FACEMATRIX_VENV/bin/python" ] && stamp_matches venv "$fingerprint"; then
        return 0
    fi
    log "creating the tooling venv in $FACEMATRIX_VENV"
    step "python venv" "is python3-venv installed?" python3 -m venv "$FACEMATRIX_VENV"
    step "pip install" "see pip's message above; the versions are pinned in tools/requirements*.txt" \
        "$FACEMATRIX_VENV/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    step "pip install (no deps)" "see pip's message above" \
        "$FACEMATRIX_VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r "$nodeps"
    stamp_write venv "$fingerprint"
}

# ONNX Runtime's C library comes from the pinned `onnxruntime` wheel in the venv; its C headers from
# Debian 13's libonnxruntime-dev, extracted rather than installed so no Debian 13 library is pulled in.
install_onnxruntime() {
    local libdir="$ORT_PREFIX/lib" includedir="$ORT_PREFIX/include/onnxruntime"
    if [ -f "$libdir/libonnxruntime.so.$ORT_VERSION" ] && [ -f "$includedir/onnxruntime_c_api.h" ] &&
        [ -f "$libdir/pkgconfig/libonnxruntime.pc" ]; then
        return 0
    fi
    log "installing ONNX Runtime ${ORT_VERSION} (C API) into $ORT_PREFIX"
    local library
    library=$("$FACEMATRIX_VENV/bin/python" -c 'import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))')/capi/libonnxruntime.so.$ORT_VERSION
    [ -f "$library" ] || die "ONNX Runtime library" "expected $library from the onnxruntime==$ORT_VERSION wheel"
    local work
    work=$(mktemp -d)
    step "ONNX Runtime headers" "the .deb in $DOWNLOADS may be damaged; delete it and rerun" \
        dpkg-deb -x "$(compgen -G "$DOWNLOADS/${ORT_HEADERS_PACKAGE}_*.deb" | head -n1)" "$work"
    $SUDO mkdir -p "$libdir/pkgconfig" "$includedir"
    $SUDO cp "$work"/usr/include/onnxruntime/*.h "$includedir/"
    $SUDO install -m 0755 "$library" "$libdir/libonnxruntime.so.$ORT_VERSION"
    $SUDO ln -sf "libonnxruntime.so.$ORT_VERSION" "$libdir/libonnxruntime.so.1"
    $SUDO ln -sf "libonnxruntime.so.$ORT_VERSION" "$libdir/libonnxruntime.so"
    printf 'prefix=%s\nName: libonnxruntime\nDescription: ONNX Runtime C API\nVersion: %s\nCflags: -I%s\nLibs: -L%s -lonnxruntime\n' \
        "$ORT_PREFIX" "$ORT_VERSION" "$includedir" "$libdir" | $SUDO tee "$libdir/pkgconfig/libonnxruntime.pc" >/dev/null
    $SUDO ldconfig
    rm -rf "$work"
}

# OpenVINO's C library, its CPU plugin, ONNX/IR frontends and TBB come from the pinned `openvino` wheel in the venv,
# with the C headers the wheel carries. They go into one folder of their own: libopenvino finds its plugins and
# frontends beside itself, so linking only libopenvino_c elsewhere would compile models with no CPU device.
install_openvino() {
    local version libdir includedir
    version=$("$FACEMATRIX_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("openvino"))') ||
        die "OpenVINO version" "the tooling venv has no openvino package; rerun scripts/setup.sh"
    libdir="$ORT_PREFIX/lib/openvino-$version" includedir="$ORT_PREFIX/include/openvino-$version"
    if [ -f "$libdir/libopenvino_c.so" ] && [ -f "$includedir/openvino/c/openvino.h" ] &&
        [ -f "$ORT_PREFIX/lib/pkgconfig/openvino_c.pc" ] && grep -q "openvino-$version" "$ORT_PREFIX/lib/pkgconfig/openvino_c.pc"; then
        return 0
    fi
    log "installing OpenVINO ${version} (C API) into $libdir"
    local wheel
    wheel=$("$FACEMATRIX_VENV/bin/python" -c 'import openvino, os; print(os.path.dirname(openvino.__file__))')
    [ -f "$wheel/include/openvino/c/openvino.h" ] || die "OpenVINO headers" "expected $wheel/include/openvino/c"
    $SUDO mkdir -p "$libdir" "$includedir/openvino" "$ORT_PREFIX/lib/pkgconfig"
    local name
    for name in libopenvino.so libopenvino_c.so libopenvino_onnx_frontend.so libopenvino_ir_frontend.so; do
        local file
        file=$(compgen -G "$wheel/libs/$name.*" | head -n1) || die "OpenVINO library" "no $name.* in $wheel/libs"
        $SUDO install -m 0755 "$file" "$libdir/"
        $SUDO ln -sf "$(basename "$file")" "$libdir/$name"
    done
    for name in libopenvino_intel_cpu_plugin.so libtbb.so.12 libtbbbind_2_5.so.3 libhwloc.so.15; do
        $SUDO install -m 0755 "$wheel/libs/$name" "$libdir/"
    done
    $SUDO rm -rf "$includedir/openvino/c"
    $SUDO cp -r "$wheel/include/openvino/c" "$includedir/openvino/"
    printf 'prefix=%s
Name: openvino_c
Description: OpenVINO C API
Version: %s
Cflags: -I%s
Libs: -L%s -lopenvino_c
' \
        "$ORT_PREFIX" "$version" "$includedir" "$libdir" | $SUDO tee "$ORT_PREFIX/lib/pkgconfig/openvino_c.pc" >/dev/null
    echo "$libdir" | $SUDO tee /etc/ld.so.conf.d/facematrix-openvino.conf >/dev/null
    $SUDO ldconfig
}

check_toolchain
install_apt_packages
fetch_from_trixie
install_pgvector
install_venv
install_onnxruntime
install_openvino
