#!/usr/bin/env bash
# The real-browser test of the try-it page (Tests/Browser): Selenium drives Debian's headless Chromium through
# recognise → no match → enrol → match → delete, an invalid upload, and every face of a group photo enrolled from the
# list, against a service that is already running.
# It does not start the service: the caller does. Installs what is missing first (Debian's chromium and
# chromium-driver; a venv in $FACEMATRIX_CACHE/venv-browser from Tests/Browser/requirements.txt, rebuilt only
# when that file changes), so a second run goes straight to the test.
#
# By hand, from the repository root:
#   make run                                  # in one terminal: the service on :8080 (or any running instance)
#   scripts/browser-test.sh http://127.0.0.1:8080
#   FACEMATRIX_URL=http://127.0.0.1:8080 scripts/browser-test.sh -k invalid     # extra arguments go to pytest
#
# The service's base URL is argument 1 (when it starts with http:// or https://) or FACEMATRIX_URL. The test
# enrols a person under a unique name and deletes them again; it needs the page at / and the shared photos in
# ../shared/testdata/faces. FACEMATRIX_SCREENSHOT names the PNG taken at the match (default
# $FACEMATRIX_CACHE/browser-test/try-page.png), FACEMATRIX_SCREENSHOT_GROUP the one of the group photo with both
# faces matched (default $FACEMATRIX_CACHE/browser-test/try-page-group.png).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# libheif-examples: heif-enc makes the HEIC photo the page must handle without displaying it.
APT_PACKAGES=(chromium chromium-driver libheif-examples)
BROWSER_VENV="$FACEMATRIX_CACHE/venv-browser"
REQUIREMENTS="$FACEMATRIX_ROOT/Tests/Browser/requirements.txt"

service_url "${1:-}"
[ "$SERVICE_URL_CONSUMED" -eq 0 ] || shift
FACEMATRIX_SCREENSHOT=${FACEMATRIX_SCREENSHOT:-$FACEMATRIX_CACHE/browser-test/try-page.png}
FACEMATRIX_SCREENSHOT_GROUP=${FACEMATRIX_SCREENSHOT_GROUP:-$FACEMATRIX_CACHE/browser-test/try-page-group.png}
export FACEMATRIX_URL FACEMATRIX_SCREENSHOT FACEMATRIX_SCREENSHOT_GROUP

install_debian_packages "${APT_PACKAGES[@]}"
pinned_venv "$BROWSER_VENV" "$REQUIREMENTS" venv-browser
mkdir -p "$(dirname "$FACEMATRIX_SCREENSHOT")" "$(dirname "$FACEMATRIX_SCREENSHOT_GROUP")"
log "browser test against $FACEMATRIX_URL (screenshots: $FACEMATRIX_SCREENSHOT, $FACEMATRIX_SCREENSHOT_GROUP)"
cd "$FACEMATRIX_ROOT"
exec "$BROWSER_VENV/bin/python" -m pytest -p no:cacheprovider -v Tests/Browser "$@"
