"""Files inside a folder, by a name that cannot lead out of it.

A run folder may come from someone else (downloaded, shared, served). When
loading one, attnseq opens only fixed names (``config.yaml``,
``tokenizer.json``, ``joint.spm.model``, ``model.safetensors``, ...), never a
path taken from a file's contents; the weights name given by a caller is
checked here, and so is where each name really leads, so neither ``..`` nor a
symbolic link can make a loader read (and echo in an error) a file elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from attnseq.errors import CheckpointError


def inside(folder: str | Path, name: str | Path) -> Path:
    """``folder / name``, refused unless it resolves to a place inside ``folder``."""
    folder = Path(folder)
    relative = Path(name)
    path = folder / relative
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise CheckpointError(f"{name}: must be a file name inside {folder}")
    try:
        real_folder, real_path = folder.resolve(), path.resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop
        raise CheckpointError(f"{path}: cannot be resolved ({err})") from None
    if not real_path.is_relative_to(real_folder):
        raise CheckpointError(f"{path}: leads outside {folder}; refused")
    return path
