"""Where attnseq's time goes on rnn-base: training steps and beam search under torch.profiler.

Prints, for a few training steps and for beam-5 decoding of test sentences,
the operators sorted by their share of the time. Shares stay meaningful on a
busy machine, absolute times do not. Example::

    ATTNSEQ_MIRROR=../shared/datasets python3 benchmarks/profile_rnn_base.py --steps 20 --threads 2
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from attnseq.api.translator import Translator
from attnseq.config import load_config
from attnseq.data.batching import batch_indices, collate
from attnseq.data.pipeline import load_split
from attnseq.training.trainer import Trainer

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "bench-rnn-base.yaml"


def build(overrides: list[str]):
    """A Trainer with data and model ready (no run folder work beyond the vocabularies)."""
    cfg = load_config(CONFIG, overrides)
    run_dir = Path(tempfile.mkdtemp(prefix="attnseq-profile-"))
    trainer = Trainer(cfg, run_dir, show_progress=False)
    trainer.log = __import__("logging").getLogger("attnseq.profile")
    trainer._load_data()
    trainer._build()
    return trainer


def table(prof, rows: int) -> str:
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--sentences", type=int, default=128, help="test sentences for beam search")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rows", type=int, default=25)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    trainer = build(args.overrides)
    batches = batch_indices(trainer.lengths, trainer.cfg.train.batch_tokens, seed=1)
    for i in range(3):  # warm-up
        trainer.train_step(collate(trainer.train_data.examples, batches[i]))
    chosen = batches[3 : 3 + args.steps]
    tokens = 0
    started = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for idx in chosen:
            batch = collate(trainer.train_data.examples, idx)
            tokens += batch.num_tokens
            trainer.train_step(batch)
    wall = time.perf_counter() - started
    print(
        f"== training: {len(chosen)} steps, {tokens} target tokens, {tokens / wall:,.0f} tok/s "
        f"(profiled, so slower)"
    )
    print(table(prof, args.rows))

    cfg = trainer.cfg
    test, _ = load_split(cfg.data, "test")
    test = random.Random(0).sample(test, min(args.sentences, len(test)))
    translator = Translator(cfg, trainer.model, trainer.src_tok, trainer.tgt_tok)
    translator.translate([s for s, _ in test[:8]], beam=5)
    started = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        translator.translate([s for s, _ in test], beam=5)
    wall = time.perf_counter() - started
    print(f"== beam 5: {len(test)} sentences, {len(test) / wall:,.1f} sent/s (profiled)")
    print(table(prof, args.rows))


if __name__ == "__main__":
    main()
