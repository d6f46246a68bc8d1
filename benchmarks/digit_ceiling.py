"""How well can the digit-strip recipe's CNN read one digit? A ceiling for the captioner.

A strip of n digits is captioned right only if all n digits are read right,
so with digit accuracy p the sequence accuracy on strips of 1 to 5 digits is
at most the mean of p**n: 98 % needs p >= 99.33 %. This script trains the
recipe's CNN (``model.image``) as a plain classifier, global average pooling
and one linear layer, on the same training digits drawn the same way (the
strip generator's deformations, scales and shifts, one digit to a square
frame) and scores it on the mnist-test digits that no test strip uses, so
nothing here looks at the captioner's test set. Each seed trains for
``--minutes`` (the learning rate falls linearly to zero over them); the last
row ensembles the seeds::

    python3 benchmarks/digit_ceiling.py --minutes 6 --seeds 1 2
    python3 benchmarks/digit_ceiling.py --minutes 6 --seeds 1 2 \\
        --set 'model.image.cnn_channels=[16,32,64]' --set train.precision=fp32

Run it on a quiet machine: ``--parallel`` processes (default: one per seed)
of ``--threads`` threads each share the CPU.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from attnseq.config import Config, load_config
from attnseq.data.digit_strips import DigitPool, StripSource, digit_pools, draw_strip
from attnseq.models.image_encoders import build_backbone

RECIPE = Path(__file__).resolve().parents[1] / "configs" / "caption-mnist-sequences.yaml"
BATCH = 128


def frames(pool: DigitPool, rng: np.random.Generator, cfg: Config, deform: bool) -> torch.Tensor:
    """Every digit of ``pool`` alone on a square frame the strip's height, as [-1, 1] pixels.

    Each frame is a one-digit strip drawn by the strip generator itself, so the
    classifier sees its digits deformed, scaled and placed exactly as the captioner does.
    """
    side = cfg.model.image.size[0]
    strips = cfg.data.captions.strips
    images = [
        draw_strip(
            DigitPool(pool.images[i : i + 1], pool.labels[i : i + 1]),
            rng,
            1,
            (side, side),
            strips,
            deform,
        ).image
        for i in range(len(pool.labels))
    ]
    pixels = torch.from_numpy(np.stack(images)).float().div(127.5).sub(1.0)
    return pixels[:, None].contiguous(memory_format=torch.channels_last)


def held_out_digits(cfg: Config, pools: dict[str, DigitPool]) -> DigitPool:
    """mnist-test digits that none of the recipe's test strips shows."""
    strips, test = cfg.data.captions.strips, pools["test"]
    source = StripSource(test, "test", strips.test_strips, tuple(cfg.model.image.size), strips)
    used = {i for k in range(len(source)) for i in source.strip(k).sources}
    keep = np.array(sorted(set(range(len(test.labels))) - used))
    return DigitPool(test.images[keep], test.labels[keep])


def train_one(job: tuple[list[str], int, float, int, int | None]) -> dict:
    """One seed's classifier and its log-probabilities on the held-out digits; a step
    count, where given, replaces the time budget (the tests' runs are then exact)."""
    overrides, seed, minutes, threads, max_steps = job
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    cfg = load_config(RECIPE, overrides)
    pools = digit_pools(cfg.data.captions.strips)
    train, test = pools["train"], held_out_digits(cfg, pools)
    backbone = build_backbone(cfg.model.image)
    model = nn.Sequential(
        backbone,
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(backbone.out_channels, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.train.lr)
    rng = np.random.default_rng(seed)
    bf16 = cfg.train.precision == "bf16"
    start, steps = time.monotonic(), 0

    def spent() -> float:  # the share of the budget used
        return steps / max_steps if max_steps else (time.monotonic() - start) / (60 * minutes)

    while (share := spent()) < 1:
        for group in optimizer.param_groups:
            group["lr"] = cfg.train.lr * (1 - share)
        picked = rng.integers(0, len(train.labels), BATCH)
        batch = DigitPool(train.images[picked], train.labels[picked])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(frames(batch, rng, cfg, deform=True)).float()
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(batch.labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps += 1
    model.eval()
    with torch.no_grad():
        inputs = frames(test, np.random.default_rng(0), cfg, deform=False)
        logprobs = torch.cat([model(x).log_softmax(-1) for x in inputs.split(1000)])
    return {"seed": seed, "steps": steps, "logprobs": logprobs.numpy(), "labels": test.labels}


def sequence_bound(accuracy: float, cfg: Config) -> float:
    """Sequence accuracy if every digit is read right with probability ``accuracy``."""
    strips = cfg.data.captions.strips
    counts = range(strips.min_digits, strips.max_digits + 1)
    return float(np.mean([accuracy**n for n in counts]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=6.0, help="training time per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1, help="threads per process")
    parser.add_argument("--parallel", type=int, default=None, help="processes (default: seeds)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override the recipe, as for attnseq train",
    )
    parser.add_argument("--json", type=Path, help="also write the table here")
    args = parser.parse_args()
    cfg = load_config(RECIPE, args.set)
    jobs = [(args.set, seed, args.minutes, args.threads, None) for seed in args.seeds]
    with multiprocessing.get_context("spawn").Pool(args.parallel or len(jobs)) as pool:
        results = pool.map(train_one, jobs)
    labels = results[0]["labels"]
    rows = [(f"seed {r['seed']}", r["steps"], r["logprobs"]) for r in results]
    if len(results) > 1:
        rows.append(
            ("ensemble", sum(r["steps"] for r in results), sum(r["logprobs"] for r in results))
        )
    image = cfg.model.image
    print(
        f"CNN {image.cnn_channels} x {image.cnn_convs} convs, {args.minutes:g} min a seed, "
        f"{args.threads} thread(s), precision {cfg.train.precision}; "
        f"{len(labels):,} held-out mnist-test digits"
    )
    print("| model | steps | digit accuracy % | sequence accuracy bound % |")
    print("| --- | ---: | ---: | ---: |")
    table = []
    for name, steps, logprobs in rows:
        accuracy = float((logprobs.argmax(-1) == labels).mean())
        bound = sequence_bound(accuracy, cfg)
        print(f"| {name} | {steps:,} | {100 * accuracy:.2f} | {100 * bound:.2f} |")
        table.append({"model": name, "steps": steps, "digit_accuracy": accuracy, "bound": bound})
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "image": asdict(image),
                    "overrides": args.set,
                    "minutes": args.minutes,
                    "rows": table,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
