"""``attnseq attention``: draw where the model looked while translating a sentence."""

from __future__ import annotations

from attnseq.cli.common import add_command, decode_device
from attnseq.cli.translate_cmd import add_search_options, search_kwargs


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "attention",
        "Translate one sentence and save its attention heatmap.",
        'attnseq attention runs/fr-en "Je suis content." -o heatmap.png\n'
        '  attnseq attention runs/de-tf "a dog runs ." -o l0h2.png --layer 0 --head 2',
    )
    p.add_argument("run_dir")
    p.add_argument("text", help="the source sentence")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .svg or .json)")
    p.add_argument("--format", choices=["png", "svg", "json"], help="default: from the file suffix")
    p.add_argument(
        "--layer",
        type=int,
        help="Transformer decoder: cross-attention of this layer (0 is the first, -1 the last; "
        "default the last)",
    )
    p.add_argument(
        "--head",
        type=int,
        help="Transformer decoder: this head alone (from 0) instead of the mean of all heads",
    )
    p.add_argument(
        "--view",
        choices=["pieces", "words"],
        default="pieces",
        help="the model's subword pieces (default) or words, pieces merged",
    )
    p.add_argument(
        "--nbest",
        type=int,
        default=1,
        help="draw the K best translations of the beam side by side (PNG or SVG)",
    )
    add_search_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.api.translator import load
    from attnseq.errors import AttnseqError
    from attnseq.visualisation.heatmap import FORMATS, save_heatmap

    fmt = args.format or args.output.rsplit(".", 1)[-1].lower()
    if fmt not in FORMATS:
        raise AttnseqError(f"{args.output}: unknown format; use .png, .svg or .json or --format")
    if not 1 <= args.nbest <= args.beam:
        raise AttnseqError(f"--nbest ({args.nbest}) must be between 1 and --beam ({args.beam})")
    translator = load(args.run_dir, device=decode_device(args), quantize=args.quantize)
    if not translator.has_attention:
        raise AttnseqError(
            f"{args.run_dir}: this model has no attention (model.decoder.attention: none), "
            "so there is no heatmap to draw"
        )
    try:
        shown = translator.model.select_attention(args.layer, args.head)
    except ValueError as err:
        raise AttnseqError(f"{args.run_dir}: {err}") from None
    result = translator.translate([args.text], nbest=args.nbest, **search_kwargs(args))[0]
    views = [_view(args.view, hyp) for hyp in [result, *result.alternatives]]
    if args.nbest > 1:
        if fmt == "json":
            raise AttnseqError("--nbest draws side by side: use a .png or .svg output")
        from attnseq.visualisation.alignment_plot import Panel, save_panels

        panels = [
            Panel(src, out, weights, f"#{k + 1} ({hyp.score:.3f})\n{hyp.text}")
            for k, ((src, out, weights), hyp) in enumerate(
                zip(views, [result, *result.alternatives], strict=True)
            )
        ]
        save_panels(args.output, panels)
    else:
        src, out, weights = views[0]
        title = f"{result.source}\n{result.text}\n({shown})"
        save_heatmap(args.output, src, out, weights, fmt, title=title)
    print(result.text)
    print(f"attention heatmap: {args.output}")
    return 0


def _view(view: str, hyp):
    """Columns, rows and weights of one hypothesis, in pieces or in words."""
    weights = hyp.attention.numpy()
    if view == "words":
        from attnseq.alignment.extract import word_view

        return word_view(hyp.src_tokens, hyp.out_tokens, weights)
    return hyp.src_tokens, hyp.out_tokens, weights
