"""``attnseq caption``: describe images with a caption run and show where each word looked.

Also home of ``attnseq evaluate`` for caption runs (COCO metrics, and the
digit-strip scores for ``mnist-sequences``).
"""

from __future__ import annotations

from pathlib import Path

from attnseq.cli.common import add_command, add_device_option, decode_device, split_run_dirs

TTA_HELP = (
    "read every image as it is and moved one pixel each way, averaging the readings "
    "(test-time augmentation for caption runs; five times the work)"
)


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "caption",
        "Caption images; optionally draw each word's attention over the image.",
        "attnseq caption runs/caption-coco-mini photo.jpg --beam 3 --attention where.png\n"
        "  attnseq caption runs/caption-mnist-sequences strip.png --json\n"
        "  attnseq caption runs/caption-coco-mini --data coco-mini:test --count 3 --attention a.png\n"
        "  attnseq caption runs/digits-a runs/digits-b strip.png   # an ensemble",
    )
    p.add_argument("run_dir", help="trained caption run folder")
    p.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="more run folders (captioning as an ensemble), then image files Pillow can read",
    )
    p.add_argument(
        "--data",
        metavar="NAME:SPLIT",
        help="caption the first --count images of a data split instead (e.g. coco-mini:test)",
    )
    p.add_argument("--count", type=int, default=3, help="images taken with --data (default 3)")
    p.add_argument("--beam", type=int, default=3, help="beam size; 1 is greedy (default 3)")
    p.add_argument("--max-len", type=int, help="longest caption in words (default data.max_len)")
    p.add_argument("--tta", action="store_true", help=TTA_HELP)
    p.add_argument(
        "--attention",
        metavar="OUT.png",
        help="save the attention figure: one panel per word, one block per image (.png, .svg, .pdf)",
    )
    p.add_argument("--json", action="store_true", help="print captions with attention as JSON")
    add_device_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from attnseq.api.captioner import Captioner
    from attnseq.data.caption_sets import read_split
    from attnseq.data.images import open_image
    from attnseq.errors import AttnseqError

    if args.beam < 1:
        raise AttnseqError(f"--beam must be at least 1, got {args.beam}")
    run_dirs, files = split_run_dirs(args.run_dir, args.images)
    if bool(files) == bool(args.data):
        raise AttnseqError("give IMAGE files or --data NAME:SPLIT (one of the two)")
    captioner = Captioner.ensemble(run_dirs, device=decode_device(args))
    if args.tta:
        captioner = captioner.with_tta()
    if args.data:
        raw = read_split(_data_config(captioner.cfg, args.data), args.data.rpartition(":")[2])
        images = raw.originals(args.count)
        names = raw.keys[: len(images)]
    else:
        images = [open_image(Path(name)) for name in files]
        names = files
    captions = captioner.caption(images, beam=args.beam, max_len=args.max_len)
    if args.json:
        docs = [{"image": name, **c.to_dict()} for name, c in zip(names, captions, strict=True)]
        print(json.dumps(docs, ensure_ascii=False))
    else:
        for caption in captions:
            print(caption.text)
    if args.attention:
        captioner.save_attention(args.attention, images, captions)
        if not args.json:
            print(f"attention figure: {args.attention}")
    return 0


def _data_config(cfg, data: str):
    """The run's config reading ``NAME:SPLIT`` (or just ``SPLIT`` of the run's own data)."""
    from dataclasses import replace

    name, sep, _ = data.rpartition(":")
    return replace(cfg, data=replace(cfg.data, dataset=name)) if sep else cfg


def is_caption_run(run_dir: str) -> bool:
    """Whether a run folder holds a caption model (other folders go the translation way)."""
    from attnseq.config import read_yaml

    path = Path(run_dir) / "config.yaml"
    return path.is_file() and read_yaml(path).get("task") == "caption"


def evaluate_caption_run(args) -> int:
    """``attnseq evaluate`` on a caption run: ``--data NAME:SPLIT``, or ``--data SPLIT``
    for the split of the run's own data settings."""
    import json

    from tqdm import tqdm

    from attnseq.api.captioner import Captioner, evaluate_captions
    from attnseq.atomic import atomic_write_text
    from attnseq.data.caption_sets import read_split
    from attnseq.data.images import to_input
    from attnseq.errors import AttnseqError

    if not args.data:
        raise AttnseqError("give --data NAME:SPLIT, e.g. coco-mini:test or mnist-sequences:test")
    captioner = Captioner.ensemble(args.run_dirs, device=decode_device(args))
    if args.tta:
        captioner = captioner.with_tta()
    raw = read_split(_data_config(captioner.cfg, args.data), args.data.rpartition(":")[2])
    with tqdm(total=len(raw.keys), unit="img", desc="captioning") as bar:
        result = evaluate_captions(
            captioner,
            to_input(raw.pixels),
            raw.references,
            raw.boxes,
            beam=args.beam,
            meteor=raw.boxes is None,  # digit words need no synonym matching
            progress=bar,
        )
    if args.out:
        atomic_write_text(Path(args.out), "".join(c.text + "\n" for c in result.captions))
    print(f"{args.data}: {len(raw.keys):,} images, beam {args.beam}{', tta' if args.tta else ''}")
    for metric, value in result.metrics.items():
        print(f"{metric:18s} {value:6.2f}")
    for metric, why in result.unavailable.items():
        print(f"{metric:18s}    n/a  ({why})")
    if args.json:
        metrics = {**result.metrics, "images": len(raw.keys), "beam": args.beam, "tta": args.tta}
        atomic_write_text(Path(args.json), json.dumps(metrics, indent=2) + "\n")
    return 0
