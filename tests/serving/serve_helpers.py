"""Starting a real ``attnseq serve`` process, and small inputs for it."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

# Small limits, so every limit can be crossed with a small request.
LIMIT_FLAGS = {
    "--max-chars": 200,
    "--max-sentences": 8,
    "--max-body-kb": 16,
    "--max-image-mb": 0.05,
    "--max-image-pixels": 1_000_000,
    "--max-beam": 6,
    "--beam": 3,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(args: list[str], log: Path) -> Iterator[str]:
    """Start ``attnseq serve ARGS`` on a free loopback port; yield its URL; stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "attnseq",
                "serve",
                *args,
                "--port",
                str(port),
                "--threads",
                "1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env={**os.environ},
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not come up:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
        assert proc.poll() is None, f"server died:\n{log.read_text()}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def png_bytes(size: tuple[int, int] = (32, 24), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 200).save(buffer, format="PNG")
    return buffer.getvalue()
