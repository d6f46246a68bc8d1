"""Start ``attnseq serve`` in a child process on a free loopback port, and stop it.

Tests and the load benchmark talk to a real server the way a client would;
this is the one place that knows how to start one, wait until it answers, and
shut it down cleanly (SIGTERM lets uvicorn finish the requests in flight).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from attnseq.errors import AttnseqError

HOST = "127.0.0.1"


@dataclass
class Launched:
    url: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def launched(args: list[str], log: Path, start_timeout: float = 180.0) -> Iterator[Launched]:
    """``attnseq serve ARGS --host 127.0.0.1 --port FREE``, output to ``log``."""
    port = free_port()
    command = [sys.executable, "-m", "attnseq", "serve", *args, "--host", HOST, "--port", str(port)]
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = Launched(f"http://{HOST}:{port}", process, log)
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers(server.url):
            if not server.alive():
                raise AttnseqError(f"server exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise AttnseqError(
                    f"server did not answer in {start_timeout:.0f} s:\n{log.read_text()}"
                )
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
