"""``attnseq evaluate``: BLEU, chrF and perplexity of a run on a test set.

A chat run also gets the dialogue metrics of :mod:`attnseq.evaluation.dialogue`
(distinct-1/2, average length, generic and repeated-3-gram shares).
"""

from __future__ import annotations

from pathlib import Path

from attnseq.cli.caption_cmd import TTA_HELP
from attnseq.cli.common import add_command, decode_device
from attnseq.cli.insight_options import add_insight_options, postprocess
from attnseq.cli.translate_cmd import add_search_options, search_kwargs


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "evaluate",
        "Score a trained run: BLEU, chrF (sacrebleu) and perplexity.",
        "attnseq evaluate runs/fr-en --data tatoeba-fra-eng:test --beam 5 --out test.hyp\n"
        "  attnseq evaluate runs/fr-en --src test.fr --ref test.en\n"
        "  attnseq evaluate runs/a runs/b --data multi30k:test_2016_flickr   # an ensemble\n"
        "  attnseq evaluate runs/chat --data dailydialog:test --no-repeat-ngram 3 --json m.json\n"
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
    p.add_argument(
        "--tokenized",
        action="store_true",
        help="also report BLEU on lowercased Moses-tokenized text (the WMT multimodal "
        "convention), against the data set's official tokenized references where it has them",
    )
    p.add_argument(
        "--detokenized",
        action="store_true",
        help="also report sacrebleu's default BLEU (13a, cased) and chrF against the data "
        "set's raw references; the output of a model trained on tokenized text "
        "(data.variant: tok) is Moses-detokenized first",
    )
    p.add_argument("--json", metavar="PATH", help="also write all metrics to this JSON file")
    p.add_argument("--tta", action="store_true", help=TTA_HELP)
    add_search_options(p)
    add_insight_options(p, explain=False)
    p.set_defaults(func=run)


def _registry_data(args, cfg):
    from dataclasses import replace

    from attnseq.errors import AttnseqError

    name, sep, split = args.data.partition(":")
    if not sep or not split:
        raise AttnseqError(f"--data {args.data!r}: expected NAME:SPLIT, e.g. tatoeba-fra-eng:test")
    return replace(cfg.data, dataset=name, train=None, valid=None), split


def _pairs(args, cfg) -> list[tuple[str, str]]:
    from attnseq.data.pipeline import load_split
    from attnseq.data.readers import read_parallel
    from attnseq.errors import AttnseqError

    if args.src:
        if not args.ref:
            raise AttnseqError("--src needs --ref")
        return read_parallel(Path(args.src), Path(args.ref)).pairs
    return load_split(*_registry_data(args, cfg))[0]


def tokenized_output(cfg, hyps: list[str]) -> list[str]:
    """Outputs in the lowercased Moses-tokenized convention.

    A model trained on the tokenized files (``data.variant: tok``) already
    writes them; tokenizing again would escape its escapes (``l&apos;`` to
    ``l&amp;apos;``), which cost 12 BLEU on English-French.
    """
    from attnseq.evaluation.metrics import moses_tokenized

    if cfg.data.variant == "tok":
        return [h.lower() for h in hyps]
    return moses_tokenized(hyps, cfg.data.tgt_lang)


def detokenized_output(cfg, hyps: list[str]) -> list[str]:
    """Plain text: what sacrebleu's default expects. Only a tok-variant model needs work."""
    from attnseq.evaluation.metrics import moses_detokenized

    if cfg.data.variant == "tok":
        return moses_detokenized(hyps, cfg.data.tgt_lang)
    return list(hyps)


def _registry_refs(args, cfg, variant: str, count: int) -> list[str] | None:
    """The --data split's references in another form the data set ships (``raw`` or
    ``tok``), or None where it ships none or the references came from --ref."""
    from dataclasses import replace

    from attnseq.data.corpora import VARIANTS
    from attnseq.data.pipeline import load_split
    from attnseq.errors import DataError

    if not args.data:
        return None
    data, split = _registry_data(args, cfg)
    if variant not in VARIANTS.get(data.dataset, ()):
        return None
    refs = [t for _, t in load_split(replace(data, variant=variant), split)[0]]
    if len(refs) != count:
        raise DataError(f"{data.dataset}:{split}: {len(refs)} {variant} references for {count}")
    return refs


def _detokenized_scores(args, cfg, hyps: list[str], refs: list[str]) -> dict[str, float]:
    """sacrebleu's default scores, cased and case-insensitive, each with its signature:
    the figures the rest of the field reports, beside the WMT multimodal convention."""
    from attnseq.evaluation.metrics import bleu, chrf

    raw = _registry_refs(args, cfg, "raw", len(refs)) or refs
    plain = detokenized_output(cfg, hyps)
    scores = {"BLEU_13a": bleu(plain, raw), "BLEU_13a_lc": bleu(plain, raw, lowercase=True)}
    scores["chrF_detok"] = chrf(plain, raw)
    for name, score in scores.items():
        print(f"{score}  [{name}: detokenized output, raw references]")
    return {name: score.score for name, score in scores.items()}


def _tokenized_refs(args, cfg, refs: list[str]) -> tuple[list[str], str]:
    """The official tokenized references when the data set ships them, else ours."""
    from attnseq.evaluation.metrics import moses_tokenized

    official = _registry_refs(args, cfg, "tok", len(refs))
    if official is not None:
        return official, f"official {args.data.partition(':')[0]} tokenized references"
    return moses_tokenized(refs, cfg.data.tgt_lang), "references tokenized like the output"


def run(args) -> int:
    from attnseq.cli.caption_cmd import evaluate_caption_run, is_caption_run

    if is_caption_run(args.run_dirs[0]):
        return evaluate_caption_run(args)
    import json

    from tqdm import tqdm

    from attnseq.api.translator import load
    from attnseq.atomic import atomic_write_text
    from attnseq.data.pipeline import encode_pairs
    from attnseq.errors import AttnseqError
    from attnseq.evaluation.dialogue import dialogue_scores
    from attnseq.evaluation.likelihood import corpus_nll
    from attnseq.evaluation.metrics import bleu, chrf, perplexity

    if args.tta:
        raise AttnseqError("--tta is for caption runs: it reads each image shifted")
    translator = load(*args.run_dirs, device=decode_device(args), quantize=args.quantize)
    cfg = translator.cfg
    pairs = _pairs(args, cfg)
    with tqdm(total=len(pairs), unit="sent", desc="translating") as bar:
        outputs = translator.translate([s for s, _ in pairs], progress=bar, **search_kwargs(args))
    outputs = postprocess(args, translator, outputs)
    hyps, refs = [o.text for o in outputs], [t for _, t in pairs]
    tail = cfg.data.max_len if cfg.task == "chat" else None
    encoded = encode_pairs(pairs, translator.src_tok, translator.tgt_tok, None, tail)
    nll, tokens = corpus_nll(translator.model, encoded.examples)
    if args.out:
        atomic_write_text(Path(args.out), "".join(h + "\n" for h in hyps))
    scores = [bleu(hyps, refs, args.tokenize, args.lowercase), chrf(hyps, refs)]
    ppl = perplexity(nll, tokens)
    metrics = {s.name: s.score for s in scores}
    metrics.update(perplexity=ppl, sentences=len(pairs), reference_tokens=tokens)
    for score in scores:
        print(score)
    if args.tokenized:
        tok_refs, where = _tokenized_refs(args, cfg, refs)
        tokenized = bleu(tokenized_output(cfg, hyps), tok_refs, "none")
        metrics["BLEU_tokenized"] = tokenized.score
        print(f"{tokenized}  [lowercased, Moses-tokenized; {where}]")
    if args.detokenized:
        metrics.update(_detokenized_scores(args, cfg, hyps, refs))
    print(f"perplexity = {ppl:.2f}  ({tokens:,} reference tokens, {len(pairs):,} sentences)")
    if cfg.task == "chat":
        dialogue = dialogue_scores(hyps)
        metrics.update(dialogue.to_dict())
        print("\n".join(dialogue.lines()))
    if args.json:
        metrics["search"] = search_kwargs(args)
        atomic_write_text(Path(args.json), json.dumps(metrics, indent=2) + "\n")
    return 0
