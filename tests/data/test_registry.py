"""The registry's pinned checksums match the real files of the mirror."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import pytest

from attnseq.data import registry
from attnseq.data.registry import DATASETS, cache_root, get_spec, mirror_setting, prepare
from attnseq.errors import DataError


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_file_is_in_the_mirror_with_its_checksum(mirror: Path, name: str) -> None:
    spec = get_spec(name)
    assert spec.files, name
    assert len({item.path for item in spec.files}) == len(spec.files)
    for item in spec.files:
        path = mirror / spec.mirror_dir / item.path
        assert path.is_file(), path
        assert path.stat().st_size == item.size, path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item.sha256, path


def test_registry_covers_every_file_of_the_translation_corpora(mirror: Path) -> None:
    listed = {item.path for item in get_spec("multi30k").files}
    for sub in ("raw", "tok"):
        on_disk = {f"{sub}/{p.name}" for p in (mirror / "multi30k" / sub).iterdir()}
        assert on_disk and on_disk <= listed
    assert [f.path for f in get_spec("tatoeba-fra-eng").files] == ["fra-eng.zip"]
    assert get_spec("multi30k").languages == ("en", "de", "fr", "cs")


def test_unknown_name_lists_known_names() -> None:
    with pytest.raises(DataError) as err:
        get_spec("tatoeba-eng-fra")
    message = str(err.value)
    assert "tatoeba-eng-fra" in message
    for name in DATASETS:
        assert name in message


def test_mirror_setting_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTNSEQ_MIRROR", "/from/env")
    assert mirror_setting("http://explicit") == "http://explicit"
    assert mirror_setting() == "/from/env"
    monkeypatch.delenv("ATTNSEQ_MIRROR")
    assert mirror_setting() is None


def test_cache_root_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTNSEQ_CACHE", str(tmp_path))
    assert cache_root() == tmp_path
    monkeypatch.delenv("ATTNSEQ_CACHE")
    assert cache_root() == Path.home() / ".cache" / "attnseq"


def test_prepare_local_mirror_is_used_in_place(mirror: Path) -> None:
    assert prepare("multi30k", progress=False) == mirror / "multi30k"
    assert prepare("multi30k", mirror=str(mirror), progress=False) == mirror / "multi30k"


def _fake_spec(monkeypatch: pytest.MonkeyPatch, mirror: Path, tmp_path: Path) -> Path:
    """A one-file data set in a tmp mirror, built from a real file of the mirror."""
    real = mirror / "multi30k" / "raw" / "val.en.gz"
    data = real.read_bytes()
    item = registry.RemoteFile("raw/val.en.gz", "", hashlib.sha256(data).hexdigest(), len(data))
    spec = dataclasses.replace(get_spec("multi30k"), name="fake", mirror_dir="fake", files=(item,))
    monkeypatch.setitem(DATASETS, "fake", spec)
    monkeypatch.setenv("ATTNSEQ_CACHE", str(tmp_path / "cache"))
    target = tmp_path / "mirror" / "fake" / "raw" / "val.en.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    return target


def test_local_checksum_mismatch_names_file_and_hashes(
    monkeypatch: pytest.MonkeyPatch, mirror: Path, tmp_path: Path
) -> None:
    target = _fake_spec(monkeypatch, mirror, tmp_path)
    assert prepare("fake", mirror=str(tmp_path / "mirror")) == target.parents[1]
    tampered = bytearray(target.read_bytes())
    tampered[100] ^= 1
    target.write_bytes(bytes(tampered))  # same size, new mtime: the stamp must not hide it
    with pytest.raises(DataError) as err:
        prepare("fake", mirror=str(tmp_path / "mirror"))
    message = str(err.value)
    assert str(target) in message
    assert DATASETS["fake"].files[0].sha256 in message
    assert hashlib.sha256(bytes(tampered)).hexdigest() in message


def test_local_missing_file_is_named(
    monkeypatch: pytest.MonkeyPatch, mirror: Path, tmp_path: Path
) -> None:
    target = _fake_spec(monkeypatch, mirror, tmp_path)
    target.unlink()
    with pytest.raises(DataError, match=r"val\.en\.gz.*missing"):
        prepare("fake", mirror=str(tmp_path / "mirror"))


def test_mirror_only_file_without_mirror_fails_before_downloading(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ATTNSEQ_MIRROR")
    monkeypatch.setenv("ATTNSEQ_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="no upstream URL"):
        prepare("wpt03-enfr", progress=False)
    assert not any(tmp_path.rglob("*.*"))


def test_stamp_skips_rehash_until_the_file_changes(
    monkeypatch: pytest.MonkeyPatch, mirror: Path, tmp_path: Path
) -> None:
    target = _fake_spec(monkeypatch, mirror, tmp_path)
    os.utime(target, ns=(10**18, 10**18))  # old enough to trust a stamp
    prepare("fake", mirror=str(tmp_path / "mirror"))

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"re-hashed {path}")

    monkeypatch.setattr(registry, "sha256_file", no_hashing)
    prepare("fake", mirror=str(tmp_path / "mirror"))  # stamp matches: no hashing

    target.write_bytes(target.read_bytes()[::-1])
    os.utime(target, ns=(10**18 + 1, 10**18 + 1))
    with pytest.raises(AssertionError, match="re-hashed"):
        prepare("fake", mirror=str(tmp_path / "mirror"))
