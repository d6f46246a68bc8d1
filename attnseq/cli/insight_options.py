"""Options that put a translation's attention to work: ``--explain`` and ``--replace-unk``.

Kept apart from ``translate_cmd`` so any command that translates can offer them.
"""

from __future__ import annotations

from collections.abc import Sequence


def add_insight_options(p, explain: bool = True) -> None:
    if explain:
        p.add_argument(
            "--explain",
            action="store_true",
            help="print attention statistics under each translation: entropy, coverage of each "
            "source word, possible omissions and repetitions",
        )
    p.add_argument(
        "--replace-unk",
        action="store_true",
        help="replace <unk> (and numbers the model got wrong) by the most attended source word",
    )
    p.add_argument(
        "--dict",
        metavar="FILE",
        help="with --replace-unk: translate copied words through this 'source<TAB>target' file",
    )


def postprocess(args, translator, results: Sequence) -> list:
    """Apply ``--replace-unk`` to translation results (unchanged without it)."""
    from attnseq.errors import AttnseqError

    if args.dict and not args.replace_unk:
        raise AttnseqError("--dict is used by --replace-unk; add --replace-unk")
    if not args.replace_unk:
        return list(results)
    from attnseq.api.unk_replace import read_dictionary, replace_all

    dictionary = read_dictionary(args.dict) if args.dict else None
    replaced, _ = replace_all(results, translator.src_tok, translator.tgt_tok, dictionary)
    return replaced


def _stats(result):
    from attnseq.evaluation.attention_stats import sentence_stats

    return sentence_stats(result.src_tokens, result.out_tokens, result.attention.numpy())


def explanation(result) -> list[str]:
    """Lines of attention statistics for one translation."""
    from attnseq.evaluation.attention_stats import explain

    return explain(_stats(result))


def corpus_summary(results: Sequence) -> str:
    """One line of attention statistics over all translations."""
    from attnseq.evaluation.attention_stats import corpus_stats

    return str(corpus_stats([_stats(r) for r in results]))
