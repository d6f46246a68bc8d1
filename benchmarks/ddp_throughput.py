"""Training throughput: one process against a job of several (torchrun, gloo or NCCL).

Runs ``attnseq train`` on one config in a few set-ups and prints a table of
training tokens per second (the trainer's own count: target tokens over time
spent in training steps, validation and start-up excluded). Every set-up is
repeated (in turns) and the median reported, since a shared machine is noisy::

    python3 benchmarks/ddp_throughput.py configs/tatoeba-fr-en.yaml --steps 150 --repeat 3

Set-ups (``--nproc`` N, 2 by default, with the machine's cores split evenly):

* 1 process with one process's share of the threads, ``batch_tokens`` B (the config's);
* 1 process, all threads, ``batch_tokens`` B;
* 1 process, all threads, ``batch_tokens`` N*B (the job's effective batch);
* N processes, threads/N each, ``batch_tokens`` B each.

``--precision bf16`` (and ``--device cuda``) measure mixed precision the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from attnseq.config import load_config


def train(config: str, out: Path, nproc: int, threads: int, sets: list[str]) -> dict:
    """One run; returns its last metrics record plus wall time."""
    args = [config, "--out", str(out), "--quiet"]
    for item in [f"train.threads={threads}", *sets]:
        args += ["--set", item]
    if nproc > 1:
        args += ["--nproc", str(nproc)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    job = subprocess.run(
        [sys.executable, "-m", "attnseq", "train", *args], env=env, capture_output=True, text=True
    )
    if job.returncode != 0:
        sys.exit(f"attnseq train {' '.join(args)} failed:\n{job.stderr[-3000:]}")
    wall = time.perf_counter() - started
    last = (out / "metrics.jsonl").read_text().splitlines()[-1]
    return {**json.loads(last), "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="in all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()

    batch = load_config(args.config).train.batch_tokens
    common = [
        f"train.max_steps={args.steps}",
        f"train.valid_every={args.steps}",
        "train.max_minutes=null",
        "train.valid_bleu_sentences=10",
        "data.max_valid_pairs=100",
        f"train.device={args.device}",
        f"train.precision={args.precision}",
        *args.overrides,
    ]
    n, per_process = args.nproc, max(1, args.threads // args.nproc)
    setups = [
        (f"1 process x {per_process} thread(s), {batch} tokens", 1, per_process, batch),
        (f"1 process x {args.threads} threads, {batch} tokens", 1, args.threads, batch),
        (f"1 process x {args.threads} threads, {n * batch} tokens", 1, args.threads, n * batch),
        (f"{n} processes x {per_process} thread(s), {batch} tokens each", n, per_process, batch),
    ]
    print(f"{args.config}: {args.steps} steps, {args.device} {args.precision}, {args.repeat} runs")
    print(f"{'set-up':<48} {'tokens/s (median)':>18} {'all runs':>26} {'steps/s':>8}")
    # Round-robin over the set-ups, so that a busy spell on a shared machine hits all alike.
    speeds: dict[str, list[float]] = {label: [] for label, *_ in setups}
    steps_per_s: dict[str, list[float]] = {label: [] for label, *_ in setups}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for label, nproc, threads, tokens in setups:
                out = Path(tmp) / f"{nproc}-{threads}-{tokens}-{i}"
                sets = [*common, f"train.batch_tokens={tokens}"]
                record = train(args.config, out, nproc, threads, sets)
                speeds[label].append(record["train_tokens_per_s"])
                steps_per_s[label].append(record["step"] / record["train_seconds"])
    for label, *_ in setups:
        runs = " ".join(f"{s:,.0f}" for s in speeds[label])
        print(
            f"{label:<48} {statistics.median(speeds[label]):>18,.0f} {runs:>26} "
            f"{statistics.median(steps_per_s[label]):>8.2f}"
        )


if __name__ == "__main__":
    main()
