"""``attnseq translate``: translate sentences with a trained run."""

from __future__ import annotations

import sys

from attnseq.api.chatbot import CHAT_DEFAULTS
from attnseq.cli.common import (
    add_command,
    add_device_option,
    decode_device,
    input_sentences,
    split_run_dirs,
)
from attnseq.cli.insight_options import (
    add_insight_options,
    corpus_summary,
    explanation,
    postprocess,
)


def add_search_options(p, chat: bool = False) -> None:
    """Search flags shared by every command that generates text.

    ``chat`` switches three defaults to what suits conversation: trigram
    blocking and the anti-LM penalty on, and the output length capped at the
    model's ``data.max_len`` rather than tied to the input's length.
    """
    p.add_argument("--beam", type=int, default=5, help="beam size; 1 is greedy (default 5)")
    p.add_argument("--batch-size", type=int, default=64, help="sentences per batch (default 64)")
    p.add_argument(
        "--max-len-ratio",
        type=float,
        default=2.0,
        help="longest output relative to the source length (default 2.0)",
    )
    p.add_argument(
        "--max-len",
        type=int,
        default=None,
        help="longest output in tokens, for every input (overrides --max-len-ratio"
        + ("; default: the model's data.max_len)" if chat else ")"),
    )
    p.add_argument(
        "--length-penalty",
        type=float,
        default=1.0,
        help="alpha in score/length^alpha for ranking beams (default 1.0)",
    )
    add_device_option(p)
    p.add_argument(
        "--quantize",
        choices=["int8"],
        help="int8 dynamic quantization of the weights: faster CPU decoding, BLEU within "
        "about half a point on rnn-base (docs/speed.md)",
    )
    p.add_argument(
        "--min-len", type=int, default=0, help="forbid ending before this many tokens (default 0)"
    )
    p.add_argument(
        "--no-repeat-ngram",
        type=int,
        default=3 if chat else 0,
        metavar="N",
        help=f"never repeat an N-gram within one output; 0 is off (default {3 if chat else 0})",
    )
    p.add_argument(
        "--sample",
        action="store_true",
        help="sample each word instead of beam search (see --temperature, --top-k, --top-p)",
    )
    p.add_argument(
        "--temperature", type=float, default=1.0, help="sampling temperature (default 1.0)"
    )
    p.add_argument(
        "--top-k", type=int, default=0, help="sample among the K most likely words; 0 is off"
    )
    p.add_argument(
        "--top-p",
        type=float,
        default=1.0,
        help="nucleus sampling: the most likely words holding probability P (default 1.0, off)",
    )
    p.add_argument("--seed", type=int, default=None, help="seed for reproducible sampling")
    anti_lm = CHAT_DEFAULTS["anti_lm"] if chat else 0.0
    p.add_argument(
        "--anti-lm",
        type=float,
        default=anti_lm,
        metavar="W",
        help="MMI-antiLM: subtract W times the log-probability of each of the first words "
        f"given an empty input; fewer generic chat answers; 0 is off (default {anti_lm})",
    )
    p.add_argument(
        "--anti-lm-steps",
        type=int,
        default=3,
        metavar="N",
        help="how many first words --anti-lm penalises (default 3)",
    )


def search_kwargs(args) -> dict:
    """The keyword arguments of ``Translator.translate`` chosen on the command line."""
    return {
        "beam": args.beam,
        "batch_size": args.batch_size,
        "max_len_ratio": args.max_len_ratio,
        "max_len": args.max_len,
        "length_penalty": args.length_penalty,
        "min_len": args.min_len,
        "no_repeat_ngram": args.no_repeat_ngram,
        "sample": args.sample,
        "temperature": args.temperature,
        "top_k": args.top_k,
        "top_p": args.top_p,
        "seed": args.seed,
        "anti_lm": args.anti_lm,
        "anti_lm_steps": args.anti_lm_steps,
    }


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "translate",
        "Translate sentences (arguments, or stdin one per line).",
        'attnseq translate runs/fr-en "Je suis content." "Il fait froid."\n'
        "  attnseq translate runs/fr-en --beam 5 < input.fr > output.en\n"
        "  attnseq translate runs/fr-en runs/fr-en-seed2 < input.fr   # an ensemble",
    )
    p.add_argument("run_dir", help="trained run folder")
    p.add_argument(
        "texts",
        nargs="*",
        help="more run folders (decoded as an ensemble), then sentences (default: stdin)",
    )
    add_search_options(p)
    p.add_argument(
        "--nbest",
        type=int,
        default=1,
        help="print the K best translations of each sentence (with --sample: K samples)",
    )
    add_insight_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.api.translator import load
    from attnseq.errors import AttnseqError

    if args.beam < 1 or args.nbest < 1 or (args.nbest > args.beam and not args.sample):
        raise AttnseqError(f"--nbest ({args.nbest}) must be between 1 and --beam ({args.beam})")
    run_dirs, texts = split_run_dirs(args.run_dir, args.texts)
    translator = load(*run_dirs, device=decode_device(args), quantize=args.quantize)
    results = translator.translate(input_sentences(texts), nbest=args.nbest, **search_kwargs(args))
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
