"""Incremental decoding: a Transformer decoder with cached keys and values vs recomputing.

Without the cache, step ``t`` of search runs the decoder over all ``t``
previous target words again, so a 30-word output costs about 15 times the
decoder work of the cached search, which computes only the new position.
This script times greedy and beam search both ways on outputs of exactly
``--steps`` tokens (end-of-sentence is made impossible), checks that both
produce the same outputs, and prints a table; ``--out`` also writes it as
JSON and Markdown.

    python3 benchmarks/incremental_decoding.py                       # recipe-sized model, random weights
    python3 benchmarks/incremental_decoding.py --run runs/m30k-en-de-transformer --threads 2

Weights do not change the arithmetic, so by default the model is the en-de
recipe's architecture with random weights; ``--run`` times a trained one.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from attnseq.api.translator import load
from attnseq.atomic import atomic_write_text
from attnseq.config import load_config
from attnseq.data.batching import encode_sources
from attnseq.data.tokenizers import EOS
from attnseq.models.seq2seq import Seq2Seq, count_parameters
from attnseq.search import beam_search, greedy_search

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "configs" / "multi30k-en-de-transformer.yaml"


def build_model(run: str | None, vocab: int) -> tuple[Seq2Seq, str]:
    if run:
        return load(run).model, run
    cfg = load_config(RECIPE)
    torch.manual_seed(0)
    return Seq2Seq(cfg.model, vocab, vocab), f"{RECIPE.name} architecture, random weights"


def sources(batch: int, length: int, vocab: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(4, vocab, (batch, length), generator=g).tolist()
    return encode_sources(ids)


def time_search(model, search: str, src, lengths, steps: int, beam: int, repeats: int):
    """Best wall and CPU times of ``repeats`` runs and the outputs of the last one.

    On a shared machine the CPU time (this process's) is the steadier number:
    wall time also counts the moments other programs held the cores.
    """
    # Outputs are capped at ``int(ratio * source length) + 5`` tokens: choose the ratio
    # that makes the cap exactly ``steps`` for these equal-length sources.
    ratio = (steps - 5 + 0.5) / int(lengths[0])
    wall, cpu, found = float("inf"), float("inf"), None
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        with torch.inference_mode():
            if search == "greedy":
                found = [[h] for h in greedy_search(model, src, lengths, ratio)]
            else:
                found = beam_search(model, src, lengths, beam, 1, ratio)
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return wall, cpu, [[h.tokens for h in hyps] for hyps in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", help="a trained run whose decoder is a Transformer")
    parser.add_argument("--steps", type=int, default=30, help="output length (default 30)")
    parser.add_argument("--source-length", type=int, default=15, help="source tokens (default 15)")
    parser.add_argument("--batches", default="1,32", help="sentences per batch (default 1,32)")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="keep the best of N (default 3)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--vocab", type=int, default=8000, help="without --run (default 8000)")
    parser.add_argument("--out", help="write OUT.json and OUT.md")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    model, described = build_model(args.run, args.vocab)
    model.eval()
    if model.cfg.decoder.type != "transformer":
        raise SystemExit(f"{args.run}: the decoder is {model.cfg.decoder.type}, not a Transformer")
    with torch.no_grad():  # never end early: every output has exactly --steps tokens
        model.generator.bias[EOS] = float("-inf")
    vocab = model.generator.out_features

    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        src, lengths = sources(batch, args.source_length, vocab)
        for search in ("greedy", "beam"):
            wall, cpu, outputs = {}, {}, {}
            for cache in (True, False):
                model.decoder.cache = cache
                wall[cache], cpu[cache], outputs[cache] = time_search(
                    model, search, src, lengths, args.steps, args.beam, args.repeats
                )
            model.decoder.cache = True
            assert all(len(h[0]) == args.steps for h in outputs[True]), "outputs must not end early"
            rows.append(
                {
                    "search": search if search == "greedy" else f"beam {args.beam}",
                    "batch": batch,
                    "output_tokens": args.steps,
                    "cached_s": wall[True],
                    "recomputed_s": wall[False],
                    "speedup": wall[False] / wall[True],
                    "cached_cpu_s": cpu[True],
                    "recomputed_cpu_s": cpu[False],
                    "cpu_speedup": cpu[False] / cpu[True],
                    "same_outputs": outputs[True] == outputs[False],
                }
            )
            print(
                f"{rows[-1]['search']:>7} batch {batch:>3}: cached {wall[True]:.3f}s, "
                f"recomputed {wall[False]:.3f}s ({rows[-1]['speedup']:.1f}x; "
                f"CPU time {rows[-1]['cpu_speedup']:.1f}x)",
                flush=True,
            )

    header = (
        "| search | batch | output tokens | cached s (CPU s) | recomputing s (CPU s) "
        "| speed-up (by CPU time) | same outputs |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |"
    )
    table = "\n".join(
        [header]
        + [
            f"| {r['search']} | {r['batch']} | {r['output_tokens']} "
            f"| {r['cached_s']:.3f} ({r['cached_cpu_s']:.3f}) "
            f"| {r['recomputed_s']:.3f} ({r['recomputed_cpu_s']:.3f}) "
            f"| {r['speedup']:.1f}x ({r['cpu_speedup']:.1f}x) "
            f"| {'yes' if r['same_outputs'] else 'NO'} |"
            for r in rows
        ]
    )
    setup = (
        f"Model: {described} ({count_parameters(model) / 1e6:.1f}M parameters); "
        f"{args.source_length}-token sources; best of {args.repeats}; torch "
        f"{torch.__version__}, {args.threads} thread(s), {platform.processor() or platform.machine()}."
    )
    print(f"\n{setup}\n\n{table}")
    if args.out:
        out = Path(args.out)
        doc = {"setup": setup, "args": vars(args), "rows": rows}
        atomic_write_text(out.with_suffix(".json"), json.dumps(doc, indent=2) + "\n")
        atomic_write_text(out.with_suffix(".md"), f"{setup}\n\n{table}\n")
        print(f"\nwrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
