"""Atomic file writes: a reader sees the old file or the new one, never half.

Each write goes to a temporary file ``.NAME.RANDOM.tmp`` in the same folder,
is flushed to disk, then renamed over the target (``os.replace`` is atomic on
POSIX) and the folder is synced so the rename survives a power cut. A crash,
a full disk or a kill at any moment leaves the previous version intact; the
only trace a kill can leave is a temporary file, which no reader ever opens
(they use fixed names) and :func:`remove_stale_temporaries` deletes.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from attnseq.errors import AttnseqError

_SUFFIX = ".tmp"


def _temporary(target: Path) -> Path:
    """Create an empty, unique temporary file next to ``target``.

    Not ``tempfile.mkstemp``: that creates files readable by the owner only,
    and the rename would carry that mode over to every model and config. Mode
    0o666 filtered by the umask gives the permissions of any other new file.
    """
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}{_SUFFIX}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


def _sync_folder(folder: Path) -> None:
    """Make a rename durable; some systems cannot open folders, which is fine."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target``."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = _temporary(target)
    except OSError as err:
        raise AttnseqError(f"{target}: cannot write here ({err.strerror})") from None
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
    except OSError as err:
        tmp_path.unlink(missing_ok=True)
        raise AttnseqError(
            f"{target}: write failed ({err.strerror}); the previous file is kept"
        ) from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    with atomic_path(target) as tmp:
        write(tmp)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    atomic_write(target, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


_TEMPORARY = re.compile(r"\..+\.[0-9a-z_]{8}\.tmp")  # ours, and tempfile.mkstemp's of old


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is named like one of our temporary files."""
    return _TEMPORARY.fullmatch(Path(path).name) is not None


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files that a killed writer left directly in ``folder``.

    Only safe while no other process writes there: call it when a run starts,
    before anything of this process writes. Not recursive, so a run folder
    named after a busy place (``--out .``) cannot cost files further down.
    """
    removed: list[Path] = []
    if not Path(folder).is_dir():
        return removed
    for path in sorted(Path(folder).iterdir()):
        if is_temporary(path) and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed
