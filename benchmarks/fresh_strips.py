"""Digit-strip captioners on fresh strips: a second test set, drawn from other test digits.

A recipe chosen by its score on the 2,000 test strips may owe part of that
score to those strips. This script draws new strips, the same way, from the
``mnist-test`` digits that no test strip shows (the 5,402 that
``digit_ceiling.py`` scores too), and scores caption runs on them: a model
that only fits the test strips falls back here. Each argument is a run, or
runs joined by commas to decode as one ensemble; a trailing ``+`` adds
test-time augmentation (``--tta``)::

    python3 benchmarks/fresh_strips.py runs/d/s1 runs/d/s1,runs/d/s2+ --strips 4000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from attnseq.api.captioner import Captioner, evaluate_captions
from attnseq.config import Config
from attnseq.data.caption_sets import strip_images
from attnseq.data.digit_strips import Strip, StripSource, digit_pools
from attnseq.data.images import to_input

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digit_ceiling import held_out_digits  # noqa: E402  (a sibling script, not a package)


def fresh_strips(cfg: Config, count: int) -> list[Strip]:
    """``count`` strips of the run's task drawn only from test digits no test strip shows
    (drawn by the test strips' random streams, so their places and sizes repeat)."""
    strips_cfg = cfg.data.captions.strips
    pools = digit_pools(strips_cfg, cfg.data.mirror)
    source = StripSource(
        held_out_digits(cfg, pools), "test", count, tuple(cfg.model.image.size), strips_cfg
    )
    return [source.strip(i) for i in range(count)]


def model_inputs(cfg: Config, strips: list[Strip]) -> torch.Tensor:
    return to_input(strip_images(strips, cfg.model.image.grey, "fresh").pixels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="RUN, or RUN,RUN... (an ensemble); + adds --tta")
    parser.add_argument("--strips", type=int, default=4000)
    parser.add_argument("--beam", type=int, default=3)
    args = parser.parse_args()
    groups = [(spec.rstrip("+").split(","), spec.endswith("+")) for spec in args.models]
    first = Captioner.load(groups[0][0][0])
    strips = fresh_strips(first.cfg, args.strips)
    pixels = model_inputs(first.cfg, strips)
    references = [[s.caption] for s in strips]
    boxes = [s.boxes for s in strips]
    print(f"{args.strips:,} fresh strips, beam {args.beam}")
    print("| model | sequence accuracy % | digit accuracy % | localisation % |")
    print("| --- | ---: | ---: | ---: |")
    for runs, tta in groups:
        captioner = Captioner.ensemble(runs)
        captioner = captioner.with_tta() if tta else captioner
        result = evaluate_captions(
            captioner, pixels, references, boxes, beam=args.beam, meteor=False
        )
        m = result.metrics
        name = " + ".join(runs) + (", tta" if tta else "")
        print(
            f"| {name} | {m['sequence accuracy']:.2f} | {m['digit accuracy']:.2f} "
            f"| {m['localisation']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
