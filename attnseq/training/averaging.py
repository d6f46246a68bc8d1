"""Checkpoint averaging: the mean of the last few checkpoints of a run.

Averaging the weights of checkpoints saved near the end of training smooths
out the noise of the last updates and usually gains a little BLEU for free
(Vaswani et al. 2017; Junczys-Dowmunt et al. 2016). The result is a normal
run folder, so every command that reads a run can use it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch import Tensor

from attnseq.checkpoints import load_tensors, save_tensors
from attnseq.errors import CheckpointError
from attnseq.runs import check_meta

CHECKPOINTS = "checkpoints"
RUN_FILES = ("config.yaml", "tokenizer.json")
TOKENIZER_PATTERNS = ("*.spm.model", "*.vocab")


def step_checkpoint(run_dir: Path, step: int) -> Path:
    return run_dir / CHECKPOINTS / f"step-{step:07d}.safetensors"


def kept_checkpoints(run_dir: Path) -> list[Path]:
    """The run's kept checkpoints, oldest first (names sort by step)."""
    return sorted((Path(run_dir) / CHECKPOINTS).glob("step-*.safetensors"))


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    for old in kept_checkpoints(run_dir)[:-keep] if keep else kept_checkpoints(run_dir):
        old.unlink(missing_ok=True)


def average_tensors(paths: list[Path]) -> tuple[dict[str, Tensor], dict]:
    """The element-wise mean of several weights files of one model; the first one's JSON."""
    if not paths:
        raise CheckpointError("nothing to average: no checkpoints given")
    total: dict[str, Tensor] = {}
    first_meta: dict = {}
    for path in paths:
        tensors, meta = load_tensors(path)
        if not total:
            first_meta = meta
            total = {name: t.to(torch.float64) for name, t in tensors.items()}
            dtypes = {name: t.dtype for name, t in tensors.items()}
            continue
        check_meta(first_meta, meta, str(path))
        if set(tensors) != set(total):
            raise CheckpointError(f"{path}: other tensor names than {paths[0]}")
        for name, tensor in tensors.items():
            if tensor.shape != total[name].shape:
                raise CheckpointError(f"{path}: {name} has shape {tuple(tensor.shape)}")
            total[name] += tensor.to(torch.float64)
    mean = {name: (t / len(paths)).to(dtypes[name]) for name, t in total.items()}
    return mean, first_meta


def average_run(run_dirs: list[Path], out_dir: Path, last: int) -> list[Path]:
    """Average the ``last`` kept checkpoints of each run into a new run folder ``out_dir``."""
    paths: list[Path] = []
    for run_dir in run_dirs:
        kept = kept_checkpoints(run_dir)
        if not kept:
            raise CheckpointError(
                f"{run_dir / CHECKPOINTS}: no kept checkpoints; train with "
                "train.keep_checkpoints > 0 to average"
            )
        paths.extend(kept[-last:])
    tensors, meta = average_tensors(paths)
    out_dir = Path(out_dir)
    if (out_dir / "model.safetensors").exists():
        raise CheckpointError(f"{out_dir}: already holds a model; choose another output folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    source = Path(run_dirs[0])
    for name in RUN_FILES:
        shutil.copy2(source / name, out_dir / name)
    for pattern in TOKENIZER_PATTERNS:
        for path in source.glob(pattern):
            shutil.copy2(path, out_dir / path.name)
    meta = {**meta, "averaged_from": [str(p) for p in paths]}
    meta.pop("metrics", None)
    save_tensors(out_dir / "model.safetensors", tensors, meta)
    return paths
