#!/usr/bin/env bash
# Debian's chromium (and CJK fonts, so Chinese pages render) for the browser tests, and
# poppler-utils (pdftotext, pdfinfo) to read back the print previews they save as PDF.
# Playwright drives this system browser; `playwright install` (a download) is never used.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ] && command -v pdftotext >/dev/null && command -v pdfinfo >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "install_chromium.sh: installing chromium, fonts-noto-cjk and poppler-utils" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium fonts-noto-cjk poppler-utils
    if [ ! -x "$CHROMIUM" ]; then
        echo "install_chromium.sh: installed Debian's chromium, but CHROMIUM=$CHROMIUM is" \
            "still missing; unset CHROMIUM to use /usr/bin/chromium" >&2
        exit 1
    fi
else
    cat >&2 <<MSG
install_chromium.sh: chromium ($CHROMIUM) or poppler-utils is missing, needed by tests/browser.
Install them (Debian/Ubuntu) as root:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium fonts-noto-cjk poppler-utils
or point CHROMIUM at an existing chromium binary.
MSG
    exit 1
fi
