"""A/B ratios of attnseq's speed levers on rnn-base, measured in one process.

Each lever is timed against its baseline on the same batches, alternating
A, B, A, B, ... so a busy machine slows both alike; the table shows the median
time ratio (baseline / lever: above 1 means the lever is faster). Example::

    ATTNSEQ_MIRROR=../shared/datasets python3 benchmarks/levers_rnn_base.py --threads 1

Training levers: bf16 autocast, Adam's foreach and fused kernels, computing
the loss once (not the smoothed loss and the NLL). Decoding levers: int8
dynamic quantization and bf16 autocast for beam 5 and greedy; torch.compile
of a training step where it compiles.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from profile_rnn_base import build  # noqa: E402

from attnseq.api.translator import Translator  # noqa: E402
from attnseq.data.batching import batch_indices, collate  # noqa: E402
from attnseq.data.pipeline import load_split  # noqa: E402
from attnseq.data.tokenizers import PAD  # noqa: E402
from attnseq.models.quantization import quantize_int8  # noqa: E402


def alternate(a: Callable[[], None], b: Callable[[], None], rounds: int) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, timed alternately after one warm-up each."""
    a()
    b()
    ta, tb = [], []
    for _ in range(rounds):
        for fn, out in ((a, ta), (b, tb)):
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
    return statistics.median(ta), statistics.median(tb)


def train_steps(model, optimizer, batches, autocast: bool = False, single_loss: bool = False):
    """A function running the given batches as training steps (label smoothing 0.1, clip 1)."""

    def run() -> None:
        model.train()
        for batch in batches:
            ctx = (
                torch.autocast("cpu", dtype=torch.bfloat16)
                if autocast
                else contextlib.nullcontext()
            )
            with ctx:
                logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
            flat = logits.view(-1, logits.size(-1)).float()
            target = batch.tgt_out.view(-1)
            loss = F.cross_entropy(
                flat, target, ignore_index=PAD, label_smoothing=0.1, reduction="sum"
            )
            if not single_loss:  # what the trainer did: the NLL as well, for the log
                F.cross_entropy(flat.detach(), target, ignore_index=PAD, reduction="sum")
            optimizer.zero_grad(set_to_none=True)
            (loss / batch.num_tokens).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()

    return run


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, default=4, help="training batches per timing")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=64, help="test sentences per decoding timing")
    ap.add_argument(
        "--compile", action="store_true", help="also try torch.compile (slow to compile)"
    )
    ap.add_argument(
        "--run", type=Path, help="a trained rnn-base run folder for the decoding levers"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    trainer = build([])
    model = trainer.model
    idx = batch_indices(trainer.lengths, trainer.cfg.train.batch_tokens, seed=3)
    batches = [collate(trainer.train_data.examples, i) for i in idx[: args.batches]]
    tokens = sum(b.num_tokens for b in batches)
    rows = []

    def opt(**kw):
        return torch.optim.Adam(model.parameters(), lr=1e-3, **kw)

    base_opt = opt(foreach=False)
    base = train_steps(model, base_opt, batches)
    levers = {
        "loss computed once (no extra NLL)": train_steps(
            model, base_opt, batches, single_loss=True
        ),
        "Adam foreach": train_steps(model, opt(foreach=True), batches),
        "Adam fused": train_steps(model, opt(fused=True), batches),
        "bf16 autocast": train_steps(model, base_opt, batches, autocast=True),
    }
    if args.compile:
        compiled = copy.deepcopy(model)
        compiled.forward = torch.compile(compiled.forward, dynamic=True)
        levers["torch.compile (forward)"] = train_steps(
            compiled, torch.optim.Adam(compiled.parameters(), lr=1e-3, foreach=False), batches
        )
    for name, lever in levers.items():
        ta, tb = alternate(base, lever, args.rounds)
        rows.append(("train", name, tokens / ta, tokens / tb, ta / tb))
        print(
            f"train  {name:38s} {tokens / ta:8.0f} -> {tokens / tb:8.0f} tok/s  x{ta / tb:.2f}",
            flush=True,
        )

    if args.run:
        translator = Translator.load(args.run)
    else:  # an untrained model still decodes the same shapes (to the length cap)
        translator = Translator(trainer.cfg, model.eval(), trainer.src_tok, trainer.tgt_tok)
    test, _ = load_split(trainer.cfg.data, "test")
    sources = [s for s, _ in random.Random(0).sample(test, args.sentences)]
    int8 = copy.copy(translator)
    int8.model = quantize_int8(copy.deepcopy(translator.model))
    for beam in (5, 1):

        def fp32(beam=beam):
            translator.translate(sources, beam=beam)

        def q8(beam=beam):
            int8.translate(sources, beam=beam)

        def bf16(beam=beam):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                translator.translate(sources, beam=beam)

        for name, lever in (("int8 dynamic quantization", q8), ("bf16 autocast", bf16)):
            ta, tb = alternate(fp32, lever, args.rounds)
            n = len(sources)
            rows.append((f"beam {beam}", name, n / ta, n / tb, ta / tb))
            print(
                f"beam {beam} {name:38s} {n / ta:8.1f} -> {n / tb:8.1f} sent/s  x{ta / tb:.2f}",
                flush=True,
            )
    print("\n| part | lever | baseline | with lever | speed-up |\n|---|---|---|---|---|")
    for part, name, a, b, ratio in rows:
        unit = "tok/s" if part == "train" else "sent/s"
        print(f"| {part} | {name} | {a:,.1f} {unit} | {b:,.1f} {unit} | x{ratio:.2f} |")


if __name__ == "__main__":
    main()
