"""Helpers for the operations tests: PostgreSQL URLs for libpq tools, throwaway databases and a
PgBouncer process in transaction mode, as docs/operations.md describes them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

PGBOUNCER = "pgbouncer"
PGBOUNCER_CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/userlist.txt
pool_mode = transaction
; one server connection for every client: what one client leaves on it, the next meets
default_pool_size = 1
max_client_conn = 50
ignore_startup_parameters = extra_float_digits
logfile = {folder}/pgbouncer.log
"""


def libpq_url(url: str | URL) -> str:
    """The SQLAlchemy URL as pg_dump, pg_restore and psql take it (no `+psycopg`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def major_version(program: str) -> int:
    """The major version of a PostgreSQL client tool, e.g. 15 from `pg_dump (PostgreSQL) 15.2`."""
    out = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1].split(".")[0])


@contextmanager
def scratch_database(url: str, prefix: str) -> Iterator[str]:
    """A new, uniquely named database on the server of `url`, dropped at the end (its URL)."""
    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pgbouncer_binary() -> str:
    """Debian puts pgbouncer in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which(PGBOUNCER) or shutil.which(PGBOUNCER, path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise AssertionError("pgbouncer is not installed: run `bash tests/install_pgbouncer.sh` "
                             "(as root; `make test` does)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"pgbouncer exited ({process.returncode}): "
                                 f"{log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"pgbouncer did not listen on {port} within 10 s")


@contextmanager
def pgbouncer(url: str) -> Iterator[str]:
    """PgBouncer in transaction mode on a free port in front of the server of `url`; yields
    the same database's URL through it. PgBouncer refuses to run as root, so under root (CI)
    it runs as the `postgres` user."""
    target = make_url(url)
    folder = Path(tempfile.mkdtemp(prefix="yimen-pgbouncer-"))
    listen = _free_port()
    (folder / "pgbouncer.ini").write_text(PGBOUNCER_CONFIG.format(
        host=target.host or "127.0.0.1", port=target.port or 5432, listen=listen,
        folder=folder))
    (folder / "userlist.txt").write_text(f'"{target.username or "postgres"}" ""\n')
    as_user = {}
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        for path in folder.iterdir():
            shutil.chown(path, "postgres", "postgres")
        as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
    process = subprocess.Popen([pgbouncer_binary(), str(folder / "pgbouncer.ini")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, **as_user)
    try:
        _wait_for(listen, process, folder / "pgbouncer.log")
        yield target.set(host="127.0.0.1", port=listen).render_as_string(hide_password=False)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
