#!/usr/bin/env bash
# Print the path of Debian's chromium for the browser tests (tests/web/),
# installing the `chromium` package with apt-get when it is missing and we
# are root (with a CJK font, fonts-wqy-zenhei, so that 互通 and the seed
# world's notes render in the screenshots rather than as boxes). Playwright drives this executable: it cannot download its own
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

has_cjk_font() { command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh 2>/dev/null)" ]]; }

if find_chromium >/dev/null && has_cjk_font; then
    find_chromium
    exit 0
fi
if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "chromium or a CJK font not found; installing Debian's chromium and fonts-wqy-zenhei"
    if apt-get update >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            chromium fonts-wqy-zenhei >&2; then
        find_chromium && exit 0
        log "chromium installed, but no executable is on PATH"
    else
        # Without the font the tests still run; only the screenshots suffer.
        find_chromium && exit 0
        log "apt-get install chromium failed"
    fi
fi
find_chromium && exit 0
exit 3
