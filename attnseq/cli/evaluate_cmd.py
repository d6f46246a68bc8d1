"""``attnseq evaluate``: BLEU, chrF and perplexity of a run on a test set."""

from __future__ import annotations

from pathlib import Path

from attnseq.cli.common import add_command
from attnseq.cli.translate_cmd import add_search_options


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "evaluate",
        "Score a trained run: BLEU, chrF (sacrebleu) and perplexity.",
        "attnseq evaluate runs/fr-en --data tatoeba-fra-eng:test --beam 5 --out test.hyp\n"
        "  attnseq evaluate runs/fr-en --src test.fr --ref test.en\n"
        "  attnseq evaluate runs/a runs/b --data multi30k:test_2016_flickr   # an ensemble\n"
        "  attnseq evaluate runs/caption-coco-mini --data coco-mini:test --beam 3   # captions",
    )
    p.add_argument("run_dirs", nargs="+", help="run folder(s); several are decoded as an ensemble")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", metavar="NAME:SPLIT", help="a registry data set and split")
    source.add_argument("--src", help="source file, one sentence per line (with --ref)")
    p.add_argument("--ref", help="reference file aligned with --src")
    p.add_argument("--out", help="write the hypotheses here")
    p.add_argument(
        "--tokenize",
        default="13a",
        help="sacrebleu tokenizer (default 13a; 'none' for pre-tokenized)",
    )
    p.add_argument("--lowercase", action="store_true", help="case-insensitive BLEU")
    add_search_options(p)
    p.set_defaults(func=run)


def _pairs(args, cfg) -> list[tuple[str, str]]:
    from dataclasses import replace

    from attnseq.data.pipeline import load_split
    from attnseq.data.readers import read_parallel
    from attnseq.errors import AttnseqError

    if args.src:
        if not args.ref:
            raise AttnseqError("--src needs --ref")
        return read_parallel(Path(args.src), Path(args.ref)).pairs
    name, sep, split = args.data.partition(":")
    if not sep or not split:
        raise AttnseqError(f"--data {args.data!r}: expected NAME:SPLIT, e.g. tatoeba-fra-eng:test")
    data = replace(cfg.data, dataset=name, train=None, valid=None)
    return load_split(data, split)[0]


def run(args) -> int:
    from attnseq.cli.caption_cmd import evaluate_caption_run, is_caption_run

    if is_caption_run(args.run_dirs[0]):
        return evaluate_caption_run(args)
    from tqdm import tqdm

    from attnseq.atomic import atomic_write_text
    from attnseq.data.pipeline import encode_pairs
    from attnseq.evaluation.likelihood import corpus_nll
    from attnseq.evaluation.metrics import bleu, chrf, perplexity
    from attnseq.inference import load

    translator = load(*args.run_dirs)
    pairs = _pairs(args, translator.cfg)
    with tqdm(total=len(pairs), unit="sent", desc="translating") as bar:
        outputs = translator.translate(
            [s for s, _ in pairs],
            beam=args.beam,
            batch_size=args.batch_size,
            max_len_ratio=args.max_len_ratio,
            length_penalty=args.length_penalty,
            progress=bar,
        )
    hyps, refs = [o.text for o in outputs], [t for _, t in pairs]
    encoded = encode_pairs(pairs, translator.src_tok, translator.tgt_tok, None)
    nll, tokens = corpus_nll(translator.model, encoded.examples)
    if args.out:
        atomic_write_text(Path(args.out), "".join(h + "\n" for h in hyps))
    print(bleu(hyps, refs, args.tokenize, args.lowercase))
    print(chrf(hyps, refs))
    print(
        f"perplexity = {perplexity(nll, tokens):.2f}  ({tokens:,} reference tokens, {len(pairs):,} sentences)"
    )
    return 0
