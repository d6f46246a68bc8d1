"""A full disk or a read-only folder: a clear error, and the previous checkpoint stays current."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from reliability_support import temporaries, train

import attnseq.checkpoints
import attnseq.training.trainer
from attnseq.api.translator import Translator
from attnseq.checkpoints import load_tensors

RUN = ("train.max_steps=5", "train.valid_every=2", "train.save_every=1", "train.best_metric=loss")


def fail_on(monkeypatch, name: str, nth: int, how: str) -> None:
    """Make the ``nth`` write of ``name`` fail: 'write' fills the disk half-way through the
    file (ENOSPC), 'rename' finds the folder read-only when swapping it in (EROFS)."""
    count = {"n": 0}

    def hit(tmp: str) -> bool:
        if Path(tmp).name.startswith(f".{name}."):
            count["n"] += 1
            return count["n"] == nth
        return False

    if how == "write":
        real_save = attnseq.checkpoints.save_file

        def save_file(tensors, path, metadata=None):
            real_save(tensors, path, metadata=metadata)
            if hit(path):
                with open(path, "r+b") as handle:
                    handle.truncate(os.path.getsize(path) // 2)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(attnseq.checkpoints, "save_file", save_file)
    else:
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if hit(str(src)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))
            return real_replace(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize(
    "name, nth, how, reason",
    [
        ("last.safetensors", 4, "write", "No space left on device"),
        ("last.safetensors", 4, "rename", "Read-only file system"),
        ("model.safetensors", 2, "write", "No space left on device"),
    ],
)
def test_failed_checkpoint_write_keeps_the_previous_one(
    tmp_path, monkeypatch, capsys, name, nth, how, reason
):
    run = tmp_path / "run"
    fail_on(monkeypatch, name, nth, how)
    assert train(run, *RUN) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"{run / name}: write failed ({reason}); the previous file is kept" in err
    assert temporaries(run) == []  # no half-written file anywhere, current or not
    _, meta = load_tensors(run / "last.safetensors")
    assert meta["progress"]["step"] == 3  # step 4 is the one whose save failed
    _, best = load_tensors(run / "model.safetensors")
    # The best model is written before the training state: step 4's is whole unless it failed.
    assert best["step"] == (2 if name == "model.safetensors" else 4)
    assert Translator.load(run).translate(["Merci."], beam=1)
    monkeypatch.undo()  # space freed: the run continues from its last checkpoint
    assert train(run, resume=True) == 0
    assert load_tensors(run / "last.safetensors")[1]["progress"]["step"] == 5


def test_failed_metrics_line_is_a_clear_error(tmp_path, monkeypatch, capsys):
    """Plain appends (metrics.jsonl) hitting a full disk end with a one-line error too."""
    run = tmp_path / "run"

    class FullDisk:
        """The trainer's metrics.jsonl, on a disk that fills up at the step-4 record."""

        def __init__(self, *args, **kwargs):
            self.handle = open(*args, **kwargs)  # noqa: SIM115 (closed by __exit__)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def flush(self):
            self.handle.flush()

        def write(self, text):
            if '"step": 4' in text:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.handle.name)
            return self.handle.write(text)

    monkeypatch.setattr(attnseq.training.trainer, "open", FullDisk, raising=False)
    assert train(run, *RUN) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"{run / 'metrics.jsonl'}: No space left on device; training stopped" in err
    assert load_tensors(run / "last.safetensors")[1]["progress"]["step"] == 3


def test_read_only_output_folder(tmp_path, monkeypatch, capsys):
    def read_only(target):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(attnseq.atomic, "_temporary", read_only)
    assert train(tmp_path / "run", *RUN) == 2
    err = capsys.readouterr().err.strip()
    assert f"{tmp_path / 'run' / 'config.yaml'}: cannot write here (Read-only file system)" in err
    assert not (tmp_path / "run" / "last.safetensors").exists()


@pytest.mark.parametrize("where", ["file/run", "file"])
def test_run_folder_that_cannot_be_created(tmp_path, capsys, where):
    (tmp_path / "file").write_text("a file where a folder is expected\n")
    out = tmp_path / where
    assert train(out, *RUN) == 2
    err = capsys.readouterr().err.strip()
    assert f"{out}: cannot create run folder (" in err and len(err.splitlines()) == 1
