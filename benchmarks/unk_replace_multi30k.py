"""Unknown-word replacement from attention: BLEU of a word-level Multi30k model with and without.

    attnseq train configs/multi30k-de-en-word.yaml --out runs/multi30k-de-en-word
    python3 benchmarks/unk_replace_multi30k.py runs/multi30k-de-en-word

Translates Multi30k test_2016_flickr (German to English, the official
lowercased tokenized files) once with beam search, then scores the output as
it is, with every ``<unk>`` (and wrongly written number) replaced by the most
attended source word, and with that word translated through a dictionary
made from eflomal's alignments of the training text (its most frequent
aligned English word), as Luong et al. (2015) did with their aligner.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("ATTNSEQ_MIRROR", str(REPO.parent / "shared" / "datasets"))

from attnseq.alignment.extract import symmetrize  # noqa: E402
from attnseq.alignment.files import read_pharaoh  # noqa: E402
from attnseq.api.translator import load  # noqa: E402
from attnseq.api.unk_replace import UNK_PIECE, read_dictionary, replace_all  # noqa: E402
from attnseq.data.corpora import load_pairs  # noqa: E402
from attnseq.evaluation.metrics import bleu, chrf  # noqa: E402


def build_dictionary(path: Path, src_lang: str, tgt_lang: str) -> None:
    """source<TAB>target: each training source word's most often aligned target word."""
    import eflomal

    pairs = load_pairs("multi30k", "train", src_lang, tgt_lang, variant="tok")
    work = path.parent
    fwd, rev = work / "m30k.fwd", work / "m30k.rev"
    started = time.perf_counter()
    eflomal.Aligner().align(
        [s for s, _ in pairs],
        [t for _, t in pairs],
        links_filename_fwd=str(fwd),
        links_filename_rev=str(rev),
    )
    counts: dict[str, Counter] = defaultdict(Counter)
    for (src, tgt), f, r in zip(pairs, read_pharaoh(fwd), read_pharaoh(rev), strict=True):
        s_words, t_words = src.split(), tgt.split()
        for i, j in symmetrize(f, r, "grow-diag-final-and"):
            counts[s_words[i]][t_words[j]] += 1
    lines = [f"{word}\t{c.most_common(1)[0][0]}" for word, c in sorted(counts.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"dictionary: {len(lines):,} entries from eflomal in {time.perf_counter() - started:.0f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument(
        "--dict", type=Path, help="default: RUN_DIR/eflomal.dict (built if missing)"
    )
    parser.add_argument("--beam", type=int, default=5)
    args = parser.parse_args(argv)
    translator = load(args.run_dir)
    data = translator.cfg.data
    dict_path = args.dict or args.run_dir / "eflomal.dict"
    if not dict_path.is_file():
        build_dictionary(dict_path, data.src_lang, data.tgt_lang)
    pairs = load_pairs("multi30k", data.test_split, data.src_lang, data.tgt_lang, variant="tok")
    refs = [t for _, t in pairs]
    started = time.perf_counter()
    outputs = translator.translate([s for s, _ in pairs], beam=args.beam)
    seconds = time.perf_counter() - started
    unks = sum(o.out_tokens.count(UNK_PIECE) for o in outputs)
    src_unks = sum(o.src_tokens.count(UNK_PIECE) for o in outputs)
    rows = []
    variants = {
        "as decoded": (outputs, 0),
        "copy the attended source word": replace_all(
            outputs, translator.src_tok, translator.tgt_tok
        ),
        "copy through the eflomal dictionary": replace_all(
            outputs, translator.src_tok, translator.tgt_tok, read_dictionary(dict_path)
        ),
    }
    for name, (hyps, replaced) in variants.items():
        texts = [h.text for h in hyps]
        rows.append(
            {
                "output": name,
                "bleu": bleu(texts, refs).score,
                "chrf": chrf(texts, refs).score,
                "replaced": replaced,
            }
        )
    table = [
        f"Multi30k test_2016_flickr {data.src_lang}-{data.tgt_lang}, {len(pairs):,} sentences, "
        f"beam {args.beam}: {unks:,} <unk> written, {src_unks:,} <unk> read; "
        f"decoding {seconds:.0f} s",
        "",
        "| output | BLEU | chrF | words replaced |",
        "| --- | --- | --- | --- |",
    ]
    table += [
        f"| {r['output']} | {r['bleu']:.2f} | {r['chrf']:.2f} | {r['replaced']:,} |" for r in rows
    ]
    print("\n".join(table))
    (args.run_dir / "unk_replace.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    (args.run_dir / "unk_replace.json").write_text(
        json.dumps({"rows": rows, "unk_written": unks, "unk_read": src_unks}, indent=1) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
