"""A real gunicorn server on a loopback port, and a small load generator for it.

The server is started and stopped by the benchmark: `gunicorn 'web:create_app()'` bound to
127.0.0.1 on a free port (never any other address), with DATABASE_URL pointing at the
benchmark's database. Requests go over real sockets with http.client; a sync worker closes
the connection after each response, so every request pays its own connect, as a client would.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only, always


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start with status {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not listen within the time limit")


@dataclass
class Server:
    port: int
    proc: subprocess.Popen

    def worker_pids(self) -> list[int]:
        """The sync workers (children of the gunicorn master)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def workers_cpu(self) -> float:
        """CPU seconds used so far by the workers (user + system).

        From /proc/<pid>/schedstat (nanoseconds on the CPU) where the kernel provides it,
        else from /proc/<pid>/stat utime + stime (clock ticks, usually 10 ms).
        """
        total = 0.0
        for pid in self.worker_pids():
            sched = Path(f"/proc/{pid}/schedstat")
            if sched.exists():
                total += int(sched.read_text().split()[0]) / 1e9
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


@contextmanager
def gunicorn(database_url: str, workers: int = 1, start_timeout: float = 60.0
             ) -> Iterator[Server]:
    """gunicorn with `workers` sync workers on 127.0.0.1:<free port>; stopped on exit."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "YIMEN_SECRET_KEY": "bench"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers",
         str(workers), "--worker-class", "sync", "--log-level", "warning", "--timeout", "60",
         "web:create_app()"], cwd=ROOT, env=env)
    try:
        _wait_ready(port, proc, time.monotonic() + start_timeout)
        deadline = time.monotonic() + start_timeout  # every worker up: it has booted the app
        while len(Server(port, proc).worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        server = Server(port, proc)
        for _ in range(workers * 2):  # each worker imports the app lazily on first request
            get(port, "/bench-warmup-404")
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def post_json(port: int, path: str, body: dict, token: str) -> tuple[int, bytes]:
    """One POST over a new loopback connection; (status, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body, ensure_ascii=False).encode(),
                     headers={"Content-Type": "application/json",
                              "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _drive(port: int, task_ids: Sequence[int], body: dict, token: str, start_at: float,
           stop_at: float) -> tuple[int, int, float]:
    """One load-generator process: complete its tasks in turn until done or `stop_at`."""
    while time.time() < start_at:
        time.sleep(0.001)
    ok = failed = 0
    for task_id in task_ids:
        if time.time() >= stop_at:
            break
        status, _ = post_json(port, f"/api/tasks/{task_id}/complete", body, token)
        ok, failed = (ok + 1, failed) if status == 200 else (ok, failed + 1)
    return ok, failed, time.time()


def load_test(port: int, task_ids: Sequence[int], body: dict, token: str, clients: int,
              time_limit: float) -> tuple[int, int, float]:
    """(completed, failed, seconds): `clients` processes completing the tasks at once."""
    shares = [task_ids[i::clients] for i in range(clients)]
    with ProcessPoolExecutor(clients) as pool:
        start_at = time.time() + 1.0  # every process forked and waiting
        futures = [pool.submit(_drive, port, share, body, token, start_at,
                               start_at + time_limit) for share in shares]
        results = [f.result() for f in futures]
    ended = max(r[2] for r in results)
    return sum(r[0] for r in results), sum(r[1] for r in results), ended - start_at
