"""Verified downloads that never leave a partial file behind.

Why so careful: a truncated or tampered download that is silently used gives
a model trained on the wrong data and results nobody can reproduce. So the
bytes go to ``<dest>.part`` in the destination folder, are checked against
the announced length, the expected size and the sha256, and only then renamed
into place atomically. Any failure removes the ``.part`` file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from attnseq.errors import DataError

TIMEOUT_S = 30.0  # per connect and per read; a stalled server fails, not hangs
CHUNK = 1 << 16
USER_AGENT = "attnseq-data/0.1 (+https://github.com/attnseq)"


def download(
    url: str, dest: Path, sha256: str, size: int | None = None, progress: bool = True
) -> Path:
    """Fetch ``url`` into ``dest`` and verify it; return ``dest``.

    An existing ``dest`` with the right checksum is kept without a request.
    Raises DataError naming the URL on HTTP errors, connection failures,
    short reads, size or checksum mismatches.
    """
    dest = Path(dest)
    if dest.is_file() and sha256_file(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    try:
        got, digest = _fetch(url, part, size, progress, dest.name)
        if size is not None and got != size:
            raise DataError(f"download of {url}: got {got} bytes, expected {size}")
        if digest != sha256:
            raise DataError(
                f"download of {url}: checksum mismatch: expected sha256 {sha256}, actual {digest}"
            )
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def _fetch(url: str, part: Path, size: int | None, progress: bool, label: str) -> tuple[int, str]:
    """Stream the body into ``part``; return (bytes received, sha256 hex)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    digest = hashlib.sha256()
    got = 0
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            announced = _content_length(response)
            if announced is not None and size is not None and announced != size:
                raise DataError(
                    f"download of {url}: server announces {announced} bytes, expected {size}"
                )
            total = announced if announced is not None else size
            with (
                open(part, "wb") as out,
                tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=label,
                    disable=not progress,
                    leave=False,
                ) as bar,
            ):
                while block := response.read(CHUNK):
                    out.write(block)
                    digest.update(block)
                    got += len(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as err:
        raise DataError(f"download of {url} failed: HTTP {err.code} {err.reason}") from None
    except urllib.error.URLError as err:
        raise DataError(f"download of {url} failed: {err.reason}") from None
    except (OSError, http.client.HTTPException) as err:
        reason = str(err) or type(err).__name__
        raise DataError(f"download of {url} failed after {got} bytes: {reason}") from None
    if announced is not None and got != announced:
        raise DataError(f"download of {url}: connection closed after {got} of {announced} bytes")
    return got, digest.hexdigest()


def _content_length(response) -> int | None:
    """The announced body length, or None when the server does not say."""
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def sha256_file(path: Path) -> str:
    """Hash a file in 1 MiB blocks, so large files never sit in memory whole."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
