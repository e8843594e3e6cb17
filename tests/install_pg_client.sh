#!/usr/bin/env bash
# PostgreSQL's client tools (pg_dump, pg_restore), for tests/ops/test_backup_restore.py on the
# PostgreSQL run. pg_dump must be at least the server's major version (15 on Debian 12); the
# test checks that against the server. Installed here where missing (as root, as in CI).
set -euo pipefail

if command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "install_pg_client.sh: pg_dump is missing; installing Debian's postgresql-client" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client
else
    cat >&2 <<MSG
install_pg_client.sh: no pg_dump/pg_restore, needed by tests/ops/test_backup_restore.py.
Install them (Debian/Ubuntu) as root:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends postgresql-client
MSG
    exit 1
fi
