"""Kill training at random moments, including mid-checkpoint: nothing is lost.

One run is interrupted again and again (SIGKILL at random moments, SIGKILL
the instant a checkpoint's temporary file appears, SIGTERM, SIGINT), each
time resumed with ``--resume``; after every interruption the last
checkpoint and the best model must load, and stray temporary files must be
gone once the next process starts. Finally the interrupted run must end
bit for bit where an uninterrupted run with the same seed ends (CPU, one
thread). Long: marked ``slow`` (part of the full suite; skip with -m "not slow").
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from reliability_support import REPO, TINY, temporaries
from safetensors import safe_open

from attnseq.api.translator import Translator
from attnseq.checkpoints import load_tensors
from attnseq.data.corpora import load_pairs

pytestmark = pytest.mark.slow

STEPS = 48
OPTIONS = [
    "--quiet",
    "--set",
    "train.threads=1",
    "--set",
    "train.save_every=1",
    "--set",
    f"train.max_steps={STEPS}",
    "--set",
    "train.valid_every=8",
    "--set",
    "train.teacher_forcing=0.8",  # draws random numbers: the RNG state must survive too
    "--set",
    "train.valid_bleu_sentences=10",
]
SEED = 20240611
WAIT = 600  # seconds; generous, the machine may be shared


def small_corpus(folder: Path) -> list[str]:
    """300 training and 40 validation pairs of real Tatoeba as TSV files, so that each of
    the many processes starts without reading the whole corpus; their config options."""
    folder.mkdir()
    options = ["--set", "data.dataset=null"]
    for split, count in (("train", 300), ("valid", 40)):
        pairs = load_pairs("tatoeba-fra-eng", split, "fr", "en")[:count]
        path = folder / f"{split}.tsv"
        path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
        options += ["--set", f"data.{split}={{tsv: {path}}}"]
    return options


def launch(args: list[str], log: Path) -> subprocess.Popen:
    path = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    with open(log, "a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "attnseq", "train", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )


def saved_step(run: Path) -> int | None:
    """The step of the current last.safetensors, read from its header only."""
    try:
        with safe_open(str(run / "last.safetensors"), framework="pt") as handle:
            return json.loads(handle.metadata()["attnseq"])["progress"]["step"]
    except (OSError, ValueError, KeyError):  # not there yet
        return None


def wait_for(condition, proc: subprocess.Popen, poll: float) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert proc.poll() is None, "training ended before it could be interrupted"
        assert time.monotonic() < deadline, "no progress"
        time.sleep(poll)


def interrupt(kind: str, run: Path, proc: subprocess.Popen, rng: random.Random) -> None:
    """Wait for a moment of the kind asked for, then interrupt the process."""
    start = saved_step(run)

    def advanced(by: int = 1):
        return lambda: (saved_step(run) or 0) >= (start or 0) + by

    if kind == "early":  # anywhere from start-up (imports, data, loading state) onwards
        time.sleep(rng.uniform(0.0, 3.0))
    elif kind == "random":  # a few steps in, at a random point of a step
        wait_for(advanced(rng.randint(1, 3)), proc, 0.01)
        time.sleep(rng.uniform(0.0, 0.2))
    elif kind == "write":  # the moment a checkpoint's temporary file exists
        stale = set(os.listdir(run))

        def writing():  # cheap: this runs every half millisecond
            return any(
                name.startswith((".last.", ".model.")) and name not in stale
                for name in os.listdir(run)
            )

        wait_for(writing, proc, 0.0005)
    else:  # SIGTERM or SIGINT, after some progress
        wait_for(advanced(), proc, 0.01)
        time.sleep(rng.uniform(0.0, 0.2))
    if kind in ("SIGTERM", "SIGINT"):
        proc.send_signal(getattr(signal, kind))
        assert proc.wait(timeout=WAIT) == 0, f"{kind} must end the run cleanly"
    else:
        proc.kill()
        proc.wait(timeout=WAIT)


def check_loadable(run: Path) -> None:
    """What a user finds after the interruption is whole and usable."""
    tensors, meta = load_tensors(run / "last.safetensors")
    assert meta["kind"] == "training-state" and "rng.torch" in tensors
    if (run / "model.safetensors").exists():
        model = Translator.load(run)
        assert isinstance(model.translate(["Bonjour."], beam=1)[0].text, str)


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_interrupted_run_loses_nothing_and_ends_like_an_uninterrupted_one(tmp_path):
    straight, run = tmp_path / "straight", tmp_path / "interrupted"
    args = [*OPTIONS, *small_corpus(tmp_path / "data")]
    reference = launch([TINY, "--out", str(straight), *args], tmp_path / "straight.out")

    rng = random.Random(SEED)
    kinds = ["early"] * 2 + ["random"] * 5 + ["write"] * 5 + ["SIGTERM", "SIGINT"]
    rng.shuffle(kinds)
    kinds.remove("random")
    kinds.insert(0, "random")  # the first process must save a checkpoint before anything
    log = tmp_path / "interrupted.out"
    proc = launch([TINY, "--out", str(run), *args], log)
    during_write, left_behind, steps_at_kill = 0, [], []
    for kind in kinds:
        interrupt(kind, run, proc, rng)
        stray = temporaries(run)
        # A process killed early may die before its start-up cleanup: only one that got
        # that far is held to it (the next one's start-up cleans up instead).
        if kind != "early":
            assert not set(left_behind) & set(stray), "a stale temporary survived a restart"
        if kind in ("SIGTERM", "SIGINT"):
            assert stray == []
            assert (
                f"stopped by signal {kind}; continue with --resume"
                in (run / "train.log").read_text()
            )
        during_write += any(n.startswith((".last.", ".model.")) for n in stray)
        left_behind = stray if kind != "early" else sorted(set(left_behind) | set(stray))
        steps_at_kill.append(saved_step(run))
        check_loadable(run)
        proc = launch(["--resume", str(run), "--quiet"], log)
    assert proc.wait(timeout=WAIT) == 0, log.read_text()[-2000:]
    assert reference.wait(timeout=WAIT) == 0, (tmp_path / "straight.out").read_text()[-2000:]

    print(f"interruptions: {kinds}; steps: {steps_at_kill}; killed mid-write: {during_write}")
    assert during_write >= 3, "too few kills landed during a checkpoint write"
    assert temporaries(run) == []
    assert "left by a write that was interrupted" in (run / "train.log").read_text()

    # The interrupted run ends exactly where the uninterrupted one does.
    a, b = metrics(straight), metrics(run)
    assert [r["step"] for r in a] == [r["step"] for r in b] == list(range(8, STEPS + 1, 8))
    for x, y in zip(a, b, strict=True):
        for key in ("train_loss", "valid_loss", "valid_bleu", "lr"):
            assert x[key] == y[key], (x["step"], key)
    for name in ("last.safetensors", "model.safetensors"):
        ta, ma = load_tensors(straight / name)
        tb, mb = load_tensors(run / name)
        assert ta.keys() == tb.keys()
        for key in ta:
            assert torch.equal(ta[key], tb[key]), (name, key)
        progress_a, progress_b = ma.get("progress", {}), mb.get("progress", {})
        for key in ("step", "epoch", "batch_in_epoch", "best", "bad_validations"):
            assert progress_a.get(key) == progress_b.get(key), (name, key)
