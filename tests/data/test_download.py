"""Downloads over real HTTP from a local server that serves the mirror."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from attnseq.data.download import download
from attnseq.data.registry import get_spec, prepare
from attnseq.errors import DataError


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def served(mirror: Path) -> Iterator[tuple[str, list[str]]]:
    """Base URL of the mirror over HTTP, and the list of paths requested."""
    requests: list[str] = []

    class Counting(_Quiet):
        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

    for url in _serve(functools.partial(Counting, directory=str(mirror))):
        yield url, requests


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("ATTNSEQ_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_prepare_downloads_from_http_mirror_and_verifies(
    served: tuple[str, list[str]], cache: Path, mirror: Path
) -> None:
    url, requests = served
    folder = prepare("tatoeba-fra-eng", mirror=url, progress=False)
    assert folder == cache / "tatoeba-fra-eng"
    got = folder / "fra-eng.zip"
    assert got.read_bytes() == (mirror / "tatoeba-fra-eng" / "fra-eng.zip").read_bytes()
    assert requests == ["/tatoeba-fra-eng/fra-eng.zip"]
    assert sorted(p.name for p in folder.iterdir()) == ["fra-eng.zip"]

    # Already verified: no second request.
    assert prepare("tatoeba-fra-eng", mirror=url, progress=False) == folder
    assert len(requests) == 1

    # A corrupted cached copy is fetched again and replaced.
    got.write_bytes(b"garbage")
    prepare("tatoeba-fra-eng", mirror=url, progress=False)
    assert len(requests) == 2
    assert (
        hashlib.sha256(got.read_bytes()).hexdigest() == get_spec("tatoeba-fra-eng").files[0].sha256
    )


def test_prepare_nested_paths_over_http(served: tuple[str, list[str]], cache: Path) -> None:
    url, requests = served
    folder = prepare("wpt03-enfr", mirror=url + "/", progress=False)
    assert sorted(p.name for p in folder.iterdir()) == ["enfr.src", "enfr.talp", "enfr.tgt"]
    assert "/alignment/enfr_wpt03/enfr.talp" in requests


def test_wrong_checksum_leaves_nothing(served: tuple[str, list[str]], tmp_path: Path) -> None:
    url, _ = served
    dest = tmp_path / "fra-eng.zip"
    expected = "0" * 64
    with pytest.raises(DataError) as err:
        download(url + "/tatoeba-fra-eng/fra-eng.zip", dest, expected, progress=False)
    message = str(err.value)
    assert "/tatoeba-fra-eng/fra-eng.zip" in message and expected in message
    assert "checksum" in message
    assert list(tmp_path.iterdir()) == []


def test_http_404_names_url(served: tuple[str, list[str]], tmp_path: Path) -> None:
    url, _ = served
    with pytest.raises(DataError, match=r"nope\.zip.*404"):
        download(url + "/nope.zip", tmp_path / "nope.zip", "0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_connection_cut_midway_leaves_nothing(mirror: Path, tmp_path: Path) -> None:
    data = (mirror / "multi30k" / "raw" / "val.de.gz").read_bytes()

    class HalfThenClose(_Quiet):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True

    dest = tmp_path / "val.de.gz"
    sha = hashlib.sha256(data).hexdigest()
    for url in _serve(HalfThenClose):
        with pytest.raises(DataError) as err:
            download(url + "/val.de.gz", dest, sha, size=len(data), progress=False)
    message = str(err.value)
    assert "/val.de.gz" in message
    assert f"{len(data) // 2} of {len(data)} bytes" in message
    assert list(tmp_path.iterdir()) == []


def test_existing_verified_file_skips_request(tmp_path: Path, mirror: Path) -> None:
    data = (mirror / "multi30k" / "raw" / "val.en.gz").read_bytes()
    dest = tmp_path / "val.en.gz"
    dest.write_bytes(data)
    # An unreachable URL proves no request is made.
    url = "http://127.0.0.1:9/never"
    assert download(url, dest, hashlib.sha256(data).hexdigest(), len(data)) == dest
