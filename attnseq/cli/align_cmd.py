"""``attnseq align``: word alignments of given translations from a model's attention."""

from __future__ import annotations

import sys
from pathlib import Path

from attnseq.cli.common import add_command


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "align",
        "Align given sentence pairs word by word with a model's attention (forced decoding); "
        "writes Pharaoh 'i-j' lines (0-based, source word first), as fast_align and eflomal do.",
        "attnseq align runs/en-fr --src test.en --tgt test.fr -o test.align\n"
        "  attnseq align runs/en-fr runs/fr-en --src test.en --tgt test.fr --symmetrize grow-diag\n"
        "  attnseq align runs/en-fr --src test.en --tgt test.fr --gold test.talp "
        "--heatmap-dir plots --heatmap-lines 1,7",
    )
    p.add_argument("run_dir", help="run folder translating --src into --tgt")
    p.add_argument(
        "backward_run",
        nargs="?",
        help="optional run folder of the other direction (--tgt into --src): both are combined",
    )
    p.add_argument("--src", required=True, help="source sentences, whitespace-tokenized words")
    p.add_argument("--tgt", required=True, help="their translations, same line count")
    p.add_argument("-o", "--output", help="write the alignments here (default: stdout)")
    p.add_argument("--method", choices=["argmax", "threshold"], default="argmax")
    p.add_argument(
        "--threshold",
        type=float,
        help="least weight for a link: of one direction with --method threshold (default "
        "0.3), of both directions' mean with --symmetrize soft (default 0.4)",
    )
    p.add_argument(
        "--symmetrize",
        default="grow-diag",
        choices=[
            "intersect",
            "union",
            "grow-diag",
            "grow-diag-final",
            "grow-diag-final-and",
            "soft",
        ],
        help="how two directions are combined (default grow-diag); soft averages their "
        "attention and keeps the pairs that reach --threshold",
    )
    p.add_argument(
        "--position",
        choices=["predict", "read", "head"],
        help="attention of the step that writes each target word (predict), of the step "
        "that reads it (read), or of the alignment head (head); default: head for a run "
        "with an alignment head, else predict",
    )
    p.add_argument("--lowercase", action="store_true", help="lowercase words before the model")
    p.add_argument(
        "--batch-tokens", type=int, default=4000, help="tokens per forced-decoding batch"
    )
    p.add_argument("--gold", help="gold alignment (.talp is 1-based): heatmaps draw its links")
    p.add_argument("--heatmap-dir", help="write heatmaps of --heatmap-lines here")
    p.add_argument(
        "--heatmap-lines", default="1", help="1-based line numbers to draw, comma-separated"
    )
    p.add_argument(
        "--view",
        choices=["words", "pieces"],
        default="words",
        help="heatmaps of words (pieces merged, default) or of the model's subword pieces",
    )
    p.set_defaults(func=run)


def _line_numbers(spec: str, count: int) -> list[int]:
    from attnseq.errors import AttnseqError

    try:
        numbers = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise AttnseqError(f"--heatmap-lines {spec!r}: expected numbers like 1,5,9") from None
    for n in numbers:
        if not 1 <= n <= count:
            raise AttnseqError(f"--heatmap-lines: line {n} is outside 1..{count}")
    return numbers


def run(args) -> int:
    from tqdm import tqdm

    from attnseq.alignment.extract import SOFT, SOFT_THRESHOLD
    from attnseq.alignment.files import format_links, read_gold, read_line_pairs
    from attnseq.api.aligner import Aligner, combine
    from attnseq.atomic import atomic_write_text
    from attnseq.errors import AttnseqError

    soft = args.backward_run is not None and args.symmetrize == SOFT
    if args.threshold is None:
        args.threshold = SOFT_THRESHOLD if soft else 0.3
    if not 0.0 < args.threshold <= 1.0:
        raise AttnseqError(f"--threshold {args.threshold}: must lie in (0, 1]")
    src, tgt = read_line_pairs(Path(args.src), Path(args.tgt))
    forward = Aligner.load(args.run_dir, args.lowercase, args.position)
    with tqdm(total=len(src), unit="pair", desc="aligning", file=sys.stderr) as bar:
        pairs = forward.attention(src, tgt, args.batch_tokens, progress=bar)
    if args.backward_run:
        backward = Aligner.load(args.backward_run, args.lowercase, args.position)
        with tqdm(total=len(src), unit="pair", desc="aligning back", file=sys.stderr) as bar:
            back = backward.attention(tgt, src, args.batch_tokens, progress=bar)
        links = combine(
            forward,
            pairs,
            backward,
            back,
            args.method,
            args.threshold,
            args.symmetrize,
            soft_threshold=args.threshold,
        )
    else:
        links = [forward.links(p, args.method, args.threshold) for p in pairs]
    text = "".join(format_links(line) + "\n" for line in links)
    if args.output:
        atomic_write_text(Path(args.output), text)
    else:
        sys.stdout.write(text)
    if args.heatmap_dir:
        gold = read_gold(args.gold) if args.gold else None
        if gold is not None and len(gold) != len(src):
            raise AttnseqError(f"{args.gold}: {len(gold)} lines, but {args.src} has {len(src)}")
        _heatmaps(args, pairs, links, gold)
    return 0


def _heatmaps(args, pairs, links, gold) -> None:
    from attnseq.visualisation.alignment_plot import Panel, save_panels

    folder = Path(args.heatmap_dir)
    for n in _line_numbers(args.heatmap_lines, len(pairs)):
        pair = pairs[n - 1]
        if args.view == "words":
            panel = Panel(
                pair.src_words,
                pair.tgt_words,
                pair.words,
                f"line {n}",
                gold[n - 1] if gold else None,
                links[n - 1],
            )
        else:
            panel = Panel(pair.src_pieces, pair.tgt_pieces, pair.pieces, f"line {n} (pieces)")
        path = save_panels(folder / f"align-{n}.png", [panel], legend=gold is not None)
        print(f"heatmap: {path}", file=sys.stderr)
