"""What a killed run leaves behind is cleared by the next start, and only that."""

from __future__ import annotations

import json

from reliability_support import train

from attnseq.atomic import atomic_write_text, is_temporary
from attnseq.training.recovery import remove_stale_files, trim_metrics


def test_trim_metrics_drops_later_and_torn_records(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [json.dumps({"step": s, "valid_loss": 1.0 / s}) for s in (10, 20, 30)]
    path.write_text("\n".join(lines) + '\n{"step": 40, "valid_lo')
    assert trim_metrics(path, 20) == 2
    assert path.read_text() == "\n".join(lines[:2]) + "\n"
    assert trim_metrics(path, 20) == 0
    assert trim_metrics(tmp_path / "missing.jsonl", 5) == 0


def test_only_our_temporaries_are_removed_and_only_where_asked(tmp_path):
    atomic_write_text(tmp_path / "kept.txt", "x")
    ours = [
        tmp_path / ".last.safetensors.0a1b2c3d.tmp",
        tmp_path / "attention" / ".s.png.x_y_z_12.tmp",
    ]
    others = [
        tmp_path / ".editor.tmp",  # not our pattern
        tmp_path / "notes.0a1b2c3d.tmp",  # not hidden
        tmp_path / "deeper" / ".last.safetensors.0a1b2c3d.tmp",  # not a folder we were given
    ]
    for path in ours + others:
        path.parent.mkdir(exist_ok=True)
        path.write_text("half")
    assert all(is_temporary(p) for p in ours)
    removed = remove_stale_files(tmp_path, ("attention", "checkpoints"))
    assert sorted(removed) == sorted(ours)
    assert all(p.exists() for p in others) and (tmp_path / "kept.txt").exists()


def test_fresh_start_in_a_folder_left_by_a_killed_attempt(tmp_path):
    """Killed before its first checkpoint, a run leaves no last.safetensors: running the same
    command again starts over cleanly, without the old attempt's records or temporaries."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"step": 2, "valid_loss": 9.0}) + "\n")
    (run / ".model.safetensors.abcdef12.tmp").write_bytes(b"half a model")
    assert train(run, "train.max_steps=2", "train.valid_every=2") == 0
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2] and records[0]["valid_loss"] != 9.0
    assert not (run / ".model.safetensors.abcdef12.tmp").exists()
    assert "removed .model.safetensors.abcdef12.tmp" in (run / "train.log").read_text()
