"""``attnseq translate``: translate sentences with a trained run."""

from __future__ import annotations

import sys

from attnseq.cli.common import add_command, input_sentences
from attnseq.cli.insight_options import (
    add_insight_options,
    corpus_summary,
    explanation,
    postprocess,
)


def add_search_options(p) -> None:
    p.add_argument("--beam", type=int, default=5, help="beam size; 1 is greedy (default 5)")
    p.add_argument("--batch-size", type=int, default=64, help="sentences per batch (default 64)")
    p.add_argument(
        "--max-len-ratio",
        type=float,
        default=2.0,
        help="longest output relative to the source length (default 2.0)",
    )
    p.add_argument(
        "--length-penalty",
        type=float,
        default=1.0,
        help="alpha in score/length^alpha for ranking beams (default 1.0)",
    )


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "translate",
        "Translate sentences (arguments, or stdin one per line).",
        'attnseq translate runs/fr-en "Je suis content." "Il fait froid."\n'
        "  attnseq translate runs/fr-en --beam 5 < input.fr > output.en",
    )
    p.add_argument("run_dir", help="trained run folder")
    p.add_argument("texts", nargs="*", help="sentences (default: read stdin)")
    add_search_options(p)
    p.add_argument(
        "--nbest", type=int, default=1, help="print the K best translations of each sentence"
    )
    add_insight_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.errors import AttnseqError
    from attnseq.inference import load

    if args.beam < 1 or args.nbest < 1 or args.nbest > args.beam:
        raise AttnseqError(f"--nbest ({args.nbest}) must be between 1 and --beam ({args.beam})")
    translator = load(args.run_dir)
    results = translator.translate(
        input_sentences(args.texts),
        beam=args.beam,
        nbest=args.nbest,
        batch_size=args.batch_size,
        max_len_ratio=args.max_len_ratio,
        length_penalty=args.length_penalty,
    )
    results = postprocess(args, translator, results)
    for i, result in enumerate(results):
        if args.nbest == 1:
            print(result.text)
        else:
            for hyp in [result, *result.alternatives]:
                print(f"{i}\t{hyp.score:.4f}\t{hyp.text}")
        if args.explain:
            print("\n".join(explanation(result)))
    if args.explain and len(results) > 1:
        print(corpus_summary(results), file=sys.stderr)
    sys.stdout.flush()
    return 0
