"""Training as a job of 2 CPU processes (torchrun, gloo) on a tiny model and real data."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

import attnseq
from attnseq.checkpoints import load_tensors, prefixed
from attnseq.cli.main import main
from attnseq.config import load_config
from attnseq.data.sharding import epoch_batches
from attnseq.training.trainer import Trainer

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tiny.yaml")
# Small and deterministic: no dropout, always the reference as decoder input, 1 thread;
# Multi30k de-en loads in a fraction of a second, which matters with 2 processes per job.
SMALL = {
    "data.dataset": "multi30k",
    "data.src_lang": "de",
    "data.tgt_lang": "en",
    "data.valid_split": "val",
    "data.max_len": "30",
    "train.threads": "1",
    "model.encoder.dropout": "0",
    "model.decoder.dropout": "0",
    "data.max_train_pairs": "600",
    "data.max_valid_pairs": "20",
    "train.valid_bleu_sentences": "5",
    "train.log_every": "1",
}


def settings(**extra: object) -> list[str]:
    """``--set`` arguments: SMALL plus ``extra`` (``train__lr=...`` for ``train.lr``)."""
    values = {**SMALL, **{k.replace("__", "."): str(v) for k, v in extra.items()}}
    return [arg for key, value in values.items() for arg in ("--set", f"{key}={value}")]


def start(args: list[str], log: Path) -> subprocess.Popen:
    """Start a command in its own process, output (torchrun's included) into ``log``."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def finish(job: subprocess.Popen, log: Path, timeout: float = 300) -> str:
    try:
        job.wait(timeout)
    except subprocess.TimeoutExpired:
        job.kill()
        raise
    return log.read_text()


def model_tensors(path: Path) -> dict[str, torch.Tensor]:
    return prefixed(load_tensors(path)[0], "model")


def saved_progress(path: Path) -> dict | None:
    """The progress in a checkpoint's header, read without loading the tensors."""
    if not path.is_file():
        return None
    with safe_open(str(path), framework="pt") as handle:
        return json.loads(handle.metadata()["attnseq"])["progress"]


def wait_for(condition, what: str, job: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert job.poll() is None, f"the job ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def worker_pid(root: int, rank: int, restart: int = 0) -> int:
    """The process torchrun started as ``rank`` (in its ``restart``-th round) under ``root``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    todo, found = [root], []
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            todo.append(child)
            try:
                env = (Path("/proc") / str(child) / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            wanted = {f"RANK={rank}".encode(), f"TORCHELASTIC_RESTART_COUNT={restart}".encode()}
            if wanted <= set(env):
                found.append(child)
    assert len(found) == 1, f"expected one worker of rank {rank}, found {found}"
    return found[0]


@pytest.fixture
def keep_threads():
    """The in-process runs set torch's thread count; give the rest of the suite its own."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_two_processes_match_one_process_with_twice_the_batch(tmp_path, keep_threads):
    """Same examples per step, same loss normalisation: the same weights after K steps.

    30 tokens per process is small enough that some global batches hold one
    pair only, so the step where rank 1 joins with zero weight is covered too.
    """
    steps, per_rank = 10, 30
    two, one = tmp_path / "two", tmp_path / "one"
    common = settings(train__max_steps=steps, train__valid_every=steps)
    log = tmp_path / "torchrun.log"
    job = start(
        ["-m", "attnseq", "train", TINY, "--out", str(two), "--quiet", "--nproc", "2"]
        + [*common, "--set", f"train.batch_tokens={per_rank}"],
        log,
    )
    cfg = load_config(TINY, [*common[1::2], f"train.batch_tokens={2 * per_rank}"])
    trainer = Trainer(cfg, one, show_progress=False)
    trainer.run()
    output = finish(job, log)
    assert job.returncode == 0, output

    sizes = [len(b) for b in epoch_batches(trainer.lengths, 2 * per_rank, seed=cfg.train.seed)]
    assert 1 in sizes[:steps] and max(sizes[:steps]) > 2
    a, b = model_tensors(two / "last.safetensors"), model_tensors(one / "last.safetensors")
    assert a.keys() == b.keys()
    worst = max(float((a[name] - b[name]).abs().max()) for name in a)
    assert worst < 1e-6
    ra, rb = (json.loads((d / "metrics.jsonl").read_text()) for d in (two, one))
    assert ra["step"] == rb["step"] == steps
    assert math.isclose(ra["train_loss"], rb["train_loss"], rel_tol=1e-6)
    assert math.isclose(ra["valid_loss"], rb["valid_loss"], rel_tol=1e-6)

    # Only rank 0 wrote: one log line per step, one metrics record; each rank's RNG saved.
    log_steps = re.findall(r"step (\d+) loss", (two / "train.log").read_text())
    assert log_steps == [str(s) for s in range(1, steps + 1)]
    assert {"rng.torch", "rng.torch.rank1"} <= set(load_tensors(two / "last.safetensors")[0])

    # The job's checkpoints serve a single process: translation, and training on.
    assert attnseq.load(two).translate("Ein Hund rennt.", beam=2)[0].out_tokens
    more = ["train", "--resume", str(two), "--quiet", "--set", f"train.max_steps={steps + 3}"]
    assert main(more) == 0
    assert "saved by 2 process(es), continued by 1" in (two / "train.log").read_text()
    assert saved_progress(two / "last.safetensors")["step"] == steps + 3


def test_a_killed_process_stops_the_job_with_a_clear_message(tmp_path, keep_threads):
    """Also: a single process's checkpoint continues as a job of 2 (--resume with --nproc)."""
    run = tmp_path / "run"
    common = settings(train__valid_every=1000, train__save_every=2, train__batch_tokens=200)
    first = ["train", TINY, "--out", str(run), "--quiet", *common, "--set", "train.max_steps=2"]
    assert main(first) == 0
    log = tmp_path / "job.log"
    job = start(
        ["-m", "attnseq", "train", "--resume", str(run), "--nproc", "2", "--quiet"]
        + ["--set", "train.max_steps=100000"],
        log,
    )
    last = run / "last.safetensors"
    wait_for(lambda: (saved_progress(last) or {}).get("world_size") == 2, "a 2-process save", job)
    os.kill(worker_pid(job.pid, rank=1), signal.SIGKILL)
    output = finish(job, log, timeout=120)
    assert job.returncode == 2, output
    assert "the job of 2 processes failed" in output
    assert f"continue with attnseq train --resume {run} --nproc 2" in output
    assert "rank 0: lost contact with the other processes" in output
    assert "Signal 9 (SIGKILL)" in output  # torchrun names the process that died


def test_max_restarts_resumes_from_the_last_checkpoint_and_finishes(tmp_path, monkeypatch):
    """torchrun as a user types it (its default shared store, which restarts trip over)."""
    monkeypatch.delenv("TORCH_DISABLE_SHARE_RDZV_TCP_STORE", raising=False)
    run = tmp_path / "run"
    log = tmp_path / "job.log"
    job = start(
        ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "--max-restarts=1"]
        + ["-m", "attnseq", "train", TINY, "--out", str(run), "--quiet"]
        + settings(train__max_steps=40, train__valid_every=20, train__save_every=4),
        log,
    )
    last = run / "last.safetensors"
    wait_for(lambda: (saved_progress(last) or {}).get("step", 0) >= 8, "a checkpoint", job)
    os.kill(worker_pid(job.pid, rank=1, restart=0), signal.SIGKILL)
    output = finish(job, log)
    assert job.returncode == 0, output
    assert "restarted; resuming from" in output
    text = (run / "train.log").read_text()
    resumed = [int(s) for s in re.findall(r"resumed from .* at step (\d+)", text)]
    assert len(resumed) == 1 and resumed[0] >= 8
    assert "training stopped at step 40: reached train.max_steps=40" in text
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["step"] == 40
