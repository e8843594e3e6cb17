#!/usr/bin/env bash
# libfaketime's `faketime`, for tests/engine/test_date_independence.py (which runs part of the
# suite with the system clock in another year). Installed here where missing (as root, as in CI).
set -euo pipefail

if command -v faketime >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "install_faketime.sh: faketime is missing; installing Debian's faketime" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends faketime
else
    cat >&2 <<MSG
install_faketime.sh: no faketime, needed by tests/engine/test_date_independence.py.
Install it (Debian/Ubuntu) as root:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends faketime
MSG
    exit 1
fi
