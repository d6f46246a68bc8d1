"""What a killed run leaves in its folder, and how the next start clears it.

Checkpoints themselves need no repair: every file is written atomically, so
after a kill ``last.safetensors`` and ``model.safetensors`` are each a whole
earlier version. Two traces remain: temporary files of writes that never
finished (deleted here; readers never open them), and ``metrics.jsonl``
records that the killed process wrote after its last checkpoint, perhaps the
last one torn in half. A resumed run redoes those steps, so their records are
dropped to keep exactly one record per validation.
"""

from __future__ import annotations

import json
from pathlib import Path

from attnseq.atomic import atomic_write_text, remove_stale_temporaries


def remove_stale_files(run_dir: Path, subfolders: tuple[str, ...]) -> list[Path]:
    """Temporary files of interrupted writes in the run folder and the given subfolders."""
    removed = remove_stale_temporaries(run_dir)
    for name in subfolders:
        removed += remove_stale_temporaries(run_dir / name)
    return removed


def _step(line: str) -> int | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    step = record.get("step") if isinstance(record, dict) else None
    return step if isinstance(step, int) else None


def trim_metrics(path: Path, step: int) -> int:
    """Keep the records of steps up to ``step`` (the checkpoint's); return how many were dropped."""
    if not path.is_file():
        return 0
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    kept = [line for line in lines if (found := _step(line)) is not None and found <= step]
    if len(kept) != len(lines):
        atomic_write_text(path, "".join(line + "\n" for line in kept))
    return len(lines) - len(kept)
