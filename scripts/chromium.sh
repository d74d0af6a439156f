#!/usr/bin/env bash
# Print the path of Debian's chromium for the browser tests (tests/web/),
# installing the `chromium` package with apt-get when it is missing and we
# are root. Playwright drives this executable: it cannot download its own
# browser builds here.
#
# Exit status: 0 and the path on stdout; 3 when no chromium can be had.
set -euo pipefail

log() { echo "chromium: $*" >&2; }

find_chromium() {
    local name
    for name in chromium chromium-browser; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

find_chromium && exit 0
if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "chromium not found; installing Debian's chromium package"
    if apt-get update >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2; then
        find_chromium && exit 0
        log "chromium installed, but no executable is on PATH"
    else
        log "apt-get install chromium failed"
    fi
fi
exit 3
