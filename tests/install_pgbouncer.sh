#!/usr/bin/env bash
# Debian's pgbouncer, for tests/ops/test_pgbouncer.py (the app behind PgBouncer in transaction
# mode; the test starts its own pgbouncer on a free port). Installed here where missing (as root,
# as in CI). The package's own service is not wanted: not started, and disabled.
set -euo pipefail

if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "install_pgbouncer.sh: pgbouncer is missing; installing Debian's pgbouncer" >&2
    apt-get update
    # No service started by the package's scripts (exit status 101: "action forbidden").
    policy=/usr/sbin/policy-rc.d
    created=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        created=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer
    if [ -n "$created" ]; then
        rm -f "$policy"
    fi
    systemctl disable pgbouncer >/dev/null 2>&1 \
        || rm -f /etc/systemd/system/multi-user.target.wants/pgbouncer.service
else
    cat >&2 <<MSG
install_pgbouncer.sh: no pgbouncer, needed by tests/ops/test_pgbouncer.py on PostgreSQL.
Install it (Debian/Ubuntu) as root:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends pgbouncer
MSG
    exit 1
fi
