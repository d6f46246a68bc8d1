"""``attnseq evaluate-alignment``: AER, precision and recall against gold links."""

from __future__ import annotations

from attnseq.cli.common import add_command


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "evaluate-alignment",
        "Score word alignments (Pharaoh i-j, 0-based) against gold sure (i-j) and "
        "possible (ipj) links: alignment error rate, precision, recall.",
        "attnseq evaluate-alignment test.align ../shared/datasets/alignment/enfr_wpt03/enfr.talp",
    )
    p.add_argument("hyp", help="alignments to score, one line per sentence pair")
    p.add_argument("gold", help="gold alignments; a .talp file counts from 1, others from 0")
    base = p.add_mutually_exclusive_group()
    base.add_argument("--one-based", dest="one_based", action="store_true", default=None)
    base.add_argument("--zero-based", dest="one_based", action="store_false")
    p.add_argument(
        "--reverse", action="store_true", help="the hypothesis is target-source: swap its sides"
    )
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    from dataclasses import asdict

    from attnseq.alignment.aer import alignment_scores
    from attnseq.alignment.files import read_gold, read_pharaoh, reverse_links

    hyps = read_pharaoh(args.hyp)
    if args.reverse:
        hyps = [reverse_links(links) for links in hyps]
    scores = alignment_scores(hyps, read_gold(args.gold, args.one_based))
    print(json.dumps(asdict(scores)) if args.json else scores)
    return 0
