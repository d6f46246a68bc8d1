"""``attnseq attention``: draw where the model looked while translating a sentence."""

from __future__ import annotations

from attnseq.cli.common import add_command
from attnseq.cli.translate_cmd import add_search_options, search_kwargs


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "attention",
        "Translate one sentence and save its attention heatmap.",
        'attnseq attention runs/fr-en "Je suis content." -o heatmap.png',
    )
    p.add_argument("run_dir")
    p.add_argument("text", help="the source sentence")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .svg or .json)")
    p.add_argument("--format", choices=["png", "svg", "json"], help="default: from the file suffix")
    add_search_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.errors import AttnseqError
    from attnseq.inference import load
    from attnseq.visualisation.heatmap import FORMATS, save_heatmap

    fmt = args.format or args.output.rsplit(".", 1)[-1].lower()
    if fmt not in FORMATS:
        raise AttnseqError(f"{args.output}: unknown format; use .png, .svg or .json or --format")
    translator = load(args.run_dir)
    if not translator.has_attention:
        raise AttnseqError(
            f"{args.run_dir}: this model has no attention (model.decoder.attention: none), "
            "so there is no heatmap to draw"
        )
    result = translator.translate([args.text], **search_kwargs(args))[0]
    save_heatmap(
        args.output,
        result.src_tokens,
        result.out_tokens,
        result.attention.numpy(),
        fmt,
        title=f"{result.source}\n{result.text}",
    )
    print(result.text)
    print(f"attention heatmap: {args.output}")
    return 0
